"""A stored config whose shape no longer matches a schema that holds secrets (an object saved as a string, an array
as a string, an item as an object) must not bring the secret into any page, fragment (the form, a conflict's other version) or log.

The form draws a value it cannot edit as it is (a disabled field, its JSON posted back), so it relies on
`core.schema_tree.mask_secrets` masking a value that cannot fit a schema taking only objects or arrays;
`keep_stored_secrets` puts the stored value back when the form posts the mask, so a save keeps it.
"""
import json
import logging

import pytest
from fasthtml.common import FastHTML
from starlette.testclient import TestClient

from cjm_fasthtml_plugins.components.routes import plugin_router
from cjm_fasthtml_plugins.core.registry import UnifiedPluginRegistry

from fake_plugins import Info, Manager
from form_support import panel_data

HX = {"HX-Request": "true"}
SCHEMA = {"title": "Proxy", "type": "object", "properties": {
    "proxy": {"type": "object", "properties": {"host": {"type": "string"}, "password": {"type": "string", "writeOnly": True}}},
    "keys": {"type": "array", "items": {"type": "string", "format": "password"}},
    "tokens": {"type": "array", "items": {"type": "object", "properties": {"t": {"type": "string", "writeOnly": True}}}},
    "n": {"type": "integer", "default": 1}}}
STORED = {"proxy": "LEAK-proxy-string", "keys": "LEAK-keys-string", "tokens": {"t": "LEAK-item-object"}, "n": 3}


@pytest.fixture
def site(tmp_path):
    registry = UnifiedPluginRegistry(tmp_path)
    registry.register_plugin_manager("net", Manager({"proxy": (Info("proxy"), SCHEMA)}))
    (tmp_path / "net_proxy.json").write_text(json.dumps(STORED))  # written by an older version of the plugin
    app = FastHTML(secret_key="test")
    router = plugin_router(registry)
    router.to_app(app)
    return router, TestClient(app, headers={"Sec-Fetch-Site": "same-origin"}), tmp_path


def test_a_secret_stored_in_the_wrong_shape_reaches_no_page_or_log(site, caplog):
    router, client, config_dir = site
    caplog.set_level(logging.DEBUG)
    urls = [router.category_page.to(category="net"), router.settings.to(plugin_id="net_proxy"),
            router.details.to(plugin_id="net_proxy", settings=1), router.history.to(plugin_id="net_proxy")]
    pages = [client.get(url, headers=h) for url in urls for h in ({}, HX)]
    saved = client.post(router.save.to(plugin_id="net_proxy"), headers=HX,
                        data=panel_data(client.get(router.settings.to(plugin_id="net_proxy")).text))
    conflict = client.post(router.save.to(plugin_id="net_proxy"), headers=HX, data={"n": "4", "__revision__": "stale"})
    assert 'data-testid="conflict"' in conflict.text  # the other version is shown: masked as in the form
    for r in pages + [saved, conflict]:
        assert r.status_code == 200 and "LEAK" not in r.text and "LEAK" not in str(r.headers), r.url
    assert "LEAK" not in caplog.text
    assert json.loads((config_dir / "net_proxy.json").read_text()) == STORED  # the save kept (or refused) them
