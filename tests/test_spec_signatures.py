"""Every name the user's spec lists exists with the spec's parameter names, order and defaults.

Additions are allowed only after the spec's parameters, and must be optional (DESIGN.md section 2).
"""
import dataclasses
import importlib
import inspect

import pytest

_ = inspect.Parameter.empty
P = "cjm_fasthtml_plugins."

# (module, qualified name, [(parameter, default)]) — `_` marks a parameter without a default.
SPEC = [
    ("protocols.cloud_aware", "is_cloud_aware", [("plugin", _)]),
    ("protocols.cloud_aware", "has_active_cloud_resources", [("plugin", _)]),
    ("protocols.cloud_aware", "get_total_estimated_cost", [("plugins", _), ("duration_hours", 1.0)]),
    ("protocols.cloud_aware", "CloudAwarePlugin.get_remote_resource_info", [("self", _)]),
    ("protocols.cloud_aware", "CloudAwarePlugin.provision_remote_resource", [("self", _), ("config", _)]),
    ("protocols.cloud_aware", "CloudAwarePlugin.check_remote_resource_status", [("self", _)]),
    ("protocols.cloud_aware", "CloudAwarePlugin.terminate_remote_resource", [("self", _)]),
    ("protocols.cloud_aware", "CloudAwarePlugin.estimate_cost", [("self", _), ("duration_hours", _)]),
    ("protocols.lifecycle", "is_lifecycle_aware", [("plugin", _)]),
    ("protocols.lifecycle", "get_all_managed_pids", [("plugin", _)]),
    ("protocols.lifecycle", "LifecycleAwarePlugin.get_execution_mode", [("self", _)]),
    ("protocols.lifecycle", "LifecycleAwarePlugin.get_child_pids", [("self", _)]),
    ("protocols.lifecycle", "LifecycleAwarePlugin.get_managed_resources", [("self", _)]),
    ("protocols.lifecycle", "LifecycleAwarePlugin.force_cleanup", [("self", _)]),
    ("utils.helpers", "filter_plugins_by_execution_mode", [("plugins", _), ("mode", _)]),
    ("utils.helpers", "get_cloud_plugins", [("plugins", _)]),
    ("utils.helpers", "get_local_plugins", [("plugins", _)]),
    ("utils.helpers", "get_configured_plugins", [("plugins", _)]),
    ("utils.helpers", "get_unconfigured_plugins", [("plugins", _)]),
    ("utils.helpers", "get_plugin_stats", [("plugins", _)]),
    ("components.html_ids", "PluginSelectorHtmlIds.as_selector", [("id_str", _)]),
    ("core.metadata", "PluginMetadata.get_unique_id", [("self", _)]),
    ("core.metadata", "PluginMetadata.is_local_execution", [("self", _)]),
    ("core.metadata", "PluginMetadata.is_cloud_execution", [("self", _)]),
    ("core.metadata", "PluginMetadata.has_active_resources", [("self", _)]),
    ("core.registry", "UnifiedPluginRegistry.__init__", [("self", _), ("config_dir", None)]),
    ("core.registry", "UnifiedPluginRegistry.register_plugin_manager",
     [("self", _), ("category", _), ("manager", _), ("display_name", None), ("auto_discover", True)]),
    ("core.registry", "UnifiedPluginRegistry.register_plugin_system",
     [("self", _), ("category", _), ("plugin_interface", _), ("display_name", None), ("auto_discover", True)]),
    ("core.registry", "UnifiedPluginRegistry.get_manager", [("self", _), ("category", _), ("manager_type", None)]),
    ("core.registry", "UnifiedPluginRegistry.get_categories", [("self", _)]),
    ("core.registry", "UnifiedPluginRegistry.get_category_display_name", [("self", _), ("category", _)]),
    ("core.registry", "UnifiedPluginRegistry.get_plugin", [("self", _), ("unique_id", _)]),
    ("core.registry", "UnifiedPluginRegistry.get_plugins_by_category", [("self", _), ("category", _)]),
    ("core.registry", "UnifiedPluginRegistry.get_all_plugins", [("self", _)]),
    ("core.registry", "UnifiedPluginRegistry.get_categories_with_plugins", [("self", _)]),
    ("core.registry", "UnifiedPluginRegistry.load_plugin_config", [("self", _), ("unique_id", _)]),
    ("core.registry", "UnifiedPluginRegistry.save_plugin_config", [("self", _), ("unique_id", _), ("config", _)]),
    ("core.registry", "UnifiedPluginRegistry.delete_plugin_config", [("self", _), ("unique_id", _)]),
    ("components.selector", "format_execution_mode", [("mode", _)]),
    ("components.selector", "get_execution_badge_color", [("mode", _)]),
    ("components.selector", "extract_plugin_features", [("plugin", _), ("config", None)]),
    ("components.selector", "render_plugin_details", [("plugin", _), ("config", None)]),
    ("components.selector", "render_dropdown_selector",
     [("plugins", _), ("selected_plugin_id", None), ("selection_endpoint", None), ("target_id", None),
      ("label", "Select Plugin"), ("get_plugin_config", None), ("show_comparison_toggle", True)]),
    ("components.selector", "render_comparison_table",
     [("plugins", _), ("selected_plugin_id", None), ("get_plugin_config", None)]),
    ("components.selector", "render_plugin_selector",
     [("plugins", _), ("selected_plugin_id", None), ("selection_endpoint", None), ("target_id", None),
      ("strategy", "dropdown"), ("get_plugin_config", None), ("kwargs", _)]),
]


def _resolve(module, qualname):
    obj = importlib.import_module(P + module)
    for part in qualname.split("."): obj = getattr(obj, part)
    return obj


@pytest.mark.parametrize("module,qualname,expected", SPEC, ids=[f"{m}.{q}" for m, q, _e in SPEC])
def test_signature_matches_spec(module, qualname, expected):
    params = list(inspect.signature(_resolve(module, qualname)).parameters.values())
    spec_part = [(p.name, p.default) for p in params[:len(expected)]]
    assert spec_part == expected
    for extra in params[len(expected):]:  # additions: optional, keyword-only (or **kwargs)
        assert extra.kind in (extra.KEYWORD_ONLY, extra.VAR_KEYWORD), f"{qualname}: extra parameter {extra.name} must be keyword-only"
        assert extra.kind is extra.VAR_KEYWORD or extra.default is not _, f"{qualname}: extra parameter {extra.name} needs a default"


def test_module_level_names_exist():
    assert _resolve("core.registry", "T").__class__.__name__ == "TypeVar"
    for name in ("PLUGIN_SELECTOR", "PLUGIN_SELECT", "PLUGIN_DETAILS", "PLUGIN_COMPARISON", "COMPARISON_TOGGLE"):
        assert isinstance(getattr(_resolve("components.html_ids", "PluginSelectorHtmlIds"), name), str)


@pytest.mark.parametrize("cls,fields", [
    ("RemoteResourceInfo", ["provider", "region", "instance_id", "job_id", "endpoint_url", "ssh_host", "ssh_port",
                            "status", "resource_type", "gpu_count", "gpu_type", "estimated_cost_per_hour", "metadata"]),
    ("PluginMetadata", ["name", "category", "title", "config_schema", "description", "version", "is_configured",
                        "execution_mode", "manages_child_processes", "manages_external_resources", "spawned_pids",
                        "container_id", "conda_env_name", "remote_resource"]),
])
def test_dataclass_fields_in_spec_order(cls, fields):
    assert [f.name for f in dataclasses.fields(_resolve("core.metadata", cls))][:len(fields)] == fields


def test_protocols_are_runtime_checkable():
    for module, name in (("protocols.cloud_aware", "CloudAwarePlugin"), ("protocols.lifecycle", "LifecycleAwarePlugin")):
        assert _resolve(module, name)._is_runtime_protocol
