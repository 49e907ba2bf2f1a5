"""Several hosts simulated by separate processes sharing one PostgreSQL database: locks, crashes, server restarts, notifications."""
import os
import queue
import signal
import subprocess
import sys
import textwrap
import threading

import pytest

from cjm_fasthtml_plugins.core.pg_store import PostgresConfigStore, StoreUnavailableError
from pg_support import pg_cluster, pg_dsn, unique_table  # noqa: F401
from test_changes_fork import check_a_forked_child_hears


def spawn(code: str, env: dict, *args: str) -> subprocess.Popen:
    "Run `code` in a new Python process (a separate 'host'), with its stdout piped."
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code), *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


INCREMENT = """
    import sys
    from cjm_fasthtml_plugins.core.pg_store import PostgresConfigStore
    store = PostgresConfigStore(sys.argv[1], table=sys.argv[2])
    for _ in range(int(sys.argv[3])):
        with store.lock("counter"):
            config = store.load("counter") or {"n": 0}
            store.save("counter", {"n": config["n"] + 1})
    store.close()
"""


@pytest.mark.slow
def test_three_processes_lose_no_increment(pg_dsn, child_env):
    table = unique_table()
    children = [spawn(INCREMENT, child_env, pg_dsn, table, "200") for _ in range(3)]
    results = [child.communicate(timeout=600) for child in children]
    assert [child.returncode for child in children] == [0, 0, 0], results
    store = PostgresConfigStore(pg_dsn, table=table)
    assert store.load("counter") == {"n": 600}
    assert [e.config["n"] for e in store.history("counter")] == list(range(600, 580, -1))
    store.close()


SAVER = """
    import sys
    from cjm_fasthtml_plugins.core.pg_store import PostgresConfigStore
    store = PostgresConfigStore(sys.argv[1], table=sys.argv[2])
    n = 0
    while True:
        n += 1
        with store.lock("victim"):
            store.save("victim", {"n": n, "payload": "x" * 4000, "tail": n})
        print(n, flush=True)
"""


@pytest.mark.slow
def test_sigkill_mid_run_loses_nothing_committed(pg_dsn, child_env):
    table = unique_table()
    child = spawn(SAVER, child_env, pg_dsn, table)
    acked = 0
    while acked < 150:
        line = child.stdout.readline()
        assert line, child.communicate()[1]  # the child died on its own
        acked = int(line)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    lines = child.stdout.read().split()
    acked = int(lines[-1]) if lines else acked
    store = PostgresConfigStore(pg_dsn, table=table, lock_timeout=30)
    with store.lock("victim"):  # the dead process's lock went with its connection
        config, revision = store.load_with_revision("victim")
    assert config["n"] in (acked, acked + 1)  # every acknowledged save is there; at most one more committed
    assert config == {"n": config["n"], "payload": "x" * 4000, "tail": config["n"]}  # nothing half-written
    assert store.history("victim")[0].revision == revision
    store.close()


NOTIFIER = """
    import sys
    from cjm_fasthtml_plugins.core.pg_store import PostgresConfigStore
    store = PostgresConfigStore(sys.argv[1], table=sys.argv[2])
    print(store.save("llm_gemini", {"from": "another host"}), flush=True)
    store.delete("llm_gemini")
    store.close()
"""


def test_a_save_in_another_process_reaches_a_watcher(pg_dsn, child_env):
    table = unique_table()
    store, changes = PostgresConfigStore(pg_dsn, table=table), queue.Queue()
    store.watch(changes.put)
    out, err = spawn(NOTIFIER, child_env, pg_dsn, table).communicate(timeout=120)
    saved, deleted = changes.get(timeout=30), changes.get(timeout=30)
    assert (saved.unique_id, saved.action, saved.revision) == ("llm_gemini", "save", out.strip()), err
    assert (deleted.action, deleted.revision) == ("delete", None)
    store.close()


def increment_until(store, stop, acked, errors):
    "Increment a counter under the lock until `stop` is set, counting acknowledged increments and errors."
    while not stop.is_set():
        try:
            with store.lock("counter"):
                config = store.load("counter") or {"n": 0}
                store.save("counter", {"n": config["n"] + 1})
            acked.append(1)
        except StoreUnavailableError as e:
            errors.append(str(e))
            stop.wait(0.05)


def wait_for(condition, writer) -> None:
    "Wait until `condition()` holds, failing if the writer thread died first."
    while not condition():
        assert writer.is_alive(), "the writer thread died (see its traceback above)"
        writer.join(0.01)


@pytest.mark.slow
def test_server_restart_gives_clear_errors_then_recovers(pg_cluster, pg_dsn):
    table = unique_table()
    store = PostgresConfigStore(pg_dsn, table=table, connect_timeout=2)
    watcher, changes = PostgresConfigStore(pg_dsn, table=table, connect_timeout=2), queue.Queue()
    watcher.watch(changes.put)
    stop, acked, errors = threading.Event(), [], []
    writer = threading.Thread(target=increment_until, args=(store, stop, acked, errors))
    writer.start()
    wait_for(lambda: len(acked) >= 50, writer)
    pg_cluster.stop_server("fast")
    down_errors = len(errors)
    wait_for(lambda: len(errors) >= down_errors + 2, writer)  # the writer keeps failing while the server is down
    pg_cluster.start()
    resumed = len(acked)
    wait_for(lambda: len(acked) >= resumed + 50, writer)
    stop.set()
    writer.join()
    assert errors and all("PostgreSQL config database" in e and "is unreachable" in e for e in errors)
    assert all(store.database in e for e in errors)
    final = store.load("counter")["n"]
    assert len(acked) <= final <= len(acked) + len(errors)  # nothing acknowledged was lost
    while True:  # the watcher reconnected by itself and hears new saves
        store.save("llm_after_restart", {"n": final})
        try: change = changes.get(timeout=1)
        except queue.Empty: continue
        if change.unique_id == "llm_after_restart": break
    store.close()
    watcher.close()


def test_a_store_first_used_while_the_server_is_down_works_once_it_is_up(pg_cluster, pg_dsn):
    pg_cluster.stop_server("fast")
    store = PostgresConfigStore(pg_dsn, table=unique_table(), connect_timeout=1)
    try:
        with pytest.raises(StoreUnavailableError, match="is unreachable"): store.save("llm_gemini", {"a": 1})
    finally: pg_cluster.start()
    assert store.save("llm_gemini", {"a": 1}) == store.revision("llm_gemini")
    store.close()


def test_a_forked_child_uses_its_own_connections(pg_dsn):
    store = PostgresConfigStore(pg_dsn, table=unique_table())
    store.save("llm_gemini", {"n": 0})
    with store.lock("llm_parent"): pass  # the parent has pooled connections and a listener
    store.saved_ids()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            for n in range(1, 51):
                with store.lock("llm_gemini"): store.save("llm_gemini", {"n": store.load("llm_gemini")["n"] + 1})
            store.close()
            code = 0
        finally: os._exit(code)
    for _ in range(50):  # the parent keeps using its connections meanwhile
        with store.lock("llm_gemini"): store.save("llm_gemini", {"n": store.load("llm_gemini")["n"] + 1})
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
    assert store.load("llm_gemini") == {"n": 100}
    assert store.saved_ids() == {"llm_gemini"}
    store.close()


def test_a_forked_child_keeps_hearing_changes(pg_dsn):
    "Like the JSON store's watcher, a store watching before a fork (gunicorn --preload) keeps delivering in the child."
    store = PostgresConfigStore(pg_dsn, table=unique_table())
    writer = PostgresConfigStore(pg_dsn, table=store.table)  # another process or host
    check_a_forked_child_hears(store, writer, lambda: store._listener.listening.wait(30))
    store.close(); writer.close()
