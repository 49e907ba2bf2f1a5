"""The registry's adapters against the real cjm-plugin-system 0.0.46 and cjm-transcription-plugin-system 0.0.40.

Those packages need Python >= 3.12 while this project supports 3.10+, so the scenario runs in a Python 3.12 virtual
environment that `tools/plugin_system_env.sh` builds once (fast when it exists). The scenario
(`tests/plugin_system/scenario.py`) writes a tiny transcription plugin, pip-installs it into that environment,
writes its manifest with cjm-plugin-system's own installer code, discovers it, starts a real worker process on
127.0.0.1 through the manager, and stops it.

The dataclass-era releases (cjm-plugin-system 0.0.6-0.0.9, Python >= 3.11) run in this Python:
`tests/plugin_system/dataclass_era.py` pip-installs each release and a tiny entry-point plugin into a directory of
its own and registers the release's own PluginManager. Worker releases before 0.0.46 (0.0.10-0.0.30 keep loaded
plugins in `manager.plugins`, 0.0.31 and later in `manager.instances`) each get a Python 3.12 venv of their own in the
test's tmp_path, in which `tests/plugin_system/worker_era.py` starts a real worker through the release's PluginManager.

Real plugin packages from PyPI (`tests/plugin_system/real_plugins.py`) are installed in a venv of their own too: the
ones that install CPU-only without model downloads (Gemini, NLTK, FFmpeg, SQLite graph, NVIDIA monitor). Whisper,
Voxtral, Demucs, Silero VAD and the Qwen3 aligner need PyTorch and model weights, so they are left out.
"""
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "tests" / "plugin_system" / "scenario.py"


@pytest.fixture(scope="session")
def py312() -> str:
    "Path of the Python 3.12 venv's interpreter, building the venv if needed."
    built = subprocess.run(["bash", str(ROOT / "tools" / "plugin_system_env.sh")], capture_output=True, text=True, timeout=1200)
    assert built.returncode == 0, built.stderr[-4000:]
    return built.stdout.strip().splitlines()[-1]


def run_scenario(python: str, workdir: Path, which: str, timeout: float = 600) -> str:
    "Run one scenario of scenario.py in `workdir` (cjm-plugin-system's data dir inside it); return its output."
    env = {**os.environ, "CJM_DATA_DIR": str(workdir / "cjm"), "PYTHONPATH": str(ROOT)}
    result = subprocess.run([python, str(SCENARIO), str(workdir), which], cwd=workdir, env=env,
                            capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"stdout:\n{result.stdout[-4000:]}\nstderr:\n{result.stderr[-4000:]}"
    assert f"{which} scenario passed" in result.stdout
    return result.stdout


def test_adapter_discovers_runs_and_stops_a_real_worker(py312, tmp_path):
    out = run_scenario(py312, tmp_path, "adapter")
    assert "Wrote manifest to" in out  # written by cjm-plugin-system's installer code
    assert "Worker ready" in out


@pytest.mark.parametrize("version", ["0.0.6", "0.0.7", "0.0.8", "0.0.9"])
def test_a_dataclass_era_release_registers_saves_pushes_and_cleans_up(version, tmp_path):
    script = ROOT / "tests" / "plugin_system" / "dataclass_era.py"
    result = subprocess.run([sys.executable, str(script), str(tmp_path), version], cwd=tmp_path,
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"stdout:\n{result.stdout[-4000:]}\nstderr:\n{result.stderr[-4000:]}"
    assert f"dataclass-era {version} scenario passed" in result.stdout


@pytest.mark.parametrize("version", ["0.0.10", "0.0.20", "0.0.30", "0.0.31", "0.0.40"])
def test_an_early_worker_release_reports_pushes_and_stops_its_worker(py312, version, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([py312, "-m", "venv", str(venv)], check=True, timeout=300)
    python = str(venv / "bin" / "python")
    installed = subprocess.run([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                                f"cjm-plugin-system=={version}", "-e", str(ROOT)], capture_output=True, text=True, timeout=900)
    assert installed.returncode == 0, installed.stderr[-4000:]
    result = subprocess.run([python, str(ROOT / "tests" / "plugin_system" / "worker_era.py"), str(tmp_path)], cwd=tmp_path,
                            env={**os.environ, "CJM_DATA_DIR": str(tmp_path / "cjm"), "PYTHONPATH": str(ROOT)},
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"stdout:\n{result.stdout[-4000:]}\nstderr:\n{result.stderr[-4000:]}"
    assert f"worker-era {version} scenario passed" in result.stdout


REAL_PLUGINS = ["cjm-transcription-plugin-gemini==0.0.39", "cjm-text-plugin-nltk==0.0.21", "cjm-media-plugin-ffmpeg==0.0.24",
                "cjm-graph-plugin-sqlite==0.0.24", "cjm-system-monitor-nvidia==0.0.24"]


def test_real_plugins_from_pypi_register_draw_their_forms_and_run(py312, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([py312, "-m", "venv", str(venv)], check=True, timeout=300)
    python = str(venv / "bin" / "python")
    installed = subprocess.run([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                                "cjm-plugin-system==0.0.46", "cjm-transcription-plugin-system==0.0.40", *REAL_PLUGINS,
                                "-e", str(ROOT)], capture_output=True, text=True, timeout=1200)
    assert installed.returncode == 0, installed.stderr[-4000:]
    result = subprocess.run([python, str(ROOT / "tests" / "plugin_system" / "real_plugins.py"), str(tmp_path)], cwd=tmp_path,
                            env={**os.environ, "CJM_DATA_DIR": str(tmp_path / "cjm"), "PYTHONPATH": str(ROOT)},
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"stdout:\n{result.stdout[-4000:]}\nstderr:\n{result.stderr[-4000:]}"
    assert "real plugins scenario passed" in result.stdout
