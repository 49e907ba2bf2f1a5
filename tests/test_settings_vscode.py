"""Settings that behave like VS Code's: a modified value is marked and has its own Reset (an `__op__` of `reset:<name>`
that redraws without saving, with and without JavaScript); "Filter settings" and "Show modified only"; a warning before
leaving unsaved changes. HTTP tests through `plugin_router` (TestClient) and journeys in headless Chromium (uvicorn)."""
from __future__ import annotations


import pytest
from lxml import html as lxml_html
from starlette.testclient import TestClient

import fasthtml.common as fh

from browser_support import serve_app  # the browser fixtures come from conftest.py
from cjm_fasthtml_plugins.components.form import FORM_OP_FIELD, render_schema_fields
from cjm_fasthtml_plugins.components.form_read import parse_schema_form
from cjm_fasthtml_plugins.components.routes import htmx_error_swap_config, plugin_router
from cjm_fasthtml_plugins.core.registry import UnifiedPluginRegistry
from cjm_fasthtml_plugins.demo.assets import mount_assets, offline_headers

from a11y_support import VIEWS, blocking, describe, ensure_axe, new_view_context, run_axe
from fake_plugins import Info, Manager
from form_support import form_pairs, panel_data

UID = "tool_p"
SCHEMA = {"type": "object", "title": "Tool", "properties": {
    "model": {"type": "string", "title": "Model", "default": "base", "description": "Which model to load."},
    "beam": {"type": "integer", "title": "Beam size", "default": 5, "description": "Search width."},
    "verbose": {"type": "boolean", "title": "Verbose", "default": False},
    "prompt": {"type": "string", "title": "Prompt", "description": "Text given to the model first."},
    "server": {"type": "object", "title": "Server", "properties": {
        "host": {"type": "string", "title": "Host", "default": "localhost"}}}}}
FORM = "#plugin-settings-form"


def site(tmp_path):
    registry = UnifiedPluginRegistry(tmp_path)
    registry.register_plugin_manager("tool", Manager({"p": (Info("p"), SCHEMA)}))
    app = fh.FastHTML(secret_key="test")
    router = plugin_router(registry)
    router.to_app(app)
    return registry, router, TestClient(app, headers={"Sec-Fetch-Site": "same-origin"})




def modified(text: str) -> list:
    return [el.get("data-setting") for el in lxml_html.fromstring(f"<div>{text}</div>").xpath('//*[@data-modified="true"]')]


# --- HTML and HTTP -----------------------------------------------------------------------------------------------

def test_only_values_that_differ_from_their_default_are_marked_with_text_and_a_reset_button():
    html = fh.to_xml(render_schema_fields(SCHEMA, {"model": "base", "beam": 7, "verbose": False, "prompt": "hi",
                                                   "server": {"host": "gpu"}}))
    assert modified(html) == ["beam", "prompt", "server.host"]
    root = lxml_html.fromstring(html)
    beam, = root.xpath('//*[@data-setting="beam"]')
    assert "Modified" in beam.text_content()
    button, = beam.xpath('.//button[@name="__op__"]')
    assert (button.get("value"), button.text_content(), button.get("aria-label")) == ("reset:beam", "Reset", "Reset Beam size to its default")
    assert modified(fh.to_xml(render_schema_fields(SCHEMA, {"model": "base", "beam": 5}))) == []


def test_the_markers_do_not_change_what_an_unchanged_submit_parses_to():
    values = {"model": "large", "beam": 7, "verbose": True, "prompt": "hi", "server": {"host": "gpu"}}
    pairs = form_pairs(fh.to_xml(render_schema_fields(SCHEMA, values)))
    assert parse_schema_form(SCHEMA, {k: [v for n, v in pairs if n == k] for k, _ in pairs}) == (values, [])


def test_the_reset_op_sets_just_that_value_back_to_its_default_or_removes_it():
    values = {"model": "large", "beam": 7, "prompt": "hi", "server": {"host": "gpu"}}
    form = {k: [v for n, v in form_pairs(fh.to_xml(render_schema_fields(SCHEMA, values))) if n == k]
            for k, _ in form_pairs(fh.to_xml(render_schema_fields(SCHEMA, values)))}
    assert parse_schema_form(SCHEMA, {**form, FORM_OP_FIELD: "reset:beam"})[0] == {**values, "beam": 5}
    assert parse_schema_form(SCHEMA, {**form, FORM_OP_FIELD: "reset:server.host"})[0] == {**values, "server": {"host": "localhost"}}
    assert "prompt" not in parse_schema_form(SCHEMA, {**form, FORM_OP_FIELD: "reset:prompt"})[0]


def test_reset_through_the_rerender_route_redraws_with_the_default_and_saves_nothing(tmp_path):
    registry, router, client = site(tmp_path)
    registry.write_plugin_config(UID, {"model": "large", "beam": 7})
    page = client.get(router.settings.to(plugin_id=UID))
    assert page.status_code == 200 and modified(page.text) == ["model", "beam"]
    data = {**panel_data(page.text), FORM_OP_FIELD: ["reset:beam"]}
    body = client.post(router.rerender.to(plugin_id=UID), data=data, headers={"HX-Request": "true"})
    assert body.status_code == 200 and modified(body.text) == ["model"]
    assert 'name="beam"' in body.text and 'value="5"' in body.text
    assert registry.load_plugin_config(UID)["beam"] == 7  # nothing saved


def test_reset_without_javascript_posts_to_the_save_route_which_redraws_and_saves_nothing(tmp_path):
    registry, router, client = site(tmp_path)
    registry.write_plugin_config(UID, {"model": "large", "beam": 7})
    page = client.get(router.settings.to(plugin_id=UID))
    data = {**panel_data(page.text), FORM_OP_FIELD: ["reset:model"]}
    answer = client.post(router.save.to(plugin_id=UID), data=data)
    assert answer.status_code == 200 and modified(answer.text) == ["beam"]
    assert registry.load_plugin_config(UID)["model"] == "large"
    saved = client.post(router.save.to(plugin_id=UID), data=panel_data(answer.text))
    assert saved.status_code == 200 and registry.load_plugin_config(UID)["model"] == "base"


def test_the_settings_form_has_labelled_filter_tools_that_post_nothing(tmp_path):
    registry, router, client = site(tmp_path)
    page = client.get(router.settings.to(plugin_id=UID))
    root = lxml_html.fromstring(page.text)
    assert root.xpath('//label[@for="cfg-filter"]')[0].text_content() == "Filter settings"
    assert root.xpath('//label[@for="cfg-modified-only"]')[0].text_content() == "Show modified only"
    assert root.xpath('//*[@id="cfg-filter"]')[0].get("name") is None
    assert root.xpath('//*[@id="cfg-shown"]')[0].get("aria-live") == "polite"
    assert "Unsaved changes" in root.xpath('//*[@data-unsaved]')[0].text_content()


# --- Browser journeys --------------------------------------------------------------------------------------------

@pytest.fixture
def server(assets_ready, tmp_path):
    registry = UnifiedPluginRegistry(tmp_path)
    registry.register_plugin_manager("tool", Manager({"p": (Info("p"), SCHEMA)}))
    app = fh.FastHTML(hdrs=(*offline_headers(), htmx_error_swap_config()), default_hdrs=False, secret_key="test",
                      htmlkw={"lang": "en"})
    mount_assets(app)
    router = plugin_router(registry)
    router.to_app(app)
    with serve_app(app) as base: yield base + router.settings.to(plugin_id=UID), registry


def save(page):
    with page.expect_response(lambda r: r.request.method == "POST"):
        page.locator(FORM).get_by_role("button", name="Save", exact=True).click()


@pytest.mark.browser
def test_a_changed_value_is_marked_after_saving_and_its_reset_brings_the_default_back(server, page_and_net):
    url, registry = server
    page, _ = page_and_net
    page.goto(url)
    assert page.locator("[data-modified='true']").count() == 0
    page.fill("input[name='beam']", "8")
    save(page)
    page.wait_for_selector("[data-setting='beam'][data-modified='true']")
    assert registry.load_plugin_config(UID)["beam"] == 8
    field = page.locator("[data-setting='beam']")
    assert "Modified" in field.inner_text()
    field.get_by_role("button", name="Reset Beam size to its default").click()
    page.wait_for_function("document.querySelector(\"input[name='beam']\").value === '5'")
    assert page.locator("[data-modified='true']").count() == 0
    assert registry.load_plugin_config(UID)["beam"] == 8  # a redraw, not a save
    assert page.locator("[data-unsaved]").is_visible()
    save(page)
    page.wait_for_selector("[data-unsaved][hidden]", state="attached")
    assert registry.load_plugin_config(UID)["beam"] == 5


@pytest.mark.browser
def test_show_modified_only_and_the_filter_box_narrow_the_settings(server, page_and_net):
    url, registry = server
    registry.write_plugin_config(UID, {"beam": 9, "prompt": "hello"})
    page, _ = page_and_net
    page.goto(url)
    status = page.locator("#cfg-shown")
    page.wait_for_function("document.getElementById('cfg-shown').textContent === '5 of 5 settings shown'")
    page.get_by_label("Show modified only").check()
    page.wait_for_function("document.getElementById('cfg-shown').textContent === '2 of 5 settings shown'")
    assert page.locator("[data-setting='beam']").is_visible() and page.locator("[data-setting='prompt']").is_visible()
    assert not page.locator("[data-setting='model']").is_visible()
    page.get_by_label("Show modified only").uncheck()
    page.get_by_label("Filter settings").fill("search width")  # a description's text
    page.wait_for_function("document.getElementById('cfg-shown').textContent === '1 of 5 settings shown'")
    assert page.locator("[data-setting='beam']").is_visible() and not page.locator("[data-setting='prompt']").is_visible()
    page.get_by_label("Filter settings").press("Enter")  # does not submit the form
    page.get_by_label("Filter settings").fill("HOST")
    page.wait_for_function("document.getElementById('cfg-shown').textContent === '1 of 5 settings shown'")
    assert page.locator("[data-setting='server.host']").is_visible()
    assert status.get_attribute("aria-live") == "polite"
    assert page.locator("[data-unsaved]").is_hidden()  # filtering is not an edit
    assert registry.load_plugin_config(UID) == {"beam": 9, "prompt": "hello"}


@pytest.mark.browser
def test_leaving_with_unsaved_changes_asks_first_and_not_after_saving(server, page_and_net):
    url, registry = server
    page, _ = page_and_net
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.type), d.accept()))
    page.goto(url)
    page.fill("input[name='prompt']", "draft")
    assert page.locator("[data-unsaved]").is_visible()
    page.goto(url)  # leaving
    assert dialogs == ["beforeunload"]
    page.fill("input[name='prompt']", "kept")
    save(page)
    page.wait_for_selector("[data-unsaved][hidden]", state="attached")
    assert registry.load_plugin_config(UID)["prompt"] == "kept"
    page.goto(url)
    assert dialogs == ["beforeunload"]


@pytest.mark.browser
@pytest.mark.parametrize("view", VIEWS, ids=lambda v: v.name)
def test_markers_tools_and_unsaved_note_have_no_serious_axe_violation(server, browser, view):
    url, registry = server
    registry.write_plugin_config(UID, {"beam": 9, "prompt": "hello", "server": {"host": "gpu"}})
    ctx = new_view_context(browser, view, url.split("/plugins")[0])
    try:
        page = ctx.new_page()
        page.goto(url)
        page.fill("input[name='model']", "large")  # the 'Unsaved changes' note shows
        page.get_by_label("Show modified only").check()
        assert page.locator("[data-unsaved]").is_visible() and page.locator("[data-modified='true']").count() == 3
        bad = blocking(run_axe(page, ensure_axe()))
        assert bad == [], describe(bad, f"{view.name}: ")
        assert ctx.offsite == []
    finally: ctx.close()
