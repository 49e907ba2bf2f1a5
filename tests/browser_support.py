"""Fixtures for the browser tests: the real demo app under uvicorn, and headless Debian Chromium via Playwright.

conftest.py registers the fixtures once for the session (never import them into a test module: a second session
fixture would start a second Playwright). Nothing here downloads a
browser: Chromium comes from Debian (`/usr/bin/chromium`), the front-end assets from the npm cache that
`ensure_assets()` fills.
"""
from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterator, List, Optional
from urllib.parse import urlsplit

import httpx
import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO_ROOT / "test-artifacts"
CHROMIUM = os.environ.get("CJM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic", "--disable-default-apps",
                 "--disable-features=Translate,OptimizationHints,MediaRouter,DialMediaRouteProvider"]
LOCAL_HOSTS = {"127.0.0.1"}


def free_port() -> int:
    "A TCP port that was free a moment ago on 127.0.0.1."
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def no_js_page(browser) -> Iterator:
    "A page in a fresh browser context with JavaScript off (10 s timeouts); the context is closed afterwards."
    ctx = browser.new_context(java_script_enabled=False)
    try:
        page = ctx.new_page()
        page.set_default_timeout(10_000)
        yield page
    finally: ctx.close()


@contextlib.contextmanager
def serve_app(app) -> Iterator[str]:
    "Serve an ASGI app with uvicorn in a thread on 127.0.0.1; yield its base URL; always stop it."
    import threading
    import uvicorn
    port = free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    while not srv.started:
        if not thread.is_alive(): pytest.fail("the test server did not start")
        time.sleep(0.05)
    try: yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(timeout=10)


@dataclass
class DemoServer:
    "A running `python -m cjm_fasthtml_plugins.demo` process."
    url: str
    config_dir: Path
    process: subprocess.Popen
    log_path: Path

    def config_file(self, unique_id: str) -> Path: return self.config_dir / f"{unique_id}.json"

    def read_config(self, unique_id: str) -> Optional[dict]:
        path = self.config_file(unique_id)
        return json.loads(path.read_text()) if path.exists() else None

    def log(self) -> str: return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self, timeout: float = 15.0) -> int:
        "Stop the server the way Ctrl-C does (SIGINT: uvicorn shuts down gracefully), killing it if it hangs."
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try: self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill(); self.process.wait()
        return self.process.returncode


def start_demo_server(config_dir: Path, log_path: Path, timeout: float = 60.0) -> DemoServer:
    "Start the demo app on a free port of 127.0.0.1 and wait until it answers."
    port = free_port()
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH")) if p)
    log = open(log_path, "wb")
    proc = subprocess.Popen([sys.executable, "-m", "cjm_fasthtml_plugins.demo", "--host", "127.0.0.1",
                             "--port", str(port), "--config-dir", str(config_dir), "--log-level", "info"],
                            cwd=config_dir.parent, env=env, stdout=log, stderr=subprocess.STDOUT)
    log.close()
    server = DemoServer(f"http://127.0.0.1:{port}", config_dir, proc, log_path)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"The demo server exited with {proc.returncode} before answering:\n{server.log()}")
        try:
            if httpx.get(server.url + "/", timeout=2).status_code == 200: return server
        except httpx.HTTPError: pass
        time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"The demo server did not answer on {server.url} within {timeout}s:\n{server.log()}")


@pytest.fixture(scope="session")
def assets_ready() -> Path:
    "The front-end assets cache, filled with npm on first use."
    from cjm_fasthtml_plugins.demo.assets import ensure_assets
    return ensure_assets()


@pytest.fixture
def demo_server(tmp_path, assets_ready) -> Iterator[DemoServer]:
    "The real demo app under uvicorn with a fresh config dir; always stopped afterwards."
    server = start_demo_server(tmp_path / "configs", tmp_path / "server.log")
    try: yield server
    finally: server.stop()


@pytest.fixture(scope="session")
def browser():
    "Headless Debian Chromium (never `playwright install`)."
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found: install Debian's Chromium (`apt-get install chromium`) or set CJM_CHROMIUM.")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try: yield b
        finally: b.close()


@dataclass
class NetworkLog:
    "Every request the page made, the ones that left 127.0.0.1 (blocked), and HTMX responses with their bodies."
    requests: List[str] = field(default_factory=list)
    offsite: List[str] = field(default_factory=list)
    htmx: List[Dict[str, str]] = field(default_factory=list)
    responses: List[Dict[str, str]] = field(default_factory=list)


def _guarded_context(browser, color_scheme: str):
    "A browser context that blocks and records any request not addressed to 127.0.0.1."
    net = NetworkLog()
    ctx = browser.new_context(color_scheme=color_scheme, viewport={"width": 1200, "height": 900},
                              service_workers="block")

    def route(r):
        url = r.request.url
        net.requests.append(url)
        host = urlsplit(url).hostname
        if url.startswith(("data:", "blob:")) or host in LOCAL_HOSTS: r.continue_()
        else:
            net.offsite.append(url); r.abort()
    ctx.route("**/*", route)

    def on_response(resp):
        if urlsplit(resp.url).hostname not in LOCAL_HOSTS: return
        try: body = resp.text()
        except Exception: body = ""
        entry = {"url": resp.url, "method": resp.request.method, "status": str(resp.status), "body": body}
        net.responses.append(entry)
        if resp.request.headers.get("hx-request") == "true": net.htmx.append(entry)
    ctx.on("response", on_response)
    return ctx, net


@pytest.fixture(params=["light"])
def color_scheme(request) -> str: return request.param


@pytest.fixture
def page_and_net(browser, color_scheme):
    "A fresh page in its own context (light by default) plus its network log; nothing may leave 127.0.0.1."
    ctx, net = _guarded_context(browser, color_scheme)
    page = ctx.new_page()
    page.set_default_timeout(10_000)
    try: yield page, net
    finally: ctx.close()
    assert net.offsite == [], f"requests left 127.0.0.1: {net.offsite}"
