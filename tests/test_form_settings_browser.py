"""The settings panel of `plugin_router` in headless Chromium, served by uvicorn with the real routes (CSRF guard,
worker-thread drawing): array items added, moved and removed and a conditional field appearing and becoming required,
through the re-render route; a save that keeps nested secrets; the first invalid field takes the focus after a save."""
from __future__ import annotations


import pytest

import fasthtml.common as fh

from browser_support import no_js_page, serve_app  # the browser fixtures come from conftest.py
from cjm_fasthtml_plugins.demo.assets import mount_assets, offline_headers
from cjm_fasthtml_plugins.components.routes import htmx_error_swap_config, plugin_router
from cjm_fasthtml_plugins.core.registry import UnifiedPluginRegistry

from fake_plugins import Info, Manager

pytestmark = pytest.mark.browser

UID = "export_hub"
SCHEMA = {  # as pydantic writes it: a list of models through $defs, an Optional secret, a conditional
    "title": "Hub", "type": "object", "required": ["mode"],
    "$defs": {"Mirror": {"type": "object", "title": "Mirror", "required": ["host"],
                         "properties": {"host": {"type": "string", "title": "Host", "minLength": 1},
                                        "token": {"anyOf": [{"type": "string", "format": "password", "writeOnly": True},
                                                            {"type": "null"}], "default": None, "title": "Token"}}}},
    "properties": {"mode": {"enum": ["local", "remote"], "title": "Mode", "default": "local"},
                   "retries": {"type": "integer", "minimum": 0, "maximum": 5, "default": 1, "title": "Retries"},
                   "mirrors": {"type": "array", "items": {"$ref": "#/$defs/Mirror"}, "title": "Mirrors"}},
    "if": {"properties": {"mode": {"const": "remote"}}, "required": ["mode"]},
    "then": {"properties": {"url": {"type": "string", "format": "uri", "title": "URL"}}, "required": ["url"]}}
INITIAL = {"mode": "local", "retries": 1, "mirrors": [{"host": "a", "token": "tok-a"}, {"host": "b", "token": "tok-b"}]}
FORM = "#plugin-settings-form"


@pytest.fixture
def server(assets_ready, tmp_path):
    registry = UnifiedPluginRegistry(tmp_path)
    registry.register_plugin_manager("export", Manager({"hub": (Info("hub"), SCHEMA)}))
    registry.write_plugin_config(UID, INITIAL)
    app = fh.FastHTML(hdrs=(*offline_headers(), htmx_error_swap_config()), default_hdrs=False, secret_key="test")
    mount_assets(app)
    router = plugin_router(registry)
    router.to_app(app)
    with serve_app(app) as base: yield base + router.settings.to(plugin_id=UID), registry


def hosts(page):
    return page.locator(f"{FORM} input[name$='.host']").evaluate_all("els => els.map(e => e.value)")


def save(page):
    with page.expect_response(lambda r: r.request.method == "POST"):
        page.locator(FORM).get_by_role("button", name="Save", exact=True).click()


def test_array_items_are_added_moved_and_removed_and_secrets_follow_their_items(server, page_and_net):
    url, registry = server
    page, net = page_and_net
    page.goto(url)
    page.click("button[value='add:mirrors']")
    page.wait_for_selector("input[name='mirrors.2.host']")
    page.fill("input[name='mirrors.2.host']", "c")
    page.click("button[value='up:mirrors.2']")
    page.wait_for_function("document.querySelector(\"input[name='mirrors.1.host']\").value === 'c'")
    page.click("button[value='remove:mirrors.0']")
    page.wait_for_function("document.querySelectorAll(\"input[name$='.host']\").length === 2")
    assert hosts(page) == ["c", "b"]
    page.fill("input[name='mirrors.0.token']", "tok-c")
    save(page)
    page.wait_for_selector("[data-testid='form-message']")
    assert registry.load_plugin_config(UID)["mirrors"] == [{"host": "c", "token": "tok-c"}, {"host": "b", "token": "tok-b"}]
    assert net.htmx and not any("tok-" in r["body"] for r in net.responses)  # no secret was ever sent to the browser


def test_conditional_field_appears_and_becomes_required(server, page_and_net):
    url, registry = server
    page, _ = page_and_net
    page.goto(url)
    assert page.locator("input[name='url']").count() == 0
    page.check("input[name='mode'][value='remote']")
    field = page.wait_for_selector("input[name='url']")
    assert field.get_attribute("required") is not None and field.get_attribute("type") == "url"
    assert "*" in page.locator(f"label[for='{field.get_attribute('id')}']").inner_text()
    save(page)  # left empty: the save is refused, next to the field, and the field takes the focus
    assert page.locator("[data-field-error='url']").count() == 1
    page.wait_for_function("document.activeElement && document.activeElement.name === 'url'")
    assert page.locator("input[name='url']").get_attribute("aria-invalid") == "true"
    assert registry.load_plugin_config(UID)["mode"] == "local"
    page.fill("input[name='url']", "https://asr.example")
    save(page)
    page.wait_for_selector("[data-testid='form-message']")
    page.wait_for_function("document.activeElement && document.activeElement.dataset.testid === 'form-message'")
    saved = registry.load_plugin_config(UID)
    assert (saved["mode"], saved["url"], saved["mirrors"][0]["token"]) == ("remote", "https://asr.example", "tok-a")


def test_array_buttons_work_without_javascript(server, browser):
    url, registry = server
    with no_js_page(browser) as page:
        page.goto(url)
        page.click("button[value='down:mirrors.0']")
        page.wait_for_load_state()
        assert hosts(page) == ["b", "a"]
        assert registry.load_plugin_config(UID)["mirrors"][0]["host"] == "a"  # moving saves nothing
        page.locator(FORM).get_by_role("button", name="Save", exact=True).click()
        page.wait_for_selector("[data-testid='form-message']")
        assert registry.load_plugin_config(UID)["mirrors"] == [{"host": "b", "token": "tok-b"}, {"host": "a", "token": "tok-a"}]


def test_array_buttons_pressed_from_the_keyboard_keep_the_focus(server, page_and_net):
    "Add, Move and Remove redraw the fields; the focus stays on the button at the same place instead of falling to <body>."
    url, _ = server
    page, _ = page_and_net
    page.goto(url)
    for op, hosts_after in (("down:mirrors.0", ["b", "a"]), ("add:mirrors", ["b", "a", ""]), ("remove:mirrors.1", ["b", ""])):
        page.focus(f"button[value='{op}']")
        with page.expect_response(lambda r: r.request.method == "POST"):
            page.keyboard.press("Enter")
        page.wait_for_function("() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')")
        assert hosts(page) == hosts_after
        assert page.evaluate("document.activeElement.value") == op, page.evaluate("document.activeElement.outerHTML.slice(0, 120)")


def test_a_field_reset_from_the_keyboard_takes_the_focus(server, page_and_net):
    "A field's Reset button disappears once the field is back at its default: the field itself takes the focus."
    url, _ = server
    page, _ = page_and_net
    page.goto(url)
    page.fill("input[name='retries']", "3")
    with page.expect_response(lambda r: r.request.method == "POST"):
        page.check("input[name='mode'][value='remote']")  # a redraw: both fields now say Modified, with a Reset button
    page.wait_for_selector("button[value='reset:retries']")
    page.focus("button[value='reset:retries']")
    with page.expect_response(lambda r: r.request.method == "POST"):
        page.keyboard.press("Enter")
    page.wait_for_function("() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')")
    assert page.input_value("input[name='retries']") == "1"
    assert page.evaluate("document.activeElement.name") == "retries", page.evaluate("document.activeElement.outerHTML.slice(0, 120)")
    page.focus("button[value='reset:mirrors']")  # a list has no control of its own: its Add button takes the focus
    with page.expect_response(lambda r: r.request.method == "POST"):
        page.keyboard.press("Enter")
    page.wait_for_function("() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')")
    assert hosts(page) == []
    assert page.evaluate("document.activeElement.value") == "add:mirrors", page.evaluate("document.activeElement.outerHTML.slice(0, 120)")
