"""Issue 13, items 9, 11 and 12: unreadable files are CorruptConfigError (never a hang, never followed), strict JSON
in and out, and lock or write failures name the plugin and say the old config is unchanged."""
import json
import os
import threading

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from cjm_fasthtml_plugins.core.errors import ConfigValidationError, CorruptConfigError
from cjm_fasthtml_plugins.core.registry import UnifiedPluginRegistry
from cjm_fasthtml_plugins.core.store import JsonDirectoryStore

UID = "llm_gemini"


def load_within(store, uid, seconds=30):
    "What `store.load(uid)` raised or returned, from a daemon thread (a FIFO open would block forever)."
    outcome = {}
    def run():
        try: outcome["value"] = store.load(uid)
        except BaseException as e: outcome["error"] = e
    thread = threading.Thread(target=run, daemon=True)
    thread.start(); thread.join(seconds)
    assert not thread.is_alive(), "load() blocked"
    return outcome


@pytest.mark.parametrize("content", [
    b'{"x": ' + b"[" * 1000 + b"]" * 1000 + b"}",  # nested ~1,000 deep
    b'{"x": ' + b"[" * 100 + b"]" * 100 + b"}",  # deeper than MAX_CONFIG_DEPTH: every later step (deepcopy, HTML) is safe
    b'{"x": ' + b"7" * 5000 + b"}",  # more digits than Python's int limit
    b'{"x": NaN}', b'{"x": -Infinity}', b'{"x": "\\udc80"}'])
def test_unreadable_content_is_corrupt_and_untouched(tmp_path, content):
    store = JsonDirectoryStore(tmp_path)
    (tmp_path / f"{UID}.json").write_bytes(content)
    assert isinstance(load_within(store, UID).get("error"), CorruptConfigError)
    registry = UnifiedPluginRegistry(tmp_path)
    with pytest.raises(CorruptConfigError): registry.load_plugin_config_with_revision(UID)
    assert (tmp_path / f"{UID}.json").read_bytes() == content


def test_a_fifo_is_corrupt_and_never_blocks(tmp_path):
    store = JsonDirectoryStore(tmp_path)
    os.mkfifo(tmp_path / f"{UID}.json")
    error = load_within(store, UID).get("error")
    assert isinstance(error, CorruptConfigError) and "not a regular file" in str(error)


def test_a_symlink_is_never_followed(tmp_path):
    outside = tmp_path / "elsewhere.json"
    outside.write_text(json.dumps({"api_key": "not yours"}))
    store = JsonDirectoryStore(tmp_path / "configs")
    (tmp_path / "configs" / f"{UID}.json").symlink_to(outside)
    error = load_within(store, UID).get("error")
    assert isinstance(error, CorruptConfigError) and "not yours" not in str(error)
    assert outside.read_text() == json.dumps({"api_key": "not yours"})


bad_values = st.sampled_from([float("nan"), float("inf"), float("-inf"), "\ud800", "ok\udfffok", 7 * 10 ** 4999])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(bad=bad_values, key=st.text(alphabet="abc", min_size=1, max_size=5), nested=st.booleans())
def test_non_strict_json_is_refused_and_nothing_is_written(tmp_path, bad, key, nested):
    registry = UnifiedPluginRegistry(tmp_path / "configs")
    registry.save_plugin_config(UID, {"keep": 1})
    before = (tmp_path / "configs" / f"{UID}.json").read_bytes()
    config = {key: {"inner": [bad]}} if nested else {key: bad}
    with pytest.raises(ConfigValidationError) as raised:
        registry.write_plugin_config(UID, config)
    assert raised.value.errors[0].path.startswith(key)
    with pytest.raises(ValueError): registry.store.save(UID, config)
    assert registry.save_plugin_config(UID, config) is False
    assert (tmp_path / "configs" / f"{UID}.json").read_bytes() == before


def test_a_lock_that_cannot_be_created_names_the_plugin(tmp_path):
    registry = UnifiedPluginRegistry(tmp_path / "configs")
    registry.write_plugin_config(UID, {"keep": 1})
    (tmp_path / "configs" / ".locks").rename(tmp_path / "configs" / ".old-locks")
    (tmp_path / "configs" / ".locks").write_text("not a directory")  # like a read-only or broken lock directory
    other = UnifiedPluginRegistry(tmp_path / "configs")  # a new process: it must create its lock files
    for attempt in (lambda: other.write_plugin_config(UID, {"keep": 2}),
                    lambda: other.write_plugin_config(UID, {"keep": 2}, expected_revision=other.get_config_revision(UID)),
                    lambda: other.update_plugin_config(UID, {"keep": 2}), lambda: other.store.delete(UID)):
        with pytest.raises(OSError) as raised: attempt()
        message = str(raised.value)
        assert f"plugin {UID!r}" in message and "previous config is unchanged" in message and ".lock" not in message
    assert other.load_plugin_config(UID) == {"keep": 1}


def test_a_lock_held_too_long_names_the_plugin(tmp_path):
    registry = UnifiedPluginRegistry(tmp_path / "configs", store=JsonDirectoryStore(tmp_path / "configs", lock_timeout=0.05))
    registry.write_plugin_config(UID, {"keep": 1})
    held, release = threading.Event(), threading.Event()
    def holder():
        with JsonDirectoryStore(tmp_path / "configs").lock(UID): held.set(); release.wait(30)
    thread = threading.Thread(target=holder); thread.start(); held.wait(30)
    try:
        with pytest.raises(OSError) as raised: registry.update_plugin_config(UID, {"keep": 2})
    finally: release.set(); thread.join()
    assert f"plugin {UID!r}" in str(raised.value) and "previous config is unchanged" in str(raised.value)
    assert registry.load_plugin_config(UID) == {"keep": 1}


def test_a_failed_write_names_the_plugin(tmp_path):
    registry = UnifiedPluginRegistry(tmp_path / "configs")
    registry.write_plugin_config(UID, {"keep": 1})
    (tmp_path / "configs" / f".{UID}.tmp").mkdir()  # the temp file cannot be created: like a full or read-only disk
    with pytest.raises(OSError) as raised: registry.write_plugin_config(UID, {"keep": 2})
    assert f"plugin {UID!r}" in str(raised.value) and "previous config is unchanged" in str(raised.value)
    assert registry.load_plugin_config(UID) == {"keep": 1}
