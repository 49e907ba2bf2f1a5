"""The server side of benchmark group 5: a FastHTML app with plugin_router over fake plugins, plus a bare route.

    python bench/http_server.py --port 8123 --config-dir DIR [--categories 3 --per-category 5]

Prints one JSON line on stdout with the URLs to drive (built with the routes' .to(), never by hand),
then serves with uvicorn, one worker, on 127.0.0.1 until terminated.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
if os.path.dirname(HERE) not in sys.path: sys.path.append(os.path.dirname(HERE))


_CACHE_NAMES = (("selector", "_DETAILS_HTML"), ("settings", "_SETTINGS_HTML"))
_ORIGINAL_CACHES: dict = {}


def html_caches() -> int:
    "How many of the rendered-HTML caches (details card, settings form; private module globals) exist."
    import importlib
    return sum(hasattr(importlib.import_module(f"cjm_fasthtml_plugins.components.{m}"), n) for m, n in _CACHE_NAMES)


def set_html_caches(on: bool) -> None:
    """Benchmark only. Off: swap each rendered-HTML cache for an empty one of size 0, so every render is a miss
    (render, store, evict: exactly the cost of a miss). On: put the original cache back, contents untouched."""
    import importlib
    for m, n in _CACHE_NAMES:
        mod = importlib.import_module(f"cjm_fasthtml_plugins.components.{m}")
        cache = getattr(mod, n, None)
        if cache is None: continue
        original = _ORIGINAL_CACHES.setdefault((m, n), cache)
        setattr(mod, n, original if on else type(original)(0))


def build_app(config_dir: str, categories: int, per_category: int):
    from fasthtml.common import Div, FastHTML, P
    from cjm_fasthtml_plugins.components.routes import plugin_router
    from cjm_fasthtml_plugins.core.registry import UnifiedPluginRegistry
    from common import FakeManager

    registry = UnifiedPluginRegistry(config_dir)
    for c in range(categories):
        registry.register_plugin_manager(f"cat{c:04d}", FakeManager(per_category))
    app = FastHTML(secret_key="bench-not-secret")  # a fixed key: FastHTML writes no .sesskey file

    @app.get("/bare")
    async def bare():  # async like the plugin routes: the baseline carries no thread-pool hop they do not have
        return Div(P("Hello from a bare FastHTML route."), id="bare")

    @app.get("/bare-sync")
    def bare_sync():  # the same as a plain `def` route (FastHTML runs it in a worker thread), for reference
        return Div(P("Hello from a bare FastHTML route."), id="bare")

    @app.post("/bench/html-cache/{state}")
    async def html_cache(state: str):  # benchmark only: "off" makes every details/settings render a miss, "on" restores
        set_html_caches(state == "on")
        return Div(state, id="bench")

    router = plugin_router(registry, prefix="/plugins")
    router.to_app(app)
    uids = [p.get_unique_id() for p in registry.get_all_plugins()]
    urls = {"bare": "/bare", "bare_sync": "/bare-sync",
            "details": [router.details.to(plugin_id=u) for u in uids],
            "settings": [router.settings.to(plugin_id=u) for u in uids],
            "save": [router.save.to(plugin_id=u) for u in uids],
            "uids": uids, "html_cache": html_caches()}
    return app, urls


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--config-dir", required=True)
    p.add_argument("--categories", type=int, default=3)
    p.add_argument("--per-category", type=int, default=5)
    args = p.parse_args()
    app, urls = build_app(args.config_dir, args.categories, args.per_category)
    print(json.dumps(urls), flush=True)
    import uvicorn
    uvicorn.run(app, host="127.0.0.1", port=args.port, workers=1, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
