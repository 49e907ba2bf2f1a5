"""bench/bench.py without a copy of the original 0.0.5 (a fresh clone has none): `--quick`, which tools/test.sh runs,
says so and exits 0; a full run exits 1 naming CJM_REFERENCE. Neither prints a traceback."""
import os, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def bench(tmp_path, *args):
    env = {**os.environ, "CJM_REFERENCE": str(tmp_path / "no-original")}
    return subprocess.run([sys.executable, str(ROOT / "bench" / "bench.py"), *args], env=env, capture_output=True,
                          text=True, timeout=300)


def test_quick_run_without_the_original_says_so_and_passes(tmp_path):
    done = bench(tmp_path, "--quick")
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"No copy of the original cjm-fasthtml-plugins 0.0.5 in {tmp_path / 'no-original'}" in done.stderr
    assert "Traceback" not in done.stderr


def test_full_run_without_the_original_stops_naming_cjm_reference(tmp_path):
    done = bench(tmp_path)
    assert done.returncode == 1
    assert "CJM_REFERENCE" in done.stderr and "Traceback" not in done.stderr
