"""get_all_managed_pids against real process trees; every process started here is killed and reaped."""
import subprocess
import sys
from typing import Callable, Iterator, List

import psutil
import pytest

from cjm_fasthtml_plugins.core.execution_mode import PluginExecutionMode
from cjm_fasthtml_plugins.protocols.lifecycle import get_all_managed_pids, is_lifecycle_aware

# Each level prints its PID, starts the next level and waits for it (so it reaps it); the last level sleeps.
CHAIN = r"""
import os, subprocess, sys, time
depth, code = int(sys.argv[1]), sys.argv[2]
print(os.getpid(), flush=True)
if depth > 1: subprocess.Popen([sys.executable, "-c", code, str(depth - 1), code]).wait()
else: time.sleep(300)
"""


class ChainPlugin:
    "A lifecycle-aware plugin that knows only the first process of a chain it started."
    def __init__(self, top: subprocess.Popen): self.top = top
    def get_execution_mode(self) -> PluginExecutionMode: return PluginExecutionMode.SUBPROCESS
    def get_child_pids(self) -> List[int]: return [self.top.pid] if self.top.poll() is None else []
    def get_managed_resources(self) -> dict: return {"pids": self.get_child_pids()}
    def force_cleanup(self) -> None: kill_chain(self.top, get_all_managed_pids(self))


def kill_chain(top: subprocess.Popen, pids: List[int]) -> None:
    "Kill a chain deepest first, waiting for each parent to reap its child, then reap the top ourselves."
    for pid in reversed(pids):
        if pid == top.pid: continue
        try: proc = psutil.Process(pid)
        except psutil.NoSuchProcess: continue
        proc.kill()
        psutil.wait_procs([proc], timeout=10)
    if top.poll() is None: top.kill()
    top.wait(timeout=10)
    if top.stdout: top.stdout.close()


@pytest.fixture
def start_chain() -> Iterator[Callable[[int], tuple]]:
    "Start chains of `depth` processes; whatever the test did, kill and reap them all afterwards."
    started = []
    def start(depth: int) -> tuple:
        top = subprocess.Popen([sys.executable, "-c", CHAIN, str(depth), CHAIN], stdout=subprocess.PIPE, text=True)
        pids: List[int] = []
        started.append((top, pids))
        pids.extend(int(top.stdout.readline()) for _ in range(depth))  # all levels are up once they printed
        return top, pids
    yield start
    for top, pids in started: kill_chain(top, pids)
    leftovers = [pid for _, pids in started for pid in pids if psutil.pid_exists(pid)]
    assert not leftovers, f"processes left behind: {leftovers}"


def test_child_and_grandchild_are_both_returned(start_chain):
    top, (child, grandchild) = start_chain(2)
    plugin = ChainPlugin(top)
    assert is_lifecycle_aware(plugin)
    assert get_all_managed_pids(plugin) == [child, grandchild]


def test_deep_tree_lists_parents_before_children(start_chain):
    top, pids = start_chain(4)
    assert get_all_managed_pids(ChainPlugin(top)) == pids


def test_force_cleanup_leaves_no_process_behind(start_chain):
    top, pids = start_chain(3)
    plugin = ChainPlugin(top)
    plugin.force_cleanup()
    assert [psutil.pid_exists(pid) for pid in pids] == [False, False, False]
    assert get_all_managed_pids(plugin) == []


def test_a_descendant_that_exited_is_skipped(start_chain):
    top, (child, grandchild) = start_chain(2)
    leaf = psutil.Process(grandchild)
    leaf.kill()
    psutil.wait_procs([leaf], timeout=10)  # the child reaps it: it is gone, not a zombie
    assert get_all_managed_pids(ChainPlugin(top)) == [child]


def test_two_plugins_sharing_a_tree_are_deduplicated(start_chain):
    top, (child, grandchild) = start_chain(2)

    class Listed(ChainPlugin):
        def get_child_pids(self) -> List[int]: return [child, grandchild, child]

    assert get_all_managed_pids(Listed(top)) == [child, grandchild]


def test_importing_lifecycle_does_not_import_psutil():
    code = ("import sys, cjm_fasthtml_plugins.protocols.lifecycle, cjm_fasthtml_plugins.protocols.cloud_aware, "
            "cjm_fasthtml_plugins.utils.helpers; assert 'psutil' not in sys.modules")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
