"""It runs the registry scenario of scenario.py against the real cjm-plugin-system 0.0.46 in the Python 3.12 venv:
`register_plugin_manager('transcription', manager)` finds the plugin, save/load/validation, a real worker's PID in
`spawned_pids`, a saved config pushed to the running worker, `shutdown()` stopping it, `register_plugin_system`
building cjm-plugin-system's own PluginManager; and a worker that hangs, then dies, under the registry.
"""
import subprocess

import pytest

from test_plugin_system_real import py312, run_scenario  # noqa: F401  (py312 is a fixture)


def test_registry_discovers_saves_pushes_and_stops_a_real_worker(py312, tmp_path):
    out = run_scenario(py312, tmp_path, "registry")
    assert "Worker ready" in out


def test_a_hung_or_dead_worker_never_blocks_a_save_or_the_shutdown(py312, tmp_path):
    try: out = run_scenario(py312, tmp_path, "hung", timeout=300)
    except subprocess.TimeoutExpired: pytest.fail("saving a config for a hung worker never returned")
    assert "Worker ready" in out
