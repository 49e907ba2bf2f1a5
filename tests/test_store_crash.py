"""Crash safety: a writer SIGKILLed at random moments never leaves a partial or unreadable config."""
import os
import random
import signal
import time

import pytest

from cjm_fasthtml_plugins.core.registry import UnifiedPluginRegistry
from cjm_fasthtml_plugins.core.store import JsonDirectoryStore

UIDS = ["crash_alpha", "crash_beta", "crash_gamma"]
KILLS = 200


def make_config(uid: str, version: int) -> dict:
    "A large config whose every byte is determined by (uid, version)."
    return {"uid": uid, "version": version, "payload": [f"{uid}-{version}-{i}" for i in range(2500)],
            "nested": {"k": version % 97, "text": "é" * 500}}


def writer_loop(config_dir, first_version: int) -> None:
    "Child body: save large configs forever (until killed)."
    store = JsonDirectoryStore(config_dir)
    version = first_version
    while True:
        for uid in UIDS:
            store.save(uid, make_config(uid, version))
            version += 1


def assert_all_configs_valid(config_dir) -> set:
    store = JsonDirectoryStore(config_dir)
    ids = store.list_ids()
    assert set(ids) <= set(UIDS) | {"crash_warmup"}, ids  # leftover temp files are never listed as configs
    versions = set()
    for uid in set(ids) - {"crash_warmup"}:
        config = store.load(uid)
        assert config == make_config(uid, config["version"])
        versions.add(config["version"])
    return versions


@pytest.mark.slow
def test_sigkill_at_random_moments_never_corrupts(tmp_path):
    config_dir = tmp_path / "configs"
    JsonDirectoryStore(config_dir).save("crash_warmup", {})  # import filelock before forking: children start saving at once
    rng = random.Random(1234)
    seen_versions, kills_mid_write = set(), 0
    for kill in range(KILLS):
        pid = os.fork()
        if pid == 0:  # child: never return into pytest
            try: writer_loop(config_dir, kill * 1_000_000)
            finally: os._exit(1)
        time.sleep(rng.uniform(0.0005, 0.05))
        os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
        seen_versions |= assert_all_configs_valid(config_dir)
        leftovers = sorted(p.name for p in config_dir.iterdir() if p.name.endswith(".tmp"))
        assert set(leftovers) <= {f".{uid}.tmp" for uid in UIDS}, leftovers  # at most one hidden temp file per id
        kills_mid_write += bool(leftovers)
    # writers made progress between kills, and kills also landed mid-write (leaving a temp file behind)
    assert len({v // 1_000_000 for v in seen_versions}) > KILLS // 8
    assert kills_mid_write > KILLS // 20
    # after the crashes the locks are free, the registry works normally, and the next save of an id removes its leftover
    registry = UnifiedPluginRegistry(config_dir)
    for uid in UIDS: registry.update_plugin_config(uid, {"after": "crashes"})
    assert registry.load_plugin_config(UIDS[0])["after"] == "crashes"
    assert not [p.name for p in config_dir.iterdir() if p.name.endswith(".tmp")]


def test_a_save_killed_before_its_history_line_is_listed_by_the_next_save(tmp_path):
    "What a save killed between its rename and its history append leaves (the new file, no history line) is not lost."
    store = JsonDirectoryStore(tmp_path / "configs")
    store.save("llm_gemini", {"n": 1})
    (tmp_path / "configs" / "llm_gemini.json").write_text('{"n": 2}')  # as that killed save (or a hand edit) leaves it
    unlisted = store.revision("llm_gemini")
    assert store.history("llm_gemini")[0].config == {"n": 1}
    store.save("llm_gemini", {"n": 3})
    entries = store.history("llm_gemini")
    assert [(e.action, e.config) for e in entries] == [("save", {"n": 3}), ("save", {"n": 2}), ("save", {"n": 1})]
    assert entries[1].revision == unlisted and entries[1].saved_at <= entries[0].saved_at
    store.delete("llm_gemini")
    assert [e.action for e in store.history("llm_gemini")] == ["delete", "save", "save", "save"]  # nothing added twice


@pytest.mark.slow
def test_after_a_kill_at_any_moment_the_next_save_keeps_every_config_in_history(tmp_path):
    "Real SIGKILLs: whatever the killed writer managed, the config it left is in the history after the next save."
    config_dir = tmp_path / "configs"
    store = JsonDirectoryStore(config_dir)
    store.save("crash_warmup", {})  # import filelock before forking
    rng = random.Random(99)
    for kill in range(40):
        pid = os.fork()
        if pid == 0:
            try: writer_loop(config_dir, kill * 1_000_000)
            finally: os._exit(1)
        time.sleep(rng.uniform(0.0005, 0.05))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        left = store.revision(UIDS[0])
        revision = store.save(UIDS[0], {"after": kill})
        listed = [e.revision for e in store.history(UIDS[0], limit=2)]
        assert listed == [revision, left] if left is not None else listed[0] == revision
