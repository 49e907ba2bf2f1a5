"""Importing the registry stays cheap: heavy dependencies load on first use (issue 5)."""
import subprocess
import sys

import pytest

HEAVY = ("jsonschema", "filelock", "psutil", "fasthtml", "monsterui")


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
