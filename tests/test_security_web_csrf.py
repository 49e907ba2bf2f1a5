"""Cross-site requests and the CSRF token: no POST of `plugin_router` changes anything unless it comes from the app's own pages."""
import json

import pytest
from fasthtml.common import FastHTML
from lxml import html as lxml_html
from starlette.testclient import TestClient

from cjm_fasthtml_plugins.components.routes import plugin_router
from cjm_fasthtml_plugins.core.registry import UnifiedPluginRegistry

from fake_plugins import Info, Manager

UID = "tools_flags"
SCHEMA = {"title": "Flags", "type": "object",
          "properties": {"flag": {"type": "boolean", "default": False},
                         "tags": {"type": "array", "items": {"type": "string", "enum": ["a", "b"]}, "default": []}}}
STORED = {"flag": True, "tags": ["a", "b"]}
SAME_ORIGIN = {"Sec-Fetch-Site": "same-origin"}
CROSS_SITE = [{"Sec-Fetch-Site": "cross-site"}, {"Sec-Fetch-Site": "same-site"},
              {"Origin": "https://evil.example"}, {"Origin": "null"}, {"Origin": "http://testserver.evil.example"}]


@pytest.fixture
def site(tmp_path):
    registry = UnifiedPluginRegistry(tmp_path)
    registry.register_plugin_manager("tools", Manager({"flags": (Info("flags"), SCHEMA)}))
    registry.write_plugin_config(UID, STORED)
    selected = []
    app = FastHTML(secret_key="test")
    router = plugin_router(registry, on_select=lambda plugin, request: selected.append(plugin.get_unique_id()))
    router.to_app(app)
    return registry, router, app, selected, tmp_path / f"{UID}.json"


def attacks(router, revision):
    "The three state-changing posts a forged form would send: save (all off), reset, select."
    return [(router.save.to(plugin_id=UID), {"__revision__": revision}),
            (router.reset.to(plugin_id=UID), {"__revision__": revision}),
            (router.select.to(), {"plugin_id": UID})]


@pytest.mark.parametrize("headers", CROSS_SITE, ids=lambda h: "-".join(f"{k}:{v}" for k, v in h.items()))
def test_a_cross_site_post_is_refused_and_changes_nothing(site, headers):
    registry, router, app, selected, path = site
    before = path.read_bytes()
    client = TestClient(app, headers=headers)
    for url, data in attacks(router, registry.get_config_revision(UID)):
        for hx in ({}, {"HX-Request": "true"}):
            r = client.post(url, data=data, headers=hx)
            assert r.status_code == 403, (url, r.text)
            assert "Cross-site request refused" in r.text and "Traceback" not in r.text
    assert path.read_bytes() == before and selected == []


def test_a_client_sending_neither_header_needs_the_session_token(site):
    registry, router, app, selected, path = site
    before = path.read_bytes()
    client = TestClient(app)  # no Sec-Fetch-Site, no Origin: like a script or an old browser
    for url, data in attacks(router, registry.get_config_revision(UID)):
        r = client.post(url, data=data)
        assert r.status_code == 403 and "CSRF token" in r.text, url
        r = client.post(url, data={**data, "__csrf__": "guessed"}, headers={"X-CSRF-Token": "guessed"})
        assert r.status_code == 403, url
    assert path.read_bytes() == before and selected == []


def test_the_token_of_the_page_lets_such_a_client_post(site):
    registry, router, app, selected, path = site
    client = TestClient(app)
    page = client.get(router.category_page.to(category="tools")).text
    doc = lxml_html.fromstring(page)
    token = json.loads(doc.xpath('//div[@hx-headers]/@hx-headers')[0])["X-CSRF-Token"]
    assert doc.xpath('//input[@name="__csrf__"]/@value') == [token]  # the form carries it too, for no-JS posts
    r = client.post(router.select.to(), data={"plugin_id": UID}, headers={"X-CSRF-Token": token})
    assert r.status_code == 200 and selected == [UID]
    r = client.post(router.save.to(plugin_id=UID), data={"flag": "true", "__revision__": registry.get_config_revision(UID),
                                                        "__csrf__": token})
    assert r.status_code == 200 and "Settings saved." in r.text
    other = TestClient(app)  # another session: the first session's token is no good there
    other.get(router.index.to())
    assert other.post(router.select.to(), data={"plugin_id": UID}, headers={"X-CSRF-Token": token}).status_code == 403


def test_the_same_origin_still_works(site):
    registry, router, app, selected, path = site
    for headers in (SAME_ORIGIN, {"Origin": "http://testserver"}):
        client = TestClient(app, headers=headers)
        r = client.post(router.save.to(plugin_id=UID), data={"flag": "true", "tags": ["a"], "__revision__": registry.get_config_revision(UID)})
        assert r.status_code == 200 and "Settings saved." in r.text
        assert json.loads(path.read_text()) == {"flag": True, "tags": ["a"]}


def test_a_save_without_the_revision_is_refused(site):
    registry, router, app, selected, path = site
    before = path.read_bytes()
    client = TestClient(app, headers=SAME_ORIGIN)
    for data in ({"flag": "true"}, {}, {"tags": ["a"], "__revision___": "x"}):
        r = client.post(router.save.to(plugin_id=UID), data=data or {"unrelated": ""}, headers={"HX-Request": "true"})
        assert r.status_code == 400, data
        assert "stale or incomplete" in r.text and "reload" in r.text.lower()
    assert path.read_bytes() == before
    r = client.post(router.save.to(plugin_id=UID), data={"flag": "true", "__revision__": "stale"})  # present but stale: a conflict
    assert r.status_code == 200 and 'data-testid="conflict"' in r.text and path.read_bytes() == before
