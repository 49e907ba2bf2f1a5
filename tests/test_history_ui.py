"""`plugin_router`'s "changed elsewhere" poll, settings history and restore routes, and the save confirmation of a
plugin whose running instance cannot take a new config (issues 15 and 12), through HTTP with a real registry.

"Elsewhere" is a second registry on the same config directory, as another process or host would be.
"""
import copy

import pytest
from fasthtml.common import FastHTML
from lxml import html as lxml_html
from starlette.testclient import TestClient

from cjm_fasthtml_plugins.components.routes import plugin_router
from cjm_fasthtml_plugins.core.registry import UnifiedPluginRegistry

from fake_plugins import Info, Manager

HX = {"HX-Request": "true"}
BROWSER = {"Sec-Fetch-Site": "same-origin"}  # what a browser sends with a request from the app's own pages
UID = "transcription_whisper"
SECRET_1, SECRET_2 = "sk-HISTORY-SECRET-1", "sk-HISTORY-SECRET-2"
SCHEMA = {"title": "Whisper", "type": "object",
          "properties": {"device": {"type": "string", "default": "cpu"},
                         "beam_size": {"type": "integer", "minimum": 1, "maximum": 10, "default": 5},
                         "api_key": {"type": "string", "format": "password"}}}


class RunningManager(Manager):
    "A manager holding a running instance of every plugin, with no way to hand it a new config."
    def get_plugin_instances(self): return [type("Running", (), {"name": n})() for n in self.plugins]


def make_registry(config_dir, manager=Manager):
    registry = UnifiedPluginRegistry(config_dir)
    registry.register_plugin_manager("transcription", manager({"whisper": (Info("whisper"), copy.deepcopy(SCHEMA))}))
    return registry


@pytest.fixture
def setup(tmp_path):
    registry = make_registry(tmp_path)
    app = FastHTML(secret_key="test")
    router = plugin_router(registry)
    router.to_app(app)
    return registry, router, TestClient(app, headers=BROWSER), tmp_path


def xpath(text, query):
    return lxml_html.fromstring(f"<div>{text}</div>").xpath(query)


def history(client, router, **headers):
    return client.get(router.history.to(plugin_id=UID), headers=headers).text


def restore(client, router, revision, expected, headers=HX):
    return client.post(router.restore.to(plugin_id=UID), data={"revision": revision, "__revision__": expected}, headers=headers)


def saved_history(registry):
    "Three saves: beam 3, beam 7 with a secret, the secret changed alone. Their revisions, oldest first."
    return [registry.write_plugin_config(UID, c) for c in
            ({"beam_size": 3}, {"beam_size": 7, "api_key": SECRET_1}, {"beam_size": 7, "api_key": SECRET_2})]


# -- changed elsewhere ---------------------------------------------------------------------------------------------
def test_the_panel_polls_its_revision_and_hears_nothing_until_it_changes(setup):
    registry, router, client, _ = setup
    revision = registry.write_plugin_config(UID, {"beam_size": 3})
    panel = client.get(router.settings.to(plugin_id=UID), headers=HX).text
    watch, = xpath(panel, '//div[@id="plugin-settings-changes"]')
    assert watch.get("hx-get") == router.changed.to(plugin_id=UID, revision=revision)
    assert watch.get("hx-trigger") == "every 5s" and watch.get("hx-swap") == "outerHTML"
    r = client.get(watch.get("hx-get"), headers=HX)
    assert (r.status_code, r.text) == (204, "")


def test_a_save_elsewhere_shows_the_notice_the_card_and_tells_the_comparison(setup):
    registry, router, client, tmp_path = setup
    drawn = registry.write_plugin_config(UID, {"beam_size": 3})
    other = make_registry(tmp_path)
    newer = other.write_plugin_config(UID, {"beam_size": 9, "api_key": SECRET_1})
    r = client.get(router.changed.to(plugin_id=UID, revision=drawn), headers=HX)
    assert r.status_code == 200 and SECRET_1 not in r.text
    notice, = xpath(r.text, '//*[@data-testid="changed-elsewhere"]')
    assert notice.get("role") == "alert" and notice.get("id") == "plugin-settings-changes"  # replaces the watcher: polling stops
    assert "changed elsewhere" in notice.text_content() and newer in notice.text_content()
    button, = notice.xpath('.//button')
    assert button.text_content() == "Load the newer settings"
    assert (button.get("hx-get"), button.get("hx-target")) == (router.settings.to(plugin_id=UID), "#plugin-settings")
    assert xpath(r.text, '//div[@id="plugin-details"]/@hx-swap-oob') == ["true"]
    assert r.headers["HX-Trigger-After-Settle"] == "plugin-config-changed"
    loaded = client.get(button.get("hx-get"), headers=HX).text  # the button's answer: the newer settings and revision
    assert xpath(loaded, '//input[@name="beam_size"]/@value') == ["9"]
    assert xpath(loaded, '//input[@name="__revision__"]/@value') == [newer]


def test_a_reset_elsewhere_is_noticed_and_a_stale_save_is_still_refused(setup):
    registry, router, client, tmp_path = setup
    drawn = registry.write_plugin_config(UID, {"beam_size": 3})
    assert make_registry(tmp_path).delete_plugin_config(UID)
    r = client.get(router.changed.to(plugin_id=UID, revision=drawn), headers=HX)
    assert "reset to defaults elsewhere" in xpath(r.text, '//*[@data-testid="changed-elsewhere"]')[0].text_content()
    r = client.post(router.save.to(plugin_id=UID), data={"beam_size": "4", "__revision__": drawn}, headers=HX)
    assert xpath(r.text, '//*[@data-testid="conflict"]') and not registry.get_config_revision(UID)


def test_a_panel_of_an_unsaved_config_polls_with_an_empty_revision(setup):
    registry, router, client, tmp_path = setup
    url = router.changed.to(plugin_id=UID, revision="")
    assert client.get(url, headers=HX).status_code == 204
    make_registry(tmp_path).write_plugin_config(UID, {"beam_size": 2})
    assert xpath(client.get(url, headers=HX).text, '//*[@data-testid="changed-elsewhere"]')


# -- history -------------------------------------------------------------------------------------------------------
def test_history_lists_what_changed_newest_first_and_never_a_secret(setup):
    registry, router, client, _ = setup
    first, second, third = saved_history(registry)
    text = history(client, router, **HX)
    assert SECRET_1 not in text and SECRET_2 not in text
    view, = xpath(text, '//div[@id="plugin-history"]')
    assert view.xpath('.//li[@data-action]/@data-revision') == [third, second, first]
    changes = lambda rev: view.xpath(f'.//li[@data-revision="{rev}"]//li/text()')  # noqa: E731
    assert changes(second) == ["Added: api_key", "Changed: beam_size (3 \u2192 7)"]
    assert changes(third) == []  # only the secret changed: nothing visible
    assert "No visible change (a secret value may have changed)." in view.xpath(f'.//li[@data-revision="{third}"]')[0].text_content()
    assert "Secret values are not shown" in view.text_content()
    # the current entry has no Restore; the others post their revision and the current one, guarded by the panel's token
    assert view.xpath('.//form/input[@name="revision"]/@value') == [second, first]
    assert set(view.xpath('.//form/input[@name="__revision__"]/@value')) == {third}
    assert set(view.xpath('.//form/@hx-post')) == {router.restore.to(plugin_id=UID)}
    assert set(view.xpath('.//form/@hx-target')) == {"#plugin-settings"}
    assert view.xpath('.//button/@aria-label') == [f"Restore revision {second}", f"Restore revision {first}"]


def test_history_records_a_reset_and_says_when_empty(setup):
    registry, router, client, _ = setup
    assert "there is no history" in history(client, router, **HX)
    registry.write_plugin_config(UID, {"beam_size": 3})
    registry.delete_plugin_config(UID)
    text = history(client, router, **HX)
    assert xpath(text, '//li[@data-action]/@data-action') == ["delete", "save"]
    assert "Reset to defaults (saved config deleted)" in text
    assert len(xpath(text, '//form')) == 1  # the save is restorable: nothing is current


def test_the_settings_panel_links_its_history(setup):
    registry, router, client, _ = setup
    panel = client.get(router.settings.to(plugin_id=UID), headers=HX).text
    link, = xpath(panel, '//a[text()="Show the settings history"]')
    assert (link.get("href"), link.get("hx-get"), link.get("hx-target")) == (router.history.to(plugin_id=UID),) * 2 + ("#plugin-history",)
    assert xpath(panel, '//div[@id="plugin-settings"]//div[@id="plugin-history"]')  # the place it is swapped into


# -- restore -------------------------------------------------------------------------------------------------------
def test_restore_saves_the_old_config_again_as_a_new_revision_secrets_included(setup):
    registry, router, client, _ = setup
    first, second, third = saved_history(registry)
    r = restore(client, router, second, third)
    assert r.status_code == 200 and SECRET_1 not in r.text
    assert registry.load_plugin_config(UID) == {"beam_size": 7, "api_key": SECRET_1}
    now = registry.get_config_revision(UID)  # revisions name content: the restored config has its old revision ...
    assert now == second and [e.revision for e in registry.get_config_history(UID)] == [second, third, second, first]  # ... saved anew
    assert f"Restored the settings of revision {second}." in xpath(r.text, '//*[@data-testid="form-message"]')[0].text_content()
    assert xpath(r.text, '//input[@name="__revision__"]/@value') == [now]
    assert xpath(r.text, '//div[@id="plugin-details"]/@hx-swap-oob') == ["true"]
    assert r.headers["HX-Trigger-After-Settle"] == "plugin-config-changed"


def test_a_restore_without_javascript_redirects_so_a_reload_restores_nothing(setup):
    "Post/Redirect/Get: reloading after a restore shows it restored, not a conflict with the user's own restore."
    registry, router, client, _ = setup
    first, second, third = saved_history(registry)
    r = client.post(router.restore.to(plugin_id=UID), data={"revision": first, "__revision__": third}, follow_redirects=False)
    assert r.status_code == 303
    now = registry.get_config_revision(UID)
    assert r.headers["location"] == router.category_page.to(category="transcription", plugin_id=UID, restored=now)
    page = client.get(r.headers["location"]).text
    assert xpath(page, '//*[@data-testid="form-message"]/span/text()') == [f"Restored the settings of revision {now}."]
    assert xpath(page, '//*[@data-testid="conflict"]') == [] and registry.load_plugin_config(UID) == {"beam_size": 3}


def test_restore_is_a_guarded_post(setup):
    registry, router, _, tmp_path = setup
    first, second, third = saved_history(registry)
    app = FastHTML(secret_key="test")
    plugin_router(registry).to_app(app)
    for headers in ({"Sec-Fetch-Site": "cross-site", **HX}, HX):  # another site; no header and no token
        r = TestClient(app).post(router.restore.to(plugin_id=UID), data={"revision": first, "__revision__": third}, headers=headers)
        assert r.status_code == 403
    r = TestClient(app, headers=BROWSER).post(router.restore.to(plugin_id=UID), json={"revision": first, "__revision__": third})
    assert r.status_code == 415  # a form body only
    assert registry.get_config_revision(UID) == third


def test_a_restore_from_a_stale_history_is_refused_like_a_stale_save(setup):
    registry, router, client, tmp_path = setup
    first, second, third = saved_history(registry)
    newer = make_registry(tmp_path).write_plugin_config(UID, {"beam_size": 1})
    r = restore(client, router, first, third)
    conflict, = xpath(r.text, '//*[@data-testid="conflict"]')
    assert conflict.get("role") == "alert" and f"revision {newer}" in conflict.text_content()
    assert "nothing was restored" in conflict.text_content()
    assert registry.get_config_revision(UID) == newer and registry.load_plugin_config(UID) == {"beam_size": 1}
    assert xpath(r.text, '//input[@name="beam_size"]/@value') == ["1"]  # the form shows the newer settings
    assert "HX-Trigger-After-Settle" not in r.headers


def test_a_restore_of_a_revision_not_in_the_history_or_without_its_fields_changes_nothing(setup):
    registry, router, client, _ = setup
    first, second, third = saved_history(registry)
    r = restore(client, router, "no-such-revision", third)
    assert "no-such-revision" in xpath(r.text, '//*[@data-testid="form-errors"]')[0].text_content()
    r = client.post(router.restore.to(plugin_id=UID), data={"revision": first}, headers=HX)
    assert r.status_code == 400 and "__revision__" in r.text
    assert registry.get_config_revision(UID) == third


def test_a_restore_that_no_longer_fits_the_schema_names_the_fields_not_the_values(setup):
    registry, router, client, _ = setup
    old = registry.write_plugin_config(UID, {"beam_size": 3, "api_key": SECRET_1})
    registry.require_plugin(UID).config_schema["properties"]["api_key"]["maxLength"] = 4  # the schema moved on
    current = registry.write_plugin_config(UID, {"beam_size": 4})
    r = restore(client, router, old, current)
    problem = xpath(r.text, '//*[@data-testid="form-errors"]')[0].text_content()
    assert "cannot be restored" in problem and "api_key" in problem and SECRET_1 not in r.text
    assert registry.get_config_revision(UID) == current


def test_history_and_restore_work_without_javascript(setup):
    registry, router, client, _ = setup
    first, second, third = saved_history(registry)
    page = history(client, router)
    assert page.startswith("<!doctype html>") and "Whisper: settings history" in page
    assert xpath(page, '//form/@hx-post') == [] and xpath(page, '//form/@action') == [router.restore.to(plugin_id=UID)] * 2
    back, = xpath(page, '//a[text()="Back to the settings"]/@href')
    assert back == router.category_page.to(category="transcription", plugin_id=UID)
    r = restore(client, router, first, third, headers={})
    assert r.text.startswith("<!doctype html>") and f"Restored the settings of revision {first}." in r.text
    assert registry.load_plugin_config(UID) == {"beam_size": 3}


# -- issue 12: a running plugin that cannot take its new config ----------------------------------------------------
def test_the_confirmation_says_when_a_save_takes_effect_on_restart(tmp_path):
    registry = make_registry(tmp_path, RunningManager)
    app = FastHTML(secret_key="test")
    router = plugin_router(registry)
    router.to_app(app)
    client = TestClient(app, headers=BROWSER)
    r = client.post(router.save.to(plugin_id=UID), data={"beam_size": "4", "__revision__": ""}, headers=HX)
    assert registry.takes_effect_on_restart(UID)
    assert xpath(r.text, '//*[@data-testid="form-message"]/span/text()') == ["Saved; takes effect when the plugin restarts."]


def test_the_confirmation_is_plain_when_the_plugin_is_not_running(setup):
    registry, router, client, _ = setup
    r = client.post(router.save.to(plugin_id=UID), data={"beam_size": "4", "__revision__": ""}, headers=HX)
    assert not registry.takes_effect_on_restart(UID)
    assert xpath(r.text, '//*[@data-testid="form-message"]/span/text()') == ["Settings saved."]
    assert r.headers["HX-Trigger-After-Settle"] == "plugin-config-changed"
    revision = registry.get_config_revision(UID)  # what the redrawn form carries
    r = client.post(router.save.to(plugin_id=UID), data={"beam_size": "40", "__revision__": revision}, headers=HX)  # invalid: nothing
    assert "HX-Trigger-After-Settle" not in r.headers and not xpath(r.text, '//div[@id="plugin-details"]')
