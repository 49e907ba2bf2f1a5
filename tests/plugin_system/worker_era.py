"""Run by tests/test_plugin_system_real.py inside a Python 3.12 venv holding one worker release of cjm-plugin-system
before 0.0.46 (a flat JSON manifest, which every worker release reads; 0.0.10-0.0.30 keep loaded plugins in
`manager.plugins`, 0.0.31 and later in `manager.instances`). Releases before 0.0.20 carry no `config_schema` in their
PluginMeta, so there the plugin registers without settings.

    python worker_era.py WORKDIR

It writes a tiny plugin module and its manifest into WORKDIR, and registers the release's own `PluginManager` with
`UnifiedPluginRegistry`: discovery, save, a real worker's PID in `spawned_pids`, a saved config pushed to the running
worker, `shutdown()` stopping it. Assertions are plain `assert`s; any failure exits non-zero with a traceback.
"""
import json
import os
import sys
from importlib import metadata
from pathlib import Path

import psutil

WORK = Path(sys.argv[1])
VERSION = metadata.version("cjm-plugin-system")

PLUGIN_SOURCE = '''
from cjm_plugin_system.core.interface import PluginInterface

SCHEMA = {"type": "object", "title": "Tiny worker", "properties": {
    "model": {"type": "string", "enum": ["tiny", "base"], "default": "tiny"},
    "beam_size": {"type": "integer", "minimum": 1, "maximum": 8, "default": 2}}}


class TinyWorkerPlugin(PluginInterface):
    def __init__(self): self.config = {"model": "tiny", "beam_size": 2}
    @property
    def name(self): return "tiny-worker"
    @property
    def version(self): return "0.1.0"
    def initialize(self, config=None): self.config = {**self.config, **(config or {})}
    def execute(self, *args, **kwargs): return {"text": f"{self.config['model']}:{args}"}
    def is_available(self): return True
    def get_config_schema(self): return SCHEMA
    def get_current_config(self): return dict(self.config)
    @staticmethod
    def get_config_dataclass(): return None
    def cleanup(self): pass
'''


def write_plugin() -> Path:
    "The plugin module (importable by the worker through PYTHONPATH) and its flat manifest; returns the manifests dir."
    (WORK / "tiny_worker_plugin.py").write_text(PLUGIN_SOURCE)
    manifests = WORK / "manifests"
    manifests.mkdir(exist_ok=True)
    sys.path.insert(0, str(WORK))
    from tiny_worker_plugin import SCHEMA
    (manifests / "tiny-worker.json").write_text(json.dumps({
        "name": "tiny-worker", "version": "0.1.0", "description": "A tiny worker plugin for tests",
        "category": "transcription", "interface": "cjm_plugin_system.core.interface.PluginInterface",
        "module": "tiny_worker_plugin", "class": "TinyWorkerPlugin", "python_path": sys.executable,
        "config_schema": SCHEMA}, indent=2))
    return manifests


def gone(pid: int) -> bool:
    return not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE


def scenario(manager) -> None:
    from cjm_fasthtml_plugins.core.registry import UnifiedPluginRegistry
    registry = UnifiedPluginRegistry(config_dir=WORK / "configs")
    uid = "transcription_tiny-worker"
    plugins = registry.register_plugin_manager("transcription", manager)
    assert [p.get_unique_id() for p in plugins] == [uid], (plugins, registry.get_load_failures())
    assert registry.get_load_failures() == [], registry.get_load_failures()
    assert registry.save_plugin_config(uid, {"model": "base"}) is True

    meta = next(m for m in manager.discovered if m.name == "tiny-worker")
    assert manager.load_plugin(meta, registry.get_effective_config(uid))
    pids = registry.get_plugin(uid).spawned_pids
    assert len(pids) >= 1, pids
    assert "cjm_plugin_system.core.worker" in psutil.Process(pids[0]).cmdline(), psutil.Process(pids[0]).cmdline()

    assert registry.save_plugin_config(uid, {"model": "tiny", "beam_size": 5}) is True  # pushed to the running worker
    assert manager.get_plugin("tiny-worker").get_current_config() == {"model": "tiny", "beam_size": 5}
    assert registry.takes_effect_on_restart(uid) is False

    assert uid in registry.shutdown()
    assert all(gone(pid) for pid in pids), pids
    assert registry.get_plugin(uid).spawned_pids == []


def main() -> None:
    os.environ["PYTHONPATH"] = os.pathsep.join([str(WORK), os.environ.get("PYTHONPATH", "")])  # for the worker
    from cjm_plugin_system.core.manager import PluginManager
    manager = PluginManager(search_paths=[write_plugin()])
    try: scenario(manager)
    finally: manager.unload_all()  # a failed assertion must not leave a worker behind
    print(f"worker-era {VERSION} scenario passed")


if __name__ == "__main__": main()
