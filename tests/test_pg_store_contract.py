"""The store contract, run against both stores: the JSON directory and PostgreSQL."""
import threading

import pytest

from cjm_fasthtml_plugins.core.errors import CorruptConfigError, InvalidPluginIdError
from cjm_fasthtml_plugins.core.pg_store import PostgresConfigStore
from cjm_fasthtml_plugins.core.store import JsonDirectoryStore
from fake_plugins import gemini_manager
from pg_support import corrupt_row, pg_cluster, pg_dsn, unique_table  # noqa: F401


class Stores:
    "Makes stores of one kind sharing one location (like several processes or hosts), and corrupts a record."
    def __init__(self, kind, tmp_path, dsn):
        self.kind, self.tmp_path, self.dsn, self.table, self.made = kind, tmp_path, dsn, unique_table(), []

    def make(self, **kwargs):
        store = (JsonDirectoryStore(self.tmp_path / "configs", **kwargs) if self.kind == "json"
                 else PostgresConfigStore(self.dsn, table=self.table, **kwargs))
        self.made.append(store)
        return store

    def corrupt(self, unique_id, json_text):
        if self.kind == "json": (self.tmp_path / "configs" / f"{unique_id}.json").write_text(json_text)
        else: corrupt_row(self.dsn, self.table, unique_id, json_text)

    def close(self):
        for store in self.made:
            if hasattr(store, "close"): store.close()


@pytest.fixture(params=["json", "postgres"])
def stores(request, tmp_path, pg_dsn):
    made = Stores(request.param, tmp_path, pg_dsn)
    yield made
    made.close()


@pytest.fixture
def store(stores):
    return stores.make()


def test_missing_config(store):
    assert store.load("llm_gemini") is None
    assert store.load_with_revision("llm_gemini") == (None, None)
    assert store.revision("llm_gemini") is None
    assert store.exists("llm_gemini") is False
    assert store.delete("llm_gemini") is False
    assert store.list_ids() == []


def test_save_load_round_trip(store):
    config = {"temperature": 0.7, "name": "café ☕", "nested": {"list": [1, 2.5, None, True]}, "big": 2 ** 53}
    revision = store.save("llm_gemini", config)
    assert isinstance(revision, str) and revision
    assert store.load("llm_gemini") == config
    assert store.load_with_revision("llm_gemini") == (config, revision)
    assert store.revision("llm_gemini") == revision
    assert store.exists("llm_gemini") is True


def test_revision_changes_with_the_config(store):
    first = store.save("llm_gemini", {"temperature": 0.7})
    second = store.save("llm_gemini", {"temperature": 0.8})
    assert first != second
    assert store.revision("llm_gemini") == second
    assert store.save("llm_gemini", {"temperature": 0.7}) == first  # revisions name content


def test_a_save_by_another_store_is_seen(stores):
    a, b = stores.make(), stores.make()
    revision = a.save("llm_gemini", {"temperature": 0.1})
    assert b.load_with_revision("llm_gemini") == ({"temperature": 0.1}, revision)
    newer = b.save("llm_gemini", {"temperature": 0.2})
    assert a.revision("llm_gemini") == newer != revision


def test_delete(store):
    store.save("llm_gemini", {"temperature": 0.7})
    assert store.delete("llm_gemini") is True
    assert store.load_with_revision("llm_gemini") == (None, None)
    assert store.exists("llm_gemini") is False
    assert store.delete("llm_gemini") is False


def test_list_ids_sorted(store):
    for uid in ["tts_b", "llm_a", "llm_B", "x.y-z_1"]: store.save(uid, {})
    store.delete("tts_b")
    assert store.list_ids() == ["llm_B", "llm_a", "x.y-z_1"]


@pytest.mark.parametrize("bad_id", ["../x", "a/b", "", ".hidden", "a\x00b", "x" * 201, "caf\u00e9", None, 42])
def test_invalid_ids_are_refused_by_every_method(store, bad_id):
    calls = [lambda: store.load(bad_id), lambda: store.load_with_revision(bad_id), lambda: store.save(bad_id, {}),
             lambda: store.delete(bad_id), lambda: store.exists(bad_id), lambda: store.revision(bad_id),
             lambda: store.lock(bad_id).__enter__()]
    for call in calls:
        with pytest.raises(InvalidPluginIdError, match="Invalid plugin id"): call()
    assert store.list_ids() == []


def test_a_config_must_be_a_mapping(store):
    with pytest.raises(TypeError, match="must be a dict"): store.save("llm_gemini", [1, 2])
    assert store.exists("llm_gemini") is False


@pytest.mark.parametrize("text,kind", [("[1, 2, 3]", "list"), ('"hello"', "str"), ("42", "int"), ("null", "NoneType")])
def test_a_record_that_is_not_an_object_is_corrupt_and_left_alone(stores, text, kind):
    store = stores.make()
    store.save("llm_gemini", {"temperature": 0.7})
    stores.corrupt("llm_gemini", text)
    for call in (lambda: store.load("llm_gemini"), lambda: store.load_with_revision("llm_gemini")):
        with pytest.raises(CorruptConfigError, match=f"it holds a JSON {kind}, not an object"): call()
    assert store.exists("llm_gemini") and store.list_ids() == ["llm_gemini"]
    assert store.revision("llm_gemini") is not None
    store.save("llm_gemini", {"temperature": 1.0})  # overwriting is the explicit way out
    assert store.load("llm_gemini") == {"temperature": 1.0}


def test_lock_is_reentrant_in_a_thread(store):
    with store.lock("llm_gemini"):
        with store.lock("llm_gemini"):
            store.save("llm_gemini", {"n": 1})
        with store.lock("llm_other"):
            store.save("llm_other", {"n": 2})
        store.save("llm_gemini", {"n": 3})
    assert store.load("llm_gemini") == {"n": 3} and store.load("llm_other") == {"n": 2}


def test_lock_excludes_another_holder(stores):
    holder, other = stores.make(), stores.make(lock_timeout=0.2)
    with holder.lock("llm_gemini"):
        with pytest.raises(TimeoutError):
            other.lock("llm_gemini").__enter__()
        with other.lock("llm_unrelated"): pass  # other ids stay free
    with other.lock("llm_gemini"): pass  # free again once released


def test_lock_serialises_threads(store):
    store.save("counter", {"n": 0})
    def work():
        for _ in range(25):
            with store.lock("counter"):
                store.save("counter", {"n": store.load("counter")["n"] + 1})
    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads: t.start()
    for t in threads: t.join()
    assert store.load("counter") == {"n": 100}


def test_lock_is_released_when_the_body_raises(stores):
    store, other = stores.make(), stores.make(lock_timeout=0.2)
    with pytest.raises(ZeroDivisionError):
        with store.lock("llm_gemini"): 1 / 0
    with other.lock("llm_gemini"): pass


def test_saved_ids_is_the_same_object_while_nothing_changed(stores):
    store, other = stores.make(), stores.make()
    assert store.saved_ids() == frozenset()
    store.save("llm_a", {})
    first = store.saved_ids()
    assert first == {"llm_a"} and store.saved_ids() is first
    other.save("llm_b", {})  # another process or host
    while store.saved_ids() == first: pass  # PostgreSQL: once the notification arrives; JSON: at once
    assert store.saved_ids() == {"llm_a", "llm_b"}
    other.delete("llm_a")
    while "llm_a" in store.saved_ids(): pass
    assert store.saved_ids() == {"llm_b"} and store.saved_ids() is store.saved_ids()


def test_both_stores_are_config_stores(store):
    from cjm_fasthtml_plugins.core.store import ConfigStore
    assert isinstance(store, ConfigStore)


def test_the_registry_detects_conflicts_on_either_store(stores, tmp_path):
    from cjm_fasthtml_plugins.core.errors import ConfigConflictError
    from cjm_fasthtml_plugins.core.registry import UnifiedPluginRegistry
    registries = []
    for _ in range(2):  # two processes or hosts sharing the store
        registry = UnifiedPluginRegistry(tmp_path / "unused", store=stores.make())
        registry.register_plugin_manager("llm", gemini_manager())
        registries.append(registry)
    a, b = registries
    revision = a.write_plugin_config("llm_gemini", {"temperature": 0.1}, expected_revision="")
    assert b.load_plugin_config("llm_gemini") == {"temperature": 0.1}  # loads are always current
    while not b.get_plugin("llm_gemini").is_configured: pass  # PostgreSQL: once the notification arrives
    b.write_plugin_config("llm_gemini", {"temperature": 0.2}, expected_revision=revision)
    with pytest.raises(ConfigConflictError, match="changed elsewhere"):
        a.write_plugin_config("llm_gemini", {"temperature": 0.3}, expected_revision=revision)
    assert a.update_plugin_config("llm_gemini", {"temperature": 0.4}) == {"temperature": 0.4}
    assert b.load_plugin_config("llm_gemini") == {"temperature": 0.4}


# -- history and watch (issue 15) ----------------------------------------------------------------------------------
def test_history_lists_saves_and_deletes_newest_first(stores):
    store, other = stores.make(), stores.make()
    first = store.save("llm_gemini", {"temperature": 0.1})
    second = other.save("llm_gemini", {"temperature": 0.2})  # another process or host
    assert store.delete("llm_gemini") is True
    assert store.delete("llm_gemini") is False  # nothing removed: nothing recorded
    entries = store.history("llm_gemini")
    assert [(e.unique_id, e.action, e.revision, e.config) for e in entries] == [
        ("llm_gemini", "delete", None, None), ("llm_gemini", "save", second, {"temperature": 0.2}),
        ("llm_gemini", "save", first, {"temperature": 0.1})]
    assert entries[0].saved_at >= entries[1].saved_at >= entries[2].saved_at
    assert all(e.saved_at.utcoffset().total_seconds() == 0 for e in entries)
    assert other.history("llm_gemini") == entries
    assert store.history("llm_gemini", limit=2) == entries[:2]
    assert store.history("llm_other") == [] and store.list_ids() == []


def test_history_keeps_the_last_n(stores):
    store = stores.make()
    store.history_limit = 5  # the JSON store's attribute; PostgreSQL's constructor argument, set the same way here
    for n in range(13): store.save("counter", {"n": n})
    assert [e.config["n"] for e in store.history("counter")] == [12, 11, 10, 9, 8]
    assert store.history("other") == []


def test_history_default_keeps_20(store):
    for n in range(25): store.save("counter", {"n": n})
    assert [e.config["n"] for e in store.history("counter")] == list(range(24, 4, -1))


def test_history_refuses_invalid_ids(store):
    for bad in ("../x", "", None):
        with pytest.raises(InvalidPluginIdError): store.history(bad)


def test_watch_delivers_saves_and_deletes_from_any_store(stores):
    import queue
    from cjm_fasthtml_plugins.core.changes import ConfigChange
    watcher, here, elsewhere = stores.make(), stores.make(), stores.make()
    seen = queue.Queue()
    unsubscribe = watcher.watch(seen.put)
    rev = elsewhere.save("llm_gemini", {"temperature": 0.1})  # another process or host
    assert seen.get(timeout=30) == ConfigChange("llm_gemini", "save", rev)
    rev = watcher.save("llm_gemini", {"temperature": 0.2})  # the watching store itself
    assert seen.get(timeout=30) == ConfigChange("llm_gemini", "save", rev)
    assert here.delete("llm_gemini")
    assert seen.get(timeout=30) == ConfigChange("llm_gemini", "delete", None)
    unsubscribe()
    marker = queue.Queue()
    unsubscribe = watcher.watch(marker.put)  # a later change reaches only the callbacks still subscribed
    rev = elsewhere.save("llm_other", {})
    assert marker.get(timeout=30) == ConfigChange("llm_other", "save", rev)
    assert seen.empty()
    unsubscribe()


def test_a_failing_watch_callback_does_not_stop_the_others(stores, caplog):
    import queue
    store, other = stores.make(), stores.make()
    seen = queue.Queue()
    def broken(change): raise RuntimeError("boom")
    store.watch(broken); store.watch(seen.put)
    for n in range(3): other.save(f"llm_{n}", {"n": n})
    assert sorted(seen.get(timeout=30).unique_id for _ in range(3)) == ["llm_0", "llm_1", "llm_2"]
    assert "callback" in caplog.text and "boom" in caplog.text


# -- review 2: both stores behave the same for the same calls ------------------------------------------------------
def test_a_save_or_delete_waits_for_another_holder_of_the_lock(stores):
    "A plain save or delete by another process waits for `lock(id)`, so a read-modify-write under it loses nothing."
    holder, other = stores.make(), stores.make(lock_timeout=0.2)
    holder.save("llm_gemini", {"n": 0})
    with holder.lock("llm_gemini"):
        config = holder.load("llm_gemini")
        with pytest.raises(OSError, match=r"Could not save the config of plugin 'llm_gemini'.*The previous config is unchanged"):
            other.save("llm_gemini", {"n": 99})
        with pytest.raises(OSError, match=r"Could not delete the config of plugin 'llm_gemini'.*The previous config is unchanged"):
            other.delete("llm_gemini")
        holder.save("llm_gemini", {"n": config["n"] + 1})
        other.save("llm_unrelated", {})  # other ids stay free
    assert other.load("llm_gemini") == {"n": 1}
    assert [e.config for e in other.history("llm_gemini")] == [{"n": 1}, {"n": 0}]
    assert other.save("llm_gemini", {"n": 2}) == other.revision("llm_gemini")  # free again once released


def _nested(levels, leaf, container):
    for _ in range(levels): leaf = container(leaf)
    return leaf


@pytest.mark.parametrize("config, reason", [
    ({"x": _nested(70, 1, lambda v: {"k": v})}, "levels deep"),
    ({"x": _nested(70, 1, lambda v: (v,))}, "levels deep"),  # tuples are written as lists: the same rules apply
    ({"x": 10 ** 4100}, "more than 4,000 digits"),
    ({"x": (10 ** 4100,)}, "more than 4,000 digits"),
    ({"x": (1, float("nan"))}, "NaN or Infinity")])
def test_a_config_either_store_could_not_read_back_is_refused_by_both(store, config, reason):
    store.save("llm_x", {"t": "kept"})
    with pytest.raises(ValueError, match=f"Config for plugin 'llm_x' was not saved: .*{reason}.*The previous config is unchanged"):
        store.save("llm_x", config)
    assert store.load("llm_x") == {"t": "kept"} and len(store.history("llm_x")) == 1


def test_a_record_nested_too_deeply_is_corrupt_in_both(stores):
    store = stores.make()
    store.save("llm_gemini", {})
    stores.corrupt("llm_gemini", '{"x": ' + "[" * 70 + "]" * 70 + "}")
    with pytest.raises(CorruptConfigError, match="levels deep"): store.load("llm_gemini")
    assert store.list_ids() == ["llm_gemini"]


def test_a_negative_history_limit_lists_nothing(store):
    store.save("llm_gemini", {})
    assert store.history("llm_gemini", limit=-1) == [] and store.history("llm_gemini", limit=0) == []


def test_store_from_url_takes_history_limit_for_either_store(stores):
    from cjm_fasthtml_plugins.core.changes import store_from_url
    url = str(stores.tmp_path / "configs") if stores.kind == "json" else stores.dsn
    store = store_from_url(url, history_limit=3, **({} if stores.kind == "json" else {"table": stores.table}))
    stores.made.append(store)
    for n in range(5): store.save("counter", {"n": n})
    assert [e.config["n"] for e in store.history("counter")] == [4, 3, 2]


def test_a_negative_lock_timeout_waits_as_long_as_it_takes(stores):
    holder, patient = stores.make(), stores.make(lock_timeout=-1)  # negative: wait forever, in either store
    done = []
    def update():
        with patient.lock("llm_gemini"): done.append(patient.save("llm_gemini", {"n": 1}))
    with holder.lock("llm_gemini"):
        worker = threading.Thread(target=update)
        worker.start()
        worker.join(0.5)  # time for the worker to find the lock taken (it must wait, not give up)
    worker.join()
    assert done and patient.load("llm_gemini") == {"n": 1}


@pytest.mark.parametrize("config", [{1: "a", "1": "b"}, {"x": {None: 1}}, {"x": [{2.5: 1}]}])
def test_a_key_that_is_not_a_string_is_refused_by_both(store, config):
    "JSON keys are strings: a key of another type would come back changed (or, next to its string twin, lost)."
    with pytest.raises(ValueError, match="Config for plugin 'llm_x' was not saved: it has a key of type .*, not a string"):
        store.save("llm_x", config)
    assert store.exists("llm_x") is False
