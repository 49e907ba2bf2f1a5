"""Run by tests/test_plugin_system_real.py with the project's own Python (the dataclass-era releases need >= 3.11).

    python dataclass_era.py WORKDIR VERSION    # e.g. 0.0.6

It pip-installs cjm-plugin-system==VERSION and a tiny plugin published as an entry point into WORKDIR/site (so nothing
lands in this Python's environment), puts that directory first on sys.path, and registers cjm-plugin-system's own
`PluginManager` with `UnifiedPluginRegistry`: discovery, the config dataclass, validation, save, the saved config
pushed to the loaded plugin, `get_config_object`, `shutdown()`; then a plugin whose module fails to import is a
LoadFailure. Assertions are plain `assert`s; any failure exits non-zero with a traceback.
"""
import importlib
import subprocess
import sys
import textwrap
from pathlib import Path

WORK, VERSION = Path(sys.argv[1]), sys.argv[2]
SITE = WORK / "site"

PLUGIN_SOURCE = '''
from dataclasses import asdict, dataclass, field

from cjm_plugin_system.core.interface import PluginInterface


class TinyInterface(PluginInterface):
    entry_point_group = "cjm_fasthtml_plugins_tests.era"


@dataclass
class TinyConfig:
    model: str = field(default="tiny", metadata={"title": "Model", "enum": ["tiny", "base"]})
    beam_size: int = field(default=2, metadata={"title": "Beam size", "minimum": 1, "maximum": 8})


class TinyPlugin(TinyInterface):
    config_class = TinyConfig
    cleaned = []  # what force_cleanup() saw (class attribute: the scenario reads it)

    def __init__(self): self.config = TinyConfig()
    @property
    def name(self): return "tiny"
    @property
    def version(self): return "0.1.0"
    def initialize(self, config=None):
        config = asdict(config) if not isinstance(config, (dict, type(None))) else (config or {})
        self.config = TinyConfig(**{**asdict(self.config), **config})
    def execute(self, *args, **kwargs): return f"{self.config.model}:{args}"
    def is_available(self): return True
    def get_current_config(self): return self.config
    @staticmethod
    def get_config_dataclass(): return TinyConfig
    def force_cleanup(self): TinyPlugin.cleaned.append(asdict(self.config))
'''


def install() -> None:
    "Write the tiny plugin package (and one whose module does not import) and pip-install them with the release."
    root = WORK / "tiny_era_plugin"
    (root / "tiny_era_plugin").mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(textwrap.dedent('''
        [build-system]
        requires = ["setuptools>=61"]
        build-backend = "setuptools.build_meta"

        [project]
        name = "cjm-fasthtml-plugins-tiny-era"
        version = "0.1.0"

        [project.entry-points."cjm_fasthtml_plugins_tests.era"]
        tiny = "tiny_era_plugin.plugin:TinyPlugin"
        broken = "tiny_era_plugin.missing:BrokenPlugin"

        [tool.setuptools]
        packages = ["tiny_era_plugin"]
    '''))
    (root / "tiny_era_plugin" / "__init__.py").write_text("")
    (root / "tiny_era_plugin" / "plugin.py").write_text(PLUGIN_SOURCE)
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                    "--no-build-isolation", "--target", str(SITE), f"cjm-plugin-system=={VERSION}", str(root)],
                   check=True, cwd=WORK)


def scenario() -> None:
    from cjm_plugin_system.core.manager import PluginManager
    from tiny_era_plugin.plugin import TinyConfig, TinyInterface, TinyPlugin
    from cjm_fasthtml_plugins.core.registry import UnifiedPluginRegistry

    manager = PluginManager(plugin_interface=TinyInterface)
    registry = UnifiedPluginRegistry(config_dir=WORK / "configs")
    plugins = registry.register_plugin_manager("transcription", manager)
    assert [p.get_unique_id() for p in plugins] == ["transcription_tiny"], (plugins, registry.get_load_failures())
    [failure] = registry.get_load_failures()  # the entry point whose module does not exist
    assert (failure.plugin_name, failure.error_type) == ("broken", "ModuleNotFoundError"), failure
    assert "tiny_era_plugin.missing" in failure.message, failure.message

    plugin = registry.get_plugin("transcription_tiny")
    assert plugin.config_class is TinyConfig and plugin.version == "0.1.0", plugin
    assert plugin.config_schema["properties"]["beam_size"] == {"type": "integer", "title": "Beam size", "minimum": 1,
                                                               "maximum": 8, "default": 2}
    errors = registry.validate_plugin_config("transcription_tiny", {"model": "huge", "beam_size": 99})
    assert sorted(e.field for e in errors) == ["beam_size", "model"], errors
    assert registry.save_plugin_config("transcription_tiny", {"model": "base"}) is True
    assert registry.get_config_object("transcription_tiny") == TinyConfig(model="base", beam_size=2)

    [meta] = [m for m in manager.discovered if m.name == "tiny"]
    assert manager.load_plugin(meta, registry.get_effective_config("transcription_tiny"))
    assert registry.save_plugin_config("transcription_tiny", {"model": "tiny", "beam_size": 7}) is True
    assert manager.get_plugin("tiny").get_current_config() == TinyConfig(model="tiny", beam_size=7)  # pushed
    assert registry.takes_effect_on_restart("transcription_tiny") is False

    assert registry.shutdown() == ["transcription_tiny"]
    assert TinyPlugin.cleaned == [{"model": "tiny", "beam_size": 7}], TinyPlugin.cleaned


def main() -> None:
    install()
    sys.path.insert(0, str(SITE))
    importlib.invalidate_caches()
    import cjm_plugin_system
    assert Path(cjm_plugin_system.__file__).is_relative_to(SITE), cjm_plugin_system.__file__
    scenario()
    print(f"dataclass-era {VERSION} scenario passed")


if __name__ == "__main__": main()
