"""is_configured follows configs saved and deleted by another process, without a stat per plugin per lookup."""
import os
import subprocess
import sys

from cjm_fasthtml_plugins.core.registry import UnifiedPluginRegistry


class Info:
    def __init__(self, name): self.name, self.version = name, "1.0"


class Manager:
    def __init__(self, names): self.names = list(names)
    def discover_plugins(self): return [Info(n) for n in self.names]
    def get_plugin_config_schema(self, name): return {"type": "object"}


def in_other_process(config_dir, child_env, action):
    code = ("from cjm_fasthtml_plugins.core.store import JsonDirectoryStore\n"
            f"JsonDirectoryStore({str(config_dir)!r}).{action}\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=child_env, timeout=60)
    assert result.returncode == 0, result.stderr


def configured(plugins): return [p.name for p in plugins if p.is_configured]


def test_another_process_saving_and_deleting_shows_at_once(tmp_path, child_env):
    config_dir = tmp_path / "configs"
    registry = UnifiedPluginRegistry(config_dir)
    registry.register_plugin_manager("llm", Manager(["a", "b", "c"]))
    assert configured(registry.get_plugins_by_category("llm")) == []
    in_other_process(config_dir, child_env, "save('llm_b', {'k': 1})")
    assert configured(registry.get_plugins_by_category("llm")) == ["b"]
    assert registry.get_plugin("llm_b").is_configured and not registry.require_plugin("llm_a").is_configured
    in_other_process(config_dir, child_env, "save('llm_a', {'k': 1})")
    in_other_process(config_dir, child_env, "delete('llm_b')")
    assert configured(registry.get_all_plugins()) == ["a"]
    # the directory's time is pushed back past the racy window: the listing is trusted, and a change still shows
    os.utime(config_dir, ns=(0, 0))
    assert configured(registry.get_plugins_by_category("llm")) == ["a"]
    in_other_process(config_dir, child_env, "save('llm_c', {'k': 1})")
    assert configured(registry.get_plugins_by_category("llm")) == ["a", "c"]


def test_lookups_check_the_directory_not_each_plugin(tmp_path, monkeypatch):
    config_dir = tmp_path / "configs"
    registry = UnifiedPluginRegistry(config_dir)
    registry.register_plugin_manager("bulk", Manager([f"p{i}" for i in range(300)]))
    registry.save_plugin_config("bulk_p7", {})
    os.utime(config_dir, ns=(0, 0))  # an old directory: its listing is trusted once made
    registry.get_plugins_by_category("bulk")
    stats = []
    real_stat, real_fstat = os.stat, os.fstat
    monkeypatch.setattr(os, "stat", lambda *a, **k: stats.append(a[0]) or real_stat(*a, **k))
    monkeypatch.setattr(os, "fstat", lambda *a, **k: stats.append(a[0]) or real_fstat(*a, **k))
    monkeypatch.setattr(os.path, "isfile", lambda p: stats.append(p) or False)
    for _ in range(10):
        assert configured(registry.get_plugins_by_category("bulk")) == ["p7"]
    # one fstat of the directory per lookup (a stat of its path too, once a second): never one per plugin
    assert 10 <= len(stats) <= 20


def test_saved_ids_is_the_same_object_while_nothing_changes(tmp_path):
    registry = UnifiedPluginRegistry(tmp_path / "configs")
    registry.save_plugin_config("x_a", {})
    first = registry.store.saved_ids()
    assert registry.store.saved_ids() is first and first == {"x_a"}
    registry.save_plugin_config("x_a", {"again": True})  # same ids: the same object comes back
    assert registry.store.saved_ids() is first
    registry.delete_plugin_config("x_a")
    assert registry.store.saved_ids() == frozenset()


def test_metadata_already_handed_out_follows_this_registrys_saves_and_deletes(tmp_path):
    "As in 0.0.5: save/update/delete set `is_configured` on the plugin's metadata at once, not at the next lookup."
    registry = UnifiedPluginRegistry(tmp_path / "configs")
    [plugin] = registry.register_plugin_manager("llm", Manager(["gemini"]))
    assert registry.save_plugin_config("llm_gemini", {"a": 1}) and plugin.is_configured
    assert registry.delete_plugin_config("llm_gemini") and not plugin.is_configured
    registry.update_plugin_config("llm_gemini", {"a": 2})
    assert plugin.is_configured
    registry.delete_plugin_config("llm_gemini")
    registry.write_plugin_config("llm_gemini", {"a": 3}, expected_revision="")
    assert plugin.is_configured
