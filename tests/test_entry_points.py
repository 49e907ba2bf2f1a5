"""register_plugin_system against real distributions published as *.dist-info directories on sys.path."""
import importlib
import sys
import textwrap
import uuid

import pytest

from cjm_fasthtml_plugins.core.errors import PluginLoadError
from cjm_fasthtml_plugins.core.execution_mode import PluginExecutionMode
from cjm_fasthtml_plugins.core.manager import EntryPointPluginManager
from cjm_fasthtml_plugins.core.registry import UnifiedPluginRegistry

PLUGINS_MODULE = '''
class TranscriptionPlugin:
    entry_point_group = "{group}"

class Whisper(TranscriptionPlugin):
    description = "Local Whisper"
    execution_mode = "subprocess"
    manages_child_processes = True
    @staticmethod
    def get_config_schema():
        return {{"title": "Whisper", "type": "object", "properties": {{"model": {{"type": "string", "default": "base"}}}}}}
    def __init__(self): self.cleaned = False
    def initialize(self, config): self.config = config
    def force_cleanup(self): self.cleaned = True

class SchemaRaises(TranscriptionPlugin):
    @staticmethod
    def get_config_schema(): raise RuntimeError("schema needs a GPU")

class SchemaNotDict(TranscriptionPlugin):
    @staticmethod
    def get_config_schema(): return "model: base"
'''


def publish(site, dist_name, version, entry_points, modules=None):
    "Write a distribution's dist-info (METADATA + entry_points.txt) and its modules into `site`."
    info = site / f"{dist_name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist_name}\nVersion: {version}\n")
    (info / "entry_points.txt").write_text(entry_points)
    for name, source in (modules or {}).items(): (site / f"{name}.py").write_text(textwrap.dedent(source))
    importlib.invalidate_caches()


@pytest.fixture
def ecosystem(tmp_path, monkeypatch):
    "A site dir on sys.path with one distribution shipping good and broken plugins; yields (site, group, module)."
    tag = uuid.uuid4().hex[:8]
    group, module = f"test{tag}.transcription", f"plugins_{tag}"
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    publish(site, f"transcribers-{tag}", "1.4.2", textwrap.dedent(f'''
        [{group}]
        whisper = {module}:Whisper
        missing_module = {module}_not_installed:Plugin
        missing_attr = {module}:NoSuchClass
        schema_raises = {module}:SchemaRaises
        schema_not_dict = {module}:SchemaNotDict
    '''), {module: PLUGINS_MODULE.format(group=group), f"{module}_broken": "raise ImportError('needs torch')\n"})
    yield site, group, module
    for name in [m for m in sys.modules if m.startswith(module)]: del sys.modules[name]


def interface(module):
    return importlib.import_module(module).TranscriptionPlugin


def test_register_plugin_system_discovers_real_distribution(tmp_path, ecosystem):
    site, group, module = ecosystem
    registry = UnifiedPluginRegistry(tmp_path / "configs", strict=False)
    plugins = registry.register_plugin_system("transcription", interface(module), display_name="Speech")
    assert [p.get_unique_id() for p in plugins] == ["transcription_whisper"]
    whisper = plugins[0]
    assert (whisper.title, whisper.version, whisper.description) == ("Whisper", "1.4.2", "Local Whisper")
    assert whisper.execution_mode is PluginExecutionMode.SUBPROCESS
    assert whisper.manages_child_processes is True
    assert registry.get_category_display_name("transcription") == "Speech"
    assert isinstance(registry.get_manager("transcription"), EntryPointPluginManager)
    assert registry.get_config_defaults("transcription_whisper") == {"model": "base"}


def test_broken_entry_points_are_recorded_while_the_others_register(tmp_path, ecosystem):
    site, group, module = ecosystem
    registry = UnifiedPluginRegistry(tmp_path / "configs", strict=False)
    registry.register_plugin_system("transcription", interface(module))
    failures = {f.plugin_name: f for f in registry.get_load_failures("transcription")}
    assert sorted(failures) == ["missing_attr", "missing_module", "schema_not_dict", "schema_raises"]
    assert failures["missing_module"].error_type == "ModuleNotFoundError"
    assert failures["missing_attr"].error_type == "AttributeError"
    assert failures["schema_raises"].message == "schema needs a GPU"
    assert "not a JSON Schema dict" in failures["schema_not_dict"].message
    for failure in failures.values():
        assert failure.category == "transcription"
        assert failure.distribution.endswith(" 1.4.2") and failure.distribution.startswith("transcribers-")
        assert failure.entry_point.startswith(f"{failure.plugin_name} = ")
    assert "failed: ModuleNotFoundError" in failures["missing_module"].describe()


def test_strict_mode_from_environment_raises(tmp_path, ecosystem, monkeypatch):
    site, group, module = ecosystem
    monkeypatch.setenv("CJM_PLUGINS_STRICT", "1")
    registry = UnifiedPluginRegistry(tmp_path / "configs")
    assert registry.strict is True
    with pytest.raises(PluginLoadError, match="strict mode is on") as info:
        registry.register_plugin_system("transcription", interface(module))
    assert info.value.failure.category == "transcription"
    assert registry.get_categories() == []


def test_refresh_after_installing_another_distribution(tmp_path, ecosystem):
    site, group, module = ecosystem
    registry = UnifiedPluginRegistry(tmp_path / "configs", strict=False)
    registry.register_plugin_system("transcription", interface(module))
    publish(site, f"extra-{module}", "0.1.0", f"[{group}]\nvosk = {module}_extra:Vosk\n",
            {f"{module}_extra": f"""
                from {module} import TranscriptionPlugin
                class Vosk(TranscriptionPlugin):
                    @staticmethod
                    def get_config_schema(): return {{"type": "object"}}
            """})
    refreshed = registry.refresh_category("transcription")
    assert sorted(p.name for p in refreshed) == ["vosk", "whisper"]
    assert registry.get_plugin("transcription_vosk").version == "0.1.0"
    assert len(registry.get_load_failures("transcription")) == 4  # replaced, not accumulated


def test_loaded_instances_are_cleaned_up_at_shutdown(tmp_path, ecosystem):
    site, group, module = ecosystem
    registry = UnifiedPluginRegistry(tmp_path / "configs", strict=False)
    registry.register_plugin_system("transcription", interface(module))
    manager = registry.get_manager("transcription", EntryPointPluginManager)
    instance = manager.load_plugin("whisper", registry.get_effective_config("transcription_whisper"))
    assert instance.config == {"model": "base"}
    assert manager.get_plugin_instances() == [instance]
    assert registry.shutdown() == ["transcription_whisper"]
    assert instance.cleaned is True


def test_interface_without_group_is_refused(tmp_path):
    registry = UnifiedPluginRegistry(tmp_path / "configs")
    with pytest.raises(ValueError, match="has no `entry_point_group`"):
        registry.register_plugin_system("misc", object)


def test_concurrent_loads_of_one_plugin_make_one_instance(tmp_path, ecosystem, monkeypatch):
    "Two requests loading one plugin at once share one instance: a second one would never be cleaned up at shutdown."
    import threading
    site, group, module = ecosystem
    registry = UnifiedPluginRegistry(tmp_path / "configs", strict=False)
    registry.register_plugin_system("transcription", interface(module))
    manager = registry.get_manager("transcription")
    whisper, built, second = importlib.import_module(module).Whisper, [], threading.Event()
    original = whisper.__init__
    def slow_init(self):
        original(self); built.append(self)
        if len(built) == 1: second.wait(2)  # the first load is still constructing when the second one arrives
        else: second.set()
    monkeypatch.setattr(whisper, "__init__", slow_init)
    loaded = []
    threads = [threading.Thread(target=lambda: loaded.append(manager.load_plugin("whisper", {"model": "base"})))
               for _ in range(2)]
    for t in threads: t.start()
    for t in threads: t.join()
    assert len(built) == 1 and loaded[0] is loaded[1] is manager.get_plugin_instances()[0]
    assert registry.shutdown() == ["transcription_whisper"] and loaded[0].cleaned
