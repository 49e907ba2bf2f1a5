"""Error answers of `plugin_router`: 400 for malformed ids, 404 for unknown ones, 500 without a traceback."""
import errno

import pytest
from fasthtml.common import FastHTML
from starlette.testclient import TestClient

from cjm_fasthtml_plugins.components.routes import plugin_router
from cjm_fasthtml_plugins.core.registry import UnifiedPluginRegistry

HX = {"HX-Request": "true"}
BROWSER = {"Sec-Fetch-Site": "same-origin"}  # what a browser sends with a request from the app's own pages


class Info:
    def __init__(self, name): self.name, self.version = name, "1.0"


class Manager:
    def discover_plugins(self): return [Info("whisper")]
    def get_plugin_config_schema(self, name):
        return {"title": "Whisper", "type": "object", "properties": {"beam_size": {"type": "integer", "default": 5}}}


@pytest.fixture
def registry(tmp_path):
    registry = UnifiedPluginRegistry(tmp_path)
    registry.register_plugin_manager("transcription", Manager())
    return registry


def client_for(registry, **kw):
    app = FastHTML(secret_key="test")
    router = plugin_router(registry, **kw)
    router.to_app(app)
    return router, TestClient(app, headers=BROWSER, raise_server_exceptions=False)


MALFORMED = [".hidden", "a b", "x" * 201, "caf%C3%A9", "semi;colon", "%2e%2e", "a%2Fb"]


@pytest.mark.parametrize("plugin_id", MALFORMED)
@pytest.mark.parametrize("method,path", [("get", "/plugins/settings/{}"), ("post", "/plugins/settings/{}"),
                                         ("post", "/plugins/reset/{}"), ("get", "/plugins/details?plugin_id={}")])
def test_a_malformed_id_answers_400(registry, plugin_id, method, path):
    _, client = client_for(registry)
    r = getattr(client, method)(path.format(plugin_id), headers=HX)
    assert r.status_code == 400, r.text
    assert "Invalid plugin id" in r.text and 'role="alert"' in r.text


def test_dot_dot_answers_400(registry):
    _, client = client_for(registry)  # in a path, clients resolve '..' themselves; in a query it reaches the route
    assert client.get("/plugins/details?plugin_id=..", headers=HX).status_code == 400
    assert client.post("/plugins/select", data={"plugin_id": "../x"}).status_code == 404  # no hook: no select route


def test_an_empty_id_answers_400(registry):
    _, client = client_for(registry)
    assert client.get("/plugins/details", headers=HX).status_code == 400
    assert client.get("/plugins/settings/", headers=HX).status_code == 400


@pytest.mark.parametrize("method,path", [("get", "/plugins/settings/transcription_nope"),
                                         ("post", "/plugins/settings/transcription_nope"),
                                         ("post", "/plugins/reset/llm_gpt"),
                                         ("get", "/plugins/details?plugin_id=transcription_nope"),
                                         ("get", "/plugins/category/video"),
                                         ("get", "/plugins/compare?category=video"),
                                         ("get", "/plugins/compare")])
def test_an_unknown_plugin_or_category_answers_404_with_a_clear_message(registry, method, path):
    _, client = client_for(registry)
    for headers in (HX, {}):
        r = getattr(client, method)(path, headers=headers)
        assert r.status_code == 404
        assert "is registered." in r.text and "Not found" in r.text


def test_an_unknown_plugin_in_the_selection_hook_answers_404(registry):
    router, client = client_for(registry, on_select=lambda p, r: None)
    assert client.post(router.select.to(), data={"plugin_id": "transcription_nope"}, headers=HX).status_code == 404
    assert client.post(router.select.to(), data={"plugin_id": ""}, headers=HX).status_code == 400


def test_a_failing_hook_answers_500_without_a_traceback(registry, caplog):
    def explode(plugin, request): raise RuntimeError("database is down")
    router, client = client_for(registry, on_select=explode)
    for headers in (HX, {}):
        r = client.post(router.select.to(), data={"plugin_id": "transcription_whisper"}, headers=headers)
        assert r.status_code == 500
        assert "Traceback" not in r.text and "database is down" not in r.text
        assert "the server log has the details" in r.text
    assert "database is down" in caplog.text


def test_a_write_failure_is_shown_in_the_form(registry, monkeypatch, caplog):
    router, client = client_for(registry)
    def fail(*args, **kwargs): raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(registry, "write_plugin_config", fail)
    r = client.post(router.save.to(plugin_id="transcription_whisper"), data={"beam_size": "3", "__revision__": ""},
                    headers=HX)
    assert r.status_code == 200
    assert "No space left on device" in r.text and "nothing was saved" in r.text
    assert r.text.count('data-testid="form-errors"') == 1


def test_a_failed_reset_says_so(registry, monkeypatch):
    router, client = client_for(registry)
    monkeypatch.setattr(registry, "delete_plugin_config", lambda uid: False)
    r = client.post(router.reset.to(plugin_id="transcription_whisper"), data={"__revision__": ""}, headers=HX)
    assert "could not be deleted" in r.text


def test_errors_use_the_apps_page_wrapper(registry):
    from fasthtml.common import Main, Title
    _, client = client_for(registry, page=lambda title, *c: (Title(title), Main(*c, id="app-layout")))
    r = client.get("/plugins/settings/transcription_nope")
    assert r.status_code == 404 and "<title>Error 404</title>" in r.text and 'id="app-layout"' in r.text


def test_a_refused_save_keeps_the_form_and_shows_why_above_it(registry):
    "A save refused before it is read (a field over the size limit) answers in the panel's status line, not in place of the form."
    router, client = client_for(registry)
    panel = client.get(router.settings.to(plugin_id="transcription_whisper"), headers=HX).text
    assert '<div hidden id="plugin-settings-status"></div>' in panel
    for target in ("plugin-settings", "cfg-body"):  # a save, and a re-render of the fields
        url = router.save.to(plugin_id="transcription_whisper") if target == "plugin-settings" else router.rerender.to(plugin_id="transcription_whisper")
        r = client.post(url, data={"beam_size": "x" * 70_000, "__revision__": ""}, headers={**HX, "HX-Target": target})
        assert r.status_code == 400 and (r.headers["HX-Retarget"], r.headers["HX-Reswap"]) == ("#plugin-settings-status", "outerHTML")
        assert 'id="plugin-settings-status"' in r.text and "Nothing was changed" in r.text
    r = client.get(router.details.to(plugin_id="nope_nope"), headers={**HX, "HX-Target": "plugin-details"})  # other views: in place
    assert r.status_code == 404 and "HX-Retarget" not in r.headers


def test_a_refused_reset_of_a_corrupt_config_has_a_status_line_to_answer_in(registry, tmp_path):
    "The corrupt-config panel's Reset targets the panel too, so a refusal is retargeted to its status line: that line must be there."
    router, client = client_for(registry)
    (tmp_path / "transcription_whisper.json").write_text("{not json")
    panel = client.get(router.settings.to(plugin_id="transcription_whisper"), headers=HX).text
    assert "The saved config cannot be read." in panel and 'hx-target="#plugin-settings"' in panel
    r = client.post(router.reset.to(plugin_id="transcription_whisper"), data={"__revision__": ""},
                    headers={**HX, "HX-Target": "plugin-settings", "Sec-Fetch-Site": "cross-site"})  # refused: another site
    assert r.status_code == 403 and r.headers["HX-Retarget"] == "#plugin-settings-status"
    assert '<div hidden id="plugin-settings-status"></div>' in panel  # else HTMX finds no target and the refusal shows nowhere
    assert (tmp_path / "transcription_whisper.json").read_text() == "{not json"
