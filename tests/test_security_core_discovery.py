"""Issue 13, item 10: nothing a plugin or manager does during discovery escapes register_plugin_manager, and a
discovery that hangs is a LoadFailure after `discovery_timeout`."""
import threading

from cjm_fasthtml_plugins.core.registry import UnifiedPluginRegistry

SCHEMA = {"type": "object", "properties": {}}


class RaisingName:
    version = "1.0"
    @property
    def name(self): raise RuntimeError("name is broken")


class Unprintable(Exception):
    def __str__(self): raise ValueError("no message either")
    def __repr__(self): raise ValueError("no repr")


class Info:
    def __init__(self, name): self.name, self.version = name, "1.0"


class Manager:
    def __init__(self, infos, schema_error=None): self.infos, self.schema_error = infos, schema_error
    def discover_plugins(self): return list(self.infos)
    def get_plugin_config_schema(self, name):
        if name == "unprintable": raise Unprintable()
        return SCHEMA


def test_a_raising_name_and_an_unprintable_error_are_load_failures(tmp_path):
    registry = UnifiedPluginRegistry(tmp_path, strict=False)
    found = registry.register_plugin_manager("app", Manager([RaisingName(), Info("unprintable"), Info("fine")]))
    assert [p.name for p in found] == ["fine"]
    failures = registry.get_load_failures("app")
    assert sorted(f.error_type for f in failures) == ["RuntimeError", "Unprintable"]
    assert "its message could not be read" in next(f for f in failures if f.error_type == "Unprintable").message


class DiscoveryRaisesUnprintable:
    def discover_plugins(self): raise Unprintable()
    def get_plugin_config_schema(self, name): return SCHEMA


def test_a_whole_discovery_raising_an_unprintable_error(tmp_path):
    registry = UnifiedPluginRegistry(tmp_path, strict=False)
    assert registry.register_plugin_manager("app", DiscoveryRaisesUnprintable()) == []
    assert registry.get_load_failures("app")[0].error_type == "Unprintable"


class Hangs:
    def __init__(self): self.release = threading.Event()
    def discover_plugins(self):
        self.release.wait(60)
        return [Info("late")]
    def get_plugin_config_schema(self, name): return SCHEMA


def test_a_hanging_discovery_is_a_load_failure_after_the_limit(tmp_path):
    registry = UnifiedPluginRegistry(tmp_path, strict=False, discovery_timeout=0.2)
    hanging = Hangs()
    try:
        assert registry.register_plugin_manager("slow", hanging) == []
        assert registry.register_plugin_manager("app", Manager([Info("fine")]))[0].name == "fine"
    finally: hanging.release.set()
    [failure] = registry.get_load_failures("slow")
    assert failure.error_type == "TimeoutError" and "discovery_timeout" in failure.message
    assert registry.get_categories() == ["app", "slow"] and registry.get_plugin("slow_late") is None
