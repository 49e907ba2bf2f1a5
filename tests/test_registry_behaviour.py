"""UnifiedPluginRegistry: indexes, re-registration, failure isolation, validation, revisions, shutdown."""
import logging
import threading

import pytest

from cjm_fasthtml_plugins.core.errors import (ConfigConflictError, ConfigValidationError, FieldError, PluginLoadError,
                                              UnknownPluginError)
from cjm_fasthtml_plugins.core.registry import UnifiedPluginRegistry
from cjm_fasthtml_plugins.core.store import ConfigStore


class Info:
    def __init__(self, name, version="1.0", **extra): self.name, self.version = name, version; vars(self).update(extra)


class Manager:
    def __init__(self, schemas, fail_discovery=None):
        self.schemas, self.fail_discovery, self.schema_calls = dict(schemas), fail_discovery, 0
    def discover_plugins(self):
        if self.fail_discovery: raise self.fail_discovery
        return [Info(name) for name in self.schemas]
    def get_plugin_config_schema(self, name):
        self.schema_calls += 1
        schema = self.schemas[name]
        if isinstance(schema, Exception): raise schema
        return schema


SCHEMA = {"type": "object", "required": ["model", "device"], "properties": {
    "model": {"type": "string", "default": "base"},
    "device": {"type": "string", "enum": ["cpu", "cuda"]},
    "languages": {"type": "array", "items": {"type": "string", "enum": ["en", "fr"]}, "default": ["en"]},
    "limits": {"type": "object", "properties": {"memory_gb": {"type": "integer", "minimum": 1, "default": 8}}},
}}


@pytest.fixture
def registry(tmp_path):
    return UnifiedPluginRegistry(tmp_path / "configs", strict=False)


def test_default_config_dir_is_configs_in_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    registry = UnifiedPluginRegistry()
    assert registry.config_dir.as_posix() == "configs"
    assert (tmp_path / "configs").is_dir()
    assert (tmp_path / "configs").stat().st_mode & 0o777 == 0o700
    assert isinstance(registry.store, ConfigStore)


def test_indexes_follow_register_reregister_and_unregister(registry):
    registry.register_plugin_manager("b_cat", Manager({"x": {}, "y": {}}))
    registry.register_plugin_manager("a_cat", Manager({"z": {}}))
    registry.register_plugin_manager("empty", Manager({}))
    assert registry.get_categories() == ["a_cat", "b_cat", "empty"]
    assert registry.get_categories_with_plugins() == ["a_cat", "b_cat"]
    registry.register_plugin_manager("b_cat", Manager({"w": {}}))  # replaces x and y
    assert [p.name for p in registry.get_plugins_by_category("b_cat")] == ["w"]
    assert registry.get_plugin("b_cat_x") is None and registry.get_plugin("b_cat_w") is not None
    assert len(registry.get_all_plugins()) == 2
    registry.unregister_plugin_manager("a_cat")
    assert registry.get_categories() == ["b_cat", "empty"]
    assert registry.get_categories_with_plugins() == ["b_cat"]
    assert registry.get_plugin("a_cat_z") is None


def test_returned_lists_are_copies(registry):
    registry.register_plugin_manager("llm", Manager({"a": {}, "b": {}}))
    registry.get_categories().append("junk")
    registry.get_categories_with_plugins().clear()
    registry.get_plugins_by_category("llm").pop()
    assert registry.get_categories() == ["llm"]
    assert registry.get_categories_with_plugins() == ["llm"]
    assert len(registry.get_plugins_by_category("llm")) == 2


def test_lookups_do_not_rediscover_or_resort(registry, monkeypatch):
    manager = Manager({f"p{i}": {} for i in range(50)})
    registry.register_plugin_manager("llm", manager)
    calls = manager.schema_calls
    import builtins
    real_sorted = builtins.sorted
    sorts = []
    registry.get_categories(); registry.get_categories_with_plugins()  # fill the caches
    monkeypatch.setattr(builtins, "sorted", lambda *a, **k: sorts.append(1) or real_sorted(*a, **k))
    for _ in range(10):
        registry.get_categories(); registry.get_categories_with_plugins(); registry.get_plugin("llm_p7")
        registry.get_plugins_by_category("llm"); registry.get_category_display_name("llm")
    assert sorts == [] and manager.schema_calls == calls


def test_unique_id_collision_across_categories_is_a_failure_not_an_overwrite(registry):
    registry.register_plugin_manager("a", Manager({"b_c": {"title": "first"}}))
    registry.register_plugin_manager("a_b", Manager({"c": {"title": "second"}, "d": {}}))
    assert registry.get_plugin("a_b_c").title == "first"
    [failure] = registry.get_load_failures("a_b")
    assert failure.plugin_name == "c" and "already taken by a plugin in category 'a'" in failure.message
    assert registry.get_plugin("a_b_d") is not None


def test_failure_isolation_and_strict_mode(tmp_path):
    manager = Manager({"ok": {}, "bad": RuntimeError("boom"), "listy": [1]})
    lenient = UnifiedPluginRegistry(tmp_path, strict=False)
    assert [p.name for p in lenient.register_plugin_manager("x", manager)] == ["ok"]
    assert [f.plugin_name for f in lenient.get_load_failures()] == ["bad", "listy"]
    assert lenient.register_plugin_manager("y", Manager({}, ImportError("no torch"))) == []
    assert [(f.plugin_name, f.error_type) for f in lenient.get_load_failures("y")] == [(None, "ImportError")]
    strict = UnifiedPluginRegistry(tmp_path, strict=True)
    with pytest.raises(PluginLoadError, match="plugin 'bad' in category 'x' failed: RuntimeError: boom"):
        strict.register_plugin_manager("x", manager)
    with pytest.raises(PluginLoadError, match="plugin discovery in category 'y' failed: ImportError"):
        strict.register_plugin_manager("y", Manager({}, ImportError("no torch")))
    assert strict.get_categories() == []


def test_failed_refresh_in_strict_mode_keeps_previous_plugins(tmp_path):
    manager = Manager({"ok": {}})
    registry = UnifiedPluginRegistry(tmp_path, strict=True)
    registry.register_plugin_manager("x", manager)
    manager.schemas["bad"] = ValueError("nope")
    with pytest.raises(PluginLoadError):
        registry.refresh_category("x")
    assert [p.name for p in registry.get_plugins_by_category("x")] == ["ok"]


def test_is_configured_is_true_to_disk_across_registries(tmp_path):
    first, second = UnifiedPluginRegistry(tmp_path), UnifiedPluginRegistry(tmp_path)
    for registry in (first, second):
        registry.register_plugin_manager("llm", Manager({"a": {}, "b": {}}))
    assert first.save_plugin_config("llm_a", {"k": 1})
    assert second.get_plugin("llm_a").is_configured is True
    assert [p.is_configured for p in second.get_plugins_by_category("llm")] == [True, False]
    assert second.delete_plugin_config("llm_a")
    assert first.get_plugin("llm_a").is_configured is False
    assert first.require_plugin("llm_a").is_configured is False


def test_get_all_plugins_is_configured_with_many_plugins(tmp_path):
    registry = UnifiedPluginRegistry(tmp_path)
    registry.register_plugin_manager("bulk", Manager({f"p{i}": {} for i in range(100)}))
    UnifiedPluginRegistry(tmp_path).save_plugin_config("bulk_p42", {})
    assert [p.name for p in registry.get_all_plugins() if p.is_configured] == ["p42"]


def test_validation_collects_every_error_with_dotted_paths(registry):
    registry.register_plugin_manager("tr", Manager({"whisper": SCHEMA}))
    errors = registry.validate_plugin_config("tr_whisper", {"languages": ["en", "de", "xx"], "limits": {"memory_gb": 0}})
    assert [e.path for e in errors] == ["device", "languages.1", "languages.2", "limits.memory_gb", "model"]
    assert errors[0] == FieldError("device", "A value is required.")
    assert errors[0].field == "device" and errors[3].field == "limits"
    with pytest.raises(ConfigValidationError) as info:
        registry.write_plugin_config("tr_whisper", {"model": 3, "device": "tpu"})
    assert [e.path for e in info.value.errors] == ["device", "model"]
    assert registry.load_plugin_config("tr_whisper") == {}
    assert registry.save_plugin_config("tr_whisper", {"model": 3}) is False
    assert registry.write_plugin_config("tr_whisper", {"model": 3}, validate=False)


def test_invalid_plugin_schema_is_reported_as_a_field_error(registry):
    registry.register_plugin_manager("tr", Manager({"odd": {"type": "no-such-type"}}))
    [error] = registry.validate_plugin_config("tr_odd", {})
    assert error.path == "" and "schema is itself invalid" in error.message


def test_unknown_plugin_in_validation_and_defaults(registry):
    with pytest.raises(UnknownPluginError):
        registry.validate_plugin_config("tr_missing", {})
    with pytest.raises(UnknownPluginError):
        registry.get_effective_config("tr_missing")


def test_defaults_merge_under_saved_values(registry):
    registry.register_plugin_manager("tr", Manager({"whisper": SCHEMA}))
    assert registry.get_config_defaults("tr_whisper") == {"model": "base", "languages": ["en"], "limits": {"memory_gb": 8}}
    registry.get_config_defaults("tr_whisper")["languages"].append("fr")  # a copy: the schema is not mutated
    registry.write_plugin_config("tr_whisper", {"model": "large", "device": "cuda", "limits": {}})
    assert registry.get_effective_config("tr_whisper") == {
        "model": "large", "device": "cuda", "languages": ["en"], "limits": {"memory_gb": 8}}


def test_expected_revision_semantics(registry):
    with pytest.raises(ConfigConflictError) as info:
        registry.write_plugin_config("app_x", {"a": 1}, expected_revision="deadbeef")
    assert info.value.current_revision is None and info.value.current_config is None
    first = registry.write_plugin_config("app_x", {"a": 1}, expected_revision="")
    assert first == registry.get_config_revision("app_x")
    second = registry.write_plugin_config("app_x", {"a": 2}, expected_revision=first)
    with pytest.raises(ConfigConflictError) as info:
        registry.write_plugin_config("app_x", {"a": 3}, expected_revision=first)
    assert (info.value.current_revision, info.value.current_config) == (second, {"a": 2})
    assert registry.write_plugin_config("app_x", {"a": 1}) == first  # revision is a digest of the bytes
    registry.delete_plugin_config("app_x")
    assert registry.get_config_revision("app_x") is None


def test_update_with_mapping_and_callable(registry):
    assert registry.update_plugin_config("app_x", {"a": 1}) == {"a": 1}
    assert registry.update_plugin_config("app_x", {"b": 2}) == {"a": 1, "b": 2}
    assert registry.update_plugin_config("app_x", lambda c: {k: v * 10 for k, v in c.items()}) == {"a": 10, "b": 20}
    with pytest.raises(TypeError, match="must be a dict"):
        registry.update_plugin_config("app_x", lambda c: None)
    assert registry.load_plugin_config("app_x") == {"a": 10, "b": 20}


def test_save_logs_why_it_failed(registry, caplog):
    with caplog.at_level(logging.ERROR, logger="cjm_fasthtml_plugins.core.registry"):
        assert registry.save_plugin_config("../up", {}) is False
        assert registry.save_plugin_config("app_x", {"when": object()}) is False
    assert "Invalid plugin id '../up'" in caplog.text
    assert "not JSON serializable" in caplog.text


class Instance:
    def __init__(self, name=None, error=None): self.name, self.error, self.calls = name, error, 0
    def force_cleanup(self):
        self.calls += 1
        if self.error: raise self.error


class Loaded:
    def __init__(self, instance): self.instance = instance


def test_shutdown_uses_hook_then_plugins_dict_and_survives_errors(registry, caplog):
    hooked = Manager({"a": {}})
    a, broken, plain = Instance("a"), Instance("b", RuntimeError("stuck")), object()
    hooked.get_plugin_instances = lambda: [a, broken, plain, a]
    dict_style = Manager({"c": {}})
    c = Instance()
    dict_style.plugins = {"c": Loaded(c), "gone": Loaded(None)}
    failing = Manager({})
    failing.get_plugin_instances = lambda: 1 / 0
    registry.register_plugin_manager("hooked", hooked)
    registry.register_plugin_manager("dicty", dict_style)
    registry.register_plugin_manager("failing", failing)
    with caplog.at_level(logging.ERROR):
        cleaned = registry.shutdown()
    assert cleaned == ["hooked_a", "dicty_c"]
    assert (a.calls, broken.calls, c.calls) == (1, 1, 1)
    assert "force_cleanup() of plugin 'hooked_b' failed" in caplog.text
    assert "Listing the plugin instances of category 'failing' failed" in caplog.text


def test_custom_store_is_used(tmp_path):
    class MemoryStore:
        def __init__(self): self.data = {}
        def load(self, uid): return self.data.get(uid)
        def load_with_revision(self, uid): return self.load(uid), self.revision(uid)
        def saved_ids(self): return frozenset(self.data)
        def save(self, uid, config): self.data[uid] = dict(config); return str(len(self.data))
        def delete(self, uid): return self.data.pop(uid, None) is not None
        def exists(self, uid): return uid in self.data
        def list_ids(self): return sorted(self.data)
        def revision(self, uid): return str(hash(repr(self.data[uid]))) if uid in self.data else None
        def lock(self, uid):
            import contextlib
            return contextlib.nullcontext()
        def history(self, uid, limit=None): return []  # the protocol's history and watch (issue 15)
        def watch(self, callback): return lambda: None
    store = MemoryStore()
    assert isinstance(store, ConfigStore)
    registry = UnifiedPluginRegistry(tmp_path / "unused", store=store)
    assert not (tmp_path / "unused").exists()
    registry.register_plugin_manager("llm", Manager({"a": {}}))
    assert registry.save_plugin_config("llm_a", {"k": 1})
    assert store.data == {"llm_a": {"k": 1}, "plugin-owners": {"llm_a": ["llm", "a"]}}  # the owners record lives in the store too
    assert registry.get_plugin("llm_a").is_configured
    registry.write_plugin_config("llm_a", {"k": 2}, expected_revision=registry.get_config_revision("llm_a"))
    assert registry.update_plugin_config("llm_a", {"j": 0}) == {"k": 2, "j": 0}


class WorkerManager:
    "cjm-plugin-system's shape: manifests, and loaded instances that run in worker processes."
    def __init__(self): self.instances, self.unloaded = {}, 0
    def discover_manifests(self): return []
    def unload_all(self): self.unloaded += 1; self.instances.clear()


def test_shutdown_stops_workers_of_a_manager_registered_without_discovery(registry):
    manager = WorkerManager()
    registry.register_plugin_manager("llm", manager, auto_discover=False)
    manager.instances["w1"] = type("Worker", (), {"plugin_name": "gemini"})()  # the app loaded a plugin itself
    assert registry.shutdown() == ["llm_gemini"]
    assert manager.unloaded == 1


def test_a_discovery_timeout_in_strict_mode_does_not_claim_the_category_was_registered(tmp_path):
    release = threading.Event()
    class Slow(Manager):
        def discover_plugins(self): release.wait(30); return super().discover_plugins()
    strict = UnifiedPluginRegistry(tmp_path / "configs", strict=True, discovery_timeout=0.05)
    relaxed = UnifiedPluginRegistry(tmp_path / "configs", strict=False, discovery_timeout=0.05)
    with pytest.raises(PluginLoadError, match="discovery took longer than 0.05 s") as raised:
        strict.register_plugin_manager("slow", Slow({"a": {}}))
    assert relaxed.register_plugin_manager("slow", Slow({"a": {}})) == []
    release.set()
    assert strict.get_categories() == [] and "registered without" not in str(raised.value)  # it was not registered
    assert relaxed.get_categories() == ["slow"] and "none of its plugins" in relaxed.get_load_failures("slow")[0].message


def test_a_manager_that_raises_while_a_config_is_pushed_does_not_fail_the_save(registry, caplog):
    manager = Manager({"whisper": {"type": "object"}})
    manager.get_plugin_instances = lambda: 1 / 0  # the manager cannot say what runs
    registry.register_plugin_manager("tr", manager)
    with caplog.at_level(logging.WARNING):
        assert registry.save_plugin_config("tr_whisper", {"model": "large"}) is True
    assert registry.load_plugin_config("tr_whisper") == {"model": "large"}
    assert registry.takes_effect_on_restart("tr_whisper")
    assert registry.delete_plugin_config("tr_whisper") is True
    assert "ZeroDivisionError" in caplog.text


def test_a_validator_compiled_while_the_category_is_refreshed_is_not_kept(tmp_path, monkeypatch):
    "A request validating while the plugin's schema changes (refresh) must not leave the old schema in force."
    from cjm_fasthtml_plugins.core import schema
    manager = Manager({"p": {"type": "object", "properties": {"n": {"type": "integer", "maximum": 5}}}})
    registry = UnifiedPluginRegistry(tmp_path)
    registry.register_plugin_manager("t", manager)
    compiled, refreshed, real = threading.Event(), threading.Event(), schema.compile_validator
    def compile_then_wait(s):
        validator = real(s)
        compiled.set(); refreshed.wait(10)
        return validator
    monkeypatch.setattr(schema, "compile_validator", compile_then_wait)
    request = threading.Thread(target=registry.validate_plugin_config, args=("t_p", {"n": 1}))
    request.start(); compiled.wait(10)
    manager.schemas["p"] = {"type": "object", "properties": {"n": {"type": "integer", "maximum": 50}}}
    registry.refresh_category("t")
    refreshed.set(); request.join()
    monkeypatch.setattr(schema, "compile_validator", real)
    assert registry.get_plugin("t_p").config_schema["properties"]["n"]["maximum"] == 50
    assert registry.validate_plugin_config("t_p", {"n": 20}) == []
    assert [e.path for e in registry.validate_plugin_config("t_p", {"n": 51})] == ["n"]



def test_lookups_during_a_refresh_see_every_plugin(tmp_path, monkeypatch):
    "A request served while a category is re-discovered sees its plugins (old or new), never a half-replaced index."
    from cjm_fasthtml_plugins.core.metadata import PluginMetadata
    registry = UnifiedPluginRegistry(tmp_path)
    registry.register_plugin_manager("t", Manager({name: {"type": "object"} for name in ("a", "b", "c")}))
    seen, busy, real = [], [], PluginMetadata.get_unique_id
    class Probed(str):  # an id that, whenever the registry hashes it, looks the plugins up as a concurrent request would
        def __hash__(self):
            if not busy:
                busy.append(1)
                seen.append((registry.get_plugin("t_c") is not None, len(registry.get_all_plugins())))
                busy.clear()
            return str.__hash__(self)
    monkeypatch.setattr(PluginMetadata, "get_unique_id", lambda plugin: Probed(real(plugin)))
    registry.refresh_category("t")
    monkeypatch.setattr(PluginMetadata, "get_unique_id", real)
    assert seen and set(seen) == {(True, 3)}


def test_a_replaced_or_unregistered_manager_has_its_plugins_cleaned_up(tmp_path):
    "Nothing stale is left behind: the child processes of a manager no category uses any more are stopped."
    import subprocess
    import sys
    class Plugin:
        def __init__(self): self.proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
        def force_cleanup(self): self.proc.kill(); self.proc.wait()
    class Loaded:
        def __init__(self, name): self.name, self.version, self.instance = name, "1.0", Plugin()
    class Live(Manager):
        def __init__(self): super().__init__({"p": {"type": "object"}}); self.plugins = {"p": Loaded("p")}
    def running(manager): return manager.plugins["p"].instance.proc.poll() is None
    registry, first, second = UnifiedPluginRegistry(tmp_path), Live(), Live()
    try:
        registry.register_plugin_manager("t", first)
        registry.register_plugin_manager("t", first)  # the same manager again: nothing is stopped
        assert running(first)
        registry.register_plugin_manager("t", second)  # e.g. the app rebuilt its manager
        assert not running(first) and running(second)
        registry.register_plugin_manager("u", second)
        registry.unregister_plugin_manager("t")  # still serves category 'u'
        assert running(second)
        registry.unregister_plugin_manager("u")
        assert not running(second)
    finally:
        for manager in (first, second): manager.plugins["p"].instance.force_cleanup()


def test_a_pydantic_models_own_dates_and_times_are_accepted(tmp_path):
    "pydantic writes naive datetimes and times without a UTC offset; the plugin's own defaults must validate and save."
    import datetime as dt
    from pydantic import BaseModel
    class Schedule(BaseModel):
        start: dt.datetime = dt.datetime(2026, 1, 2, 9, 30)
        daily_at: dt.time = dt.time(6, 15)
        until: dt.datetime = dt.datetime(2026, 3, 1, tzinfo=dt.timezone.utc)
    registry = UnifiedPluginRegistry(tmp_path)
    registry.register_plugin_manager("jobs", Manager({"cron": Schedule.model_json_schema()}))
    defaults = Schedule().model_dump(mode="json")
    assert registry.validate_plugin_config("jobs_cron", defaults) == []
    assert registry.save_plugin_config("jobs_cron", {**defaults, "start": "2026-02-03T04:05:06.789+02:00"})
    assert [e.path for e in registry.validate_plugin_config("jobs_cron", {"start": "next monday", "daily_at": "25:00:00"})] \
        == ["daily_at", "start"]
