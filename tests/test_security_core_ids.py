"""Issue 13, items 8 and 12: an id holding another plugin's saved config is refused (now or after a restart);
Windows device names are not ids."""
import json

import pytest
from hypothesis import given, strategies as st

from cjm_fasthtml_plugins.core.errors import InvalidPluginIdError
from cjm_fasthtml_plugins.core.registry import UnifiedPluginRegistry
from cjm_fasthtml_plugins.core.store import validate_plugin_id


class Manager:
    def __init__(self, *names): self.names = names
    def discover_plugins(self): return [type("Info", (), {"name": n, "version": "1"})() for n in self.names]
    def get_plugin_config_schema(self, name): return {"type": "object", "properties": {"api_key": {"type": "string"}}}


def test_a_collision_with_a_config_saved_in_an_earlier_run_is_refused(tmp_path):
    first = UnifiedPluginRegistry(tmp_path / "configs", strict=False)
    first.register_plugin_manager("a", Manager("b_c"))
    assert first.save_plugin_config("a_b_c", {"api_key": "first-plugins-secret"})
    file = tmp_path / "configs" / "a_b_c.json"
    before = file.read_bytes()
    # restart: only the other plugin is installed now
    second = UnifiedPluginRegistry(tmp_path / "configs", strict=False)
    assert second.register_plugin_manager("a_b", Manager("c")) == []
    [failure] = second.get_load_failures("a_b")
    assert failure.plugin_name == "c" and "'b_c'" in failure.message and "category 'a'" in failure.message
    assert second.get_plugin("a_b_c") is None
    assert file.read_bytes() == before
    # the owner itself still registers after a restart
    third = UnifiedPluginRegistry(tmp_path / "configs", strict=False)
    assert [p.name for p in third.register_plugin_manager("a", Manager("b_c"))] == ["b_c"]
    assert third.get_load_failures() == []


def test_a_collision_in_the_same_run_is_refused_naming_both(tmp_path):
    registry = UnifiedPluginRegistry(tmp_path / "configs", strict=False)
    registry.register_plugin_manager("a", Manager("b_c"))
    assert registry.register_plugin_manager("a_b", Manager("c")) == []
    [failure] = registry.get_load_failures("a_b")
    assert failure.plugin_name == "c" and "category 'a'" in failure.message


def test_a_config_saved_before_owners_were_recorded_is_adopted_by_the_first_claimant(tmp_path):
    (tmp_path / "configs").mkdir()
    (tmp_path / "configs" / "a_b_c.json").write_text(json.dumps({"api_key": "legacy"}))
    first = UnifiedPluginRegistry(tmp_path / "configs", strict=False)
    assert [p.name for p in first.register_plugin_manager("a_b", Manager("c"))] == ["c"]
    second = UnifiedPluginRegistry(tmp_path / "configs", strict=False)
    assert second.register_plugin_manager("a", Manager("b_c")) == []
    assert "'c'" in second.get_load_failures("a")[0].message
    assert json.loads((tmp_path / "configs" / "a_b_c.json").read_text()) == {"api_key": "legacy"}


DEVICES = ["CON", "PRN", "AUX", "NUL"] + [f"{p}{i}" for p in ("COM", "LPT") for i in range(1, 10)]


@given(device=st.sampled_from(DEVICES), case=st.lists(st.booleans(), min_size=4, max_size=4),
       extension=st.one_of(st.just(""), st.from_regex(r"\.[a-z0-9_]{0,8}", fullmatch=True)))
def test_windows_device_names_are_refused(device, case, extension):
    name = "".join(c.upper() if up else c.lower() for c, up in zip(device, case + [True] * 4)) + extension
    with pytest.raises(InvalidPluginIdError, match="Windows device name"):
        validate_plugin_id(name)


def test_names_that_only_start_like_a_device_are_fine():
    for ok in ("console", "null_model", "com10", "lpt_x", "auxiliary", "app_con"):
        assert validate_plugin_id(ok) == ok
