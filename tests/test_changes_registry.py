"""Issue 15 through the registry, for both stores: a save in another process reaches `on_config_change` and the
plugin running here; history (secrets masked) and restore round-trip; the store comes from CJM_PLUGINS_STORE_URL."""
import queue
import subprocess
import sys
import textwrap

import pytest

from cjm_fasthtml_plugins.core.changes import STORE_URL_ENV, ConfigChange
from cjm_fasthtml_plugins.core.errors import ConfigConflictError
from cjm_fasthtml_plugins.core.registry import UnifiedPluginRegistry
from cjm_fasthtml_plugins.core.schema_tree import SECRET_MASK
from pg_support import pg_cluster  # noqa: F401

SCHEMA = {"type": "object", "properties": {
    "model": {"type": "string", "default": "base"},
    "api_key": {"type": "string", "format": "password"},
    "auth": {"type": "object", "properties": {"token": {"type": "string", "writeOnly": True}, "user": {"type": "string"}}}}}


class Info:
    name, version = "whisper", "1.0"


class Manager:
    "One plugin, running, which takes new configs like cjm-plugin-system's `update_plugin_config`."
    def __init__(self): self.updates = []
    def discover_plugins(self): return [Info()]
    def get_plugin_config_schema(self, name): return SCHEMA
    def get_plugin_instances(self): return [Info()]
    def update_plugin_config(self, name, config): self.updates.append(config); return True


@pytest.fixture(params=["json", "postgres"])
def store_url(request, tmp_path, pg_cluster, monkeypatch):
    "A fresh store's URL, also set in CJM_PLUGINS_STORE_URL (the registries here and in children use it)."
    url = str(tmp_path / "configs") if request.param == "json" else pg_cluster.create_database()
    monkeypatch.setenv(STORE_URL_ENV, url)
    return url


@pytest.fixture
def registries():
    made = []
    def make():
        registry = UnifiedPluginRegistry()  # the store comes from CJM_PLUGINS_STORE_URL
        registry.register_plugin_manager("speech", Manager())
        made.append(registry)
        return registry
    yield make
    for registry in made: registry.store.close()


CHILD = """
    import sys
    from cjm_fasthtml_plugins.core.registry import UnifiedPluginRegistry
    registry = UnifiedPluginRegistry()  # CJM_PLUGINS_STORE_URL
    print(registry.write_plugin_config("speech_whisper", {"model": sys.argv[1], "api_key": "sk-child"}, validate=False), flush=True)
    sys.stdin.readline()  # the parent has seen the save
    registry.delete_plugin_config("speech_whisper")
    registry.store.close()
"""


def test_a_save_in_another_process_reaches_the_callback_and_the_running_plugin(store_url, registries, child_env):
    registry = registries()
    assert type(registry.store).__name__ == ("JsonDirectoryStore" if "://" not in store_url else "PostgresConfigStore")
    seen = queue.Queue()
    registry.on_config_change(seen.put)
    child_env[STORE_URL_ENV] = store_url
    child = subprocess.Popen([sys.executable, "-c", textwrap.dedent(CHILD), "large"], env=child_env,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    revision = child.stdout.readline().strip()
    assert revision, child.communicate(timeout=60)[1]
    assert seen.get(timeout=30) == ConfigChange("speech_whisper", "save", revision)
    manager = registry.get_manager("speech")
    assert manager.updates == [{"model": "large", "api_key": "sk-child"}]  # effective config, pushed here
    out, err = child.communicate("seen\n", timeout=120)
    assert child.returncode == 0, err
    assert seen.get(timeout=30) == ConfigChange("speech_whisper", "delete", None)
    assert manager.updates[-1] == {"model": "base"}  # the delete: back to the defaults
    assert not registry.takes_effect_on_restart("speech_whisper")


def test_callbacks_survive_a_failing_one_and_unsubscribe(store_url, registries):
    here, there = registries(), registries()
    seen, later = queue.Queue(), queue.Queue()
    def broken(change): raise RuntimeError("boom")
    here.on_config_change(broken)
    unsubscribe = here.on_config_change(seen.put)
    revision = there.write_plugin_config("speech_whisper", {"model": "tiny"})
    assert seen.get(timeout=30) == ConfigChange("speech_whisper", "save", revision)
    unsubscribe()
    here.on_config_change(later.put)
    revision = there.write_plugin_config("speech_whisper", {"model": "base"})
    assert later.get(timeout=30) == ConfigChange("speech_whisper", "save", revision)
    assert seen.empty()
    assert here.get_manager("speech").updates[-1]["model"] == "base"


def test_history_masks_secrets_and_restore_round_trips(store_url, registries):
    here, there = registries(), registries()  # two workers or hosts sharing the store
    secret = {"model": "large", "api_key": "sk-live-1", "auth": {"token": "tok-1", "user": "ana"}}
    first = here.write_plugin_config("speech_whisper", secret)
    second = there.write_plugin_config("speech_whisper", {"model": "tiny"}, expected_revision=first)
    assert there.delete_plugin_config("speech_whisper")
    history = here.get_config_history("speech_whisper")
    assert [(e.action, e.revision) for e in history] == [("delete", None), ("save", second), ("save", first)]
    assert history[2].config == {"model": "large", "api_key": SECRET_MASK, "auth": {"token": SECRET_MASK, "user": "ana"}}
    assert "sk-live-1" not in repr(history) and "tok-1" not in repr(history)
    restored = there.restore_plugin_config("speech_whisper", history[2], expected_revision="")
    assert here.load_plugin_config("speech_whisper") == secret  # secrets from the real history, not the mask
    assert [(e.action, e.revision) for e in here.get_config_history("speech_whisper", limit=2)] == [
        ("save", restored), ("delete", None)]
    with pytest.raises(ConfigConflictError, match="changed elsewhere"):
        here.restore_plugin_config("speech_whisper", second, expected_revision=second)
    with pytest.raises(ValueError, match="not in the config's history"):
        here.restore_plugin_config("speech_whisper", "0" * 16)
