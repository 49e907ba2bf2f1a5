"""Group 1: registry scaling at N = 100, 1,000 and 10,000 plugins over N/100 categories.

Registering must be linear (flat cost per plugin); lookups must cost the same at every N (indexes
kept up to date, never rebuilt per call); get_plugin_stats and the helpers make one pass.
Baseline of every row: the same operation at the smallest N, measured in the same rounds.
"""
from __future__ import annotations

import json
import os
import random
import shutil
import tempfile
from typing import Any, Dict, List

from common import (CPU, FakeManager, GroupResult, Table, bench_tmp_root, fake_managers, fmt_ratio, fmt_time,
                    interleave, require, stable_note)

FLAT = 1.25  # "costs the same": per-call (or per-plugin) cost at the largest N within 25% of the smallest N


def _seed_configs(config_dir: str, managers: Dict[str, FakeManager], every: int = 10) -> None:
    "Give one plugin in `every` a saved config (plain file writes: this is set-up, not measured)."
    os.makedirs(config_dir, exist_ok=True)
    for cat, m in managers.items():
        for info in m.infos[::every]:
            with open(os.path.join(config_dir, f"{cat}_{info.name}.json"), "w") as f:
                json.dump({"model": "base", "device": "cpu"}, f, indent=2)


def _build(registry_cls: Any, config_dir: str, managers: Dict[str, FakeManager]) -> Any:
    reg = registry_cls(config_dir)
    for cat, m in managers.items(): reg.register_plugin_manager(cat, m)
    return reg


def run(quick: bool = False) -> GroupResult:
    res = GroupResult(1, "Registry scaling")
    registry_mod = require("cjm_fasthtml_plugins.core.registry", "UnifiedPluginRegistry")
    helpers = require("cjm_fasthtml_plugins.utils.helpers", "get_plugin_stats")
    metadata = require("cjm_fasthtml_plugins.core.metadata", "PluginMetadata")
    Registry = registry_mod.UnifiedPluginRegistry
    Ns = (100, 200, 400) if quick else (100, 1_000, 10_000)
    rounds = 3 if quick else 7
    n0, n_max = Ns[0], Ns[-1]
    root = tempfile.mkdtemp(prefix="b1-", dir=bench_tmp_root())
    try:
        managers = {n: fake_managers(n) for n in Ns}
        for n in Ns: _seed_configs(os.path.join(root, f"n{n}"), managers[n])

        # -- registration: a fresh registry each round, all categories registered; cost per plugin
        def register(n: int):
            return lambda: _build(Registry, os.path.join(root, f"n{n}"), managers[n])
        reg_sample = interleave({n: register(n) for n in Ns}, rounds, inner={n: max(1, n_max // n // 10) for n in Ns}, clock=CPU)
        regs = {n: _build(Registry, os.path.join(root, f"n{n}"), managers[n]) for n in Ns}
        for n in Ns:
            assert len(regs[n].get_all_plugins()) == n, f"registry at N={n} holds {len(regs[n].get_all_plugins())} plugins"

        t = Table(f"1a. Registration cost per plugin (N plugins over N/100 categories; baseline N={n0})",
                  ["N", "categories", "total", "per plugin", f"per plugin vs N={n0}"])
        for n in Ns:
            per = reg_sample.median(n) / n
            ratio = reg_sample.ratio(n, n0) * n0 / n
            t.add(f"{n:,}", len(managers[n]), fmt_time(reg_sample.median(n)), fmt_time(per), fmt_ratio(ratio))
        t.notes.append("Each registration stats the config file of every plugin (is_configured), so the per-plugin figure "
                       "includes one stat() syscall.")
        res.tables.append(t)
        reg_ratio = reg_sample.ratio(n_max, n0) * n0 / n_max
        res.check("register linear in N", f"per plugin at {n_max:,} = {reg_ratio:.2f}x of N={n0}", f"<= {FLAT}x",
                  reg_ratio <= FLAT, quick=quick)

        # -- per-call lookups at every N
        rng = random.Random(5)
        def ids_of(reg: Any, k: int = 256) -> List[str]:
            uids = [p.get_unique_id() for p in reg.get_all_plugins()]
            return [rng.choice(uids) for _ in range(k)]
        lookups: Dict[str, Any] = {}
        def op_get_plugin(n):
            reg, uids = regs[n], ids_of(regs[n])
            return (lambda: [reg.get_plugin(u) for u in uids]), len(uids)
        def op_by_category(n):
            reg = regs[n]; cats = [rng.choice(reg.get_categories()) for _ in range(64)]
            return (lambda: [reg.get_plugins_by_category(c) for c in cats]), len(cats)
        def op_categories(n):
            reg = regs[n]
            return (lambda: [reg.get_categories() for _ in range(64)]), 64
        def op_with_plugins(n):
            reg = regs[n]
            return (lambda: [reg.get_categories_with_plugins() for _ in range(64)]), 64
        def op_display(n):
            reg = regs[n]; cats = [rng.choice(reg.get_categories()) for _ in range(256)]
            return (lambda: [reg.get_category_display_name(c) for c in cats]), len(cats)
        def op_get_manager(n):
            reg = regs[n]; cats = [rng.choice(reg.get_categories()) for _ in range(256)]
            return (lambda: [reg.get_manager(c) for c in cats]), len(cats)
        def copy_floor(n):  # the unavoidable part of get_categories(): copying a list as long as its answer
            cats = sorted(regs[n].get_categories())
            return (lambda: [list(cats) for _ in range(64)]), 64
        def op_refresh(n):
            reg = regs[n]; cat = reg.get_categories()[0]
            return (lambda: reg.refresh_category(cat)), 1
        def op_reregister(n):
            reg = regs[n]; cat = reg.get_categories()[-1]; m = managers[n][cat]
            def f():
                reg.unregister_plugin_manager(cat)
                reg.register_plugin_manager(cat, m)
                reg.get_categories()  # the sorted index is rebuilt lazily once after a change
            return f, 1
        ops = {"get_plugin": op_get_plugin, "get_plugins_by_category (100 plugins)": op_by_category,
               "get_categories": op_categories, "get_categories_with_plugins": op_with_plugins,
               "get_category_display_name": op_display, "get_manager": op_get_manager,
               "floor: list() copy of the categories list": copy_floor,
               "refresh_category (100 plugins)": op_refresh,
               "unregister + register one category (100 plugins)": op_reregister}
        t = Table(f"1b. Per-call cost at every N (baseline: the same call at N={n0}, same rounds)",
                  ["operation"] + [f"N={n:,}" for n in Ns] + [f"N={n_max:,} vs N={n0}"])
        per_call: Dict[str, Dict[int, float]] = {}
        notes: Dict[str, str] = {}
        for name, op in ops.items():
            fns = {n: op(n) for n in Ns}
            s = interleave({n: fns[n][0] for n in Ns}, rounds, stable=None if quick else (n_max, n0), max_rounds=15, clock=CPU)
            per_call[name] = {n: s.median(n) / fns[n][1] for n in Ns}
            ratio, spread = s.ratio(n_max, n0), s.spread(n_max, n0)
            lookups[name] = ratio
            notes[name] = stable_note(s, n_max, n0)
            t.add(name, *(fmt_time(per_call[name][n]) for n in Ns), fmt_ratio(ratio, spread))
        t.notes.append("get_categories() and get_categories_with_plugins() return a new list of N/100 names, so part of "
                       "their cost grows with N by construction; the floor row is copying such a list. Their target "
                       "is met when the cost beyond that copy stays flat (cost / floor within the tolerance).")
        t.notes.append("± is half the interquartile spread of the per-round ratios. Groups 1 and 2 time CPU "
                       "(time.process_time: user + system, syscalls included), which other processes disturb less.")
        res.tables.append(t)
        floor = per_call["floor: list() copy of the categories list"]
        for name in ("get_plugin", "get_plugins_by_category (100 plugins)", "get_category_display_name",
                     "refresh_category (100 plugins)", "unregister + register one category (100 plugins)"):
            res.check(f"{name} flat in N", f"{lookups[name]:.2f}x at N={n_max:,} vs N={n0}", f"<= {FLAT}x",
                      lookups[name] <= FLAT, quick=quick, note=notes[name])
        for name in ("get_categories", "get_categories_with_plugins"):
            r = lookups[name]
            over = (per_call[name][n_max] / floor[n_max]) / (per_call[name][n0] / floor[n0])
            res.check(f"{name} flat in N", f"{r:.2f}x raw; {over:.2f}x beyond the list copy",
                      f"<= {FLAT}x (raw or beyond copy)", r <= FLAT or over <= FLAT, quick=quick,
                      note="" if r <= FLAT else "returns a fresh list of N/100 names: copying it is O(categories)")

        # -- get_all_plugins and the helpers: cost per plugin, and passes over the list
        funcs = {"get_all_plugins": None, "get_plugin_stats": helpers.get_plugin_stats,
                 "get_cloud_plugins": helpers.get_cloud_plugins, "get_local_plugins": helpers.get_local_plugins,
                 "get_configured_plugins": helpers.get_configured_plugins,
                 "get_unconfigured_plugins": helpers.get_unconfigured_plugins}
        from cjm_fasthtml_plugins.core.execution_mode import PluginExecutionMode
        funcs["filter_plugins_by_execution_mode"] = lambda ps: helpers.filter_plugins_by_execution_mode(
            ps, PluginExecutionMode.IN_PROCESS)
        all_plugins = {n: regs[n].get_all_plugins() for n in Ns}
        t = Table(f"1c. Whole-list operations: cost per plugin (baseline N={n0})",
                  ["function"] + [f"N={n:,}" for n in Ns] + [f"N={n_max:,} vs N={n0}", "method calls per plugin"])
        for name, fn in funcs.items():
            if fn is None:
                variants = {n: (lambda reg=regs[n]: reg.get_all_plugins()) for n in Ns}
            else:
                variants = {n: (lambda fn=fn, ps=all_plugins[n]: fn(ps)) for n in Ns}
            s = interleave(variants, rounds, clock=CPU)
            ratio = s.ratio(n_max, n0) * n0 / n_max
            calls = _calls_per_plugin(metadata.PluginMetadata, variants[n_max], n_max) if fn is not None else "-"
            t.add(name, *(fmt_time(s.median(n) / n) for n in Ns), fmt_ratio(ratio), calls)
            if name in ("get_all_plugins", "get_plugin_stats"):
                res.check(f"{name} per plugin flat", f"{ratio:.2f}x at N={n_max:,}", f"<= {FLAT}x", ratio <= FLAT,
                          quick=quick)
            if name == "get_plugin_stats":
                one_pass = all(v <= 1.0 for v in _call_counts(metadata.PluginMetadata, variants[n_max], n_max).values())
                res.check("get_plugin_stats one pass", calls, "each method <= 1 call per plugin", one_pass)
        t.notes.append("Method calls per plugin: calls of PluginMetadata.is_local_execution / is_cloud_execution / "
                       "has_active_resources / get_unique_id per plugin in the list (one pass => each <= 1).")
        res.tables.append(t)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return res


_COUNTED = ("is_local_execution", "is_cloud_execution", "has_active_resources", "get_unique_id")


def _call_counts(cls: Any, fn: Any, n: int) -> Dict[str, float]:
    "Calls per plugin of the counted PluginMetadata methods while `fn` runs once."
    counts = {m: 0 for m in _COUNTED}
    originals = {m: getattr(cls, m) for m in _COUNTED}
    def wrap(m):
        orig = originals[m]
        def counted(self, *a, **k):
            counts[m] += 1
            return orig(self, *a, **k)
        return counted
    try:
        for m in _COUNTED: setattr(cls, m, wrap(m))
        fn()
    finally:
        for m, orig in originals.items(): setattr(cls, m, orig)
    return {m: c / n for m, c in counts.items()}


def _calls_per_plugin(cls: Any, fn: Any, n: int) -> str:
    counts = _call_counts(cls, fn, n)
    return ", ".join(f"{m.replace('_execution', '').replace('has_active_resources', 'active')}={c:g}"
                     for m, c in counts.items() if c) or "0"
