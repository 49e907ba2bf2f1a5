"""Importing the non-UI layers must not pull in the UI stack."""
import subprocess
import sys

import pytest

NON_UI_MODULES = [
    "cjm_fasthtml_plugins.core.execution_mode",
    "cjm_fasthtml_plugins.core.metadata",
    "cjm_fasthtml_plugins.core.errors",
    "cjm_fasthtml_plugins.core.store",
    "cjm_fasthtml_plugins.core.manager",
    "cjm_fasthtml_plugins.core.registry",
    "cjm_fasthtml_plugins.protocols.cloud_aware",
    "cjm_fasthtml_plugins.protocols.lifecycle",
    "cjm_fasthtml_plugins.utils.helpers",
]


@pytest.mark.parametrize("module", NON_UI_MODULES)
def test_non_ui_module_imports_no_ui_stack(module):
    code = (f"import sys, {module}; "
            "leaked = sorted(m for m in ('fasthtml', 'monsterui') if m in sys.modules); "
            "assert not leaked, leaked")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
