"""The demo app in a real browser: headless Debian Chromium driving `python -m cjm_fasthtml_plugins.demo` on 127.0.0.1.

Every test gets a fresh server (own config dir) and a fresh browser context that blocks and records any request not
addressed to 127.0.0.1; `page_and_net` fails the test if one was attempted.
"""
from __future__ import annotations

import json
import re

import psutil
import pytest

from browser_support import ARTIFACTS, assets_ready, browser, color_scheme, demo_server, page_and_net  # noqa: F401

pytestmark = pytest.mark.browser

WHISPER, WORKER, RUNPOD = "transcription_whisper_local", "transcription_voxtral_worker", "llm_runpod_vllm"
SECRET = "rp_live_SECRET_4f1d9a77"


# -- helpers -------------------------------------------------------------------------------------------------------
def open_category(page, server, title: str):
    "Open a category page from the home page's navbar, as a user would."
    page.goto(server.url + "/")
    page.get_by_role("navigation").get_by_role("link", name=title, exact=True).click()
    page.wait_for_selector("#plugin-select")


def choose(page, unique_id: str):
    "Pick `unique_id` in the dropdown and wait for the HTMX swap of the details card."
    with page.expect_response(lambda r: r.request.headers.get("hx-request") == "true"):
        page.select_option("#plugin-select", unique_id)
    page.wait_for_selector(f"#plugin-details [data-plugin-id='{unique_id}']")


def open_settings(page, unique_id: str):
    "Show the settings form of the selected plugin."
    page.locator("#plugin-settings-link, [data-testid='settings-link']").first.click()
    page.wait_for_selector(f"form#plugin-settings-form")


def save(page):
    with page.expect_response(lambda r: r.request.method == "POST"):
        page.get_by_role("button", name=re.compile("^Save", re.I)).click()


# -- tests ---------------------------------------------------------------------------------------------------------
def test_page_loads_offline_assets_only(demo_server, page_and_net):
    page, net = page_and_net
    page.goto(demo_server.url + "/")
    assert page.evaluate("typeof htmx") == "object"
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(255, 255, 255)"
    assert page.evaluate("document.documentElement.classList.contains('uk-theme-blue')")
    assert net.requests and all(u.startswith(demo_server.url) for u in net.requests)
    assert any("/_assets/tailwind.css" in u for u in net.requests)


def test_theme_toggle_switches_dark_mode_and_persists(demo_server, page_and_net):
    page, _ = page_and_net
    page.goto(demo_server.url + "/")
    light_bg = page.evaluate("getComputedStyle(document.body).backgroundColor")
    page.click("#theme-toggle")
    assert page.evaluate("document.documentElement.classList.contains('dark')")
    assert page.get_attribute("#theme-toggle", "aria-pressed") == "true"
    dark_bg = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert dark_bg != light_bg
    page.reload()
    assert page.evaluate("document.documentElement.classList.contains('dark')")


def test_worker_pids_shown_and_stopped_on_shutdown(demo_server, page_and_net):
    page, _ = page_and_net
    page.goto(demo_server.url + "/")
    page.reload()  # the worker's helper starts a moment after the worker; the next request shows both
    row = page.locator("#resources-table tr", has_text="Voxtral").inner_text()
    pids = [int(p) for p in re.findall(r"\b\d{2,}\b", row.split("PIDs", 1)[1])]
    assert len(pids) == 2, row
    server = psutil.Process(demo_server.process.pid)
    assert set(pids) <= {c.pid for c in server.children(recursive=True)}
    assert demo_server.stop() == 0
    assert psutil.wait_procs([psutil.Process(p) for p in pids if psutil.pid_exists(p)], timeout=5)[1] == []
    assert "Stopped worker process" in demo_server.log()
