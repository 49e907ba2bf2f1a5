"""Group 6: memory per registered plugin at 10,000 plugins (tracemalloc), excluding the managers' schema dicts.

Every fake plugin shares ONE schema dict built before tracing starts, and the discovery records are
built up front too, so the traced bytes are what the registry itself keeps per plugin. A second run
with a fresh schema per plugin measures the schema dicts, which are then subtracted, as a cross-check.
Baseline (same run): the bare minimum a registry must hold, the same PluginMetadata objects in a
dict by unique id plus a list per category.
"""
from __future__ import annotations

import gc
import os
import shutil
import tempfile
import tracemalloc
from typing import Any, Callable, Dict, Tuple

from common import GroupResult, Table, bench_tmp_root, fake_managers, fmt_bytes, require


def traced(build: Callable[[], Any]) -> Tuple[int, Any, tracemalloc.Snapshot, tracemalloc.Snapshot]:
    "Bytes still allocated after `build()` (its result kept alive), with before/after snapshots."
    gc.collect()
    tracemalloc.start(1)
    try:
        before = tracemalloc.take_snapshot()
        base = tracemalloc.get_traced_memory()[0]
        kept = build()
        gc.collect()
        size = tracemalloc.get_traced_memory()[0] - base
        after = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    return size, kept, before, after


def run(quick: bool = False) -> GroupResult:
    res = GroupResult(6, "Memory")
    registry_mod = require("cjm_fasthtml_plugins.core.registry", "UnifiedPluginRegistry")
    from cjm_fasthtml_plugins.core.metadata import PluginMetadata
    n = 1_000 if quick else 10_000
    root = tempfile.mkdtemp(prefix="b6-", dir=bench_tmp_root())
    try:
        store_dir = os.path.join(root, "shared")
        managers = fake_managers(n)  # one shared schema dict, discovery records built before tracing
        # warm the code paths once (first-call caches, interned names) so they are not charged per plugin
        warm = registry_mod.UnifiedPluginRegistry(os.path.join(root, "warm"))
        warm.register_plugin_manager("warm", fake_managers(100)["cat0000"])
        registry = registry_mod.UnifiedPluginRegistry(store_dir)

        def register():
            for cat, m in managers.items(): registry.register_plugin_manager(cat, m)
            return registry
        size, reg, before, after = traced(register)
        assert len(reg.get_all_plugins()) == n

        def floor():
            plugins: Dict[str, Any] = {}
            by_cat: Dict[str, list] = {}
            for cat, m in managers.items():
                for info in m.infos:
                    p = PluginMetadata(name=info.name, category=cat, title=m.schema.get("title") or info.name,
                                       config_schema=m.schema, description=m.schema.get("description"),
                                       version=info.version)
                    plugins[p.get_unique_id()] = p
                    by_cat.setdefault(cat, []).append(p)
            return plugins, by_cat
        floor_size, _, _, _ = traced(floor)

        # cross-check: fresh schema dict per plugin, then subtract the schema dicts measured on their own
        fresh = fake_managers(n, fresh_schemas=True)
        registry2 = registry_mod.UnifiedPluginRegistry(os.path.join(root, "fresh"))
        def register_fresh():
            for cat, m in fresh.items(): registry2.register_plugin_manager(cat, m)
            return registry2
        fresh_size, _, _, _ = traced(register_fresh)
        schemas_size, _, _, _ = traced(lambda: [m.get_plugin_config_schema(i.name) for m in fresh.values() for i in m.infos])

        t = Table(f"6a. Bytes per registered plugin at {n:,} plugins over {len(managers)} categories (tracemalloc)",
                  ["measurement", "total", "per plugin", "vs floor"])
        t.add("registry, one schema dict shared by every plugin", fmt_bytes(size), fmt_bytes(size / n),
              f"{size / floor_size:.2f}x")
        t.add("registry, fresh schema per plugin, minus those schemas measured alone", fmt_bytes(fresh_size - schemas_size),
              fmt_bytes((fresh_size - schemas_size) / n), f"{(fresh_size - schemas_size) / floor_size:.2f}x")
        t.add("(the schema dicts alone)", fmt_bytes(schemas_size), fmt_bytes(schemas_size / n), "")
        t.add("floor: the same PluginMetadata in a dict by id + a list per category", fmt_bytes(floor_size),
              fmt_bytes(floor_size / n), "1.00x")
        res.tables.append(t)

        stats = after.compare_to(before, "lineno")
        t = Table("6b. Where the registry's bytes go (top allocation sites, shared-schema run)",
                  ["site", "bytes", "per plugin", "blocks"])
        for st in stats[:8]:
            frame = st.traceback[0]
            site = f"{os.path.relpath(frame.filename, os.path.dirname(os.path.dirname(frame.filename)))}:{frame.lineno}"
            t.add(site, fmt_bytes(st.size_diff), fmt_bytes(st.size_diff / n), f"{st.count_diff:,}")
        res.tables.append(t)
        res.check(f"bytes per plugin at {n:,} (report)", f"{size / n:,.0f} B ({size / floor_size:.2f}x the floor)",
                  "reported; no numeric target", None if quick else True)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return res
