"""`plugin_router`'s fragments always show the current state, and disk writes leave the event loop free.

These tests change everything the details card and the settings form show, from this process and from "another"
one (a second registry on the same directory), and check that the very next response shows it, byte for byte
what rendering the components directly gives.
"""
import asyncio
import threading
import json
import time

import httpx
import pytest
from fasthtml.common import FastHTML, Input, to_xml
from lxml import html as lxml_html
from starlette.testclient import TestClient

from cjm_fasthtml_plugins.components.routes import plugin_router
from cjm_fasthtml_plugins.components.selector import render_plugin_details
from cjm_fasthtml_plugins.components.settings import render_settings_form
from cjm_fasthtml_plugins.core.registry import UnifiedPluginRegistry

from fake_plugins import Info, Manager

HX = {"HX-Request": "true"}
BROWSER = {"Sec-Fetch-Site": "same-origin"}  # what a browser sends with a request from the app's own pages
UID = "transcription_whisper"
SCHEMA = {"title": "Whisper", "type": "object",
          "properties": {"device": {"type": "string", "default": "cpu"},
                         "beam_size": {"type": "integer", "minimum": 1, "maximum": 10, "default": 5},
                         "supports_streaming": {"type": "boolean", "default": True},
                         "api_key": {"type": "string", "format": "password"}}}


def make_registry(config_dir, **extra):
    registry = UnifiedPluginRegistry(config_dir)
    registry.register_plugin_manager("transcription", Manager({"whisper": (Info("whisper"), SCHEMA), **extra}))
    return registry


@pytest.fixture
def setup(tmp_path):
    registry = make_registry(tmp_path)
    app = FastHTML(secret_key="test")
    router = plugin_router(registry)
    router.to_app(app)
    return registry, router, app, TestClient(app, headers=BROWSER)


def xpath(text, query):
    return lxml_html.fromstring(f"<div>{text}</div>").xpath(query)


def details(client, router):
    return client.get(router.details.to(plugin_id=UID), headers=HX).text


def settings(client, router):
    return client.get(router.settings.to(plugin_id=UID), headers=HX).text


def expected_details(registry):
    plugin = registry.require_plugin(UID)
    return to_xml(render_plugin_details(plugin, registry.get_effective_config(UID)))


def with_token(panel, shown):
    "The settings panel as the router sends it: with the CSRF token of the session (read from `shown`, a response)."
    token = json.loads(xpath(shown, '//div[@id="plugin-settings"]/@hx-headers')[0])["X-CSRF-Token"]
    return panel(Input(type="hidden", name="__csrf__", value=token, form="plugin-settings-form"),
                 hx_headers=json.dumps({"X-CSRF-Token": token}))


def expected_settings(registry, router, shown):
    plugin = registry.require_plugin(UID)
    revision = registry.get_config_revision(UID) or ""
    return to_xml(with_token(render_settings_form(plugin, registry.get_effective_config(UID), action=router.save.to(plugin_id=UID),
                                                  reset_action=router.reset.to(plugin_id=UID), revision=revision,
                                                  changes_url=router.changed.to(plugin_id=UID, revision=revision),
                                                  history_url=router.history.to(plugin_id=UID),
                                                  rerender_url=router.rerender.to(plugin_id=UID)), shown))


def test_a_config_saved_by_another_process_shows_at_once(setup, tmp_path):
    registry, router, _, client = setup
    details(client, router), settings(client, router)  # both fragments were shown once
    other = make_registry(tmp_path)
    other.write_plugin_config(UID, {"device": "cuda", "beam_size": 9, "supports_streaming": False})
    card, form = details(client, router), settings(client, router)
    assert "CUDA" in card and ">Off<" in card and "Saved settings" in card
    assert xpath(form, '//input[@name="beam_size"]/@value') == ["9"]
    assert xpath(form, '//input[@name="__revision__"]/@value') == [other.get_config_revision(UID)]
    assert card == expected_details(registry) and form == expected_settings(registry, router, form)
    other.delete_plugin_config(UID)  # and deleted elsewhere: back to the defaults, revision ""
    card, form = details(client, router), settings(client, router)
    assert "Default settings (nothing saved yet)" in card and "CUDA" not in card
    assert xpath(form, '//input[@name="beam_size"]/@value') == ["5"]
    assert xpath(form, '//input[@name="__revision__"]/@value') == [""]


def test_a_save_through_the_form_shows_in_the_next_fragments(setup):
    registry, router, _, client = setup
    details(client, router), settings(client, router)
    r = client.post(router.save.to(plugin_id=UID), data={"device": "mps", "beam_size": "3", "__revision__": ""}, headers=HX)
    assert "Settings saved." in r.text
    assert "MPS" in details(client, router)
    assert xpath(settings(client, router), '//input[@name="beam_size"]/@value') == ["3"]
    r = client.post(router.reset.to(plugin_id=UID), data={"__revision__": ""}, headers=HX)
    assert "Settings reset to defaults." in r.text
    assert "MPS" not in details(client, router)
    assert xpath(settings(client, router), '//input[@name="beam_size"]/@value') == ["5"]


def test_pids_and_remote_resources_show_at_once(setup):
    from cjm_fasthtml_plugins.core.execution_mode import CloudProviderType
    from cjm_fasthtml_plugins.core.metadata import RemoteResourceInfo
    registry, router, _, client = setup
    plugin = registry.require_plugin(UID)
    assert "Processes" not in details(client, router)
    plugin.spawned_pids.append(31337)
    assert "31337" in details(client, router)
    plugin.spawned_pids.append(31338)
    assert "31337, 31338" in details(client, router)
    plugin.spawned_pids.clear()
    assert "31337" not in details(client, router)
    plugin.remote_resource = RemoteResourceInfo(CloudProviderType.RUNPOD, status="running")
    assert "(running)" in details(client, router)
    plugin.remote_resource.status = "stopped"  # changed in place
    card = details(client, router)
    assert "(stopped)" in card and "(running)" not in card
    assert card == expected_details(registry)


def test_a_corrupt_config_and_its_repair_show_at_once(setup, tmp_path):
    registry, router, _, client = setup
    client.post(router.save.to(plugin_id=UID), data={"device": "cuda", "__revision__": ""}, headers=HX)
    assert "CUDA" in details(client, router) and "cannot be read" not in settings(client, router)
    (tmp_path / f"{UID}.json").write_text("{not json")
    assert "CUDA" not in details(client, router)  # the card shows what it can: no config
    assert "The saved config cannot be read." in settings(client, router)
    (tmp_path / f"{UID}.json").write_text(json.dumps({"device": "cuda", "beam_size": 8}))
    assert "CUDA" in details(client, router)
    assert xpath(settings(client, router), '//input[@name="beam_size"]/@value') == ["8"]


def test_the_secret_never_reaches_the_settings_fragment(setup):
    registry, router, _, client = setup
    registry.write_plugin_config(UID, {"api_key": "sk-STORED-SECRET"})
    for _ in range(2):
        form = settings(client, router)
        assert "sk-STORED-SECRET" not in form and "A value is set." in form
    registry.write_plugin_config(UID, {"api_key": ""})
    assert "No value is set." in settings(client, router)


def test_the_oob_settings_panel_follows_the_config_too(setup):
    registry, router, _, client = setup
    url = router.details.to(plugin_id=UID, settings=1)
    first = client.get(url, headers=HX).text
    assert xpath(first, '//div[@id="plugin-settings"]/@hx-swap-oob') == ["true"]
    registry.write_plugin_config(UID, {"beam_size": 4})
    r = client.get(url, headers=HX).text
    assert xpath(r, '//input[@name="beam_size"]/@value') == ["4"]
    assert r == expected_details(registry) + to_xml(with_token(render_settings_form(
        registry.require_plugin(UID), registry.get_effective_config(UID),
        action=router.save.to(plugin_id=UID), reset_action=router.reset.to(plugin_id=UID),
        revision=registry.get_config_revision(UID), history_url=router.history.to(plugin_id=UID),
        rerender_url=router.rerender.to(plugin_id=UID),
        changes_url=router.changed.to(plugin_id=UID, revision=registry.get_config_revision(UID))), r)(hx_swap_oob="true"))


def test_a_new_load_failure_shows_at_once(tmp_path):
    registry = make_registry(tmp_path)
    app = FastHTML(secret_key="test")
    router = plugin_router(registry)
    router.to_app(app)
    client = TestClient(app, headers=BROWSER)
    page = client.get(router.category_page.to(category="transcription"), headers=HX).text
    assert "could not be loaded" not in page
    registry.register_plugin_manager("transcription", Manager({"whisper": (Info("whisper"), SCHEMA),
                                                                "broken": (Info("broken"), RuntimeError("schema server down"))}))
    page = client.get(router.category_page.to(category="transcription"), headers=HX).text
    assert "schema server down" in page
    assert "schema server down" in client.get(router.compare.to(category="transcription"), headers=HX).text


def test_save_and_reset_write_in_a_worker_thread(setup, monkeypatch):
    registry, router, _, client = setup
    seen = []
    def on_loop() -> bool: return asyncio._get_running_loop() is not None
    write, delete = registry.write_plugin_config, registry.delete_plugin_config
    monkeypatch.setattr(registry, "write_plugin_config", lambda *a, **k: seen.append(("write", on_loop())) or write(*a, **k))
    monkeypatch.setattr(registry, "delete_plugin_config", lambda *a, **k: seen.append(("delete", on_loop())) or delete(*a, **k))
    assert "Settings saved." in client.post(router.save.to(plugin_id=UID), data={"beam_size": "2", "__revision__": ""}, headers=HX).text
    assert "Settings reset" in client.post(router.reset.to(plugin_id=UID), data={"__revision__": ""}, headers=HX).text
    assert seen == [("write", False), ("delete", False)]


def run_in_fresh_event_loop(coroutine):
    "Run `coroutine` to completion on a new event loop in its own thread (Playwright's sync API may own this thread's loop)."
    outcome = {}
    def target():
        try: outcome["result"] = asyncio.run(coroutine)
        except BaseException as e: outcome["error"] = e
    thread = threading.Thread(target=target); thread.start(); thread.join()
    if "error" in outcome: raise outcome["error"]
    return outcome.get("result")


def test_a_slow_disk_does_not_stall_other_requests(setup, monkeypatch):
    registry, router, app, _ = setup
    write = registry.write_plugin_config
    write_started, details_served = threading.Event(), threading.Event()
    def slow_write(*args, **kwargs):
        # The write only finishes once a details request was served meanwhile: if the write blocked
        # the event loop, that request could never run and the wait would give up.
        write_started.set()
        if not details_served.wait(timeout=30): raise TimeoutError("no request was served while the save was writing")
        return write(*args, **kwargs)
    monkeypatch.setattr(registry, "write_plugin_config", slow_write)
    finished = []

    async def scenario():
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test", headers=BROWSER) as client:
            async def save():
                r = await client.post(router.save.to(plugin_id=UID), data={"beam_size": "2", "__revision__": ""}, headers=HX)
                finished.append(("save", r.status_code, "Settings saved." in r.text))
            async def look():
                await asyncio.to_thread(write_started.wait, 30)
                r = await client.get(router.details.to(plugin_id=UID), headers=HX)
                details_served.set()
                finished.append(("details", r.status_code, True))
            await asyncio.gather(save(), look())
    run_in_fresh_event_loop(scenario())
    assert finished == [("details", 200, True), ("save", 200, True)]
