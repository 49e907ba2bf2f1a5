"""Run the performance benchmarks of issue 5 and print one table per group, with targets MET/MISSED.

    python bench/run.py                 # everything, full sizes (several minutes)
    python bench/run.py --quick         # small N, few rounds: for CI, so the benchmarks never rot
    python bench/run.py --only 1,3      # some groups
    python bench/run.py --readme        # also write the tables into bench/README.md

No timing assertions: a missed target is reported, not failed. The exit status is non-zero only
when a benchmark crashes (a group whose modules are not on this branch yet is skipped, not failed).
"""
from __future__ import annotations

import argparse
import datetime
import os
import platform
import subprocess
import sys
import time
import traceback
from typing import List

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
REPO = os.path.dirname(HERE)
if REPO not in sys.path: sys.path.append(REPO)  # the package of this checkout when PYTHONPATH does not name one

from common import GroupResult, Skip, checks_table, filesystem_of  # noqa: E402

GROUPS = {
    1: ("b1_registry", "Registry scaling"),
    2: ("b2_render", "Rendering"),
    3: ("b3_config_io", "Config save / load"),
    4: ("b4_imports", "Import cost"),
    5: ("b5_http", "HTTP"),
    6: ("b6_memory", "Memory"),
}
README = os.path.join(HERE, "README.md")
BEGIN, END = "<!-- BEGIN RESULTS (written by bench/run.py --readme) -->", "<!-- END RESULTS -->"


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    mem = ""
    try:
        with open("/proc/meminfo") as f:
            kb = int(next(l for l in f if l.startswith("MemTotal")).split()[1])
        mem = f", {kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, StopIteration, ValueError):
        pass
    try: load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError: load = "?"
    mnt, fstype, dev = filesystem_of(HERE)
    return (f"{cpu}, {os.cpu_count()} cores{mem}; {platform.system()} {platform.release()}; "
            f"Python {platform.python_version()}; bench dir on {fstype} ({dev} at {mnt}); load average {load}")


def git_head() -> str:
    try:
        return subprocess.run(["git", "-C", REPO, "log", "-1", "--format=%h %s"], capture_output=True, text=True,
                              timeout=10).stdout.strip()
    except Exception:
        return "?"


def run_group(number: int, quick: bool) -> GroupResult:
    module_name, title = GROUPS[number]
    t0 = time.perf_counter()
    try:
        module = __import__(module_name)
        res = module.run(quick=quick)
    except Skip as e:
        res = GroupResult(number, title, skipped=str(e))
    except Exception:
        res = GroupResult(number, title, error=traceback.format_exc())
    res.seconds = time.perf_counter() - t0
    return res


def render(results: List[GroupResult], quick: bool, command: str) -> str:
    out = [f"Date: {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}  ",
           f"Machine: {machine()}  ",
           f"Commit: {git_head()}  ",
           f"Command: `{command}`" + ("  (quick mode: small N, targets not evaluated)" if quick else ""), ""]
    all_checks = []
    for r in results:
        out.append(f"### {r.number}. {r.name}  ({r.seconds:.0f} s)")
        out.append("")
        if r.skipped:
            out += [f"SKIPPED: {r.skipped}", ""]
            continue
        if r.error:
            out += ["CRASHED:", "", "```", r.error.rstrip(), "```", ""]
            continue
        for t in r.tables: out += [t.markdown(), ""]
        if r.checks:
            out += [checks_table(r.checks).markdown(), ""]
        all_checks += [(r.number, c) for c in r.checks]
    missed = [(n, c) for n, c in all_checks if c.met is False]
    met = [c for _, c in all_checks if c.met]
    out.append("### Summary")
    out.append("")
    out.append(f"{len(met)} targets met, {len(missed)} MISSED, "
               f"{sum(1 for _, c in all_checks if c.met is None)} not evaluated; "
               f"{sum(1 for r in results if r.skipped)} groups skipped, {sum(1 for r in results if r.error)} crashed.")
    for n, c in missed: out.append(f"- MISSED (group {n}): {c.name}: {c.measured} (asked {c.target}). {c.note}")
    return "\n".join(out) + "\n"


def write_readme(report: str) -> None:
    text = open(README).read() if os.path.exists(README) else f"# Benchmarks\n\n{BEGIN}\n{END}\n"
    if BEGIN not in text: text += f"\n{BEGIN}\n{END}\n"
    head, rest = text.split(BEGIN, 1)
    tail = rest.split(END, 1)[1] if END in rest else ""
    with open(README, "w") as f: f.write(f"{head}{BEGIN}\n{report}{END}{tail}")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="small N and few rounds (CI); targets are not evaluated")
    p.add_argument("--only", default="", help="comma-separated group numbers, e.g. 1,3 (default: all)")
    p.add_argument("--readme", action="store_true", help="write the report into bench/README.md")
    args = p.parse_args(argv)
    numbers = [int(x) for x in args.only.split(",") if x.strip()] or list(GROUPS)
    command = "python bench/run.py" + (" --quick" if args.quick else "") + (f" --only {args.only}" if args.only else "")
    results = []
    for n in numbers:
        print(f"==> group {n}: {GROUPS[n][1]} ...", file=sys.stderr, flush=True)
        r = run_group(n, args.quick)
        status = "skipped" if r.skipped else ("CRASHED" if r.error else "done")
        print(f"    {status} in {r.seconds:.1f} s" + (f": {r.skipped}" if r.skipped else ""), file=sys.stderr, flush=True)
        if r.error: print(r.error, file=sys.stderr, flush=True)
        results.append(r)
    report = render(results, args.quick, command)
    print(report)
    if args.readme: write_readme(report)
    crashed = [r for r in results if r.error]
    if crashed:
        print(f"{len(crashed)} benchmark group(s) crashed: {', '.join(str(r.number) for r in crashed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
