"""Issue 13, item 7: one unusable schema is that plugin's own clear error, never an exception for its neighbours."""
import pytest

from cjm_fasthtml_plugins.core.registry import UnifiedPluginRegistry

GOOD = {"type": "object", "properties": {"model": {"type": "string", "default": "base"}}}


class Manager:
    def __init__(self, schemas): self.schemas = schemas
    def discover_plugins(self): return [type("Info", (), {"name": n, "version": "1"})() for n in self.schemas]
    def get_plugin_config_schema(self, name): return self.schemas[name]


@pytest.fixture
def registry(tmp_path):
    registry = UnifiedPluginRegistry(tmp_path / "configs", strict=False)
    registry.register_plugin_manager("app", Manager({
        "non_json_default": {"type": "object", "properties": {"tags": {"type": "array", "default": {"a", "b"}}}},
        "nan_default": {"type": "object", "properties": {"x": {"type": "number", "default": float("nan")}}},
        "listy": {"type": "object", "properties": [{"name": "x"}]},
        "loop": {"$ref": "#"},
        "mutual": {"$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"$ref": "#/$defs/a"}}, "properties": {"x": {"$ref": "#/$defs/a"}}},
        "good": GOOD}))
    return registry


def test_unusable_schemas_become_load_failures_and_neighbours_work(registry):
    failures = {f.plugin_name: f for f in registry.get_load_failures("app")}
    assert set(failures) == {"non_json_default", "nan_default", "listy"}
    assert all(f.error_type == "SchemaError" and "config schema cannot be used" in f.message for f in failures.values())
    assert sorted(p.name for p in registry.get_plugins_by_category("app")) == ["good", "loop", "mutual"]
    assert registry.get_config_defaults("app_good") == {"model": "base"}
    assert registry.validate_plugin_config("app_good", {"model": "x"}) == []
    assert registry.save_plugin_config("app_good", {"model": "large"})


@pytest.mark.parametrize("uid", ["app_loop", "app_mutual"])
def test_a_ref_loop_is_one_clear_error_of_that_plugin(registry, uid):
    errors = registry.validate_plugin_config(uid, {"x": 1})
    assert len(errors) == 1 and errors[0].path == "" and "loop" in errors[0].message
    assert registry.get_config_defaults(uid) == {}
    assert registry.save_plugin_config(uid, {"x": 1}) is False and not registry.store.exists(uid)
    assert registry.get_effective_config(uid) == {}
