"""Shared helpers for the benchmark scripts: interleaved timing, result tables, target checks, fakes.

Benchmarks are plain scripts, not package code. Every figure that matters is a ratio against a
baseline measured in the same run, with the two sides interleaved round by round so that noise
from other processes hits both alike.
"""
from __future__ import annotations

import gc
import importlib
import os
import statistics
import time
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence

PACKAGE = "cjm_fasthtml_plugins"


# -- skipping groups whose modules have not landed yet ----------------------------------------------------------
class Skip(Exception):
    "Raised by a benchmark group that cannot run here (a module it needs is not on this branch yet)."


def require(module: str, *names: str) -> Any:
    """Import `module` (and check it defines `names`); raise `Skip` naming what is missing.

    Only a missing module of this package (or a missing name in one) becomes a skip; any other
    import error is a real crash and propagates.
    """
    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as e:
        if e.name and (e.name == module or module.startswith(e.name + ".") or e.name.startswith(PACKAGE)):
            raise Skip(f"module {module} not available yet ({e})") from None
        raise
    missing = [n for n in names if not hasattr(mod, n)]
    if missing:
        raise Skip(f"module {module} not available yet (it lacks {', '.join(missing)})")
    return mod


# -- timing -----------------------------------------------------------------------------------------------------
def time_call(fn: Callable[[], Any], inner: int, clock: Callable[[], float] = time.perf_counter) -> float:
    "Seconds per call of `fn` on `clock`, averaged over `inner` back-to-back calls."
    t0 = clock()
    for _ in range(inner): fn()
    return (clock() - t0) / inner


def calibrate(fn: Callable[[], Any], target_s: float = 0.02, cap: int = 100_000) -> int:
    "How many back-to-back calls of `fn` take about `target_s` (at least 1)."
    fn()
    n = 1
    while n < cap:
        t = time_call(fn, n) * n
        if t >= target_s: break
        n = min(cap, n * 2 if t < target_s / 8 else max(n + 1, int(n * target_s / max(t, 1e-9))))
    return n


@dataclass
class Sample:
    "Per-round timings (seconds per call) of several named variants run alternately."
    rounds: Dict[str, List[float]] = field(default_factory=dict)

    def median(self, name: str) -> float: return statistics.median(self.rounds[name])

    def ratio(self, name: str, baseline: str) -> float:
        "Median of the per-round ratios name/baseline (pairs measured next to each other)."
        return statistics.median(a / b for a, b in zip(self.rounds[name], self.rounds[baseline]))

    def spread(self, name: str, baseline: str) -> float:
        "Relative spread of the per-round ratios: (max - min) of the middle half over the median."
        rs = sorted(a / b for a, b in zip(self.rounds[name], self.rounds[baseline]))
        if len(rs) < 4: return (rs[-1] - rs[0]) / statistics.median(rs)
        q = len(rs) // 4
        return (rs[-1 - q] - rs[q]) / statistics.median(rs)


def interleave(variants: Dict[str, Callable[[], Any]], rounds: int, inner: Optional[Dict[str, int]] = None,
               setup: Optional[Callable[[str], Any]] = None, collect: bool = True,
               stable: Optional[Sequence[Any]] = None, max_rounds: int = 0, tolerance: float = 0.10,
               clock: Callable[[], float] = time.perf_counter) -> Sample:
    """Time every variant once per round, rotating the order each round, and keep every round.

    `inner[name]` calls are made back to back per measurement (calibrated when not given).
    `setup(name)` runs untimed before each measurement.
    `stable=(name, baseline)`: after `rounds`, keep adding rounds (up to `max_rounds`) until half the
    interquartile spread of the per-round ratios name/baseline is within `tolerance` of their median.
    `clock=time.process_time` measures CPU time of this process (user + system, syscalls included),
    which other processes on a busy machine disturb far less than wall time; use it for CPU-bound code.
    """
    names = list(variants)
    inner = dict(inner or {})
    for name in names:
        if name not in inner: inner[name] = calibrate(variants[name])
    sample = Sample({n: [] for n in names})
    r = 0
    while r < rounds or (stable and r < max_rounds and sample.spread(*stable) / 2 > tolerance):
        order = names[r % len(names):] + names[:r % len(names)]
        for name in order:
            if setup: setup(name)
            if collect: gc.collect()
            sample.rounds[name].append(time_call(variants[name], inner[name], clock))
        r += 1
    return sample


def stable_note(sample: Sample, name: str, baseline: str, tolerance: float = 0.10) -> str:
    "A warning when the ratio name/baseline did not settle within `tolerance`."
    half = sample.spread(name, baseline) / 2
    return "" if half <= tolerance else f"unstable ratio (±{half:.0%} over {len(sample.rounds[name])} rounds): noisy machine"


CPU = time.process_time  # clock for CPU-bound benchmarks (groups 1, 2)


# -- formatting -------------------------------------------------------------------------------------------------
def fmt_time(seconds: float) -> str:
    "Seconds as a short human figure (ns, µs, ms, s)."
    if seconds != seconds: return "n/a"
    a = abs(seconds)
    if a < 1e-6: return f"{seconds * 1e9:.0f} ns"
    if a < 1e-3: return f"{seconds * 1e6:.2f} µs"
    if a < 1: return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def fmt_bytes(n: float) -> str:
    if abs(n) < 10_000: return f"{n:,.0f} B"
    if abs(n) < 10_000_000: return f"{n / 1024:,.1f} KiB"
    return f"{n / 1024 / 1024:,.1f} MiB"


def fmt_ratio(r: float, spread: Optional[float] = None) -> str:
    s = f"{r:.2f}x"
    if spread is not None: s += f" (±{spread * 50:.0f}%)"
    return s


@dataclass
class Check:
    "One target: what was measured against what was asked."
    name: str
    measured: str
    target: str
    met: Optional[bool]  # None: not evaluated (quick mode, or no data)
    note: str = ""

    @property
    def verdict(self) -> str:
        return "n/a" if self.met is None else ("met" if self.met else "MISSED")


@dataclass
class Table:
    "A result table printed as GitHub markdown."
    title: str
    columns: Sequence[str]
    rows: List[Sequence[Any]] = field(default_factory=list)
    notes: List[str] = field(default_factory=list)

    def add(self, *row: Any) -> None: self.rows.append(row)

    def markdown(self) -> str:
        lines = [f"#### {self.title}", "", "| " + " | ".join(self.columns) + " |",
                 "|" + "|".join("---" for _ in self.columns) + "|"]
        lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in self.rows]
        if self.notes: lines += [""] + [f"- {n}" for n in self.notes]
        return "\n".join(lines)


@dataclass
class GroupResult:
    "What one benchmark group produced."
    number: int
    name: str
    tables: List[Table] = field(default_factory=list)
    checks: List[Check] = field(default_factory=list)
    skipped: Optional[str] = None
    error: Optional[str] = None
    seconds: float = 0.0

    def check(self, name: str, measured: str, target: str, met: Optional[bool], note: str = "",
              quick: bool = False) -> Check:
        c = Check(name, measured, target, None if quick else met, "" if quick else note)
        self.checks.append(c)
        return c


def checks_table(checks: Iterable[Check]) -> Table:
    t = Table("Targets", ["target", "measured", "asked", "verdict", "why / note"])
    for c in checks:
        verdict = f"**{c.verdict}**" if c.met is False else c.verdict
        t.add(c.name, c.measured, c.target, verdict, c.note)
    return t


# -- fakes ------------------------------------------------------------------------------------------------------
SMALL_SCHEMA: Dict[str, Any] = {
    "type": "object", "title": "Fake plugin", "description": "A plugin made up by the benchmarks.",
    "properties": {
        "model": {"type": "string", "enum": ["tiny", "base", "large"], "default": "base"},
        "device": {"type": "string", "default": "cpu"},
        "batch_size": {"type": "integer", "minimum": 1, "maximum": 64, "default": 8},
        "supports_streaming": {"type": "boolean", "default": False},
        "api_key": {"type": "string", "format": "password"},
    },
}


class FakeManager:
    """A plugin manager with `n` made-up plugins.

    `discover_plugins()` returns objects with `.name` and `.version` (built once, up front);
    `get_plugin_config_schema(name)` returns one shared schema dict unless `fresh_schemas`.
    """
    def __init__(self, n: int, prefix: str = "p", schema: Optional[Dict[str, Any]] = None,
                 fresh_schemas: bool = False, modes: Sequence[Any] = ()):
        self.schema = SMALL_SCHEMA if schema is None else schema
        self.fresh_schemas = fresh_schemas
        self.infos = [SimpleNamespace(name=f"{prefix}{i:05d}", version="1.0.0") for i in range(n)]
        for i, info in enumerate(self.infos):
            if modes: info.execution_mode = modes[i % len(modes)]
        self.schema_calls = 0

    def discover_plugins(self) -> List[Any]: return self.infos

    def get_plugin_config_schema(self, name: str) -> Dict[str, Any]:
        self.schema_calls += 1
        if self.fresh_schemas:
            import copy
            return copy.deepcopy(self.schema)
        return self.schema


def fake_managers(n_plugins: int, per_category: int = 100, **kw: Any) -> Dict[str, FakeManager]:
    "N/100 categories (at least one) of `per_category` plugins each: category name -> manager."
    n_cats = max(1, n_plugins // per_category)
    return {f"cat{c:04d}": FakeManager(min(per_category, n_plugins - c * per_category), **kw) for c in range(n_cats)}


# -- file systems -----------------------------------------------------------------------------------------------
def filesystem_of(path: str) -> tuple:
    "(mount point, fs type, device) of the mount holding `path`, from /proc/mounts."
    path = os.path.realpath(path)
    best = ("/", "unknown", "unknown")
    try:
        with open("/proc/mounts") as f:
            for line in f:
                dev, mnt, fstype = line.split()[:3]
                mnt = mnt.replace("\\040", " ")
                if (path == mnt or path.startswith(mnt.rstrip("/") + "/")) and len(mnt) >= len(best[0]):
                    best = (mnt, fstype, dev)
    except OSError:
        pass
    return best


def bench_tmp_root() -> str:
    "A scratch directory on the real disk (under the repo's bench/.tmp), never tmpfs."
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), ".tmp")
    os.makedirs(root, exist_ok=True)
    if filesystem_of(root)[1] in ("tmpfs", "ramfs"):
        root = "/var/tmp/cjm_fasthtml_plugins_bench"
        os.makedirs(root, exist_ok=True)
    return root
