"""Importing the registry stays cheap: heavy dependencies load on first use (issue 5)."""
import subprocess
import sys

import pytest

HEAVY = ("jsonschema", "filelock", "psutil", "fasthtml", "monsterui",
         "importlib.metadata")  # importlib.metadata pulls in email.*: 20-60 ms, loaded on the first discovery


@pytest.mark.parametrize("module", ["cjm_fasthtml_plugins.core.store", "cjm_fasthtml_plugins.core.manager",
                                    "cjm_fasthtml_plugins.core.registry"])
def test_import_loads_no_heavy_dependency(module, child_env):
    code = (f"import sys, {module}; "
            f"leaked = sorted(m for m in {HEAVY!r} if m in sys.modules); assert not leaked, leaked")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=child_env)
    assert result.returncode == 0, result.stderr


def test_first_use_loads_what_it_needs(tmp_path, child_env):
    code = ("import sys\nfrom cjm_fasthtml_plugins.core.registry import UnifiedPluginRegistry\n"
            f"r = UnifiedPluginRegistry({str(tmp_path)!r})\n"
            "assert 'filelock' not in sys.modules and 'jsonschema' not in sys.modules\n"
            "r.save_plugin_config('app_x', {})\nassert 'filelock' in sys.modules\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=child_env)
    assert result.returncode == 0, result.stderr


def test_entry_point_discovery_loads_importlib_metadata_on_first_use(child_env):
    code = ("import sys\nfrom cjm_fasthtml_plugins.core.manager import EntryPointPluginManager\n"
            "class Interface: entry_point_group = 'lazy_import_check.plugins'\n"
            "manager = EntryPointPluginManager(Interface)\n"
            "assert 'importlib.metadata' not in sys.modules\n"
            "assert manager.discover_plugins() == []\nassert 'importlib.metadata' in sys.modules\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=child_env)
    assert result.returncode == 0, result.stderr
