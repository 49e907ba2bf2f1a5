"""Group 2: rendering cost per plugin of the dropdown selector and the comparison table (to_xml included).

Target: cost per plugin at 2,000 plugins within 15% of the cost per plugin at 250 (baseline, same
rounds); the comparison table calls get_plugin_config at most once per plugin.
"""
from __future__ import annotations

import inspect
from typing import Any, Callable, Dict, List

from common import CPU, SMALL_SCHEMA, GroupResult, Skip, Table, fmt_ratio, fmt_time, interleave, require, stable_note

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
                       stable=None if quick else (large, small), max_rounds=11, clock=CPU)
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
    res.tables.append(_diagnose(plugins, small, large, 3 if quick else 5, ct, to_xml))
    parts = _parts_table(3 if quick else 9)
    if parts is not None: res.tables.append(parts)
    return res


def _parts_table(rounds: int) -> Any:
    """One settings form and one details card: drawn whole (baseline), and through the routes' HTML paths with
    every cache empty, after a one-value change (cached frame and parts) and again unchanged (whole HTML cached)."""
    import itertools
    try:
        selector = require("cjm_fasthtml_plugins.components.selector", "render_plugin_details_html", "clear_render_caches")
        settings = require("cjm_fasthtml_plugins.components.settings", "render_settings_form", "render_settings_form_html")
    except Skip: return None  # the HTML paths are not on this branch: no table
    from fasthtml.common import to_xml
    from cjm_fasthtml_plugins.core.metadata import PluginMetadata
    plugin = PluginMetadata("whisper", "transcription", "Whisper", SMALL_SCHEMA, description="Local speech recognition.",
                            version="1.2.3")
    base = {"model": "base", "device": "cuda", "batch_size": 8, "supports_streaming": True}
    kw = dict(action="/plugins/settings/transcription_whisper", reset_action="/plugins/reset/transcription_whisper")
    fresh = itertools.count()
    def changed() -> Dict[str, Any]: return dict(base, device=f"cuda:{next(fresh)}")  # a value never shown before
    clear = selector.clear_render_caches
    kinds = {
        "settings form": (lambda cfg, rev: to_xml(settings.render_settings_form(plugin, cfg, revision=rev, **kw)),
                          lambda cfg, rev: settings.render_settings_form_html(plugin, cfg, revision=rev, **kw)),
        "details card": (lambda cfg, rev: to_xml(selector.render_plugin_details(plugin, cfg)),
                         lambda cfg, rev: selector.render_plugin_details_html(plugin, cfg)),
    }
    t = Table("2c. One settings form / details card: drawn whole vs the routes' HTML paths (CPU time, same rounds)",
              ["element", "drawn whole + to_xml", "HTML path, every cache empty", "after one value changed",
               "unchanged (whole HTML cached)"])
    for name, (whole, cached) in kinds.items():
        cached(base, "r0")
        variants = {"whole": lambda: whole(changed(), "r1"),
                    "empty": lambda: (clear(), cached(changed(), "r1")),
                    "changed": lambda: cached(changed(), f"r{next(fresh)}"),
                    "same": lambda: cached(base, "r0")}
        def setup(variant: str) -> None:  # untimed: the cached variants find the card and the other parts cached
            if variant in ("changed", "same"): cached(base, "r0")
        s = interleave(variants, rounds, setup=setup, clock=CPU)
        t.add(name, fmt_time(s.median("whole")), *(f"{fmt_time(s.median(v))} ({fmt_ratio(s.ratio(v, 'whole'), s.spread(v, 'whole'))})"
                                                   for v in ("empty", "changed", "same")))
    t.notes.append("'after one value changed': device takes a value never shown before and the revision is new, so the "
                   "whole HTML is a miss; the card around the fields and the unchanged fields come from the part caches "
                   "(what the first view after a save costs). 'every cache empty' starts with clear_render_caches(): the "
                   "first view since the server started. Ratios are to drawing the element whole in the same round.")
    clear()
    return t


def _diagnose(plugins: Dict[int, List[Any]], small: int, large: int, rounds: int, ct: Callable, to_xml: Callable) -> Table:
    "Split the comparison table's cost into building the FT tree and to_xml, and test one big parent vs chunks."
    from fasthtml.common import Span, Table as TableFT, Tbody, Td, Tr
    def rows(n): return [Tr(Td(Span(f"Plugin {i}", cls="x")), Td("1.0"), Td(Span("badge", cls="badge")), Td("Saved"))
                         for i in range(n)]
    # each case builds its own inputs and drops them afterwards, so no case runs with another's trees alive
    cases = {
        "comparison table: build the FT tree only":
            lambda: (lambda ps, n: ct(ps, None, CountingConfig()), {}),
        "comparison table: to_xml of the built tree only":
            lambda: ((lambda ps, n, d: to_xml(d[n])), {n: ct(plugins[n], None, CountingConfig()) for n in plugins}),
        "fastcore to_xml: one <tbody> holding all N rows (synthetic)":
            lambda: ((lambda ps, n, d: to_xml(d[n])), {n: TableFT(Tbody(*rows(n))) for n in plugins}),
        "fastcore to_xml: the same rows in <tbody>s of 100 (synthetic)":
            lambda: ((lambda ps, n, d: to_xml(d[n])),
                     {n: TableFT(*(Tbody(*rows(n)[i:i + 100]) for i in range(0, n, 100))) for n in plugins}),
    }
    t = Table(f"2b. Where per-plugin cost grows ({large:,} vs {small:,}; CPU time, same rounds)",
              ["part", f"per plugin @{small:,}", f"per plugin @{large:,}", f"@{large:,} vs @{small:,}"])
    for name, make in cases.items():
        fn, data = make()
        if data: variants = {n: (lambda fn=fn, n=n, data=data: fn(plugins[n], n, data)) for n in plugins}
        else: variants = {n: (lambda fn=fn, n=n: fn(plugins[n], n)) for n in plugins}
        s = interleave(variants, rounds, inner={small: max(1, large // small // 4), large: 1}, clock=CPU)
        del data, variants
        t.add(name, fmt_time(s.median(small) / small), fmt_time(s.median(large) / large),
              fmt_ratio(s.ratio(large, small) * small / large, s.spread(large, small)))
    t.notes.append("fastcore's _to_xml appends every child to one growing string (`res += ...`), so an element with "
                   "thousands of children (the table's single <tbody>) costs more per child as it grows; the same rows "
                   "split over several <tbody> elements (valid HTML) serialise at a flat cost per row.")
    return t
