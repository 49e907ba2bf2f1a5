"""HTTP behaviour of `plugin_router` against a real registry on a temporary config directory."""
import json

import pytest
from fasthtml.common import FastHTML, Main, Title
from lxml import html as lxml_html
from starlette.testclient import TestClient

from cjm_fasthtml_plugins.components.routes import plugin_router
from cjm_fasthtml_plugins.core.registry import UnifiedPluginRegistry

from fake_plugins import Info, Manager

HX = {"HX-Request": "true"}
BROWSER = {"Sec-Fetch-Site": "same-origin"}  # what a browser sends with a request from the app's own pages
SECRET = "sk-VERY-SECRET-42"
WHISPER = {"title": "Whisper", "type": "object", "required": ["model"],
           "properties": {"model": {"type": "string", "enum": ["tiny", "base", "large"], "default": "base"},
                          "beam_size": {"type": "integer", "minimum": 1, "maximum": 10, "default": 5},
                          "temperature": {"type": "number", "minimum": 0, "maximum": 1, "default": 0.0},
                          "supports_streaming": {"type": "boolean", "default": True},
                          "outputs": {"type": "array", "items": {"type": "string", "enum": ["txt", "srt"]}, "default": ["txt"]},
                          "api_key": {"type": "string", "format": "password"}}}


def make_registry(config_dir):
    registry = UnifiedPluginRegistry(config_dir)
    registry.register_plugin_manager("transcription", Manager({
        "whisper": (Info("whisper"), WHISPER),
        "cloud": (Info("cloud", execution_mode="cloud_gpu"), {"title": "Cloud", "type": "object"}),
        "broken": (Info("broken"), RuntimeError("schema server down"))}))
    registry.register_plugin_manager("llm", Manager({"gemini": (Info("gemini"), {"title": "Gemini", "type": "object"})}))
    return registry


@pytest.fixture
def setup(tmp_path):
    registry = make_registry(tmp_path)
    selections = []
    app = FastHTML(secret_key="test")
    router = plugin_router(registry, on_select=lambda plugin, request: selections.append(plugin.get_unique_id()))
    router.to_app(app)
    return registry, router, TestClient(app, headers=BROWSER), tmp_path, selections


def xpath(text, query):
    return lxml_html.fromstring(f"<div>{text}</div>").xpath(query)


def save(client, router, data, hx=True, **kw):
    return client.post(router.save.to(plugin_id="transcription_whisper"), data=data, headers=HX if hx else {}, **kw)


def test_every_get_route_is_a_fragment_for_htmx_and_a_page_otherwise(setup):
    registry, router, client, _, _ = setup
    urls = [router.index.to(), router.category_page.to(category="transcription"),
            router.details.to(plugin_id="transcription_whisper"), router.compare.to(category="transcription"),
            router.settings.to(plugin_id="transcription_whisper")]
    for url in urls:
        page, fragment = client.get(url), client.get(url, headers=HX)
        assert page.status_code == fragment.status_code == 200, url
        assert page.text.startswith("<!doctype html>"), url
        assert "<html" not in fragment.text and "<title" not in fragment.text, url


def test_history_restore_gets_a_full_page(setup):
    _, router, client, _, _ = setup
    r = client.get(router.category_page.to(category="llm"), headers={**HX, "HX-History-Restore-Request": "true"})
    assert r.text.startswith("<!doctype html>")


def test_a_valid_save_survives_a_reload(setup, tmp_path):
    registry, router, client, _, _ = setup
    r = save(client, router, {"model": "large", "beam_size": "8", "temperature": "0.25", "outputs": ["txt", "srt"],
                              "supports_streaming": "false", "__revision__": ""})  # the switch's hidden "false"
    assert "Settings saved." in r.text
    stored = json.loads((tmp_path / "transcription_whisper.json").read_text())
    assert stored == {"model": "large", "beam_size": 8, "temperature": 0.25, "supports_streaming": False,
                      "outputs": ["txt", "srt"]}
    page = client.get(router.category_page.to(category="transcription")).text
    assert xpath(page, '//input[@name="model"][@checked]/@value') == ["large"]  # three options: radios
    assert xpath(page, '//input[@name="beam_size"]/@value') == ["8"]
    assert xpath(page, '//input[starts-with(@name, "outputs.")][@checked]/@value') == ["txt", "srt"]  # one item each
    assert xpath(page, '//input[@name="supports_streaming"]/@checked') == []
    assert xpath(page, '//input[@name="__revision__"]/@value') == [registry.get_config_revision("transcription_whisper")]


def test_a_save_without_javascript_redirects_so_a_reload_posts_nothing(setup):
    "Post/Redirect/Get: reloading the page after a save shows it saved, not a conflict with the user's own save."
    registry, router, client, _, _ = setup
    r = save(client, router, {"model": "large", "__revision__": ""}, hx=False, follow_redirects=False)
    revision = registry.get_config_revision("transcription_whisper")
    assert r.status_code == 303
    assert r.headers["location"] == router.category_page.to(category="transcription", plugin_id="transcription_whisper", saved=revision)
    page = client.get(r.headers["location"]).text
    assert xpath(page, '//*[@data-testid="form-message"]/span/text()') == ["Settings saved."]
    assert xpath(page, '//*[@data-testid="conflict"]') == [] and xpath(page, '//input[@name="__revision__"]/@value') == [revision]
    save(client, router, {"model": "tiny", "__revision__": revision})  # saved again: the old address no longer says "saved"
    assert xpath(client.get(r.headers["location"]).text, '//*[@data-testid="form-message"]') == []
    r = save(client, router, {"model": "huge", "__revision__": registry.get_config_revision("transcription_whisper")}, hx=False)
    assert r.status_code == 200 and xpath(r.text, '//*[@data-field-error="model"]')  # not saved: the form with its errors


def test_an_invalid_value_is_shown_next_to_its_field_and_nothing_changes_on_disk(setup, tmp_path):
    _, router, client, _, _ = setup
    save(client, router, {"model": "base", "beam_size": "4", "__revision__": ""})
    path = tmp_path / "transcription_whisper.json"
    before = path.read_bytes()
    revision = xpath(client.get(router.settings.to(plugin_id="transcription_whisper")).text,
                     '//input[@name="__revision__"]/@value')[0]
    r = save(client, router, {"model": "base", "beam_size": "0", "temperature": "abc", "__revision__": revision})
    assert r.status_code == 200
    assert xpath(r.text, '//*[@data-field-error="beam_size"]/li/text()') == ["Beam size must be between 1 and 10."]
    assert xpath(r.text, '//*[@data-field-error="temperature"]/li/text()') == ["Enter a number (got 'abc')."]
    assert xpath(r.text, '//input[@name="temperature"]/@aria-invalid') == ["true"]
    assert path.read_bytes() == before


def test_a_missing_required_field_is_reported_on_that_field(setup):
    _, router, client, _, _ = setup
    r = save(client, router, {"model": "", "__revision__": ""})
    assert xpath(r.text, '//*[@data-field-error="model"]/li/text()') == ["A value is required."]


def test_the_secret_never_appears_in_any_response(setup, tmp_path):
    registry, router, client, _, _ = setup
    responses = [save(client, router, {"model": "base", "api_key": SECRET, "__revision__": ""})]
    assert json.loads((tmp_path / "transcription_whisper.json").read_text())["api_key"] == SECRET
    revision = registry.get_config_revision("transcription_whisper")
    kept = {"api_key~k": "api_key"}  # what the form posts for a secret that is set and left empty
    responses += [save(client, router, {**kept, "model": "base", "beam_size": "99", "__revision__": revision}),  # validation error
                  save(client, router, {**kept, "model": "base", "__revision__": "stale"}),  # conflict
                  save(client, router, {**kept, "model": "tiny", "__revision__": revision}, hx=False)]  # full page
    for url in (router.index.to(), router.category_page.to(category="transcription"),
                router.details.to(plugin_id="transcription_whisper", settings=1),
                router.compare.to(category="transcription"), router.settings.to(plugin_id="transcription_whisper")):
        responses += [client.get(url), client.get(url, headers=HX)]
    for r in responses:
        assert SECRET not in r.text, r.url
        assert "sk-VERY" not in r.text
    assert json.loads((tmp_path / "transcription_whisper.json").read_text())["api_key"] == SECRET


def test_clearing_a_secret_removes_it(setup, tmp_path):
    registry, router, client, _, _ = setup
    save(client, router, {"model": "base", "api_key": SECRET, "__revision__": ""})
    revision = registry.get_config_revision("transcription_whisper")
    r = save(client, router, {"model": "base", "api_key": "", "__clear__": "api_key", "__revision__": revision})
    assert "api_key" not in json.loads((tmp_path / "transcription_whisper.json").read_text())
    assert "No value is set." in r.text


def test_a_save_from_another_process_is_never_silently_overwritten(setup, tmp_path):
    _, router, client, _, _ = setup
    form = client.get(router.settings.to(plugin_id="transcription_whisper")).text
    revision = xpath(form, '//input[@name="__revision__"]/@value')[0]
    assert revision == ""
    other = make_registry(tmp_path)  # another worker on the same config directory
    other.write_plugin_config("transcription_whisper", {"model": "tiny", "beam_size": 9, "api_key": "sk-OTHER"})
    before = (tmp_path / "transcription_whisper.json").read_bytes()
    r = save(client, router, {"model": "large", "beam_size": "2", "__revision__": revision})
    assert (tmp_path / "transcription_whisper.json").read_bytes() == before
    conflict = xpath(r.text, '//*[@data-testid="conflict"]')[0].text_content()
    assert "tiny" in conflict and "9" in conflict and "sk-OTHER" not in r.text
    current = other.get_config_revision("transcription_whisper")
    assert xpath(r.text, '//input[@name="__revision__"]/@value') == [current]
    r = save(client, router, {"model": "large", "beam_size": "2", "api_key~k": "api_key", "__revision__": current})  # a deliberate overwrite
    assert "Settings saved." in r.text
    stored = json.loads((tmp_path / "transcription_whisper.json").read_text())
    assert (stored["model"], stored["beam_size"], stored["api_key"]) == ("large", 2, "sk-OTHER")


def test_a_conflict_also_updates_the_stale_details_card(setup, tmp_path):
    "Two tabs: the second one's save is refused, and its card, drawn before the first save, no longer says 'nothing saved'."
    _, router, client, _, _ = setup
    make_registry(tmp_path).write_plugin_config("transcription_whisper", {"model": "tiny"})  # the other tab's save
    r = save(client, router, {"model": "large", "__revision__": ""})
    assert xpath(r.text, '//*[@data-testid="conflict"]')
    card, = xpath(r.text, '//*[@id="plugin-details"][@hx-swap-oob="true"]')
    assert "Saved settings" in card.text_content()
    assert r.headers["HX-Trigger-After-Settle"] == "plugin-config-changed"  # an open comparison re-fetches itself too
    r = save(client, router, {"model": "huge", "__revision__": registry_revision(tmp_path)})  # a plain error: the card is current
    assert xpath(r.text, '//*[@data-field-error="model"]') and not xpath(r.text, '//*[@id="plugin-details"]')


def registry_revision(config_dir):
    return make_registry(config_dir).get_config_revision("transcription_whisper")


def test_a_config_deleted_elsewhere_is_reported_as_a_conflict(setup):
    registry, router, client, _, _ = setup
    save(client, router, {"model": "base", "__revision__": ""})
    revision = registry.get_config_revision("transcription_whisper")
    registry.delete_plugin_config("transcription_whisper")
    r = save(client, router, {"model": "tiny", "__revision__": revision})
    assert "deleted elsewhere" in r.text
    assert xpath(r.text, '//input[@name="__revision__"]/@value') == [""]


def test_reset_restores_defaults(setup, tmp_path):
    _, router, client, _, _ = setup
    save(client, router, {"model": "large", "beam_size": "9", "__revision__": ""})
    r = client.post(router.reset.to(plugin_id="transcription_whisper"), data={"__revision__": ""}, headers=HX)
    assert not (tmp_path / "transcription_whisper.json").exists()
    assert xpath(r.text, '//input[@name="beam_size"]/@value') == ["5"]
    assert xpath(r.text, '//input[@name="model"][@checked]/@value') == ["base"]
    assert xpath(r.text, '//input[@name="__revision__"]/@value') == [""]


def test_reset_without_javascript_asks_first_then_redirects(setup, tmp_path):
    "Without JavaScript there is no hx-confirm: the Reset button leads to a page that asks; its button resets."
    registry, router, client, _, _ = setup
    save(client, router, {"model": "large", "__revision__": ""})
    url = router.reset.to(plugin_id="transcription_whisper")
    r = client.post(url, data={"model": "large", "__revision__": ""})  # the settings form, posted by its Reset button
    assert r.status_code == 200 and r.text.startswith("<!doctype html>")
    ask, = xpath(r.text, '//form[@data-testid="confirm-reset"]')
    assert ask.get("action") == url and ask.xpath('.//input[@name="confirmed"]/@value') == ["1"]
    assert ask.xpath('.//a[text()="Cancel"]/@href') == [router.category_page.to(category="transcription", plugin_id="transcription_whisper")]
    assert registry.load_plugin_config("transcription_whisper")["model"] == "large"  # nothing deleted yet
    r = client.post(url, data={"confirmed": "1"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].endswith("plugin_id=transcription_whisper&reset=1")
    assert registry.load_plugin_config("transcription_whisper") == {}
    assert xpath(client.get(r.headers["location"]).text, '//*[@data-testid="form-message"]/span/text()') == ["Settings reset to defaults."]


def test_a_corrupt_config_is_reported_kept_and_resettable(setup, tmp_path):
    _, router, client, _, _ = setup
    path = tmp_path / "transcription_whisper.json"
    path.write_bytes(b'{"model": "tiny",')
    for r in (client.get(router.settings.to(plugin_id="transcription_whisper"), headers=HX),
              client.get(router.category_page.to(category="transcription")),
              save(client, router, {"model": "large", "__revision__": ""})):
        assert r.status_code == 200
        assert "The saved config cannot be read." in r.text
        assert xpath(r.text, '//button/@hx-post') [-1] == router.reset.to(plugin_id="transcription_whisper")
    assert path.read_bytes() == b'{"model": "tiny",'
    details = client.get(router.details.to(plugin_id="transcription_whisper"), headers=HX)
    assert details.status_code == 200
    client.post(router.reset.to(plugin_id="transcription_whisper"), data={"__revision__": ""}, headers=HX)
    assert not path.exists()


def test_load_failures_are_visible_and_the_rest_works(setup):
    _, router, client, _, _ = setup
    page = client.get(router.category_page.to(category="transcription")).text
    assert xpath(page, '//select[@id="plugin-select"]/option[@disabled]/text()') == ["broken (failed to load)"]
    assert "schema server down" in page
    compare = client.get(router.compare.to(category="transcription"), headers=HX).text
    assert len(xpath(compare, '//tr[@data-failed="true"]')) == 1
    assert len(xpath(compare, '//tr[@data-plugin-id]')) == 2


def test_the_comparison_reads_each_config_once(setup, monkeypatch):
    registry, router, client, _, _ = setup
    calls = []
    original = registry.load_plugin_config
    monkeypatch.setattr(registry, "load_plugin_config", lambda uid: calls.append(uid) or original(uid))
    client.get(router.compare.to(category="transcription"), headers=HX)
    assert sorted(calls) == ["transcription_cloud", "transcription_whisper"]


def test_the_selection_hook_receives_the_plugin(setup):
    _, router, client, _, selections = setup
    r = client.post(router.select.to(), data={"plugin_id": "llm_gemini"}, headers=HX)
    assert selections == ["llm_gemini"]
    assert "Selected Gemini." in r.text
    r = client.post(router.select.to(), data={"plugin_id": "llm_gemini"})
    assert r.text.startswith("<!doctype html>")
    assert xpath(r.text, '//a/@href')[-1] == "/plugins/category/llm?plugin_id=llm_gemini"


def test_custom_prefix_and_page_wrapper(tmp_path):
    registry = make_registry(tmp_path)
    app = FastHTML(secret_key="test")
    router = plugin_router(registry, "admin/plugins/", page=lambda title, *c: (Title(f"Admin | {title}"), Main(*c, id="layout")))
    router.to_app(app)
    client = TestClient(app, headers=BROWSER)
    r = client.get("/admin/plugins")
    assert r.status_code == 200 and "<title>Admin | Plugins</title>" in r.text and 'id="layout"' in r.text
    r = client.get("/admin/plugins/category/llm")
    assert xpath(r.text, '//form[@id="plugin-settings-form"]/@action') == ["/admin/plugins/settings/llm_gemini"]
    assert client.get("/admin/plugins/category/nope").text.count("Admin | Error 404") == 1
    root = FastHTML(secret_key="test")
    plugin_router(registry, "").to_app(root)
    assert TestClient(root).get("/").status_code == 200
    assert TestClient(root).get("/category/llm").status_code == 200


def test_hostile_plugin_text_is_escaped_everywhere(tmp_path):
    registry = UnifiedPluginRegistry(tmp_path)
    schema = {"title": "<script>alert(1)</script>", "description": "<img src=x onerror=alert(2)>",
              "properties": {"mode": {"type": "string", "title": "<b>t</b>", "enum": ["<i>a</i>"],
                                      "enumNames": ["<script>alert(3)</script>"], "description": "<svg onload=alert(4)>"}}}
    registry.register_plugin_manager("evil", Manager({"x": (Info("x", description="<iframe src=javascript:alert(5)>"), schema)}))
    app = FastHTML(secret_key="test")
    router = plugin_router(registry, on_select=lambda p, r: None)
    router.to_app(app)
    client = TestClient(app, headers=BROWSER)
    save_r = client.post(router.save.to(plugin_id="evil_x"), data={"mode": "<i>a</i>", "__revision__": ""}, headers=HX)
    texts = [save_r.text] + [client.get(u, headers=h).text for u in
                             (router.index.to(), router.category_page.to(category="evil"), router.compare.to(category="evil"),
                              router.details.to(plugin_id="evil_x"), router.settings.to(plugin_id="evil_x"))
                             for h in ({}, HX)]
    for text in texts:
        for raw in ("<script>alert", "<img src", "<svg", "<iframe", "<b>t</b>", "<i>a</i>"):
            assert raw not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in texts[3]  # the category page


# -- layout, the comparison following the dropdown, human field errors ----------------------------------------------
def test_the_comparison_sits_full_width_below_the_selector_and_settings(setup):
    _, router, client, _, _ = setup
    page = client.get(router.category_page.to(category="transcription")).text
    grid, = xpath(page, '//div[contains(@class, "lg:grid-cols-2")]')
    assert [c.get("class").split()[0] for c in grid] == ["min-w-0", "min-w-0"]  # neither column outgrows its half
    assert grid.xpath('.//*[@id="plugin-comparison"]') == []
    assert grid.getnext().get("id") == "plugin-comparison"  # the sibling after the two-column row
    assert xpath(page, '//a[@id="comparison-toggle"]/@hx-target') == ["#plugin-comparison"]
    compare = client.get(router.compare.to(category="transcription"), headers=HX).text
    assert xpath(compare, '//table/parent::div/@role') == ["region"]  # a wide table scrolls in its own box ...
    assert "overflow-x-auto" in xpath(compare, '//table/parent::div/@class')[0].split()


def test_the_open_comparison_follows_the_dropdown(setup):
    _, router, client, _, _ = setup
    url = router.compare.to(category="transcription")
    first = client.get(router.compare.to(category="transcription", plugin_id="transcription_whisper"), headers=HX).text
    follower, = xpath(first, './div[@data-testid="comparison"]')
    assert (follower.get("hx-get"), follower.get("hx-trigger"), follower.get("hx-include"), follower.get("hx-target"),
            follower.get("hx-swap")) == (url, "change from:#plugin-select, plugin-config-changed from:body, plugin-selected from:body",
                                      "#plugin-select", "this", "outerHTML")
    assert xpath(first, '//tr[@aria-current="true"]/@data-plugin-id') == ["transcription_whisper"]
    # what the follower asks for after the dropdown changed: the same table, the new choice highlighted
    again = client.get(url + "&plugin_id=transcription_cloud", headers=HX).text  # htmx appends the included select
    assert xpath(again, '//tr[@aria-current="true"]/@data-plugin-id') == ["transcription_cloud"]
    assert xpath(again, './div[@data-testid="comparison"]/@hx-get') == [url]


TUNED = {"title": "Tuned", "type": "object", "required": ["region"],
         "properties": {"region": {"type": "string", "enum": ["eu", "us"], "enumNames": ["Europe", "United States"]},
                        "step": {"type": "number", "multipleOf": 0.1}}}


@pytest.fixture
def tuned(tmp_path):
    registry = UnifiedPluginRegistry(tmp_path)
    registry.register_plugin_manager("llm", Manager({"tuned": (Info("tuned"), TUNED)}))
    app = FastHTML(secret_key="test")
    router = plugin_router(registry)
    router.to_app(app)
    client = TestClient(app, headers=BROWSER)
    return lambda data: client.post(router.save.to(plugin_id="llm_tuned"), data={"__revision__": "", **data}, headers=HX)


def test_field_errors_are_written_for_people(tuned, tmp_path):
    r = tuned({"region": "", "step": "0.35"})
    assert xpath(r.text, '//*[@data-field-error="region"]/li/text()') == ["A value is required."]
    assert xpath(r.text, '//*[@data-field-error="step"]/li/text()') == ["Step must be a multiple of 0.1."]
    r = tuned({"region": "mars", "step": "0.3"})  # a value the form never offered: named by the schema's titles
    assert xpath(r.text, '//*[@data-field-error="region"]/li/text()') == ["Choose one of the options (got 'mars')."]
    assert not (tmp_path / "llm_tuned.json").exists()


def test_a_decimal_multiple_of_a_float_step_saves(tuned, tmp_path):
    r = tuned({"region": "eu", "step": "0.3"})
    assert xpath(r.text, 'normalize-space(//*[@data-testid="form-message"])') == "Settings saved."
    assert json.loads((tmp_path / "llm_tuned.json").read_text()) == {"region": "eu", "step": 0.3}
