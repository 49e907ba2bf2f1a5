"""Dataclass-era, spec-shaped and shapeless managers (small fakes) through UnifiedPluginRegistry.
"""
import enum
from dataclasses import dataclass, field
from typing import Optional

import pytest

from cjm_fasthtml_plugins.core.errors import PluginLoadError
from cjm_fasthtml_plugins.core.registry import UnifiedPluginRegistry


class Device(enum.Enum):
    CPU = "cpu"
    CUDA = "cuda"


@dataclass
class WhisperConfig:
    model: str = field(default="base", metadata={"title": "Model", "enum": ["tiny", "base", "large"]})
    beam_size: int = field(default=5, metadata={"minimum": 1, "maximum": 10})
    device: Device = Device.CPU
    language: Optional[str] = None


@dataclass
class Info:
    name: str
    version: str = "0.0.8"


class DataclassEraManager:
    "Shaped like cjm-plugin-system 0.0.8: discover_plugins() + get_plugin_config_dataclass(name), instances in `plugins`."
    def __init__(self): self.plugins, self.updates = {}, []
    def discover_plugins(self): return [Info("whisper")]
    def get_plugin_config_dataclass(self, name): return WhisperConfig
    def update_plugin_config(self, name, config, merge=True): self.updates.append((name, config)); return True


@pytest.fixture
def registry(tmp_path):
    return UnifiedPluginRegistry(config_dir=tmp_path)


def test_dataclass_era_manager_registers_with_its_config_class(registry):
    [plugin] = registry.register_plugin_manager("transcription", DataclassEraManager())
    assert plugin.config_dataclass is WhisperConfig and plugin.config_class is WhisperConfig
    assert plugin.config_schema["properties"]["beam_size"] == {"type": "integer", "minimum": 1, "maximum": 10, "default": 5}
    assert registry.get_config_defaults("transcription_whisper") == {"model": "base", "beam_size": 5, "device": "cpu",
                                                                     "language": None}
    assert [e.field for e in registry.validate_plugin_config("transcription_whisper", {"beam_size": 11})] == ["beam_size"]


def test_config_object_is_an_instance_of_the_config_class(registry):
    registry.register_plugin_manager("transcription", DataclassEraManager())
    assert registry.save_plugin_config("transcription_whisper", {"beam_size": 8, "device": "cuda"})
    assert registry.get_config_object("transcription_whisper") == WhisperConfig(beam_size=8, device=Device.CUDA)


def test_saved_config_reaches_a_running_plugin(registry):
    manager = DataclassEraManager()
    registry.register_plugin_manager("transcription", manager)
    assert registry.save_plugin_config("transcription_whisper", {"beam_size": 3})
    assert manager.updates == []  # not running: nothing to push
    manager.plugins["whisper"] = type("Meta", (), {"instance": object()})()
    assert registry.save_plugin_config("transcription_whisper", {"beam_size": 4})
    assert manager.updates == [("whisper", {"model": "base", "beam_size": 4, "device": "cpu", "language": None})]
    assert registry.takes_effect_on_restart("transcription_whisper") is False


def test_a_running_plugin_that_cannot_take_a_config_waits_for_restart(registry):
    class SpecManager:
        plugins = {"gemini": type("Loaded", (), {"instance": object()})()}
        def discover_plugins(self): return [Info("gemini")]
        def get_plugin_config_schema(self, name): return {"type": "object", "properties": {"t": {"type": "number"}}}
    registry.register_plugin_manager("llm", SpecManager())
    assert registry.save_plugin_config("llm_gemini", {"t": 0.5})
    assert registry.takes_effect_on_restart("llm_gemini") is True


def test_a_manager_of_no_known_shape_is_one_load_failure(registry):
    assert registry.register_plugin_manager("odd", object()) == []
    [failure] = registry.get_load_failures("odd")
    assert (failure.plugin_name, failure.error_type) == (None, "ManagerShapeError")
    assert "object is not a plugin manager this registry can use" in failure.message
    with pytest.raises(PluginLoadError, match="ManagerShapeError"):
        UnifiedPluginRegistry(config_dir=registry.config_dir, strict=True).register_plugin_manager("odd", object())
