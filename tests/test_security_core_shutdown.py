"""Issue 13, item 4: at shutdown every plugin's cleanup is attempted, each within `cleanup_timeout`; SystemExit and
other BaseExceptions are contained, and a cleanup that hangs does not delay the exit."""
import subprocess
import sys
import threading

import pytest

from cjm_fasthtml_plugins.core.registry import UnifiedPluginRegistry


class Instance:
    def __init__(self, name, cleanup=None): self.name, self.cleanup, self.cleaned = name, cleanup, False
    def force_cleanup(self):
        if self.cleanup: self.cleanup()
        self.cleaned = True


class Manager:
    def __init__(self, *instances): self.instances = list(instances)
    def discover_plugins(self): return [type("Info", (), {"name": i.name, "version": "1"})() for i in self.instances]
    def get_plugin_config_schema(self, name): return {"type": "object"}
    def get_plugin_instances(self): return self.instances


class PluginBaseException(BaseException): pass


def raise_(error):
    def cleanup(): raise error
    return cleanup


def test_exit_and_base_exceptions_do_not_stop_the_other_cleanups(tmp_path):
    registry = UnifiedPluginRegistry(tmp_path)
    exits, odd, after = Instance("exits", lambda: sys.exit(1)), Instance("odd", raise_(PluginBaseException())), Instance("after")
    registry.register_plugin_manager("app", Manager(exits, odd))
    registry.register_plugin_manager("zzz", Manager(after))
    assert registry.shutdown() == ["zzz_after"]
    assert after.cleaned


def test_a_keyboard_interrupt_goes_on_after_the_others_are_cleaned(tmp_path):
    registry = UnifiedPluginRegistry(tmp_path)
    after = Instance("after")
    registry.register_plugin_manager("app", Manager(Instance("interrupts", raise_(KeyboardInterrupt())), after))
    with pytest.raises(KeyboardInterrupt): registry.shutdown()
    assert after.cleaned


def test_a_hanging_cleanup_is_given_up_after_the_limit(tmp_path):
    release = threading.Event()
    registry = UnifiedPluginRegistry(tmp_path, cleanup_timeout=0.2)
    after = Instance("after")
    registry.register_plugin_manager("app", Manager(Instance("hangs", lambda: release.wait(60)), after))
    try: assert registry.shutdown() == ["app_after"]
    finally: release.set()


class Worker:
    def __init__(self, name): self.plugin_name = name


class WorkerManager:
    "cjm-plugin-system's shape: manifests, instances in worker processes, unload_all()."
    def __init__(self): self.instances, self.release = {"w": Worker("w")}, threading.Event()
    def discover_manifests(self): return []
    def unload_all(self): self.release.wait(60)


def test_a_hanging_worker_stop_is_given_up_after_the_limit(tmp_path):
    registry = UnifiedPluginRegistry(tmp_path, cleanup_timeout=0.2)
    workers, after = WorkerManager(), Instance("after")
    registry.register_plugin_manager("workers", workers)
    registry.register_plugin_manager("zzz", Manager(after))
    try: assert registry.shutdown() == ["zzz_after"]
    finally: workers.release.set()
    assert after.cleaned


def test_a_cleanup_sleeping_30_seconds_does_not_delay_the_exit(child_env, tmp_path):
    code = ("import time\nfrom cjm_fasthtml_plugins.core.registry import UnifiedPluginRegistry\n"
            "class I:\n    name = 'sleepy'\n    def force_cleanup(self): time.sleep(30)\n"
            "class M:\n    def discover_plugins(self): return [I()]\n"
            "    def get_plugin_config_schema(self, name): return {'type': 'object'}\n"
            "    def get_plugin_instances(self): return [I()]\n"
            f"r = UnifiedPluginRegistry({str(tmp_path)!r}, cleanup_timeout=0.5)\n"
            "r.register_plugin_manager('app', M())\nprint(r.shutdown())\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=child_env, timeout=20)
    assert result.returncode == 0 and result.stdout.strip() == "[]", result.stderr
