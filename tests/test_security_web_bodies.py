"""Bodies of the form routes: only bounded form posts are read; nothing else ever saves "everything off"."""
import json

import pytest
from fasthtml.common import FastHTML
from starlette.testclient import TestClient

from cjm_fasthtml_plugins.components.routes import plugin_router
from cjm_fasthtml_plugins.core.registry import UnifiedPluginRegistry

from fake_plugins import Info, Manager

UID = "tools_flags"
SCHEMA = {"title": "Flags", "type": "object",
          "properties": {"flag": {"type": "boolean", "default": False}, "name": {"type": "string", "default": ""},
                         "tags": {"type": "array", "items": {"type": "string", "enum": ["a", "b"]}, "default": []},
                         "extra": {"type": "object", "default": {}}}}
STORED = {"flag": True, "tags": ["a", "b"]}
HEADERS = {"Sec-Fetch-Site": "same-origin", "HX-Request": "true"}
URLENC = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture
def site(tmp_path):
    registry = UnifiedPluginRegistry(tmp_path)
    registry.register_plugin_manager("tools", Manager({"flags": (Info("flags"), SCHEMA)}))
    registry.write_plugin_config(UID, STORED)
    app = FastHTML(secret_key="test")
    router = plugin_router(registry, on_select=lambda plugin, request: None)
    router.to_app(app)
    client = TestClient(app, headers=HEADERS, raise_server_exceptions=False)
    return registry, router, client, tmp_path / f"{UID}.json"


def multipart(boundary, *fields):
    return b"".join(b"--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n%s\r\n" % (boundary, n, v) for n, v in fields)


@pytest.mark.parametrize("kind", ["json", "text", "empty", "empty-json", "xml"])
def test_a_body_that_is_not_a_form_is_415_and_changes_nothing(site, kind):
    registry, router, client, path = site
    before, revision = path.read_bytes(), registry.get_config_revision(UID)
    body = {"json": dict(json={"flag": False, "tags": [], "__revision__": revision}),
            "text": dict(content=f"flag=&__revision__={revision}".encode(), headers={"Content-Type": "text/plain"}),
            "empty": dict(),
            "empty-json": dict(content=b"", headers={"Content-Type": "application/json"}),
            "xml": dict(content=b"<flag/>", headers={"Content-Type": "application/xml"})}[kind]
    for url in (router.save.to(plugin_id=UID), router.reset.to(plugin_id=UID), router.select.to()):
        r = client.post(url, **body)
        assert r.status_code == 415, (url, r.text)
        assert "Only form posts" in r.text
    assert path.read_bytes() == before


def test_a_broken_or_cut_short_multipart_is_400_and_changes_nothing(site):
    registry, router, client, path = site
    before, revision = path.read_bytes(), registry.get_config_revision(UID).encode()
    complete = multipart(b"xx", (b"__revision__", revision), (b"flag", b"true")) + b"--xx--\r\n"
    cut = multipart(b"xx", (b"__revision__", revision)) + b"--xx\r\nContent-Disposition: form-data; name=\"fl"
    for content, ctype in ((cut, "multipart/form-data; boundary=xx"),
                           (complete[:-4], "multipart/form-data; boundary=xx"),
                           (complete, "multipart/form-data"),  # no boundary
                           (b"garbage without any boundary", "multipart/form-data; boundary=xx")):
        r = client.post(router.save.to(plugin_id=UID), content=content, headers={"Content-Type": ctype})
        assert r.status_code == 400, (content, r.text)
        assert "nothing was changed" in r.text.lower()
    assert path.read_bytes() == before
    r = client.post(router.save.to(plugin_id=UID), content=complete, headers={"Content-Type": "multipart/form-data; boundary=xx"})
    assert r.status_code == 200 and json.loads(path.read_text())["flag"] is True  # a whole multipart form still saves


def test_limits_on_body_size_field_size_and_number_of_fields(site):
    registry, router, client, path = site
    before, revision = path.read_bytes(), registry.get_config_revision(UID)
    url = router.save.to(plugin_id=UID)
    r = client.post(url, content=f"__revision__={revision}&name=".encode() + b"x" * (1024 * 1024), headers=URLENC)
    assert r.status_code == 413 and "larger than 1,048,576 bytes" in r.text
    chunks = (b"name=" if i == 0 else b"y" * 65536 for i in range(20))  # no Content-Length: read until the limit
    r = client.post(url, content=chunks, headers=URLENC)
    assert r.status_code == 413
    r = client.post(url, data={"__revision__": revision, "name": "x" * (64 * 1024 + 1)})
    assert r.status_code == 400 and "Field exceeded maximum size of 64KB" in r.text
    r = client.post(url, content=f"__revision__={revision}&".encode() + b"&".join(b"f%d=1" % i for i in range(1000)), headers=URLENC)
    assert r.status_code == 400 and "Too many fields. Maximum number of fields is 1000." in r.text
    assert path.read_bytes() == before
    r = client.post(url, data={"__revision__": revision, "flag": "true", "name": "x" * 60_000})  # under every limit
    assert r.status_code == 200 and json.loads(path.read_text())["name"] == "x" * 60_000


def test_a_lone_surrogate_is_a_clear_400_not_a_500(site):
    registry, router, client, path = site
    before, revision = path.read_bytes(), registry.get_config_revision(UID)
    r = client.post(router.save.to(plugin_id=UID), data={"__revision__": revision, "flag": "true", "extra": '{"a": "\\ud800"}'})
    assert r.status_code == 400, r.text
    assert "lone surrogate" in r.text and "'extra'" in r.text
    assert path.read_bytes() == before


def test_a_file_upload_is_refused(site):
    registry, router, client, path = site
    before = path.read_bytes()
    r = client.post(router.save.to(plugin_id=UID), data={"__revision__": registry.get_config_revision(UID)},
                    files={"name": ("name.txt", b"hello")})
    assert r.status_code == 400 and "file upload" in r.text
    assert path.read_bytes() == before


def test_a_get_with_a_body_is_answered_without_reading_it(site):
    registry, router, client, path = site
    for url in (router.settings.to(plugin_id=UID), router.category_page.to(category="tools"), router.index.to()):
        r = client.request("GET", url, content=b"a=" + b"x" * (5 * 1024 * 1024), headers=URLENC)
        assert r.status_code == 200, url
