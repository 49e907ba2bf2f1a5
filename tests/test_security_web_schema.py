"""A plugin whose schema cannot be drawn is its own clear error: its neighbours' pages, the comparison and their saves work."""
import json

import pytest
from fasthtml.common import FastHTML
from lxml import html as lxml_html
from starlette.testclient import TestClient

from cjm_fasthtml_plugins.components.routes import plugin_router
from cjm_fasthtml_plugins.core.registry import UnifiedPluginRegistry

from fake_plugins import Info, Manager

HX = {"HX-Request": "true"}
GOOD = {"title": "Good", "type": "object", "properties": {"n": {"type": "integer", "default": 1}}}
UNDRAWABLE = {  # schemas that pass registration but cannot be drawn (first in their category: the page picks one)
    "ref-loop": {"title": "Loop", "type": "object", "$defs": {"a": {"$ref": "#/$defs/a"}}, "properties": {"n": {"$ref": "#/$defs/a"}}},
    "remote-ref": {"title": "Remote", "type": "object", "properties": {"n": {"$ref": "http://127.0.0.1:9/never-fetched.json"}}},
}
TOLERATED = {  # odd schemas the settings form still draws (an `enum` that is no list offers no choices: a text field)
    "enum-not-a-list": {"title": "Odd", "type": "object", "properties": {"n": {"type": "string", "enum": 5}}},
}
REFUSED = {  # schemas the registry already refuses at registration: the plugin is a load failure, never drawn
    "properties-not-a-mapping": {"title": "Odd", "type": "object", "properties": "n, m"},
    "properties-list": {"title": "Listed", "type": "object", "properties": ["n", "m"]},
}
UNUSABLE = {**UNDRAWABLE, **REFUSED, **TOLERATED}


def make_site(tmp_path, schema):
    registry = UnifiedPluginRegistry(tmp_path)
    registry.register_plugin_manager("mixed", Manager({"bad": (Info("bad"), schema),
                                                       "good": (Info("good"), GOOD)}))
    app = FastHTML(secret_key="test")
    router = plugin_router(registry, on_select=lambda plugin, req: None)
    router.to_app(app)
    return registry, router, TestClient(app, headers={"Sec-Fetch-Site": "same-origin"}, raise_server_exceptions=False), tmp_path


@pytest.fixture(params=list(UNUSABLE))
def site(request, tmp_path): return make_site(tmp_path, UNUSABLE[request.param])


@pytest.fixture(params=list(REFUSED))
def refused(request, tmp_path): return make_site(tmp_path, REFUSED[request.param])


def test_a_schema_refused_at_registration_is_a_load_failure_shown_on_the_category_page(refused):
    registry, router, client, _ = refused
    assert [f.error_type for f in registry.get_load_failures("mixed")] == ["SchemaError"]
    r = client.get(router.category_page.to(category="mixed"))
    assert r.status_code == 200 and "SchemaError" in r.text and xpath(r.text, '//input[@name="n"]/@value') == ["1"]


@pytest.fixture(params=list(UNDRAWABLE))
def undrawable(request, tmp_path): return make_site(tmp_path, UNDRAWABLE[request.param])


def xpath(text, query): return lxml_html.fromstring(f"<div>{text}</div>").xpath(query)


def test_the_category_page_shows_the_error_in_the_plugins_own_panel(undrawable):
    registry, router, client, _ = undrawable
    for headers in ({}, HX):
        r = client.get(router.category_page.to(category="mixed"), headers=headers)
        assert r.status_code == 200, r.text[:300]
        panel, = xpath(r.text, '//*[@data-testid="schema-error"]')
        assert panel.get("data-plugin-id") == "mixed_bad" and "config schema cannot be drawn" in panel.text_content()
        assert "Traceback" not in r.text
    r = client.get(router.category_page.to(category="mixed", plugin_id="mixed_good"))
    assert xpath(r.text, '//input[@name="n"]/@value') == ["1"]


def test_its_own_routes_answer_with_the_error_not_a_500(undrawable):
    registry, router, client, path = undrawable
    for url in (router.settings.to(plugin_id="mixed_bad"), router.details.to(plugin_id="mixed_bad", settings=1)):
        r = client.get(url, headers=HX)
        assert r.status_code == 200 and "cannot be drawn" in r.text, url


def test_no_route_of_the_category_answers_500(site):
    registry, router, client, path = site
    urls = [router.index.to(), router.category_page.to(category="mixed"), router.compare.to(category="mixed"),
            router.settings.to(plugin_id="mixed_bad"), router.details.to(plugin_id="mixed_bad", settings=1)]
    refused = registry.get_plugin("mixed_bad") is None  # a load failure: its own routes answer 404 Unknown plugin
    for url in urls:
        for headers in ({}, HX):
            r = client.get(url, headers=headers)
            expected = 404 if refused and "mixed_bad" in url else 200
            assert r.status_code == expected and "Traceback" not in r.text, url
    r = client.post(router.save.to(plugin_id="mixed_bad"), data={"n": "2", "__revision__": ""}, headers=HX)
    assert r.status_code < 500 and "Traceback" not in r.text


def test_the_comparison_and_the_neighbours_still_work(site):
    registry, router, client, path = site
    r = client.get(router.compare.to(category="mixed"), headers=HX)
    assert r.status_code == 200
    assert "mixed_good" in xpath(r.text, '//tr/@data-plugin-id')
    r = client.get(router.settings.to(plugin_id="mixed_good"), headers=HX)
    assert r.status_code == 200 and xpath(r.text, '//input[@name="n"]/@value') == ["1"]
    r = client.post(router.save.to(plugin_id="mixed_good"), data={"n": "7", "__revision__": ""}, headers=HX)
    assert r.status_code == 200 and "Settings saved." in r.text
    assert json.loads((path / "mixed_good.json").read_text()) == {"n": 7}
    assert client.get(router.index.to()).status_code == 200
