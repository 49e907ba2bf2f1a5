"""The schema form served by a small app of its own (its own re-render and save routes, as the form_read notebook shows)
in headless Chromium: array buttons without JavaScript, and Enter saving. The journeys with JavaScript (array items,
conditional fields, focus) run through `plugin_router` in test_form_settings_browser.py."""
from __future__ import annotations

import json
import threading
import time

import pytest
import uvicorn

import fasthtml.common as fh
from monsterui.franken import Button, ButtonT

from browser_support import free_port, no_js_page  # the browser fixtures come from conftest.py
from cjm_fasthtml_plugins.demo.assets import mount_assets, offline_headers
from cjm_fasthtml_plugins.components.form import FORM_OP_FIELD, render_schema_fields
from cjm_fasthtml_plugins.components.form_read import parse_schema_form

pytestmark = pytest.mark.browser

SCHEMA = {
    "type": "object", "required": ["mode"],
    "$defs": {"Mirror": {"type": "object", "required": ["host"],
                         "properties": {"host": {"type": "string", "title": "Host"},
                                        "token": {"type": "string", "format": "password", "writeOnly": True}}}},
    "properties": {"mode": {"enum": ["local", "remote"], "title": "Mode"},
                   "mirrors": {"type": "array", "items": {"$ref": "#/$defs/Mirror"}, "title": "Mirrors"}},
    "if": {"properties": {"mode": {"const": "remote"}}, "required": ["mode"]},
    "then": {"properties": {"url": {"type": "string", "format": "uri", "title": "URL"}}, "required": ["url"]}}
INITIAL = {"mode": "local", "mirrors": [{"host": "a", "token": "tok-a"}, {"host": "b", "token": "tok-b"}]}


def make_app(store: dict):
    "A tiny app: the form page, a re-render route and a save route, keeping the config in `store`."
    app = fh.FastHTML(hdrs=offline_headers(), default_hdrs=False)
    mount_assets(app)

    def page(values, errors=(), message=None):
        body = render_schema_fields(SCHEMA, values, errors=errors, rerender_url="/render")
        return fh.Title("form"), fh.Body(fh.P(message, id="message") if message else None,
                                         fh.Form(body, Button("Save", cls=ButtonT.primary, id="save"), id="form",
                                                 action="/save", method="post"))

    @app.get("/")
    def index(): return page(store["config"])

    @app.post("/render")
    async def rerender(req):
        config, errors = parse_schema_form(SCHEMA, await req.form())
        body = render_schema_fields(SCHEMA, config, errors=errors, rerender_url="/render")
        return body if req.headers.get("hx-request") else page(config, errors)

    @app.post("/save")
    async def save(req):
        form = await req.form()
        config, errors = parse_schema_form(SCHEMA, form, stored=store["config"])
        if form.get(FORM_OP_FIELD) or errors: return page(config, errors)
        store["config"] = config
        return page(config, message="Saved")
    return app


@pytest.fixture
def server(assets_ready):
    store = {"config": json.loads(json.dumps(INITIAL))}
    port = free_port()
    srv = uvicorn.Server(uvicorn.Config(make_app(store), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    while not srv.started:
        if not thread.is_alive(): pytest.fail("the test server did not start")
        time.sleep(0.05)
    try: yield f"http://127.0.0.1:{port}", store
    finally:
        srv.should_exit = True
        thread.join(timeout=10)


def hosts(page):
    return page.locator("input[name$='.host']").evaluate_all("els => els.map(e => e.value)")


def test_array_buttons_work_without_javascript(server, browser):
    url, store = server
    with no_js_page(browser) as page:
        page.goto(url)
        page.click("button[value='down:mirrors.0']")
        page.wait_for_url(f"{url}/render")
        assert hosts(page) == ["b", "a"]
        page.click("#save")
        page.wait_for_selector("#message")
        assert store["config"]["mirrors"] == [{"host": "b", "token": "tok-b"}, {"host": "a", "token": "tok-a"}]


def test_enter_in_a_text_field_saves_instead_of_moving_an_item(server, page_and_net):
    url, store = server
    page, _ = page_and_net
    page.goto(url)
    page.fill("input[name='mirrors.1.host']", "b2")
    page.press("input[name='mirrors.1.host']", "Enter")
    page.wait_for_selector("#message")
    assert [m["host"] for m in store["config"]["mirrors"]] == ["a", "b2"]
