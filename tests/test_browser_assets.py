"""The offline front-end cache: fetched once with npm, rebuilt only when needed, clear errors when npm fails."""
from __future__ import annotations

import os
import stat

import pytest

from cjm_fasthtml_plugins.demo.assets import ASSET_FILES, AssetsError, ensure_assets


def test_second_call_is_a_cheap_no_op(assets_ready, tmp_path):
    css = assets_ready / "public" / "tailwind.css"
    before = css.stat().st_mtime_ns
    calls = tmp_path / "tool-calls"
    def recording_tool(name):  # stands in for npm/node: any run of it is recorded (and fails)
        tool = tmp_path / name
        tool.write_text(f"#!/bin/sh\necho {name} >> {calls}\nexit 1\n"); tool.chmod(0o755)
        return str(tool)
    assert ensure_assets(assets_ready, npm=recording_tool("npm"), node=recording_tool("node")) == assets_ready
    assert not calls.exists()  # neither npm nor node ran
    assert css.stat().st_mtime_ns == before
    assert sorted(p.name for p in (assets_ready / "public").iterdir()) == sorted(ASSET_FILES)


def test_tailwind_build_has_the_classes_the_pages_assemble_at_run_time(assets_ready):
    css = (assets_ready / "public" / "tailwind.css").read_text()
    for cls in (r".md\:hidden", r".md\:flex-row", r".lg\:grid-cols-2", r".md\:grid-cols-3", ".space-y-4",
                r".dark\:text-gray-200"):
        assert cls in css, cls


def test_failing_npm_names_the_packages_and_the_fix(tmp_path):
    npm = tmp_path / "npm"
    npm.write_text("#!/bin/sh\necho 'npm ERR! code E404 Not Found - GET https://registry.npmjs.org/franken-ui' >&2\nexit 1\n")
    npm.chmod(npm.stat().st_mode | stat.S_IEXEC)
    with pytest.raises(AssetsError, match=r"(?s)franken-ui@2\.0\.0.*E404.*npm registry is reachable"):
        ensure_assets(tmp_path / "cache", npm=str(npm))
    assert not (tmp_path / "cache" / "public").exists()


def test_missing_npm_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no npm, no node on PATH
    with pytest.raises(AssetsError, match="apt-get install nodejs npm"):
        ensure_assets(tmp_path / "cache")


def test_env_var_chooses_the_cache(tmp_path, monkeypatch):
    from cjm_fasthtml_plugins.demo.assets import default_assets_dir
    monkeypatch.setenv("CJM_FASTHTML_PLUGINS_ASSETS", os.fspath(tmp_path / "elsewhere"))
    assert default_assets_dir() == tmp_path / "elsewhere"
