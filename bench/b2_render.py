"""Group 2: rendering cost per plugin of the dropdown selector and the comparison table (to_xml included).

Target: cost per plugin at 2,000 plugins within 15% of the cost per plugin at 250 (baseline, same
rounds); the comparison table calls get_plugin_config at most once per plugin.
"""
from __future__ import annotations

import inspect
from typing import Any, Callable, Dict, List

from common import SMALL_SCHEMA, GroupResult, Table, fmt_ratio, fmt_time, interleave, require, stable_note

WITHIN = 1.15


def make_plugins(n: int) -> List[Any]:
    "n PluginMetadata over n/100 categories, cycling through every execution mode; cloud ones hold a GPU machine."
    from cjm_fasthtml_plugins.core.execution_mode import CloudProviderType, PluginExecutionMode
    from cjm_fasthtml_plugins.core.metadata import PluginMetadata, RemoteResourceInfo
    modes = list(PluginExecutionMode)
    out = []
    for i in range(n):
        mode = modes[i % len(modes)]
        p = PluginMetadata(name=f"p{i:05d}", category=f"cat{i // 100:04d}", title=f"Plugin {i}",
                           config_schema=SMALL_SCHEMA, description=f"Made-up plugin number {i}", version="1.2.3",
                           is_configured=i % 3 == 0, execution_mode=mode)
        if not p.is_local_execution():
            p.remote_resource = RemoteResourceInfo(CloudProviderType.RUNPOD, region="eu", status="running",
                                                   gpu_count=4, gpu_type="A100", estimated_cost_per_hour=4.4)
        out.append(p)
    return out


class CountingConfig:
    "get_plugin_config stand-in that counts its calls."
    def __init__(self): self.calls = 0
    def __call__(self, uid: str) -> Dict[str, Any]:
        self.calls += 1
        return {"device": "cuda", "memory_gb": 8, "supports_streaming": True, "model": "base"}


def _supported(fn: Callable, **kw: Any) -> Dict[str, Any]:
    params = inspect.signature(fn).parameters
    return {k: v for k, v in kw.items() if k in params}


def run(quick: bool = False) -> GroupResult:
    res = GroupResult(2, "Rendering")
    selector = require("cjm_fasthtml_plugins.components.selector", "render_dropdown_selector",
                       "render_comparison_table")
    from fasthtml.common import to_xml
    small, large = (25, 200) if quick else (250, 2_000)
    rounds = 3 if quick else 7
    plugins = {n: make_plugins(n) for n in (small, large)}
    dd, ct = selector.render_dropdown_selector, selector.render_comparison_table
    endpoints = _supported(dd, details_endpoint="/plugins/details", comparison_endpoint="/plugins/compare")

    renders: Dict[str, Callable[[List[Any], Any], Any]] = {
        "dropdown (details + comparison endpoints, as the routes render it)":
            lambda ps, cfg: dd(ps, None, None, None, get_plugin_config=cfg, **endpoints),
        "dropdown (spec defaults: comparison table inline)":
            lambda ps, cfg: dd(ps, get_plugin_config=cfg),
        "comparison table": lambda ps, cfg: ct(ps, None, cfg),
    }
    t = Table(f"2. Render + to_xml, cost per plugin ({small:,} vs {large:,} plugins; baseline {small:,}, same rounds)",
              ["render", f"per plugin @{small:,}", f"per plugin @{large:,}", f"@{large:,} vs @{small:,}",
               f"HTML bytes @{large:,}", f"get_plugin_config calls @{large:,}"])
    for name, render in renders.items():
        variants = {n: (lambda render=render, ps=plugins[n]: to_xml(render(ps, CountingConfig()))) for n in plugins}
        s = interleave(variants, rounds, inner={small: max(1, large // small // 4), large: 1},
                       stable=None if quick else (large, small), max_rounds=15)
        ratio, spread = s.ratio(large, small) * small / large, s.spread(large, small)
        counter = CountingConfig()
        html = to_xml(render(plugins[large], counter))
        t.add(name, fmt_time(s.median(small) / small), fmt_time(s.median(large) / large), fmt_ratio(ratio, spread),
              f"{len(html):,}", f"{counter.calls:,} ({counter.calls / large:.2f}/plugin)")
        res.check(f"{name}: per-plugin cost flat", f"{ratio:.2f}x", f"<= {WITHIN}x", ratio <= WITHIN, quick=quick,
                  note=stable_note(s, large, small))
        if name == "comparison table":
            res.check("comparison table: get_plugin_config calls", f"{counter.calls / large:.2f} per plugin",
                      "<= 1 per plugin", counter.calls <= large)
    t.notes.append("Plugins cycle through all 12 execution modes; cloud ones carry a running 4x A100 resource, local ones "
                   "get a config with device/memory/streaming, so every feature column is filled.")
    res.tables.append(t)
    return res
