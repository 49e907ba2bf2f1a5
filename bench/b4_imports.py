"""Group 4: import cost in fresh processes, and which heavy dependencies an import drags in.

Each variant is a fresh `python -c "import ..."`, median of 10, the variants interleaved round by
round. core / protocols / utils are compared with a bare interpreter (`python -c pass`) and must not
load jsonschema, filelock, psutil, fasthtml (or monsterui) at import; components.* are compared with
importing MonsterUI itself (`import monsterui.all`, which also loads fasthtml.common): within 1.1x.
"""
from __future__ import annotations

import importlib.util
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Dict, List, Tuple

from common import GroupResult, Skip, Table, fmt_ratio, fmt_time

HEAVY = ("jsonschema", "filelock", "psutil", "fasthtml", "monsterui", "starlette", "httpx", "uvicorn")
MUST_NOT_LOAD = ("jsonschema", "filelock", "psutil", "fasthtml", "monsterui")
LIGHT = ["cjm_fasthtml_plugins.core.registry", "cjm_fasthtml_plugins.core.store", "cjm_fasthtml_plugins.core.manager",
         "cjm_fasthtml_plugins.protocols.cloud_aware", "cjm_fasthtml_plugins.protocols.lifecycle",
         "cjm_fasthtml_plugins.utils.helpers"]
COMPONENTS = ["cjm_fasthtml_plugins.components.html_ids", "cjm_fasthtml_plugins.components.selector",
              "cjm_fasthtml_plugins.components.settings", "cjm_fasthtml_plugins.components.routes",
              "cjm_fasthtml_plugins.components.assets"]
COMPONENTS_WITHIN = 1.1


def _exists(module: str) -> bool:
    try: return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError: return False


def _env() -> Dict[str, str]:
    "Environment whose PYTHONPATH finds the same checkout of the package as this process."
    import cjm_fasthtml_plugins
    root = os.path.dirname(os.path.dirname(os.path.abspath(cjm_fasthtml_plugins.__file__)))
    env = dict(os.environ)
    # With PYTHONDONTWRITEBYTECODE set (this sandbox sets it) no child writes a .pyc, so every timed import would
    # also compile the package from source. Unset it for the children; run() also precompiles the package.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPATH"] = os.pathsep.join([root] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    return env


def _run(code: str, env: Dict[str, str], cwd: str) -> Tuple[float, float]:
    "(wall seconds, CPU seconds user + system) of one fresh `python -c code`."
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], env=env, cwd=cwd, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def loaded_heavy(modules: List[str], env: Dict[str, str], cwd: str) -> List[str]:
    "Heavy top-level packages present in sys.modules after importing `modules` in a fresh process."
    code = ("import sys, json\n" + "".join(f"import {m}\n" for m in modules) +
            f"print(json.dumps(sorted({{n.split('.')[0] for n in sys.modules}} & set({list(HEAVY)!r}))))")
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=cwd, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def run(quick: bool = False) -> GroupResult:
    res = GroupResult(4, "Import cost")
    light = [m for m in LIGHT if _exists(m)]
    components = [m for m in COMPONENTS if _exists(m)]
    if not light and not components: raise Skip("no module of the package to import yet")
    reps = 3 if quick else 10
    env = _env()
    cwd = tempfile.mkdtemp(prefix="b4-")
    variants = {"bare interpreter (python -c pass)": "pass"}
    for m in light: variants[m] = f"import {m}"
    if light: variants["all of core/protocols/utils above"] = "".join(f"import {m}\n" for m in light)
    variants["monsterui (import monsterui.all)"] = "import monsterui.all"
    if components: variants["all components.* present"] = "".join(f"import {m}\n" for m in components)
    import cjm_fasthtml_plugins
    package_dir = os.path.dirname(os.path.abspath(cjm_fasthtml_plugins.__file__))
    compiled = subprocess.run([sys.executable, "-m", "compileall", "-q", package_dir], env=env, cwd=cwd,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0
    for code in variants.values(): _run(code, env, cwd)  # warm-up: byte-code caches written, files in page cache
    times: Dict[str, List[float]] = {k: [] for k in variants}
    cpu: Dict[str, List[float]] = {k: [] for k in variants}
    names = list(variants)
    for r in range(reps):
        for name in names[r % len(names):] + names[:r % len(names)]:
            wall, used = _run(variants[name], env, cwd)
            times[name].append(wall); cpu[name].append(used)
    wall_med = {k: statistics.median(v) for k, v in times.items()}
    med = {k: statistics.median(v) for k, v in cpu.items()}  # ratios on CPU time: far less disturbed by other load
    bare = med["bare interpreter (python -c pass)"]
    mui = med["monsterui (import monsterui.all)"]

    t = Table(f"4a. Fresh-process import cost (median of {reps} processes, interleaved) vs a bare interpreter",
              ["import", "wall time", "CPU time (user+sys)", "CPU vs bare", "CPU import cost (minus bare)",
               "heavy modules loaded"])
    heavy_of: Dict[str, List[str]] = {}
    for name, code in variants.items():
        mods = [line.split()[1] for line in code.splitlines() if line.startswith("import ")]
        heavy_of[name] = loaded_heavy(mods, env, cwd) if mods else []
        t.add(name, fmt_time(wall_med[name]), fmt_time(med[name]), fmt_ratio(med[name] / bare), fmt_time(med[name] - bare),
              ", ".join(heavy_of[name]) or "none")
    dwb = os.environ.get("PYTHONDONTWRITEBYTECODE")
    t.notes.append("Byte code: the child processes run without PYTHONDONTWRITEBYTECODE"
                   + (f" (unset for them; it is {dwb!r} in this process)" if dwb else "")
                   + f", the package was precompiled with `python -m compileall` ({'ok' if compiled else 'FAILED'}) and "
                   "one untimed warm-up process per variant writes any other missing .pyc, so no timed import compiles "
                   "source.")
    res.tables.append(t)
    for m in light:
        bad = [h for h in heavy_of[m] if h in MUST_NOT_LOAD]
        res.check(f"import {m} loads no heavy dependency", ", ".join(heavy_of[m]) or "none",
                  "none of " + ", ".join(MUST_NOT_LOAD), not bad)
    if components:
        name = "all components.* present"
        ratio = statistics.median(c / m for c, m in zip(cpu[name], cpu["monsterui (import monsterui.all)"]))  # paired rounds
        ui_missing = [m for m in COMPONENTS[1:4] if m not in components]  # selector, settings, routes
        res.check("components.* vs import monsterui.all", f"{ratio:.2f}x ({', '.join(c.rsplit('.', 1)[1] for c in components)})",
                  f"<= {COMPONENTS_WITHIN}x", None if ui_missing else ratio <= COMPONENTS_WITHIN, quick=quick,
                  note=f"not evaluated: {', '.join(ui_missing)} not on this branch yet" if ui_missing else "")
        t.notes.append("Ratios use the child's CPU time (user + system from getrusage): on this shared machine wall "
                       "time of a ~1 s import swings by 20-30% between processes; the components check is the median "
                       "of per-round ratios (each round runs both imports back to back).")
        t.notes.append(f"components.* measured: {', '.join(components)}; "
                       f"missing so far: {', '.join(sorted(set(COMPONENTS) - set(components))) or 'none'}.")
    if "cjm_fasthtml_plugins.core.registry" in light:
        res.tables.append(importtime_table("cjm_fasthtml_plugins.core.registry", env, cwd))
    if components:
        res.tables.append(on_top_of_monsterui_table(components, env, cwd))
    return res


def _importtime_rows(code: str, env: Dict[str, str], cwd: str) -> List[tuple]:
    "(name, self µs, cumulative µs, indent) for every line of `python -X importtime -c code`."
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", code], env=env, cwd=cwd,
                         capture_output=True, text=True, check=True).stderr
    rows = []
    for line in out.splitlines():
        parts = line.replace("import time:", "", 1).split("|")
        if not line.startswith("import time:") or len(parts) != 3 or not parts[0].strip().isdigit(): continue
        rows.append((parts[2].strip(), int(parts[0]), int(parts[1]), len(parts[2]) - len(parts[2].lstrip())))
    return rows


def on_top_of_monsterui_table(components: List[str], env: Dict[str, str], cwd: str) -> Table:
    "What importing components.* costs once monsterui.all is already imported (python -X importtime, one process)."
    rows = _importtime_rows("import monsterui.all\n" + "".join(f"import {m}\n" for m in components), env, cwd)
    names = [r[0] for r in rows]
    mui = rows[names.index("monsterui.all")] if "monsterui.all" in names else None
    after = rows[names.index("monsterui.all") + 1:] if mui else rows
    top = [r for r in after if r[3] <= 1]
    t = Table("4c. What components.* add on top of an already imported MonsterUI (python -X importtime, one process)",
              ["module (top-level import)", "cumulative", "self"])
    if mui: t.add("monsterui.all (the baseline itself)", fmt_time(mui[2] / 1e6), fmt_time(mui[1] / 1e6))
    for name, self_us, cum_us, _ in sorted(top, key=lambda r: -r[2]):
        t.add(name, fmt_time(cum_us / 1e6), fmt_time(self_us / 1e6))
    extra = sum(r[2] for r in top)
    if mui: t.notes.append(f"components.* add {fmt_time(extra / 1e6)} to MonsterUI's {fmt_time(mui[2] / 1e6)} "
                           f"({extra / mui[2]:.0%}) in this process; -X importtime inflates both.")
    return t


def importtime_table(module: str, env: Dict[str, str], cwd: str, top: int = 8) -> Table:
    "The largest imports under `module` by cumulative time, from `python -X importtime` (one process)."
    rows = _importtime_rows(f"import {module}", env, cwd)
    names = [r[0] for r in rows]
    start = names.index(module) if module in names else len(rows) - 1
    # entries printed before the module line, back to the previous top-level entry, are the module's imports
    sub = []
    for name, self_us, cum_us, indent in reversed(rows[:start]):
        if indent <= 1: break
        sub.append((name, self_us, cum_us, indent))
    t = Table(f"4b. Largest imports pulled in by {module} (python -X importtime, one process)",
              ["module", "cumulative", "self", "depth"])
    t.add(module, fmt_time(rows[start][2] / 1e6), fmt_time(rows[start][1] / 1e6), 0)
    for name, self_us, cum_us, indent in sorted(sub, key=lambda r: -r[2])[:top]:
        t.add(name, fmt_time(cum_us / 1e6), fmt_time(self_us / 1e6), (indent - 1) // 2)
    return t
