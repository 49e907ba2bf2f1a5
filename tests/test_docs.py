"""Tests for tools/docs.py, the Quarto-free docs check, on small temporary fixtures."""
import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("docs_tool", ROOT / "tools" / "docs.py")
docs = importlib.util.module_from_spec(_spec)
sys.modules["docs_tool"] = docs  # dataclasses look their module up by name
_spec.loader.exec_module(docs)

DOC_URL = "https://example.github.io/minipkg/"


def md(src): return {"cell_type": "markdown", "metadata": {}, "source": src}
def raw(src): return {"cell_type": "raw", "metadata": {}, "source": src}
def code(src, outputs=()): return {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": list(outputs), "source": src}
def stdout(text): return {"output_type": "stream", "name": "stdout", "text": text}
def result(**data): return {"output_type": "execute_result", "execution_count": 1, "metadata": {}, "data": data}
def notebook(*cells): return {"cells": list(cells), "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def write_nb(path: Path, nb: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(nb, indent=1))
    return path


def show_doc_cell(name):
    "A show_doc cell as nbdev-proc-nbs leaves it: quarto directives and the rendered markdown output."
    return code(f"#| echo: false\n#| output: asis\nshow_doc({name})",
                [result(**{"text/markdown": f"---\n\n### {name}\n\n```python\ndef {name}():\n```\n\n*Doc.*"})])


# ----------------------------------------------------------------------------- README rendering

PROCESSED_INDEX = notebook(
    raw("---\ndescription: A tiny\n  project\noutput-file: index.html\ntitle: minipkg\n\n---\n\n"),
    md(docs.WARNING_COMMENT),
    md("Read [the core page](core.ipynb) and [nbdev](https://nbdev.fast.ai).\n\n```python\n[not a link](x.ipynb)\n```"),
    code("#| include: false\nsecret = 1"),
    code("print('hi')", [stdout("hi\nthere\n")]),
    code("#| echo: false\n#| output: asis\nshow_doc(f)", [result(**{"text/markdown": "### f"})]),
    code("1 + 1", [result(**{"text/plain": "2"})]),
)


def test_render_readme_mimics_nbdev_readme_output():
    text = docs.render_readme(PROCESSED_INDEX, DOC_URL)
    assert text == (
        "# minipkg\n\n\n"
        f"{docs.WARNING_COMMENT}\n\n"
        "> A tiny project\n\n"
        f"Read [the core page]({DOC_URL}core.html) and [nbdev](https://nbdev.fast.ai).\n\n"
        "```python\n[not a link](x.ipynb)\n```\n\n"
        "``` python\nprint('hi')\n```\n\n"
        "    hi\n    there\n\n"
        "### f\n\n"
        "``` python\n1 + 1\n```\n\n"
        "    2\n")


def test_render_readme_from_unprocessed_notebook_skips_hidden_and_exported_cells():
    nb = notebook(md("# minipkg\n\n> A tiny project\n\nIntro."),
                  code("#| hide\nfrom fastcore.test import *"),
                  code("#| export\ndef f(): pass"),
                  code("f()"))
    assert docs.render_readme(nb) == "# minipkg\n\n> A tiny project\n\nIntro.\n\n``` python\nf()\n```\n"


def test_readme_drift_detection_catches_a_changed_line(tmp_path):
    expected = docs.render_readme(PROCESSED_INDEX, DOC_URL)
    readme = tmp_path / "README.md"
    readme.write_text(expected)
    assert docs.check_readme(expected, readme) == []

    readme.write_text(expected.replace("A tiny project", "A tiny project, edited by hand"))
    problems = docs.check_readme(expected, readme)
    assert len(problems) == 1
    assert "python tools/docs.py readme" in problems[0]
    assert "-> A tiny project, edited by hand" in problems[0]
    assert "+> A tiny project" in problems[0]


def test_missing_readme_is_reported(tmp_path):
    problems = docs.check_readme("# x\n", tmp_path / "README.md")
    assert problems and "README.md is missing" in problems[0]


# ----------------------------------------------------------------------------- structure and public names

def test_notebook_must_open_with_h1_and_summary(tmp_path):
    good = write_nb(tmp_path / "good.ipynb", notebook(md("# Store\n\n> Where configs live")))
    no_h1 = write_nb(tmp_path / "no_h1.ipynb", notebook(md("## Store\n\n> Where configs live")))
    no_summary = write_nb(tmp_path / "no_summary.ipynb", notebook(md("# Store\n\nWhere configs live")))
    code_first = write_nb(tmp_path / "code_first.ipynb", notebook(code("#| default_exp store")))
    assert docs.check_structure(good, Path("good.ipynb")) == []
    assert "H1 title" in docs.check_structure(no_h1, Path("no_h1.ipynb"))[0]
    assert "'> summary'" in docs.check_structure(no_summary, Path("no_summary.ipynb"))[0]
    assert docs.check_structure(code_first, Path("code_first.ipynb"))[0].startswith("code_first.ipynb: the first cell must be markdown")


MODULE_SRC = '''"""A module"""
__all__ = ['logger', 'documented', 'forgotten', 'LIMIT', 'Widget']
import logging
logger = logging.getLogger(__name__)

def documented(): pass
def forgotten(): pass
class Widget: pass
LIMIT = 3
'''


def test_public_names_reads_all_and_which_need_show_doc_skipping_the_logger(tmp_path):
    py = tmp_path / "mod.py"
    py.write_text(MODULE_SRC)
    names, defs = docs.public_names(py)
    assert names == ["documented", "forgotten", "LIMIT", "Widget"]
    assert defs == {"documented", "forgotten", "Widget"}


def test_missing_public_name_is_reported(tmp_path):
    py = tmp_path / "mod.py"
    py.write_text(MODULE_SRC)
    names, defs = docs.public_names(py)
    proc_nb = notebook(md("## Things"), show_doc_cell("documented"), show_doc_cell("Widget"),
                       md("`LIMIT` caps how many there are."))
    problems = docs.check_public_names(names, defs, proc_nb, Path("core/mod.ipynb"), "core.mod")
    assert problems == ["core/mod.ipynb: public name `forgotten` of core.mod has no show_doc on the page; "
                        "add a cell `show_doc(forgotten)` after its definition"]


def test_non_function_public_name_needs_a_mention_in_prose():
    proc_nb = notebook(md("Nothing about the limit here, LIMIT without backticks."))
    problems = docs.check_public_names(["LIMIT"], set(), proc_nb, Path("core/mod.ipynb"), "core.mod")
    assert len(problems) == 1 and "`LIMIT`" in problems[0] and "never mentioned" in problems[0]


def test_cells_mixing_imports_and_code_are_flagged():
    nb = notebook(code("import json\njson.dumps(registry.get_all_plugins())"), code("import json"),
                  code("#| export\nimport json\nX = 1"), code("registry = make()"))
    assert docs.mixed_import_cells(nb, Path("core/registry.ipynb")) == [
        "core/registry.ipynb cell 0: mixes imports with other code, so nbdev-proc-nbs/nbdev-docs run it without the "
        "cells before it; put the imports in a cell of their own"]


# ----------------------------------------------------------------------------- offline site

def _site_fixture(tmp_path, index_md):
    nbs, proc = tmp_path / "nbs", tmp_path / "_proc"
    write_nb(nbs / "index.ipynb", notebook(md("# minipkg\n\n> A tiny project"), md(index_md)))
    for name in ("a", "b"):
        write_nb(nbs / "core" / f"{name}.ipynb", notebook(md(f"# {name.upper()}\n\n> Module {name}"), code(f"#| default_exp core.{name}")))
        write_nb(proc / "core" / f"{name}.ipynb", notebook(
            raw(f"---\ndescription: Module {name}\ntitle: {name.upper()}\n---\n"), md(f"## Section {name}"), show_doc_cell(f"thing_{name}")))
    (nbs / "styles.css").write_text("body {}")
    return nbs, proc, tmp_path / "_docs_offline"


def test_site_builds_one_page_per_notebook_and_checks_links(tmp_path):
    nbs, proc, site = _site_fixture(tmp_path, "See [a](core/a.ipynb#thing_a) and [b](core/b.ipynb), and [online docs](https://example.org).")
    pages = docs.build_site(proc, nbs, site, DOC_URL)
    assert [p.path.as_posix() for p in pages] == ["index.html", "core/a.html", "core/b.html"]
    assert all((site / p.path).exists() for p in pages)
    assert (site / "styles.css").exists()
    html = (site / "core" / "a.html").read_text()
    assert '<h3 id="thing_a">thing_a</h3>' in html and 'href="../index.html"' in html
    problems, warnings = docs.check_site(site, pages)
    assert problems == [] and warnings == []


def test_site_reports_unlinked_module_broken_link_and_missing_anchor(tmp_path):
    nbs, proc, site = _site_fixture(tmp_path, "See [a](core/a.ipynb#nowhere) and [gone](core/gone.ipynb).")
    problems, warnings = docs.check_site(site, docs.build_site(proc, nbs, site, DOC_URL))
    assert any("does not link the module page core/b.ipynb" in p for p in problems)
    assert any(p.startswith("index.ipynb: link 'core/gone.html'") and "does not exist" in p for p in problems)
    assert warnings == ["index.ipynb: link 'core/a.html#nowhere' names an anchor that core/a.html does not have"]


def test_links_into_the_published_docs_are_checked_offline(tmp_path):
    nbs, proc, site = _site_fixture(tmp_path, f"[a]({DOC_URL}core/a.html) [b](core/b.ipynb) [missing]({DOC_URL}core/missing.html)")
    problems, _ = docs.check_site(site, docs.build_site(proc, nbs, site, DOC_URL))
    assert problems == ["index.ipynb: link 'core/missing.html' points at core/missing.html, which does not exist"]


# ----------------------------------------------------------------------------- end to end on a tiny nbdev project

PYPROJECT = """[build-system]
requires = ["setuptools>=77"]
build-backend = "setuptools.build_meta"

[project]
name = "minipkg"
version = "0.0.1"
description = "A tiny project for testing the docs check"

[tool.nbdev]
jupyter_hooks = false
"""


@pytest.fixture
def mini_project(tmp_path):
    if shutil.which("nbdev-proc-nbs") is None or shutil.which("nbdev-export") is None:
        pytest.fail("nbdev's commands are missing: pip install -e .[dev]")
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    (tmp_path / "minipkg").mkdir()
    (tmp_path / "minipkg" / "__init__.py").write_text('__version__ = "0.0.1"\n')
    write_nb(tmp_path / "nbs" / "index.ipynb", notebook(md("# minipkg\n\n> A tiny project"), md("See [core](core.ipynb).")))
    write_nb(tmp_path / "nbs" / "core.ipynb", notebook(
        md("# Core\n\n> The core module"), code("#| default_exp core"),
        code("#| export\nLIMIT = 3"),
        code('#| export\ndef double(x: int,  # A number\n          ) -> int:  # Twice `x`\n    "Double a number."\n    return 2 * x'),
        md("`LIMIT` caps things.")))
    subprocess.run(["nbdev-export"], cwd=tmp_path, check=True, capture_output=True)
    return tmp_path


def run_tool(root, *args):
    return subprocess.run([sys.executable, str(ROOT / "tools" / "docs.py"), *args, "--root", str(root)],
                          capture_output=True, text=True, timeout=120)


def test_check_end_to_end_on_a_tiny_project(mini_project):
    first = run_tool(mini_project, "check")
    assert first.returncode == 1 and "README.md is missing" in first.stdout

    assert run_tool(mini_project, "readme", "--no-proc").returncode == 0
    second = run_tool(mini_project, "check", "--no-proc")
    assert second.returncode == 0, second.stdout
    assert "[ ok ] 2 public names of 1 modules appear in their processed docs" in second.stdout
    assert (mini_project / "_docs_offline" / "core.html").exists()


def test_check_fails_when_nbdev_proc_nbs_fails(mini_project):
    nb_path = mini_project / "nbs" / "core.ipynb"
    nb = json.loads(nb_path.read_text())
    nb["cells"].append(code("show_doc(no_such_name)"))
    nb_path.write_text(json.dumps(nb))
    res = run_tool(mini_project, "check")
    assert res.returncode == 1
    assert "[FAIL] nbdev-proc-nbs succeeds" in res.stdout
    assert "nbdev-proc-nbs failed in core.ipynb" in res.stdout and "no_such_name" in res.stdout
