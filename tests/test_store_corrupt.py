"""Corrupt config files and a disk that fails part-way: clear errors, nothing lost."""
import errno
import json
import subprocess
import sys
import textwrap

import pytest

from cjm_fasthtml_plugins.core.errors import CorruptConfigError
from cjm_fasthtml_plugins.core.registry import UnifiedPluginRegistry
from cjm_fasthtml_plugins.core.store import JsonDirectoryStore
from fake_plugins import gemini_manager


CORRUPT = {
    "truncated": (b'{"temperature": 0.', "invalid JSON at line 1"),
    "truncated_nested": (b'{"a": {"b": [1, 2', "invalid JSON"),
    "list": (b"[1, 2, 3]", "it holds a JSON list, not an object"),
    "string": (b'"hello"', "it holds a JSON str, not an object"),
    "number": (b"42", "it holds a JSON int, not an object"),
    "null": (b"null", "it holds a JSON NoneType, not an object"),
    "invalid_utf8": (b'{"name": "\xff\xfe"}', "invalid UTF-8 at byte 10"),
    "latin1": ('{"name": "café"}'.encode("latin-1"), "invalid UTF-8"),
    "empty": (b"", "the file is empty"),
    "whitespace": (b"  \n", "the file is empty"),
    "nul_bytes": (b"\x00" * 64, "invalid JSON"),
}


@pytest.mark.parametrize("kind", CORRUPT)
def test_corrupt_file_raises_clear_error_and_is_left_untouched(tmp_path, kind):
    content, reason = CORRUPT[kind]
    registry = UnifiedPluginRegistry(tmp_path)
    registry.register_plugin_manager("llm", gemini_manager())
    path = tmp_path / "llm_gemini.json"
    path.write_bytes(content)
    for call in (lambda: registry.load_plugin_config("llm_gemini"),
                 lambda: registry.get_effective_config("llm_gemini"),
                 lambda: registry.update_plugin_config("llm_gemini", {"temperature": 1.0})):
        with pytest.raises(CorruptConfigError, match="llm_gemini.json' is corrupt") as info:
            call()
        assert reason in info.value.reason
        assert info.value.path == path
    assert path.read_bytes() == content
    assert registry.get_plugin("llm_gemini").is_configured is True
    # a save based on an old revision is refused too, with the corrupt file's revision reported
    with pytest.raises(Exception, match="changed elsewhere"):
        registry.write_plugin_config("llm_gemini", {"temperature": 1.0}, expected_revision="")
    assert path.read_bytes() == content
    # resetting is an explicit choice: delete, or overwrite naming the corrupt revision
    revision = registry.get_config_revision("llm_gemini")
    registry.write_plugin_config("llm_gemini", {"temperature": 1.0}, expected_revision=revision)
    assert registry.load_plugin_config("llm_gemini") == {"temperature": 1.0}


def test_directory_in_place_of_a_config_is_reported(tmp_path):
    (tmp_path / "llm_gemini.json").mkdir()
    with pytest.raises(CorruptConfigError, match="it is a directory"):
        JsonDirectoryStore(tmp_path).load("llm_gemini")


def test_existing_apps_files_are_read(tmp_path):
    # the original implementation wrote json.dump(config, f, indent=2) with ASCII escapes
    (tmp_path / "transcription_whisper.json").write_text(json.dumps({"model": "base", "name": "caf\u00e9"}, indent=2))
    registry = UnifiedPluginRegistry(tmp_path)
    assert registry.load_plugin_config("transcription_whisper") == {"model": "base", "name": "café"}
    assert registry.store.list_ids() == ["transcription_whisper"]


FAILING_DISK_CHILD = textwrap.dedent('''
    import json, resource, signal, sys, logging
    logging.basicConfig(level=logging.ERROR, stream=sys.stderr)
    from cjm_fasthtml_plugins.core.registry import UnifiedPluginRegistry
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead of killing us
    registry = UnifiedPluginRegistry(sys.argv[1])
    registry.write_plugin_config("llm_gemini", {"temperature": 0.2})
    registry.update_plugin_config("llm_gemini", {"top_p": 0.9})  # create the lock file before the limit
    resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
    big = {"temperature": 0.9, "prompt": "x" * 100_000}
    result = {}
    try:
        registry.write_plugin_config("llm_gemini", big)
    except OSError as e:
        result["errno"], result["message"] = e.errno, str(e)
    result["save_returned"] = registry.save_plugin_config("llm_gemini", big)
    try:
        registry.update_plugin_config("llm_gemini", {"prompt": "y" * 100_000})
    except OSError as e:
        result["update_errno"] = e.errno
    result["after"] = registry.load_plugin_config("llm_gemini")
    print(json.dumps(result))
''')


def test_write_failing_part_way_keeps_previous_config(tmp_path, child_env):
    config_dir = tmp_path / "configs"
    proc = subprocess.run([sys.executable, "-c", FAILING_DISK_CHILD, str(config_dir)],
                          capture_output=True, text=True, env=child_env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["errno"] == errno.EFBIG
    assert "Could not save the config of plugin 'llm_gemini'" in result["message"]
    assert "The previous config is unchanged" in result["message"]
    assert result["save_returned"] is False
    assert "Could not save the config of plugin 'llm_gemini'" in proc.stderr  # logged, not printed
    assert result["update_errno"] == errno.EFBIG
    expected = {"temperature": 0.2, "top_p": 0.9}
    assert result["after"] == expected
    assert JsonDirectoryStore(config_dir).load("llm_gemini") == expected
    assert sorted(p.name for p in config_dir.iterdir()) == [".history", ".locks", "llm_gemini.json"]  # no temp file left behind (.history: issue 15)


def test_a_platform_without_o_nofollow_still_saves_and_keeps_history(tmp_path, monkeypatch):
    "Windows has no os.O_NOFOLLOW: a save (and its history line) must not depend on it."
    store = JsonDirectoryStore(tmp_path)
    monkeypatch.delattr("os.O_NOFOLLOW")
    revision = store.save("llm_gemini", {"temperature": 0.5})
    assert store.load("llm_gemini") == {"temperature": 0.5}
    assert [e.revision for e in store.history("llm_gemini")] == [revision]
