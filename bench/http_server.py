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


_STATE = {"cold": False}  # benchmark only: True makes every details/settings render a miss


def html_caches() -> int:
    "1 when the package exposes `clear_render_caches` (so cold renders can be measured), else 0."
    import importlib
    return int(hasattr(importlib.import_module("cjm_fasthtml_plugins.components.selector"), "clear_render_caches"))


def set_html_caches(on: bool) -> None:
    """Benchmark only. Off: every request starts with `clear_render_caches()`, so each details/settings render is a
    miss (render and store: exactly the cost of a miss). On: requests keep the caches (refill them with
    `warm_html_caches`)."""
    from cjm_fasthtml_plugins.components.selector import clear_render_caches
    _STATE["cold"] = not on
    if not on: clear_render_caches()


class ColdSwitch:
    "ASGI wrapper: while `set_html_caches(False)` holds, empty the rendered-HTML caches before each request."
    def __init__(self, app):
        from cjm_fasthtml_plugins.components.selector import clear_render_caches
        self.app, self.clear = app, clear_render_caches

    async def __call__(self, scope, receive, send):
        if _STATE["cold"] and scope["type"] == "http": self.clear()
        await self.app(scope, receive, send)


async def asgi_get(app, url: str) -> int:
    "One HTMX GET straight into the ASGI app (no socket): its status."
    from urllib.parse import urlsplit
    parts, status = urlsplit(url), 0
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
             "path": parts.path, "raw_path": parts.path.encode(), "query_string": parts.query.encode(), "root_path": "",
             "headers": [(b"host", b"bench"), (b"hx-request", b"true")], "client": ("127.0.0.1", 1),
             "server": ("127.0.0.1", 80)}
    async def receive(): return {"type": "http.request", "body": b"", "more_body": False}
    async def send(message):
        nonlocal status
        if message["type"] == "http.response.start": status = message["status"]
    await app(scope, receive, send)
    return status


async def warm_html_caches(app, urls: dict) -> None:
    "Render every details card and settings form once, so the caches hold them all again (untimed)."
    for url in urls["details"] + urls["settings"]: await asgi_get(app, url)


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

    served: dict = {}
    @app.post("/bench/html-cache/{state}")
    async def html_cache(state: str):  # benchmark only: "off" makes every details/settings render a miss, "on" refills
        set_html_caches(state == "on")
        if state == "on": await warm_html_caches(served["app"], served["urls"])
        return Div(state, id="bench")

    router = plugin_router(registry, prefix="/plugins")
    router.to_app(app)
    uids = [p.get_unique_id() for p in registry.get_all_plugins()]
    urls = {"bare": "/bare", "bare_sync": "/bare-sync",
            "details": [router.details.to(plugin_id=u) for u in uids],
            "settings": [router.settings.to(plugin_id=u) for u in uids],
            "save": [router.save.to(plugin_id=u) for u in uids],
            "uids": uids, "html_cache": html_caches()}
    if urls["html_cache"]: app = ColdSwitch(app)
    served.update(app=app, urls=urls)
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
