"""Run inside the Python 3.12 venv (tools/plugin_system_env.sh) by tests/test_plugin_system_real.py.

    python scenario.py WORKDIR adapter    # discovery, a real worker, its PID, config push, stop (through core.adapters)
    python scenario.py WORKDIR registry   # the same through UnifiedPluginRegistry
    python scenario.py WORKDIR hung       # a worker that hangs, then dies, under UnifiedPluginRegistry

The caller sets CJM_DATA_DIR=WORKDIR/cjm and runs it with cwd=WORKDIR, so cjm-plugin-system's manifests, SQLite stores
and plugin data stay inside WORKDIR. Assertions are plain `assert`s; any failure exits non-zero with a traceback.
"""
import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import psutil

WORK = Path(sys.argv[1])
MANIFESTS = Path(os.environ["CJM_DATA_DIR"]) / "manifests"  # cjm-plugin-system's default search path (cfg.manifests_dir)
PLUGIN = "tiny-asr"

PLUGIN_SOURCE = '''
from dataclasses import asdict, dataclass, field

from cjm_plugin_system.utils.validation import dataclass_to_jsonschema
from cjm_transcription_plugin_system.core import TranscriptionResult
from cjm_transcription_plugin_system.plugin_interface import TranscriptionPlugin


@dataclass
class TinyASRConfig:
    __schema_title__ = "Tiny ASR"
    model: str = field(default="tiny", metadata={"title": "Model", "enum": ["tiny", "base"]})
    beam_size: int = field(default=2, metadata={"title": "Beam size", "minimum": 1, "maximum": 8})


class TinyASRPlugin(TranscriptionPlugin):
    config_class = TinyASRConfig

    def __init__(self): self.config = TinyASRConfig()
    @property
    def name(self): return "tiny-asr"
    @property
    def version(self): return "0.1.0"
    @property
    def supported_formats(self): return ["wav"]
    def initialize(self, config=None): self.config = TinyASRConfig(**{**asdict(self.config), **(config or {})})
    def execute(self, audio, **kwargs): return TranscriptionResult(text=f"{self.config.model}:{audio}")
    def get_config_schema(self): return dataclass_to_jsonschema(TinyASRConfig)
    def get_current_config(self): return asdict(self.config)
'''

META_SOURCE = '''
import sys

def get_plugin_metadata():
    return {"name": "tiny-asr", "version": "0.1.0", "description": "A tiny transcription plugin for tests",
            "interface": "cjm_transcription_plugin_system.plugin_interface.TranscriptionPlugin",
            "module": "tiny_asr_plugin.plugin", "class": "TinyASRPlugin", "python_path": sys.executable}
'''


def install_plugin() -> Path:
    "Write the tiny plugin package and pip-install it into this environment."
    root = WORK / "tiny_asr_plugin"
    (root / "tiny_asr_plugin").mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(textwrap.dedent('''
        [build-system]
        requires = ["setuptools>=61"]
        build-backend = "setuptools.build_meta"

        [project]
        name = "cjm-fasthtml-plugins-tiny-asr"
        version = "0.1.0"
        description = "A tiny transcription plugin for tests"

        [tool.setuptools]
        packages = ["tiny_asr_plugin"]
    '''))
    (root / "tiny_asr_plugin" / "__init__.py").write_text("")
    (root / "tiny_asr_plugin" / "plugin.py").write_text(PLUGIN_SOURCE)
    (root / "tiny_asr_plugin" / "meta.py").write_text(META_SOURCE)
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps",
                    "--no-build-isolation", str(root)], check=True, cwd=WORK)
    return root


def write_manifests(package: Path) -> None:
    """Write the plugin's manifest with cjm-plugin-system's own installer code (`cli._generate_manifest`).

    The installer runs its introspection script with `<conda> run -n <env> python <script>`; a stand-in "conda"
    runs it with this environment's interpreter (where the plugin is installed). Then a second manifest in another
    category (a graph plugin), so the manager spans two categories."""
    import cjm_plugin_system.cli as cli
    conda = WORK / "fake-conda"
    conda.write_text(f'#!/bin/sh\n# called as: fake-conda run -n ENV python SCRIPT\nexec "{sys.executable}" "$5"\n')
    conda.chmod(0o755)
    cli._get_conda_cmd_str = lambda: str(conda)
    MANIFESTS.mkdir(parents=True, exist_ok=True)
    written = cli._generate_manifest("tiny-asr-env", str(package), MANIFESTS)
    assert written == MANIFESTS / f"{PLUGIN}.json", written
    manifest = json.loads(written.read_text())
    assert manifest["code"]["taxonomy"]["domain"] == "transcription", manifest["code"]
    assert manifest["code"]["config_schema"]["properties"]["beam_size"]["maximum"] == 8
    graph = json.loads(written.read_text())
    graph["code"].update(name="tiny-graph", interface="cjm_graph_plugin_system.plugin_interface.GraphPlugin",
                         taxonomy={"domain": "graph", "role": "GraphPlugin",
                                   "interface_fqcn": "cjm_graph_plugin_system.plugin_interface.GraphPlugin"})
    (MANIFESTS / "tiny-graph.json").write_text(json.dumps(graph, indent=2))


def new_manager():
    from cjm_plugin_system.core.manager import PluginManager
    from cjm_transcription_plugin_system.plugin_interface import TranscriptionPlugin
    return PluginManager(plugin_interface=TranscriptionPlugin, search_paths=[MANIFESTS])


def check_worker(pid: int, manager) -> None:
    "The PID is the plugin's worker process, serving on 127.0.0.1."
    worker = psutil.Process(pid)
    assert "cjm_plugin_system.core.worker" in worker.cmdline(), worker.cmdline()
    proxy = manager.get_plugin(PLUGIN)
    assert proxy.base_url.startswith("http://127.0.0.1:"), proxy.base_url
    listening = {(c.laddr.ip, c.laddr.port) for c in worker.net_connections(kind="tcp") if c.status == psutil.CONN_LISTEN}
    assert ("127.0.0.1", proxy.port) in listening, (listening, proxy.port)


def gone(pid: int) -> bool:
    return not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE


def adapter_scenario(managers: list) -> None:
    from cjm_fasthtml_plugins.core.adapters import WorkerManagerAdapter, adapter_for
    manager = new_manager(); managers.append(manager)
    adapter = adapter_for(manager, "transcription")
    assert isinstance(adapter, WorkerManagerAdapter), adapter
    failures = []
    plugins = adapter.discover(lambda failure, cause: failures.append(failure))
    assert failures == [], failures
    assert [p.get_unique_id() for p in plugins] == [f"transcription_{PLUGIN}"], plugins
    plugin = plugins[0]
    assert (plugin.title, plugin.version, plugin.description) == ("Tiny ASR", "0.1.0", "A tiny transcription plugin for tests")
    assert plugin.config_schema["properties"]["model"]["enum"] == ["tiny", "base"]
    # the installer's conda env (its interpreter runs the worker): shown on the plugin's card
    assert (plugin.conda_env_name, plugin.execution_mode.value) == ("tiny-asr-env", "conda_env"), plugin
    assert [p.name for p in adapter_for(manager, "graph").discover(lambda f, c: failures.append(f))] == ["tiny-graph"]
    assert manager.get_plugin_config_schema(PLUGIN) is None  # not loaded: the schema came from the manifest

    assert adapter.push_config(PLUGIN, {"model": "base"}) is True  # not running: nothing to push
    assert manager.load_plugin(manager.get_discovered_meta(PLUGIN), {"model": "base", "beam_size": 3})
    pids = adapter.running_pids(PLUGIN)
    assert len(pids) >= 1, pids
    check_worker(pids[0], manager)
    assert manager.execute_plugin(PLUGIN, "clip.wav")["text"] == "base:clip.wav"  # results cross the wire as dicts

    assert adapter.push_config(PLUGIN, {"model": "tiny", "beam_size": 5}) is True
    assert manager.get_plugin_config(PLUGIN) == {"model": "tiny", "beam_size": 5}
    assert adapter.running_pids(PLUGIN) == pids  # reconfigured in place, same worker

    assert adapter.stop_all() == [PLUGIN]
    assert all(gone(pid) for pid in pids), [(pid, psutil.pid_exists(pid)) for pid in pids]
    assert adapter.running_pids(PLUGIN) == [] and adapter.stop_all() == []

    # An app with two categories, each manager built for its interface (register_plugin_system), while only
    # transcription plugins are installed: the graph manager's manifests then name one category, transcription, and
    # none of them is a graph plugin; the generic manager of a directory of their own lists them under any name
    import shutil
    from cjm_plugin_system.core.capability import ToolCapability
    from cjm_plugin_system.core.manager import PluginManager
    only_asr = WORK / "only-asr"
    only_asr.mkdir()
    shutil.copy(MANIFESTS / f"{PLUGIN}.json", only_asr)
    GraphPlugin = type("GraphPlugin", (ToolCapability,), {"__module__": "cjm_graph_plugin_system.plugin_interface"})
    graph = adapter_for(PluginManager(plugin_interface=GraphPlugin, search_paths=[only_asr]), "graph")
    assert graph.discover(lambda failure, cause: failures.append(failure)) == [] and failures == [], failures
    assert [p.get_unique_id() for p in adapter_for(PluginManager(search_paths=[only_asr]), "asr").discover(print)] == ["asr_tiny-asr"]
    speech = PluginManager(plugin_interface=new_manager().plugin_interface, search_paths=[only_asr])  # implements it
    assert [p.get_unique_id() for p in adapter_for(speech, "speech").discover(print)] == ["speech_tiny-asr"]

    # A manifest the manager cannot read (a write cut short) is skipped by the manager with only a log line; here it
    # is a LoadFailure naming it and why, and the other plugins still register
    (MANIFESTS / "half-written.json").write_text('{"name": "half-written", "version": ')
    try: plugins = adapter.discover(lambda failure, cause: failures.append(failure))
    finally: (MANIFESTS / "half-written.json").unlink()
    assert [p.name for p in plugins] == [PLUGIN], plugins
    assert [(f.category, f.plugin_name, f.error_type) for f in failures] == [("transcription", "half-written", "ValueError")], failures
    assert "half-written.json could not be read (Expecting value" in failures[0].message, failures[0].message


def registry_scenario(managers: list) -> None:
    "The same flow through UnifiedPluginRegistry."
    from cjm_fasthtml_plugins.core.registry import UnifiedPluginRegistry
    from cjm_transcription_plugin_system.plugin_interface import TranscriptionPlugin
    manager = new_manager(); managers.append(manager)
    registry = UnifiedPluginRegistry(config_dir=WORK / "configs")
    plugins = registry.register_plugin_manager("transcription", manager)
    uid = f"transcription_{PLUGIN}"
    assert [p.get_unique_id() for p in plugins] == [uid], plugins
    assert registry.get_load_failures() == [], registry.get_load_failures()

    errors = registry.validate_plugin_config(uid, {"model": "huge", "beam_size": 99})
    assert sorted(e.field for e in errors) == ["beam_size", "model"], errors
    assert registry.save_plugin_config(uid, {"model": "huge"}) is False
    assert registry.save_plugin_config(uid, {"model": "base", "beam_size": 3}) is True
    assert registry.load_plugin_config(uid) == {"model": "base", "beam_size": 3}
    assert registry.get_plugin(uid).is_configured

    effective = registry.get_effective_config(uid)
    assert manager.load_plugin(manager.get_discovered_meta(PLUGIN), effective)
    pids = registry.get_plugin(uid).spawned_pids
    assert len(pids) >= 1, pids
    check_worker(pids[0], manager)

    assert registry.save_plugin_config(uid, {"model": "tiny", "beam_size": 5}) is True  # pushed to the running worker
    assert manager.get_plugin_config(PLUGIN) == {"model": "tiny", "beam_size": 5}
    assert registry.get_config_object(uid) == {"model": "tiny", "beam_size": 5}  # manifests carry no dataclass

    # A stored key the plugin's manifest no longer declares (saved for an older version of it) does not stop the push:
    # the worker takes the keys it declares (the manager drops the others and logs their names)
    assert registry.save_plugin_config(uid, {"model": "base", "beam_size": 4, "vad_filter": True}) is True
    assert registry.takes_effect_on_restart(uid) is False
    assert manager.get_plugin_config(PLUGIN) == {"model": "base", "beam_size": 4}

    stopped = registry.shutdown()
    assert uid in stopped, stopped
    assert all(gone(pid) for pid in pids), pids
    assert registry.get_plugin(uid).spawned_pids == []

    # register_plugin_system builds cjm-plugin-system's own PluginManager (default search paths: CJM_DATA_DIR/manifests)
    other = UnifiedPluginRegistry(config_dir=WORK / "configs")
    found = other.register_plugin_system("transcription", TranscriptionPlugin)
    managers.append(other.get_manager("transcription"))
    assert type(other.get_manager("transcription")).__name__ == "PluginManager"
    assert [p.get_unique_id() for p in found] == [uid], found
    assert other.load_plugin_config(uid) == {"model": "base", "beam_size": 4, "vad_filter": True}


def hung_scenario(managers: list) -> None:
    """A worker that hangs (SIGSTOP): saving its config still returns, the config waiting for the restart; then it
    dies (SIGKILL): it leaves `spawned_pids`, a save still returns, and `shutdown()` completes."""
    from cjm_fasthtml_plugins.core.registry import UnifiedPluginRegistry
    manager = new_manager(); managers.append(manager)
    registry = UnifiedPluginRegistry(config_dir=WORK / "configs-hung", push_timeout=2)
    uid = f"transcription_{PLUGIN}"
    registry.register_plugin_manager("transcription", manager)
    assert manager.load_plugin(manager.get_discovered_meta(PLUGIN), registry.get_effective_config(uid))
    worker = registry.get_plugin(uid).spawned_pids[0]
    os.kill(worker, signal.SIGSTOP)
    try:
        assert registry.save_plugin_config(uid, {"model": "base", "beam_size": 4}) is True  # in the registry's store
        assert registry.takes_effect_on_restart(uid) is True  # the hung worker did not take it
        assert registry.load_plugin_config(uid) == {"model": "base", "beam_size": 4}
    finally: os.kill(worker, signal.SIGCONT)
    os.kill(worker, signal.SIGKILL)
    psutil.Process(worker).wait(timeout=60)
    assert registry.get_plugin(uid).spawned_pids == []
    assert registry.save_plugin_config(uid, {"model": "tiny", "beam_size": 6}) is True
    assert registry.takes_effect_on_restart(uid) is True
    registry.shutdown()
    assert registry.get_plugin(uid).spawned_pids == []


def main() -> None:
    if not (MANIFESTS / f"{PLUGIN}.json").exists(): write_manifests(install_plugin())
    managers = []
    try: {"adapter": adapter_scenario, "registry": registry_scenario, "hung": hung_scenario}[sys.argv[2]](managers)
    finally:  # a failed assertion must not leave a worker behind (its --ppid watch is not prompt)
        for manager in managers: manager.unload_all()
    print(f"{sys.argv[2]} scenario passed")


if __name__ == "__main__": main()
