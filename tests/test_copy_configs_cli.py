"""`cjm-plugins-copy-configs` run as a console script: a copy exits 0 and says what it copied; a user's mistake
(a mistyped source, an unknown URL scheme) exits 1 with one line naming it, not a Python traceback."""
import subprocess, sys

from cjm_fasthtml_plugins.core.store import JsonDirectoryStore

# What pip writes for the `[project.scripts]` entry `cjm-plugins-copy-configs` (run with this interpreter and path).
WRAPPER = "import sys\nfrom cjm_fasthtml_plugins.core.changes import copy_configs_cli\nsys.exit(copy_configs_cli())\n"


def run(tmp_path, *args):
    script = tmp_path / "cjm-plugins-copy-configs"
    script.write_text(WRAPPER)
    return subprocess.run([sys.executable, str(script), *args], capture_output=True, text=True, timeout=120)


def test_copy_exits_0_and_names_what_it_copied(tmp_path):
    source = JsonDirectoryStore(tmp_path / "a")
    source.save("llm_gemini", {"temperature": 0.7}); source.save("tts_piper", {"voice": "amy"})
    first = run(tmp_path, str(tmp_path / "a"), f"file://{tmp_path}/b")
    assert (first.returncode, first.stdout, first.stderr) == (0, "", "2 config(s) copied: llm_gemini, tts_piper\n")
    again = run(tmp_path, str(tmp_path / "a"), str(tmp_path / "b"))
    assert (again.returncode, again.stderr) == (0, "0 config(s) copied\n")
    assert JsonDirectoryStore(tmp_path / "b").load("tts_piper") == {"voice": "amy"}


def test_a_mistyped_source_exits_1_with_one_line(tmp_path):
    done = run(tmp_path, str(tmp_path / "a-typo"), str(tmp_path / "b"))
    assert done.returncode == 1
    assert done.stderr == f"cjm-plugins-copy-configs: No config directory '{tmp_path}/a-typo' to copy from: " \
                          "check the source path (nothing was copied or created).\n"
    assert not (tmp_path / "a-typo").exists() and not (tmp_path / "b").exists()


def test_an_unknown_scheme_exits_1_with_one_line(tmp_path):
    JsonDirectoryStore(tmp_path / "a").save("llm_gemini", {"temperature": 0.7})
    done = run(tmp_path, str(tmp_path / "a"), "mysql://app@db/plugins")
    assert done.returncode == 1
    assert done.stderr.startswith("cjm-plugins-copy-configs: Unknown config store URL scheme in 'mysql://'")
    assert "Traceback" not in done.stderr and done.stderr.count("\n") == 1


def test_an_unreachable_database_exits_1_with_one_line(tmp_path):
    "The connection pool's retry warnings are not printed: the one line says which database and why, never the password."
    JsonDirectoryStore(tmp_path / "a").save("llm_gemini", {"temperature": 0.7})
    done = run(tmp_path, str(tmp_path / "a"), "postgresql://app:Sup3rSecret@127.0.0.1:1/plugins")
    assert done.returncode == 1
    assert done.stderr.startswith("cjm-plugins-copy-configs: PostgreSQL config database 'plugins' on 127.0.0.1:1 as 'app' "
                                  "is unreachable")
    assert done.stderr.count("\n") == 1 and "Sup3rSecret" not in done.stderr
