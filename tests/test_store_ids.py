"""Hostile plugin ids: refused with a clear error, and nothing outside config_dir is ever touched."""
import hashlib
import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cjm_fasthtml_plugins.core.errors import InvalidPluginIdError
from cjm_fasthtml_plugins.core.registry import UnifiedPluginRegistry
from cjm_fasthtml_plugins.core.store import JsonDirectoryStore, validate_plugin_id

HOSTILE_IDS = [
    "../x", "..\\x", "/etc/passwd", "a/b", "a\\b", "", ".", "..", "a\x00b", "x.json\x00", "x" * 10_000, "x" * 201,
    "a\u2215b",            # DIVISION SLASH looks like '/'
    "a\u2044b",            # FRACTION SLASH
    "\uff0e\uff0e",        # fullwidth '..'
    "\uff0e\uff0e\u2215x",  # fullwidth '../x' look-alike
    "a\uff0fb",            # FULLWIDTH SOLIDUS
    "\u0430pple",          # Cyrillic 'a'
    "caf\u00e9",           # non-ASCII letter
    "a\u200bb",            # zero-width space
    ".hidden", "..x", ".json", "~/x", "C:\\Windows\\x", "c:x", "a b", "a\nb", "a\tb", "%2e%2e%2fx", "*", "a?b",
    "sentinel/../../x", "./x", "x/", None, 42, b"llm_x", ["llm_x"],
]


def tree_snapshot(root: Path) -> dict:
    "Every path under root (except the config dir) with a digest of its content."
    snap = {}
    for dirpath, dirnames, filenames in os.walk(root):
        rel = Path(dirpath).relative_to(root)
        if rel.parts[:1] == ("configs",): continue
        for name in dirnames: snap[str(rel / name)] = "dir"
        for name in filenames:
            snap[str(rel / name)] = hashlib.sha256((Path(dirpath) / name).read_bytes()).hexdigest()
    return snap


def make_sandbox(root: Path) -> Path:
    "A config dir next to sentinel files that an escaping id would hit."
    (root / "sentinel").mkdir(parents=True)
    for name in ("x", "x.json", "passwd", "passwd.json", "b.json", "..json"):
        (root / "sentinel" / name).write_text("sentinel")
        (root / name).write_text("sentinel")
    config_dir = root / "configs"
    config_dir.mkdir()
    return config_dir


@pytest.mark.parametrize("bad_id", HOSTILE_IDS, ids=lambda v: repr(v)[:30])
def test_hostile_id_is_refused_everywhere(tmp_path, bad_id):
    config_dir = make_sandbox(tmp_path)
    before = tree_snapshot(tmp_path)
    registry = UnifiedPluginRegistry(config_dir)
    with pytest.raises(InvalidPluginIdError, match="Invalid plugin id") as info:
        validate_plugin_id(bad_id)
    assert info.value.unique_id == bad_id and info.value.reason
    assert len(str(info.value)) < 400  # a 10,000-char id is shortened in the message
    for call in (lambda: registry.load_plugin_config(bad_id),
                 lambda: registry.write_plugin_config(bad_id, {"a": 1}),
                 lambda: registry.update_plugin_config(bad_id, {"a": 1}),
                 lambda: registry.get_config_revision(bad_id),
                 lambda: registry.require_plugin(bad_id),
                 lambda: registry.store.exists(bad_id),
                 lambda: registry.store.delete(bad_id)):
        with pytest.raises(InvalidPluginIdError):
            call()
    assert registry.save_plugin_config(bad_id, {"a": 1}) is False
    assert registry.delete_plugin_config(bad_id) is False
    assert registry.get_plugin(bad_id) is None
    assert tree_snapshot(tmp_path) == before
    assert list(config_dir.iterdir()) == []


def test_hostile_ids_table_is_big_enough():
    assert len(HOSTILE_IDS) >= 20


@pytest.mark.parametrize("good_id", ["transcription_whisper", "llm_gpt-4.1", "a", "A.b-c_d", "x" * 200, "a..b"])
def test_good_ids_map_to_a_file_inside_config_dir(tmp_path, good_id):
    store = JsonDirectoryStore(tmp_path)
    store.save(good_id, {"ok": True})
    assert store.path_for(good_id).resolve().parent == tmp_path.resolve()
    assert store.list_ids() == [good_id]


ALPHABET = st.sampled_from(list("ab._-/\\\x00:~ \n") + ["..", "../", "\u2215", "\uff0e", "\u2044", "\u00e9", "\u0430", "\u200b"])
ID_STRATEGY = st.one_of(st.text(max_size=40), st.lists(ALPHABET, max_size=12).map("".join),
                        st.text(alphabet="ab._-", min_size=195, max_size=210))


@settings(max_examples=400, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(candidate=ID_STRATEGY)
def test_property_nothing_escapes_config_dir(candidate):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        config_dir = make_sandbox(root)
        before = tree_snapshot(root)
        store = JsonDirectoryStore(config_dir)
        try:
            validate_plugin_id(candidate)
            accepted = True
        except InvalidPluginIdError as e:
            accepted = False
            assert str(e).startswith("Invalid plugin id ") and e.reason
        if accepted:
            store.save(candidate, {"id": candidate})
            assert store.load(candidate) == {"id": candidate}
            assert store.path_for(candidate).resolve().parent == config_dir.resolve()
            assert store.delete(candidate) is True
        else:
            for call in (lambda: store.save(candidate, {}), lambda: store.load(candidate), lambda: store.delete(candidate)):
                with pytest.raises(InvalidPluginIdError):
                    call()
        assert tree_snapshot(root) == before
        assert store.list_ids() == []
