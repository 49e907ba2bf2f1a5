"""The store's per-id lock (a plain filelock.FileLock on one of a fixed set of stripe files) keeps threads and processes out."""
import os
import subprocess
import sys
import textwrap
import threading

import filelock
import pytest

from cjm_fasthtml_plugins.core.store import JsonDirectoryStore

UID = "llm_gemini"


def try_lock_in_other_process(config_dir, child_env, *, uid=UID, timeout=0.3) -> str:
    "Run a fresh interpreter that tries to take the lock of `uid`; returns 'acquired' or 'timeout'."
    code = textwrap.dedent(f"""
        import filelock
        from cjm_fasthtml_plugins.core.store import JsonDirectoryStore
        try:
            with JsonDirectoryStore({str(config_dir)!r}, lock_timeout={timeout}).lock({uid!r}): print('acquired')
        except filelock.Timeout:
            print('timeout')
    """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=child_env, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_lock_excludes_another_process_and_is_reentrant(tmp_path, child_env):
    config_dir = tmp_path / "configs"
    store = JsonDirectoryStore(config_dir)
    with store.lock(UID):
        with store.lock(UID):  # re-entered: still held once the inner block ends
            assert try_lock_in_other_process(config_dir, child_env) == "timeout"
        assert try_lock_in_other_process(config_dir, child_env) == "timeout"
        store.save(UID, {"saved": "inside the lock"})  # save takes the same lock again
    assert try_lock_in_other_process(config_dir, child_env, timeout=10) == "acquired"
    assert store.load(UID) == {"saved": "inside the lock"}


def test_lock_waits_for_another_process(tmp_path, child_env):
    config_dir, marker = tmp_path / "configs", tmp_path / "holder-finished"
    store = JsonDirectoryStore(config_dir, lock_timeout=0.2)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import time\nfrom pathlib import Path\n"
                               "from cjm_fasthtml_plugins.core.store import JsonDirectoryStore\n"
                               f"with JsonDirectoryStore({str(config_dir)!r}).lock({UID!r}):\n"
                               "    print('held', flush=True); time.sleep(1.5)\n"
                               f"    Path({str(marker)!r}).write_text('done')  # last thing done while holding the lock\n"],
        stdout=subprocess.PIPE, text=True, env=child_env)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(filelock.Timeout):
            with store.lock(UID): pass
        waiting = JsonDirectoryStore(config_dir, lock_timeout=30)
        with waiting.lock(UID):
            assert marker.read_text() == "done"  # we got the lock only after the other process's critical section
    finally:
        holder.wait(timeout=30)


def test_threads_are_excluded(tmp_path):
    store = JsonDirectoryStore(tmp_path / "configs", lock_timeout=0.2)
    outcome = []
    def other_thread():
        try:
            with store.lock(UID): outcome.append("acquired")
        except filelock.Timeout:
            outcome.append("timeout")
    with store.lock(UID):
        t = threading.Thread(target=other_thread); t.start(); t.join()
    t = threading.Thread(target=other_thread); t.start(); t.join()
    assert outcome == ["timeout", "acquired"]


def test_a_forked_child_does_not_inherit_a_held_lock(tmp_path):
    store = JsonDirectoryStore(tmp_path / "configs", lock_timeout=0.3)
    with store.lock(UID):
        pid = os.fork()
        if pid == 0:  # child: the parent still holds the lock, so the child must not get it
            code = 1
            try:
                with store.lock(UID): code = 2
            except filelock.Timeout:
                code = 0
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, status
    with store.lock(UID): pass  # the child's exit did not break the parent's lock


def test_lock_files_do_not_accumulate(tmp_path):
    store = JsonDirectoryStore(tmp_path / "configs")
    for i in range(500):
        store.save(f"app_{i}", {"i": i})
        assert store.delete(f"app_{i}")
    locks = sorted(p.name for p in (tmp_path / "configs" / ".locks").iterdir())
    assert 0 < len(locks) <= 64 and all(name.endswith(".lock") for name in locks)
    assert sorted(p.name for p in (tmp_path / "configs").iterdir()) == [".history", ".locks"]  # .history: issue 15


def test_unlimited_timeout_waits(tmp_path):
    for timeout in (-1, float("inf")):
        store = JsonDirectoryStore(tmp_path / "configs", lock_timeout=timeout)
        with store.lock(UID): store.save(UID, {"timeout": str(timeout)})
        assert store.load(UID) == {"timeout": str(timeout)}
