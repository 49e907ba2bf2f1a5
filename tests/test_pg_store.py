"""PostgreSQL store features beyond the shared contract: history, saved_ids, migrations, watch, unreachable server."""
import queue
import threading
from datetime import timezone

import psycopg
import pytest

from cjm_fasthtml_plugins.core.changes import ConfigChange, store_from_url
from cjm_fasthtml_plugins.core.pg_store import PostgresConfigStore, StoreUnavailableError
from pg_support import pg_cluster, pg_dsn, unique_table  # noqa: F401


@pytest.fixture
def store(pg_dsn):
    made = PostgresConfigStore(pg_dsn, table=unique_table(), history_limit=4)
    yield made
    made.close()


def test_history_round_trip(store):
    revisions = [store.save("llm_gemini", {"temperature": n}) for n in range(3)]
    store.delete("llm_gemini")
    entries = store.history("llm_gemini")
    assert [(e.action, e.revision) for e in entries] == [("delete", None)] + [("save", r) for r in reversed(revisions)]
    assert [e.config for e in entries] == [None, {"temperature": 2}, {"temperature": 1}, {"temperature": 0}]
    assert all(e.unique_id == "llm_gemini" and e.saved_at.tzinfo == timezone.utc for e in entries)
    assert [e.saved_at for e in entries] == sorted((e.saved_at for e in entries), reverse=True)
    # restoring an old revision is a new save of its config, with the same content revision
    assert store.save("llm_gemini", entries[2].config) == revisions[1]
    assert store.history("llm_gemini", limit=1)[0].revision == revisions[1]


def test_history_keeps_the_last_n_per_id(store):
    for n in range(10): store.save("llm_gemini", {"n": n})
    store.save("llm_other", {"n": 0})
    assert [e.config["n"] for e in store.history("llm_gemini")] == [9, 8, 7, 6]
    assert len(store.history("llm_other")) == 1
    assert store.history("llm_missing") == []


def test_saved_ids_is_the_same_object_until_something_changes(store, pg_dsn):
    store.save("llm_a", {})
    first = store.saved_ids()
    assert first == {"llm_a"} and store.saved_ids() is first
    store.save("llm_a", {"x": 1})  # a change of content, not of ids: the same object still
    assert store.saved_ids() is first
    other = PostgresConfigStore(pg_dsn, table=store.table)
    changes = queue.Queue()
    store.watch(changes.put)
    other.save("llm_b", {})  # another process or host
    changes.get(timeout=30)
    assert store.saved_ids() == {"llm_a", "llm_b"}
    store.delete("llm_a")
    assert store.saved_ids() == {"llm_b"}
    other.close()


def test_tables_come_from_a_versioned_migration(store, pg_dsn):
    store.list_ids()
    second = PostgresConfigStore(pg_dsn, table=store.table)
    assert second.list_ids() == []  # a second store migrates nothing again
    second.close()
    with psycopg.connect(pg_dsn) as conn:
        versions = conn.execute(f"SELECT version FROM {store.table}_schema_version").fetchall()
    assert versions == [(1,)]


def test_watch_delivers_saves_and_deletes_until_unsubscribed(store, pg_dsn):
    changes, other = queue.Queue(), PostgresConfigStore(pg_dsn, table=store.table)
    unsubscribe = store.watch(changes.put)
    revision = store.save("llm_gemini", {"t": 1})  # this process
    assert changes.get(timeout=30) == ConfigChange("llm_gemini", "save", revision)
    other.delete("llm_gemini")  # another connection
    assert changes.get(timeout=30) == ConfigChange("llm_gemini", "delete", None)
    unsubscribe()
    store.save("llm_gemini", {"t": 2})
    marker = queue.Queue()
    store.watch(marker.put)
    store.save("llm_marker", {})
    assert marker.get(timeout=30).unique_id in ("llm_gemini", "llm_marker")
    assert changes.empty()
    other.close()


def test_a_failing_callback_does_not_stop_the_others(store):
    changes = queue.Queue()
    store.watch(lambda change: 1 / 0)
    store.watch(changes.put)
    store.save("llm_gemini", {})
    assert changes.get(timeout=30).unique_id == "llm_gemini"


def test_unreachable_server_names_the_database_never_the_password():
    store = PostgresConfigStore("postgresql://app:Sup3rSecret@127.0.0.1:1/plugins", connect_timeout=1)
    for call in (lambda: store.load("llm_x"), lambda: store.save("llm_x", {}), lambda: store.lock("llm_x").__enter__()):
        with pytest.raises(StoreUnavailableError, match="'plugins' on 127.0.0.1:1 as 'app' is unreachable") as info:
            call()
        assert "Sup3rSecret" not in str(info.value) and "Connection refused" in str(info.value)
    store.close()


@pytest.mark.parametrize("url", ["postgresql://app:Sup3r%Secret@db.internal/plugins",  # a '%' not percent-encoded
                                 "postgresql://app:Sup3r@Secret@db.internal/plugins",  # an '@': libpq's host is 'Secret@db...'
                                 "postgresql://app:Sup3r/Secret@db.internal/plugins",  # a '/': libpq's port is 'Sup3r'
                                 "host=db.internal password=Sup3r Secret"])  # a space in a key=value password
def test_a_malformed_url_is_refused_at_once_without_its_password(url):
    with pytest.raises(ValueError, match="Invalid PostgreSQL connection string for the config store") as info:
        store_from_url(url) if url.startswith("postgresql://") else PostgresConfigStore(url)
    assert "Sup3r" not in str(info.value) and "Secret" not in str(info.value)


@pytest.mark.parametrize("config, reason", [({"t": "a\x00b"}, "NUL"), ({"a\x00": 1}, "NUL"), ({"t": "\ud800"}, "surrogate")])
def test_a_config_jsonb_cannot_hold_is_refused_naming_the_plugin(store, config, reason):
    store.save("llm_x", {"t": "kept"})
    with pytest.raises(ValueError, match=f"Config for plugin 'llm_x' .*{reason}"): store.save("llm_x", config)
    assert store.load("llm_x") == {"t": "kept"} and len(store.history("llm_x")) == 1
    assert store.save("llm_y", {"t": "a\\u0000b"}) and store.load("llm_y") == {"t": "a\\u0000b"}  # a backslash, then 'u0000': plain text


def test_bad_arguments(pg_dsn):
    with pytest.raises(ValueError, match="Invalid table name"): PostgresConfigStore(pg_dsn, table="Bad-Name")
    with pytest.raises(ValueError, match="history_limit"): PostgresConfigStore(pg_dsn, history_limit=0)


def test_first_use_inside_a_lock_creates_the_tables(store):
    with store.lock("llm_gemini"):
        assert store.load("llm_gemini") is None
        store.save("llm_gemini", {"a": 1})
    assert store.load("llm_gemini") == {"a": 1}


def test_importing_the_module_loads_neither_psycopg_nor_the_ui(child_env):
    import subprocess, sys
    code = ("import sys, cjm_fasthtml_plugins.core.pg_store, cjm_fasthtml_plugins.core.changes; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('psycopg', 'psycopg_pool', 'fasthtml', 'monsterui')))")
    out = subprocess.run([sys.executable, "-c", code], env=child_env, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_a_registry_update_on_an_unreachable_server_says_so():
    "The registry's locked writes keep the store's own error: which database is unreachable and why."
    from cjm_fasthtml_plugins.core.registry import UnifiedPluginRegistry
    store = PostgresConfigStore("postgresql://app:Sup3rSecret@127.0.0.1:1/plugins", connect_timeout=1)
    registry = UnifiedPluginRegistry("unused-dir", store=store)
    for call in (lambda: registry.update_plugin_config("llm_x", {"a": 1}),
                 lambda: registry.write_plugin_config("llm_x", {"a": 1}, expected_revision="")):
        with pytest.raises(StoreUnavailableError, match="'plugins' on 127.0.0.1:1 as 'app' is unreachable") as info: call()
        assert "Sup3rSecret" not in str(info.value)
    store.close()


def test_two_processes_waiting_on_each_others_lock_get_a_lock_error(store, pg_dsn):
    "Holding one id's lock while saving another (which the docs advise against) fails as a lock wait, not as an outage."
    other = PostgresConfigStore(pg_dsn, table=store.table)
    both_locked, errors = threading.Barrier(2), []
    def cross(s, mine, theirs):
        with s.lock(mine):
            both_locked.wait(30)
            try: s.save(theirs, {})
            except Exception as e: errors.append(e)
    threads = [threading.Thread(target=cross, args=(store, "llm_a", "llm_b")),
               threading.Thread(target=cross, args=(other, "llm_b", "llm_a"))]
    for t in threads: t.start()
    for t in threads: t.join()
    assert len(errors) == 1 and not isinstance(errors[0], StoreUnavailableError)  # the server broke the deadlock
    assert isinstance(errors[0], TimeoutError) and "Could not save the config of plugin" in str(errors[0])
    other.close()


def test_a_pool_of_yours_is_named_and_watched_where_it_connects(pg_dsn):
    "A pool given its database (or password) in `kwargs`: messages name that database and the listener connects there."
    from psycopg.conninfo import conninfo_to_dict, make_conninfo
    from psycopg_pool import ConnectionPool
    info = conninfo_to_dict(pg_dsn)
    dbname = info.pop("dbname")
    pool = ConnectionPool(make_conninfo(**info), kwargs={"dbname": dbname, "autocommit": True}, open=True)
    store = PostgresConfigStore(pool, table=unique_table())
    other = PostgresConfigStore(pg_dsn, table=store.table)  # another process or host
    assert store.database.startswith(f"'{dbname}' on ")
    seen = queue.Queue()
    store.watch(seen.put)
    revision = other.save("llm_gemini", {"a": 1})
    assert seen.get(timeout=30) == ConfigChange("llm_gemini", "save", revision)
    assert store.load("llm_gemini") == {"a": 1}
    store.close(); other.close(); pool.close()
