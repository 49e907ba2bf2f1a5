"""Several processes (like uvicorn workers) writing the same config directory at once."""
import os
import random

import pytest

from cjm_fasthtml_plugins.core.errors import ConfigConflictError
from cjm_fasthtml_plugins.core.registry import UnifiedPluginRegistry
from cjm_fasthtml_plugins.core.store import JsonDirectoryStore


def run_in_children(count: int, body) -> None:
    "Fork `count` children running body(index); fail if any child fails."
    pids = []
    for index in range(count):
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                body(index)
                code = 0
            finally:
                os._exit(code)
        pids.append(pid)
    statuses = [os.waitpid(pid, 0)[1] for pid in pids]
    assert all(os.WIFEXITED(s) and os.WEXITSTATUS(s) == 0 for s in statuses), statuses


@pytest.mark.slow
def test_update_plugin_config_loses_no_increment(tmp_path):
    config_dir = tmp_path / "configs"
    UnifiedPluginRegistry(config_dir).save_plugin_config("app_counter", {"count": 0})

    def increment(_):
        registry = UnifiedPluginRegistry(config_dir)
        for _ in range(200):
            registry.update_plugin_config("app_counter", lambda c: {**c, "count": c["count"] + 1})

    run_in_children(8, increment)
    assert UnifiedPluginRegistry(config_dir).load_plugin_config("app_counter") == {"count": 1600}


@pytest.mark.slow
def test_optimistic_writes_with_expected_revision_lose_nothing(tmp_path):
    config_dir = tmp_path / "configs"
    registry = UnifiedPluginRegistry(config_dir)
    registry.write_plugin_config("app_counter", {"count": 0}, expected_revision="")

    def increment(_):
        registry = UnifiedPluginRegistry(config_dir)
        done = 0
        while done < 50:
            revision = registry.get_config_revision("app_counter")
            config = registry.load_plugin_config("app_counter")
            try:
                registry.write_plugin_config("app_counter", {"count": config["count"] + 1}, expected_revision=revision)
                done += 1
            except ConfigConflictError:
                pass  # someone else won this round: reload and retry

    run_in_children(4, increment)
    assert registry.load_plugin_config("app_counter") == {"count": 200}


def config_for(uid: str, writer: int, round_: int) -> dict:
    return {"uid": uid, "writer": writer, "round": round_, "blob": [writer, round_] * 500}


@pytest.mark.slow
def test_concurrent_saves_to_many_plugins_leave_every_file_valid(tmp_path):
    config_dir = tmp_path / "configs"
    uids = [f"bulk_plugin{i}" for i in range(40)]
    JsonDirectoryStore(config_dir)

    def save_all(writer):
        registry = UnifiedPluginRegistry(config_dir)
        order = list(uids)
        for round_ in range(4):
            random.Random(writer * 10 + round_).shuffle(order)
            for uid in order:
                assert registry.save_plugin_config(uid, config_for(uid, writer, round_))

    run_in_children(4, save_all)
    store = JsonDirectoryStore(config_dir)
    assert store.list_ids() == sorted(uids)
    for uid in uids:
        config = store.load(uid)
        assert config == config_for(uid, config["writer"], config["round"])
    assert not [p for p in config_dir.iterdir() if p.name.endswith(".tmp")]


def test_threads_share_the_lock_safely(tmp_path):
    import threading
    registry = UnifiedPluginRegistry(tmp_path / "configs")

    def work():
        for _ in range(50):
            registry.update_plugin_config("app_counter", lambda c: {"count": c.get("count", 0) + 1})

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads: t.start()
    for t in threads: t.join()
    assert registry.load_plugin_config("app_counter") == {"count": 200}
