"""A store watching before a fork (gunicorn --preload) keeps watching in the forked child: the JSON store here,
PostgreSQL in test_pg_processes.py through the same `check_a_forked_child_hears`."""
import os
import queue

from cjm_fasthtml_plugins.core.changes import ConfigChange
from cjm_fasthtml_plugins.core.store import JsonDirectoryStore


def check_a_forked_child_hears(store, writer, ready) -> None:
    "Fork while `store` watches; the child (once `ready()` says it listens) and the parent both hear `writer`'s save."
    seen = queue.Queue()
    store.watch(seen.put)
    ready_r, ready_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its watcher was started at fork; report what it hears through the exit code
        code = 1
        try:
            if ready(): os.write(ready_w, b"1")
            change = seen.get(timeout=60)
            code = 0 if change.unique_id == "llm_gemini" and change.action == "save" else 2
        finally: os._exit(code)
    os.close(ready_w)  # so a child that fails before it is ready ends the read instead of hanging the test
    assert os.read(ready_r, 1) == b"1", f"the child exited with {os.waitpid(pid, 0)[1] >> 8} before it watched"
    revision = writer.save("llm_gemini", {"temperature": 0.5})
    assert seen.get(timeout=30) == ConfigChange("llm_gemini", "save", revision)  # the parent still hears it too
    assert os.waitpid(pid, 0)[1] == 0


def test_a_forked_child_watches_with_its_own_thread(tmp_path):
    store, writer = JsonDirectoryStore(tmp_path / "configs"), JsonDirectoryStore(tmp_path / "configs")
    check_a_forked_child_hears(store, writer, lambda: store._watcher.ready.wait(30) or True)
    store.close(); writer.close()
