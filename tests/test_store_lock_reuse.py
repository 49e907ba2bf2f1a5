"""The store reuses one lock object per plugin id, and that reused lock still keeps other processes and threads out."""
import os
import subprocess
import sys
import textwrap
import threading

import filelock
import pytest

from cjm_fasthtml_plugins.core import store as store_module
from cjm_fasthtml_plugins.core.registry import UnifiedPluginRegistry
from cjm_fasthtml_plugins.core.store import LOCK_CACHE_SIZE, JsonDirectoryStore

UID = "llm_gemini"


def try_lock_in_other_process(config_dir, child_env, *, uid=UID, how="store", timeout=0.3) -> str:
    "Run a fresh interpreter that tries to take the lock of `uid`; returns 'acquired' or 'timeout'."
    if how == "store":
        take = (f"from cjm_fasthtml_plugins.core.store import JsonDirectoryStore\n"
                f"with JsonDirectoryStore({str(config_dir)!r}, lock_timeout={timeout}).lock({uid!r}): pass\n")
    else:  # a plain filelock.FileLock on the same lock file, as an older version of this library takes it
        take = (f"import filelock\n"
                f"with filelock.FileLock({str(config_dir / '.locks' / (uid + '.lock'))!r}, timeout={timeout}): pass\n")
    code = "import filelock\ntry:\n" + textwrap.indent(take, "    ") + \
           "    print('acquired')\nexcept filelock.Timeout:\n    print('timeout')\n"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=child_env, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_lock_object_is_reused_per_id(tmp_path):
    store = JsonDirectoryStore(tmp_path / "configs")
    with store.lock(UID): first = store._locks[UID]
    store.save(UID, {"a": 1})
    store.delete(UID)
    with store.lock(UID): pass
    assert store._locks[UID] is first
    assert list(store._locks) == [UID]


@pytest.mark.skipif(not store_module._descriptor_locks_work(), reason="kept-open lock files are the POSIX path")
def test_posix_lock_keeps_one_lock_file_open(tmp_path):
    store = JsonDirectoryStore(tmp_path / "configs")
    with store.lock(UID): fd = store._locks[UID]._fd
    before = open_fds()
    for _ in range(20):
        with store.lock(UID): pass
        store.save(UID, {"a": 1})
    assert store._locks[UID]._fd == fd and open_fds() == before  # no descriptor opened or leaked per call


@pytest.mark.parametrize("how", ["store", "filelock"])
def test_reused_lock_still_excludes_another_process(tmp_path, child_env, how):
    config_dir = tmp_path / "configs"
    store = JsonDirectoryStore(config_dir)
    for _ in range(5):  # warm the reused lock object up first
        with store.lock(UID): pass
    with store.lock(UID):
        with store.lock(UID):  # re-entered: still held once the inner block ends
            assert try_lock_in_other_process(config_dir, child_env, how=how) == "timeout"
        assert try_lock_in_other_process(config_dir, child_env, how=how) == "timeout"
    assert try_lock_in_other_process(config_dir, child_env, how=how, timeout=10) == "acquired"
    with store.lock(UID):  # and the reused object takes it again after the other process let go
        assert try_lock_in_other_process(config_dir, child_env, how=how) == "timeout"


def test_reused_lock_waits_for_another_process(tmp_path, child_env):
    config_dir, marker = tmp_path / "configs", tmp_path / "holder-finished"
    store = JsonDirectoryStore(config_dir, lock_timeout=0.2)
    with store.lock(UID): pass
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time\nfrom pathlib import Path\n"
                               "from cjm_fasthtml_plugins.core.store import JsonDirectoryStore\n"
                               f"with JsonDirectoryStore({str(config_dir)!r}).lock({UID!r}):\n"
                               "    print('held', flush=True); time.sleep(1.5)\n"
                               f"    Path({str(marker)!r}).write_text('done')  # last thing done while holding the lock\n"],
        stdout=subprocess.PIPE, text=True, env=child_env)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(filelock.Timeout):
            with store.lock(UID): pass
        store.lock_timeout = 30
        with store.lock(UID):
            assert marker.read_text() == "done"  # we got the lock only after the other process's critical section
    finally:
        holder.wait(timeout=30)


def test_a_forked_child_does_not_inherit_a_held_lock(tmp_path):
    store = JsonDirectoryStore(tmp_path / "configs", lock_timeout=0.3)
    with store.lock(UID):
        pid = os.fork()
        if pid == 0:  # child: the parent still holds the lock, so the child must not get it through an inherited fd
            code = 1
            try:
                other = JsonDirectoryStore(tmp_path / "configs", lock_timeout=0.3)
                for candidate in (store, other):
                    try:
                        with candidate.lock(UID): pass
                        code = 2
                    except filelock.Timeout:
                        pass
                code = 0 if code == 1 else code
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, status
    with store.lock(UID): pass  # the child's exit did not break the parent's lock


def test_a_forked_child_takes_its_own_lock_not_the_inherited_one(tmp_path):
    "Like a pre-forking server: the parent used the lock before forking; parent and child must still exclude each other."
    store = JsonDirectoryStore(tmp_path / "configs", lock_timeout=0.3)
    with store.lock(UID): pass  # the parent's lock file is open now, and the child inherits that descriptor
    ready_r, ready_w = os.pipe()
    done_r, done_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: hold the lock through the same store object until the parent has tried it
        code = 1
        try:
            with store.lock(UID):
                os.write(ready_w, b"x")
                os.read(done_r, 1)
            code = 0
        finally:
            os._exit(code)
    try:
        assert os.read(ready_r, 1) == b"x"
        with pytest.raises(filelock.Timeout):
            with store.lock(UID): pass
    finally:
        os.write(done_w, b"x")
        _, status = os.waitpid(pid, 0)
        for fd in (ready_r, ready_w, done_r, done_w): os.close(fd)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, status
    with store.lock(UID): pass


def test_threads_are_excluded_and_reentry_works(tmp_path):
    store = JsonDirectoryStore(tmp_path / "configs", lock_timeout=0.2)
    outcome = []
    def other_thread():
        try:
            with store.lock(UID): outcome.append("acquired")
        except filelock.Timeout:
            outcome.append("timeout")
    with store.lock(UID):
        with store.lock(UID): pass
        t = threading.Thread(target=other_thread); t.start(); t.join()
    t = threading.Thread(target=other_thread); t.start(); t.join()
    assert outcome == ["timeout", "acquired"]


def test_cache_is_bounded_and_never_drops_a_held_lock(tmp_path):
    store = JsonDirectoryStore(tmp_path / "configs")
    before = open_fds()
    with store.lock("app_held"):
        held = store._locks["app_held"]
        for i in range(LOCK_CACHE_SIZE * 2):
            with store.lock(f"app_{i}"): pass
        assert store._locks["app_held"] is held and not held.retired
        assert len(store._locks) <= LOCK_CACHE_SIZE + 1
        assert store.holds_lock("app_held")
    assert open_fds() <= before + LOCK_CACHE_SIZE + 1
    dropped = [i for i in range(LOCK_CACHE_SIZE * 2) if f"app_{i}" not in store._locks]
    assert dropped and dropped[0] == 0  # least recently used first
    with store.lock("app_0"): pass  # a dropped id gets a fresh lock object


def test_deleted_lock_file_is_made_again(tmp_path, child_env):
    config_dir = tmp_path / "configs"
    store = JsonDirectoryStore(config_dir)
    with store.lock(UID): pass
    (config_dir / ".locks" / f"{UID}.lock").unlink()
    with store.lock(UID):
        assert (config_dir / ".locks" / f"{UID}.lock").exists()
        assert try_lock_in_other_process(config_dir, child_env) == "timeout"


def test_checked_write_and_update_take_the_lock_once(tmp_path, monkeypatch):
    registry = UnifiedPluginRegistry(tmp_path / "configs")
    revision = registry.write_plugin_config(UID, {"n": 0}, expected_revision="")
    acquired = []
    original = registry.store._acquire
    monkeypatch.setattr(registry.store, "_acquire", lambda uid: acquired.append(uid) or original(uid))
    registry.write_plugin_config(UID, {"n": 1}, expected_revision=revision)
    assert acquired == [UID]
    registry.update_plugin_config(UID, {"n": 2})
    assert acquired == [UID, UID]
    assert registry.load_plugin_config(UID) == {"n": 2}


def test_save_while_locked_refuses_without_the_lock(tmp_path):
    store = JsonDirectoryStore(tmp_path / "configs")
    with pytest.raises(RuntimeError, match="without holding that id's lock"):
        store.save_while_locked(UID, {"a": 1})
    with store.lock(UID):
        t = threading.Thread(target=lambda: errors.append(store.holds_lock(UID)))
        errors = []
        t.start(); t.join()
        assert errors == [False]  # another thread does not hold it
        store.save_while_locked(UID, {"a": 1})
    assert store.load(UID) == {"a": 1}
    assert not store.exists("llm_other")


def test_portable_filelock_fallback(tmp_path, child_env, monkeypatch):
    "Where descriptor locks are unavailable the store reuses one filelock.FileLock per id; it must behave the same."
    monkeypatch.setattr(store_module, "_descriptor_locks_work", lambda: False)
    config_dir = tmp_path / "configs"
    store = JsonDirectoryStore(config_dir)
    store.save(UID, {"a": 1})
    lock = store._locks[UID]
    assert isinstance(lock, store_module._PortableLock)
    with store.lock(UID):
        with store.lock(UID):
            store.save_while_locked(UID, {"a": 2})
            store.save(UID, {"a": 3})
        assert try_lock_in_other_process(config_dir, child_env) == "timeout"
    assert store._locks[UID] is lock and store.load(UID) == {"a": 3}
    assert try_lock_in_other_process(config_dir, child_env, timeout=10) == "acquired"


@pytest.mark.skipif(not store_module._descriptor_locks_work(), reason="kept-open lock files are the POSIX path")
def test_discarded_stores_close_their_lock_files(tmp_path):
    import gc
    gc.collect()
    before = open_fds()
    for i in range(50):
        store = JsonDirectoryStore(tmp_path / "configs")
        for uid in ("app_a", "app_b", f"app_{i}"):
            with store.lock(uid): pass
    del store
    gc.collect()
    assert open_fds() <= before


def test_unlimited_timeout_waits(tmp_path):
    for timeout in (-1, float("inf")):
        store = JsonDirectoryStore(tmp_path / "configs", lock_timeout=timeout)
        with store.lock(UID): store.save(UID, {"timeout": str(timeout)})
        assert store.load(UID) == {"timeout": str(timeout)}
