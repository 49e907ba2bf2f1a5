"""JsonDirectoryStore.saved_ids: one stat while nothing changed, and never fooled by a change in the same timestamp tick."""
import os
import shutil
import time

from cjm_fasthtml_plugins.core.store import JsonDirectoryStore


def test_a_change_in_the_same_timestamp_tick_is_not_missed(tmp_path):
    store = JsonDirectoryStore(tmp_path)
    tick = time.time_ns()
    os.utime(tmp_path, ns=(tick, tick))
    assert store.saved_ids() == frozenset()
    (tmp_path / "x_a.json").write_text("{}")
    os.utime(tmp_path, ns=(tick, tick))  # as if the change landed in the same tick: the directory's time did not move
    assert store.saved_ids() == {"x_a"}


def test_whole_second_timestamps_wait_longer_before_trusting(tmp_path):
    store = JsonDirectoryStore(tmp_path)
    second = (time.time_ns() // 10**9 - 1) * 10**9  # a second ago, on a filesystem that keeps whole seconds
    os.utime(tmp_path, ns=(second, second))
    assert store.saved_ids() == frozenset()
    (tmp_path / "x_b.json").write_text("{}")
    os.utime(tmp_path, ns=(second, second))
    assert store.saved_ids() == {"x_b"}


def test_settled_directory_is_listed_once(tmp_path, monkeypatch):
    store = JsonDirectoryStore(tmp_path)
    store.save("x_c", {})
    os.utime(tmp_path, ns=(10**9, 10**9))  # long settled
    first = store.saved_ids()
    scans = []
    real_scandir = os.scandir
    monkeypatch.setattr(os, "scandir", lambda *a: scans.append(a) or real_scandir(*a))
    assert all(store.saved_ids() is first for _ in range(20)) and scans == []
    store.delete("x_c")  # moves the directory's time: listed again
    assert store.saved_ids() == frozenset() and len(scans) == 1


def test_missing_directory_means_nothing_saved(tmp_path):
    store = JsonDirectoryStore(tmp_path / "configs")
    store.save("x_d", {})
    os.unlink(tmp_path / "configs" / "x_d.json")
    shutil.rmtree(tmp_path / "configs")  # lock files and history too
    assert store.saved_ids() == frozenset()
