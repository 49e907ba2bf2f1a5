"""No request stalls the server: drawing a form or a comparison and validating a save run in worker threads, so
other requests are served meanwhile. A real uvicorn server on 127.0.0.1; the slow step is held on an event until a
cheap request has been answered, so the test asserts the order, not a duration."""
import socket
import threading
import time
from contextlib import contextmanager

import httpx
import pytest
import uvicorn
from fasthtml.common import FastHTML

from cjm_fasthtml_plugins.components.routes import plugin_router
from cjm_fasthtml_plugins.core.registry import UnifiedPluginRegistry

from fake_plugins import Info, Manager

HX = {"HX-Request": "true", "Sec-Fetch-Site": "same-origin"}
BIG = {"title": "Big", "type": "object",
       "properties": {f"p{i}": {"type": "string", "default": f"v{i}"} for i in range(10_000)}}
SMALL = {"title": "Small", "type": "object", "properties": {"n": {"type": "integer", "default": 1}}}
HANG_GUARD = 30  # seconds: only so that a broken build fails instead of hanging; never reached when it works


@contextmanager
def serve(app):
    "Run `app` under uvicorn on a free port of 127.0.0.1 in a thread; stop it afterwards."
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + HANG_GUARD
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    try: yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(HANG_GUARD)
        sock.close()


@pytest.fixture
def site(tmp_path):
    registry = UnifiedPluginRegistry(tmp_path)
    registry.register_plugin_manager("big", Manager({"huge": (Info("huge"), BIG), "small": (Info("small"), SMALL)}))
    app = FastHTML(secret_key="test")
    router = plugin_router(registry)
    router.to_app(app)
    return registry, router, app


def hold(monkeypatch, registry, method):
    "Make `registry.<method>` wait for `release` after setting `entered`; return both events."
    entered, release, original = threading.Event(), threading.Event(), getattr(registry, method)
    def held(*args, **kwargs):
        entered.set()
        release.wait(HANG_GUARD)
        return original(*args, **kwargs)
    monkeypatch.setattr(registry, method, held)
    return entered, release


SLOW = {  # what is slow: (registry method it calls, request)
    "settings form of 10,000 fields": ("load_plugin_config_with_revision",
                                       lambda router: ("get", router.settings.to(plugin_id="big_huge"), {})),
    "category page": ("load_plugin_config_with_revision", lambda router: ("get", router.category_page.to(category="big"), {})),
    "comparison": ("load_plugin_config", lambda router: ("get", router.compare.to(category="big"), {})),
    "validation of a save": ("validate_plugin_config",
                             lambda router: ("post", router.save.to(plugin_id="big_small"), {"data": {"n": "abc", "__revision__": ""}})),
}


@pytest.mark.parametrize("what", list(SLOW))
def test_a_slow_request_does_not_stall_the_others(site, monkeypatch, what):
    registry, router, app = site
    method, request = SLOW[what]
    entered, release = hold(monkeypatch, registry, method)
    verb, path, kwargs = request(router)
    slow, cheap = {}, {}
    with serve(app) as url:
        worker = threading.Thread(target=lambda: slow.update(r=httpx.request(verb, url + path, headers=HX, timeout=2 * HANG_GUARD, **kwargs)))
        worker.start()
        try:
            assert entered.wait(HANG_GUARD), "the slow request never reached its slow step"
            cheap["r"] = httpx.get(url + router.index.to(), timeout=HANG_GUARD)  # answered while the slow one is held
            assert cheap["r"].status_code == 200
            assert "r" not in slow, "the slow request finished before the cheap one was answered"
        finally:
            release.set()
            worker.join(2 * HANG_GUARD)
    assert slow["r"].status_code == 200, slow["r"].text[:500]
    if what == "settings form of 10,000 fields": assert 'name="p9999"' in slow["r"].text
    if what == "validation of a save": assert 'data-field-error="n"' in slow["r"].text
