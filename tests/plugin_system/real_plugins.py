"""Run by tests/test_plugin_system_real.py inside a Python 3.12 venv holding cjm-plugin-system 0.0.46 and real plugin
packages from PyPI (REAL_PLUGINS below: the ones that install CPU-only without large downloads).

    python real_plugins.py WORKDIR

It writes each package's manifest with cjm-plugin-system's own installer code, registers them with
`UnifiedPluginRegistry`, draws every plugin's settings form from its real config schema and reads the unchanged form
back (the same config), saves a change, then starts the NLTK plugin's real worker: its PID in `spawned_pids`, a
saved config pushed to it, `shutdown()` stopping it. Assertions are plain `assert`s; any failure exits non-zero.

The installer writes every manifest into one directory, and writes no taxonomy (category) for the capabilities that
implement no cjm-*-plugin-system interface (FFmpeg, SQLite graph, NVIDIA monitor). One manager over that directory
spans several categories: registered under `transcription` and `text`, it lists Gemini and NLTK, and each of the
unlabelled plugins is a LoadFailure naming it and why (never silently missing); with their manifests moved into a
directory of their own, a manager over that directory lists them under a category of their own.
"""
import json
import os
import shutil
import sys
from pathlib import Path

import psutil

WORK = Path(sys.argv[1])
MANIFESTS = Path(os.environ["CJM_DATA_DIR"]) / "manifests"
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/, for form_support
# Manifests with a taxonomy (their category is known) and those without one (cjm-ctl writes an empty `interface`)
LABELLED = {"cjm-transcription-plugin-gemini": "transcription", "cjm-text-plugin-nltk": "text"}
UNLABELLED = ["cjm-graph-plugin-sqlite", "cjm-media-plugin-ffmpeg", "cjm-system-monitor-nvidia"]


def write_manifests() -> None:
    "The installer's manifests (its introspection run by a stand-in conda), all in its one manifests directory."
    import cjm_plugin_system.cli as cli
    conda = WORK / "fake-conda"
    conda.write_text(f'#!/bin/sh\n# called as: fake-conda run -n ENV python SCRIPT\nexec "{sys.executable}" "$5"\n')
    conda.chmod(0o755)
    cli._get_conda_cmd_str = lambda: str(conda)
    MANIFESTS.mkdir(parents=True, exist_ok=True)
    for package in [*LABELLED, *UNLABELLED]:
        written = cli._generate_manifest(f"{package}-env", package, MANIFESTS)
        assert written == MANIFESTS / f"{package}.json", (package, written)
        assert (json.loads(written.read_text())["code"].get("taxonomy") is None) == (package in UNLABELLED), package


def check_unlabelled(registry, manager) -> Path:
    """A manager over all the manifests lists each labelled category's plugin; every unlabelled plugin is a LoadFailure
    of each of those categories, naming it and why. Moving their manifests into a directory of their own (returned)
    clears the failures."""
    for package, category in LABELLED.items():
        assert [p.name for p in registry.register_plugin_manager(category, manager)] == [package], package
        failures = registry.get_load_failures(category)
        assert sorted(f.plugin_name for f in failures) == sorted(UNLABELLED), (category, failures)
        assert all("its manifest names no category" in f.message and "'text', 'transcription'" in f.message
                   for f in failures), failures
    tools = WORK / "tool-manifests"
    tools.mkdir()
    for package in UNLABELLED: shutil.move(MANIFESTS / f"{package}.json", tools)
    for package, category in LABELLED.items():
        assert [p.name for p in registry.refresh_category(category)] == [package], package
    assert registry.get_load_failures() == [], registry.get_load_failures()
    return tools


def round_trip(registry, uid: str) -> None:
    "The settings form of the plugin's effective config reads back as that config; a changed value saves."
    from fasthtml.common import to_xml
    from cjm_fasthtml_plugins.components.form import render_schema_fields
    from cjm_fasthtml_plugins.components.form_read import parse_schema_form
    from cjm_fasthtml_plugins.components.settings import render_settings_form
    from form_support import form_encode
    plugin, config = registry.get_plugin(uid), registry.get_effective_config(uid)
    assert "plugin-settings" in to_xml(render_settings_form(plugin, config, action="/save")), uid
    read, errors = parse_schema_form(plugin.config_schema, form_encode(render_schema_fields(plugin.config_schema, config)),
                                     stored=config)
    assert (read, errors) == (config, []), (uid, config, read, errors)
    assert registry.validate_plugin_config(uid, config) == [], uid
    assert registry.save_plugin_config(uid, config) is True, uid


def main() -> None:
    from cjm_plugin_system.core.manager import PluginManager
    from cjm_fasthtml_plugins.core.registry import UnifiedPluginRegistry
    write_manifests()
    manager = PluginManager(search_paths=[MANIFESTS])
    registry, tool_manager = UnifiedPluginRegistry(config_dir=WORK / "configs"), None
    try:
        tool_manager = PluginManager(search_paths=[check_unlabelled(registry, manager)])
        assert sorted(p.name for p in registry.register_plugin_manager("tools", tool_manager)) == sorted(UNLABELLED)
        assert registry.get_load_failures() == [], registry.get_load_failures()
        for plugin in registry.get_all_plugins():
            assert (plugin.conda_env_name, plugin.execution_mode.value) == (f"{plugin.name}-env", "conda_env"), plugin
            # none names its form (__schema_title__): the title is the plugin's name, not its config class's
            assert plugin.title == plugin.name, plugin
            assert plugin.config_schema.get("title") == plugin.config_schema.get("name"), plugin.config_schema
            round_trip(registry, plugin.get_unique_id())

        gemini = "transcription_cjm-transcription-plugin-gemini"
        errors = registry.validate_plugin_config(gemini, {"temperature": 3})
        assert [e.field for e in errors] == ["temperature"], errors
        uid, name = "text_cjm-text-plugin-nltk", "cjm-text-plugin-nltk"
        assert manager.load_plugin(manager.get_discovered_meta(name), registry.get_effective_config(uid))
        pids = registry.get_plugin(uid).spawned_pids
        assert pids and "cjm_plugin_system.core.worker" in psutil.Process(pids[0]).cmdline(), pids
        assert registry.save_plugin_config(uid, {"language": "german"}) is True
        assert manager.get_plugin_config(name)["language"] == "german"  # pushed to the running worker
        assert registry.takes_effect_on_restart(uid) is False
        assert uid in registry.shutdown()
        assert all(not psutil.pid_exists(p) or psutil.Process(p).status() == psutil.STATUS_ZOMBIE for p in pids), pids
    finally:
        manager.unload_all()  # a failed assertion must not leave a worker behind
        if tool_manager is not None: tool_manager.unload_all()
    print("real plugins scenario passed")


if __name__ == "__main__": main()
