"""The demo app in a real browser: headless Debian Chromium driving `python -m cjm_fasthtml_plugins.demo` on 127.0.0.1.

Every test gets a fresh server (its own config dir) and a fresh browser context that blocks and records any request
not addressed to 127.0.0.1; the `page_and_net` fixture fails the test if one was attempted.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time

import httpx
import psutil
import pytest

from browser_support import ARTIFACTS, REPO_ROOT, free_port, no_js_page  # noqa: F401 (the browser fixtures come from conftest.py)

pytestmark = pytest.mark.browser

WHISPER, WORKER, RUNPOD, LLAMA = ("transcription_whisper_local", "transcription_voxtral_worker", "llm_runpod_vllm",
                                  "llm_llama_docker")
SECRET = "rp_live_SECRET_4f1d9a77"
HX = lambda r: r.request.headers.get("hx-request") == "true"  # noqa: E731


# -- helpers -------------------------------------------------------------------------------------------------------
def open_category(page, server, title: str):
    "Open a category page from the home page's navbar, as a user would."
    page.goto(server.url + "/")
    page.get_by_role("navigation").get_by_role("link", name=title, exact=True).click()
    page.wait_for_selector("#plugin-select")


def wait_for_htmx_settled(page):
    "Wait until HTMX has finished swapping and settling (new content gets its triggers when it settles)."
    page.wait_for_function("() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')")


def choose(page, unique_id: str):
    "Pick `unique_id` in the dropdown and wait for the HTMX swap of the details card and settings panel."
    with page.expect_response(HX):
        page.select_option("#plugin-select", unique_id)
    page.wait_for_selector(f"#plugin-details[data-plugin-id='{unique_id}']")  # the card is #plugin-details itself
    page.wait_for_selector(f"#plugin-settings[data-plugin-id='{unique_id}']")
    wait_for_htmx_settled(page)


def field(page, name: str):
    return page.locator(f"#plugin-settings-form [name='{name}']:not([type='hidden'])")  # a switch posts a hidden "false" too


def save(page):
    with page.expect_response(lambda r: HX(r) and r.request.method == "POST"):
        page.locator("#plugin-settings-form").get_by_role("button", name="Save", exact=True).click()


def reset(page):
    page.once("dialog", lambda d: d.accept())  # hx-confirm asks first
    with page.expect_response(lambda r: HX(r) and r.request.method == "POST"):
        page.locator("#plugin-settings-form").get_by_role("button", name="Reset to defaults").click()


def card_feature(page, label: str) -> str:
    "The badge text of one feature ('Label: badge') of the details card."
    pair = page.locator("#plugin-details span.inline-flex").filter(has_text=f"{label}:")
    return pair.locator(".badge").inner_text().strip()


def alive(pid: int) -> bool:
    try: return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess: return False


# -- the page itself -----------------------------------------------------------------------------------------------
def test_page_uses_offline_assets_only(demo_server, page_and_net):
    page, net = page_and_net
    page.goto(demo_server.url + "/")
    assert page.evaluate("typeof htmx") == "object"
    assert page.evaluate("document.documentElement.classList.contains('uk-theme-blue')")
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(255, 255, 255)"
    assert page.evaluate("getComputedStyle(document.querySelector('.uk-btn-primary')).backgroundColor") != "rgba(0, 0, 0, 0)"
    assert page.locator("#theme-toggle svg").count() == 1  # Franken's icon script rendered the icon
    assert any(u.endswith("/_assets/tailwind.css") for u in net.requests)
    assert net.requests and all(u.startswith(demo_server.url) for u in net.requests)


def test_theme_toggle_switches_dark_mode_and_persists(demo_server, page_and_net):
    page, _ = page_and_net
    page.goto(demo_server.url + "/")
    light_bg = page.evaluate("getComputedStyle(document.body).backgroundColor")
    page.click("#theme-toggle")
    assert page.evaluate("document.documentElement.classList.contains('dark')")
    assert page.get_attribute("#theme-toggle", "aria-pressed") == "true"
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") != light_bg
    page.reload()
    assert page.evaluate("document.documentElement.classList.contains('dark')")


# -- selector and comparison ---------------------------------------------------------------------------------------
def test_dropdown_change_swaps_details_card_without_reload(demo_server, page_and_net):
    page, net = page_and_net
    open_category(page, demo_server, "Transcription")
    page.evaluate("window.__noReload = true")
    assert page.locator("#plugin-details").get_attribute("data-plugin-id") == WHISPER
    choose(page, WORKER)
    card = page.locator("#plugin-details")
    assert "Voxtral (worker process)" in card.inner_text() and "Local (Subprocess)" in card.inner_text()
    assert page.evaluate("window.__noReload") is True  # same document: swapped, not reloaded
    assert any("/plugins/details" in r["url"] and "plugin_id=" + WORKER in r["url"] for r in net.htmx)
    # the failed plugin is listed, disabled, with its reason
    failed = page.locator("#plugin-select option[disabled]")
    assert "pyannote_broken" in failed.inner_text()
    assert "pyannote_gpu_kernels" in page.locator("[data-testid='load-failures']").inner_text()


def test_worker_pids_are_shown_and_stopped_on_shutdown(demo_server, page_and_net):
    page, _ = page_and_net
    open_category(page, demo_server, "Transcription")
    choose(page, WORKER)
    text = page.locator("#plugin-details").inner_text()
    pids = [int(p) for p in re.findall(r"\d+", text.split("Processes:", 1)[1].splitlines()[0])]
    assert len(pids) == 2, text  # the worker and its helper (a grandchild of the server)
    server = psutil.Process(demo_server.process.pid)
    assert set(pids) <= {c.pid for c in server.children(recursive=True)}
    assert demo_server.stop() == 0  # SIGINT: uvicorn's graceful shutdown runs registry.shutdown()
    assert [p for p in pids if alive(p)] == []
    assert "Stopped worker process" in demo_server.log()


def test_comparison_lists_every_plugin_once_with_its_features(demo_server, page_and_net):
    page, net = page_and_net
    open_category(page, demo_server, "Language Models")
    with page.expect_response(HX):
        page.click("#comparison-toggle")
    rows = page.locator("#plugin-comparison tbody tr[data-plugin-id]")
    ids = [rows.nth(i).get_attribute("data-plugin-id") for i in range(rows.count())]
    assert sorted(ids) == sorted([LLAMA, RUNPOD])  # each plugin exactly once
    headers = [t.strip() for t in page.locator("#plugin-comparison thead th").all_text_contents()]
    cells = lambda uid: dict(zip(headers, page.locator(f"#plugin-comparison tr[data-plugin-id='{uid}'] td").all_text_contents()))  # noqa: E731
    pod = cells(RUNPOD)
    assert (pod["Execution"], pod["Cost"], pod["GPU"], pod["Streaming"]) == ("Cloud GPU", "$4.40/hr", "4x A100", "On")
    assert cells(LLAMA)["Execution"] == "Local (Docker)"
    assert any("/plugins/compare" in r["url"] for r in net.htmx)
    # the details card keeps the coloured badges
    card = page.locator("#plugin-details")
    assert "badge-success" in card.locator(".badge", has_text="Local (Docker)").get_attribute("class")


def box(page, selector: str) -> dict:
    "The element's bounding box in page coordinates."
    return page.evaluate("""s => { const r = document.querySelector(s).getBoundingClientRect();
        return {left: r.left + scrollX, right: r.right + scrollX, top: r.top + scrollY, bottom: r.bottom + scrollY}; }""",
                         selector)


def page_overflows_sideways(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth > document.documentElement.clientWidth")


def test_comparison_opens_full_width_below_selector_and_settings(demo_server, page_and_net):
    page, _ = page_and_net
    open_category(page, demo_server, "Language Models")
    choose(page, RUNPOD)
    with page.expect_response(HX):
        page.click("#comparison-toggle")
    page.wait_for_selector("#plugin-comparison table")
    comparison, settings, selector = (box(page, s) for s in ("#plugin-comparison", "#plugin-settings", "#plugin-selector"))
    assert comparison["top"] >= max(settings["bottom"], selector["bottom"])  # below the two-column row, overlapping nothing
    assert abs(comparison["left"] - selector["left"]) < 1 and abs(comparison["right"] - settings["right"]) < 1  # full width
    scroller = page.locator("#plugin-comparison table").locator("xpath=..")
    assert scroller.evaluate("e => getComputedStyle(e).overflowX") == "auto"
    assert box(page, "#plugin-comparison table")["right"] <= comparison["right"] + 1  # the table fits at 1200px
    assert not page_overflows_sideways(page)
    assert page.evaluate("scrollY") > 0  # the toggle scrolled the opened table into view
    page.set_viewport_size({"width": 640, "height": 900})  # narrower than the table: it scrolls in its own box
    assert scroller.evaluate("e => e.scrollWidth > e.clientWidth")
    assert not page_overflows_sideways(page)


def test_comparison_highlight_follows_the_dropdown(demo_server, page_and_net):
    page, net = page_and_net
    open_category(page, demo_server, "Language Models")
    with page.expect_response(HX):
        page.click("#comparison-toggle")
    wait_for_htmx_settled(page)  # the table listens to the dropdown only once HTMX has processed it
    current = "#plugin-comparison tr[aria-current='true']"
    assert page.locator(current).get_attribute("data-plugin-id") == LLAMA
    with page.expect_response(lambda r: HX(r) and "/plugins/compare" in r.url and "plugin_id=" + RUNPOD in r.url):
        page.select_option("#plugin-select", RUNPOD)
    page.wait_for_selector(f"{current}[data-plugin-id='{RUNPOD}']")
    assert page.locator(current).count() == 1
    assert page.locator("#plugin-comparison tbody tr[data-plugin-id]").count() == 2
    page.click("#plugin-comparison button:has-text('Hide comparison')")
    assert page.locator("#plugin-comparison table").count() == 0
    before = len(net.htmx)
    choose(page, LLAMA)  # hidden: the comparison is not fetched again
    assert not any("/plugins/compare" in r["url"] for r in net.htmx[before:])
    assert page.locator("#plugin-comparison table").count() == 0


# -- settings ------------------------------------------------------------------------------------------------------
def test_invalid_value_shows_field_error_and_file_is_unchanged(demo_server, page_and_net):
    page, _ = page_and_net
    open_category(page, demo_server, "Transcription")
    field(page, "memory").fill("12"); save(page)
    before = demo_server.config_file(WHISPER).read_bytes()
    field(page, "memory").fill("999"); field(page, "language").fill("EN")
    save(page)
    assert "64" in page.locator("[data-field-error='memory']").inner_text()
    assert page.locator("[data-field-error='language']").count() == 1
    assert field(page, "memory").get_attribute("aria-invalid") == "true"
    assert demo_server.config_file(WHISPER).read_bytes() == before


def test_a_number_the_browser_cannot_parse_is_reported_not_dropped(demo_server, page_and_net):
    "Typing '4-8' into a number field: an error on that field and the saved value kept, never 'saved' with the default."
    page, _ = page_and_net
    open_category(page, demo_server, "Transcription")
    field(page, "memory").fill("12"); save(page)
    before = demo_server.config_file(WHISPER).read_bytes()
    field(page, "memory").click(click_count=3)
    page.keyboard.type("4-8")  # a range, which a number input would post as ''
    save(page)
    assert page.locator("[data-field-error='memory']").inner_text().strip() == "Enter a whole number (got '4-8')."
    assert field(page, "memory").input_value() == "4-8"  # shown as typed, to correct
    assert page.locator("[data-testid='form-message']").count() == 0
    assert demo_server.config_file(WHISPER).read_bytes() == before


def test_a_refused_save_keeps_what_was_typed(demo_server, page_and_net):
    "A save refused before it is read (a field over 64 KB) shows why above the form; the typed values stay."
    page, _ = page_and_net
    open_category(page, demo_server, "Transcription")
    field(page, "memory").fill("16")
    field(page, "initial_prompt").evaluate("e => { e.value = 'x'.repeat(70000) }")
    save(page)
    assert "Nothing was changed" in page.locator("#plugin-settings-status").inner_text()
    assert page.locator("#plugin-settings-status").is_visible() and field(page, "memory").input_value() == "16"
    assert page.locator("[data-unsaved]").is_visible()  # the edits are still unsaved (and leaving the page asks first)
    field(page, "initial_prompt").fill("short")
    save(page)
    assert page.locator("[data-testid='form-message']").inner_text().strip() == "Settings saved."
    assert demo_server.read_config(WHISPER)["memory"] == 16


def test_valid_save_changes_the_file_and_survives_reload(demo_server, page_and_net):
    page, _ = page_and_net
    open_category(page, demo_server, "Transcription")
    assert demo_server.read_config(WHISPER) is None
    field(page, "model").select_option("small")
    field(page, "beam_size").fill("7")
    field(page, "supports_streaming").uncheck()
    save(page)
    assert page.locator("[data-testid='form-message']").inner_text().strip() == "Settings saved."
    saved = demo_server.read_config(WHISPER)
    assert (saved["model"], saved["beam_size"], saved["supports_streaming"]) == ("small", 7, False)
    page.reload()
    assert field(page, "model").input_value() == "small"
    assert field(page, "beam_size").input_value() == "7"
    assert not field(page, "supports_streaming").is_checked()
    assert card_feature(page, "Streaming") == "Off"  # the user's setting, not "Not Supported"


def test_reset_restores_defaults(demo_server, page_and_net):
    page, _ = page_and_net
    open_category(page, demo_server, "Transcription")
    field(page, "beam_size").fill("9"); save(page)
    assert demo_server.read_config(WHISPER)["beam_size"] == 9
    reset(page)
    assert field(page, "beam_size").input_value() == "5"
    assert demo_server.read_config(WHISPER) is None
    page.reload()
    assert field(page, "beam_size").input_value() == "5"


def test_secret_never_reaches_the_browser(demo_server, page_and_net):
    page, net = page_and_net
    open_category(page, demo_server, "Language Models")
    choose(page, RUNPOD)
    field(page, "api_key").fill(SECRET)
    field(page, "gpu_count").fill("2")
    save(page)
    assert demo_server.read_config(RUNPOD)["api_key"] == SECRET  # stored server-side ...
    assert "keep the stored value" in field(page, "api_key").get_attribute("placeholder")
    assert page.locator("#" + field(page, "api_key").get_attribute("aria-describedby").split()[0]).inner_text() == "A value is set."
    assert field(page, "api_key").input_value() == ""
    # ... saving again with the field empty keeps it
    field(page, "gpu_count").fill("3"); save(page)
    assert (demo_server.read_config(RUNPOD)["gpu_count"], demo_server.read_config(RUNPOD)["api_key"]) == (3, SECRET)
    page.reload(); choose(page, LLAMA); choose(page, RUNPOD)
    with page.expect_response(HX):
        page.click("#comparison-toggle")
    assert SECRET not in page.content()
    assert net.htmx, "expected HTMX responses to inspect"
    leaks = [r["url"] for r in net.responses if SECRET in r["body"]]
    assert leaks == [], f"the secret was sent to the browser by {leaks}"


def test_config_change_restarts_the_cloud_plugin_with_new_cost(demo_server, page_and_net):
    page, _ = page_and_net
    open_category(page, demo_server, "Language Models")
    choose(page, RUNPOD)
    assert "$4.40/hr" in page.locator("#plugin-details").inner_text()
    field(page, "api_key").fill(SECRET); field(page, "gpu_count").fill("2"); field(page, "gpu_type").select_option("H100")
    save(page)
    wait_for_htmx_settled(page)
    details = page.locator("#plugin-details").inner_text()  # the card the save sent back, not a stale one
    assert "$4.98/hr" in details and "2x H100" in details and "(running)" in details, details
    choose(page, LLAMA); choose(page, RUNPOD)
    details = page.locator("#plugin-details").inner_text()
    assert "$4.98/hr" in details and "2x H100" in details


# -- keyboard only -------------------------------------------------------------------------------------------------
def focus_on(page, selector: str, limit: int = 80):
    "Press Tab until the element matching `selector` has focus."
    for _ in range(limit):
        if page.evaluate(f"document.activeElement && document.activeElement.matches({json.dumps(selector)})"): return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector}")


def test_whole_flow_works_with_the_keyboard_alone(demo_server, page_and_net):
    page, net = page_and_net
    page.goto(demo_server.url + "/")
    focus_on(page, "nav a[href='/plugins/category/transcription']")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    focus_on(page, "#plugin-select")
    with page.expect_response(HX):
        page.keyboard.press("ArrowDown")  # Chromium changes a focused closed <select> with the arrow keys
    page.wait_for_selector(f"#plugin-settings[data-plugin-id='{WORKER}']")
    focus_on(page, "#plugin-settings-form [name='memory']")
    page.keyboard.press("Control+A"); page.keyboard.type("16")
    focus_on(page, "#plugin-settings-form [name='restart_on_crash']")
    page.keyboard.press("Space")  # switch off
    focus_on(page, "#plugin-settings-form button.uk-btn-primary")  # Save
    with page.expect_response(lambda r: HX(r) and r.request.method == "POST"):
        page.keyboard.press("Enter")
    page.wait_for_selector("[data-testid='form-message']")
    saved = demo_server.read_config(WORKER)
    assert (saved["memory"], saved["restart_on_crash"]) == (16, False)
    focus_on(page, "#comparison-toggle")
    with page.expect_response(HX):
        page.keyboard.press("Enter")
    page.wait_for_selector("#plugin-comparison table")
    focus_on(page, "#theme-toggle")
    page.keyboard.press("Enter")
    assert page.evaluate("document.documentElement.classList.contains('dark')")


# -- screenshots ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("color_scheme", ["light", "dark"], indirect=True)
def test_screenshots(demo_server, page_and_net, color_scheme):
    page, _ = page_and_net
    ARTIFACTS.mkdir(exist_ok=True)
    open_category(page, demo_server, "Language Models")
    assert page.evaluate("document.documentElement.classList.contains('dark')") == (color_scheme == "dark")
    page.locator("#plugin-selector").screenshot(path=ARTIFACTS / f"selector-{color_scheme}.png")
    with page.expect_response(HX):
        page.click("#comparison-toggle")
    page.wait_for_selector("#plugin-comparison table")
    page.locator("#plugin-comparison").screenshot(path=ARTIFACTS / f"comparison-{color_scheme}.png")
    choose(page, RUNPOD)
    field(page, "gpu_count").fill("99"); save(page)  # show a field error too
    assert page.locator("[data-field-error='api_key']").inner_text().strip() == "A value is required."
    page.locator("#plugin-settings").screenshot(path=ARTIFACTS / f"settings-{color_scheme}.png")
    page.screenshot(path=ARTIFACTS / f"page-{color_scheme}.png", full_page=True)
    for name in ("selector", "comparison", "settings", "page"):
        assert (ARTIFACTS / f"{name}-{color_scheme}.png").stat().st_size > 5_000


# -- an app written against the original 0.0.5 ---------------------------------------------------------------------
# The original's wiring: the dropdown GETs `details_endpoint` on change and swaps the answer (`render_plugin_details`)
# `outerHTML` into `#plugin-details`; a confirm button POSTs the choice to `selection_endpoint` into `#{target_id}`.
# The card must stay the element with id `plugin-details`, or the second change finds no target.
APP = '''
import sys
from pathlib import Path

import fasthtml.common as fh
import uvicorn

from cjm_fasthtml_plugins.components.selector import render_dropdown_selector, render_plugin_details
from cjm_fasthtml_plugins.core.registry import UnifiedPluginRegistry
from cjm_fasthtml_plugins.demo.assets import mount_assets, offline_headers

class Info:
    def __init__(self, name): self.name, self.version = name, "1.0"

class Manager:
    def discover_plugins(self): return [Info(n) for n in ("whisper", "voxtral", "parakeet")]
    def get_plugin_config_schema(self, name): return {"title": name.title(), "type": "object",
                                                      "properties": {"device": {"type": "string", "default": "cpu"}}}

port, config_dir, assets = int(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
registry = UnifiedPluginRegistry(config_dir)
plugins = registry.register_plugin_manager("transcription", Manager())
app = fh.FastHTML(hdrs=offline_headers(), default_hdrs=False, secret_key="test")
mount_assets(app, assets)

@app.get("/")
def index():
    return fh.Title("0.0.5 app"), fh.Main(
        render_dropdown_selector(plugins, selection_endpoint="/select_plugin", details_endpoint="/plugin_details",
                                 target_id="main-content", confirm_button_text="Use this plugin",
                                 get_plugin_config=registry.load_plugin_config),
        fh.Div(id="main-content"))

@app.get("/plugin_details")
def details(plugin_id: str):
    return render_plugin_details(registry.get_plugin(plugin_id), registry.load_plugin_config(plugin_id))

@app.post("/select_plugin")
def select(plugin_id: str): return fh.P(f"Chosen: {plugin_id}", id="chosen")

uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")
'''


def serve_script(tmp_path, source, *args):
    "Run the app `source` (argv: port, *args) under uvicorn on a free port; yield its URL; always stop it."
    (tmp_path / "app.py").write_text(source)
    port = free_port()
    proc = subprocess.Popen([sys.executable, str(tmp_path / "app.py"), str(port), *map(str, args)], cwd=tmp_path,
                            env={**os.environ, "PYTHONPATH": str(REPO_ROOT)})
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            assert proc.poll() is None, "the app exited before answering"
            try:
                if httpx.get(url + "/", timeout=2).status_code == 200: break
            except httpx.HTTPError: time.sleep(0.2)
        yield url
    finally:
        proc.terminate(); proc.wait(timeout=15)


@pytest.fixture
def original_app(tmp_path, assets_ready):
    "The 0.0.5-style app under uvicorn on a free port; always stopped afterwards."
    yield from serve_script(tmp_path, APP, tmp_path / "configs", assets_ready)


def test_repeated_outer_html_swaps_keep_their_target_and_the_button_confirms(original_app, page_and_net):
    page, _ = page_and_net
    page.goto(original_app + "/")
    assert page.get_attribute("#plugin-details", "data-plugin-id") == "transcription_whisper"
    for uid in ("transcription_voxtral", "transcription_parakeet", "transcription_whisper", "transcription_voxtral"):
        with page.expect_response(lambda r: "/plugin_details" in r.url):
            page.select_option("#plugin-select", uid)
        page.wait_for_selector(f"#plugin-details[data-plugin-id='{uid}']")
        assert page.locator("#plugin-details").count() == 1  # replaced, never nested or lost
    page.get_by_role("button", name="Use this plugin").click()
    page.wait_for_selector("#main-content #chosen")
    assert page.inner_text("#chosen") == "Chosen: transcription_voxtral"


# -- issue 14: wording, phone, favicon, skip link, search ---------------------------------------------------------
def test_views_use_the_same_words(demo_server, page_and_net):
    "One word per state across home, card and comparison; no 'Exporters plugins', no raw mode values, no backticks."
    page, _ = page_and_net
    page.goto(demo_server.url + "/")
    modes = page.locator("#resources-table tbody tr td:nth-child(2)").all_inner_texts()
    assert "Local (In-Process)" in modes and "Cloud GPU" in modes and not any("_" in m for m in modes), modes
    page.get_by_role("navigation").get_by_role("link", name="Export", exact=True).click()
    assert page.locator("h1").inner_text().strip() == "Export"
    open_category(page, demo_server, "Transcription")
    alert = page.locator("[data-testid='load-failures']")
    assert "`" not in alert.inner_text() and alert.locator("code").inner_text() == "pip install pyannote-gpu-kernels"
    assert "Default settings" in page.locator("#plugin-details").inner_text()
    assert card_feature(page, "Streaming") == "On"
    field(page, "supports_streaming").uncheck(); save(page)
    page.reload()
    assert "Saved settings" in page.locator("#plugin-details").inner_text()
    assert card_feature(page, "Streaming") == "Off"
    with page.expect_response(HX):
        page.click("#comparison-toggle")
    row = page.locator(f"#plugin-row-{WHISPER} td").all_inner_texts()
    assert "Saved" in row and "Off" in row and "Not Supported" not in row, row


def test_the_selector_works_without_javascript(demo_server, browser):
    "With JavaScript off, choosing a plugin, comparing and 'Use this plugin' still work, as plain GETs and a form post."
    with no_js_page(browser) as page:
        page.goto(demo_server.url + "/plugins/category/llm")
        page.select_option("#plugin-select", RUNPOD)
        with page.expect_navigation():
            page.locator("#plugin-selector").get_by_role("button", name="Show").click()
        assert page.locator("#plugin-settings").get_attribute("data-plugin-id") == RUNPOD
        assert page.locator("#plugin-details").get_attribute("data-plugin-id") == RUNPOD
        with page.expect_navigation():
            page.locator("#plugin-selector").get_by_role("button", name="Use this plugin").click()
        assert "vLLM on RunPod is now running" in page.get_by_test_id("selection-result").inner_text()
        page.goto(demo_server.url + "/plugins/category/llm")
        with page.expect_navigation():
            page.click("#comparison-toggle")
        rows = page.locator("tr[data-plugin-id]")
        assert sorted(rows.evaluate_all("rs => rs.map(r => r.dataset.pluginId)")) == [LLAMA, RUNPOD]


def test_buttons_and_switches_keep_their_colours_without_javascript(demo_server, browser):
    "The theme classes are in the page, not only added by a script: without JavaScript, Save and a switch stay visible."
    with no_js_page(browser) as page:
        page.goto(demo_server.url + "/plugins/category/transcription")
        colour = lambda selector: page.eval_on_selector(selector, "e => getComputedStyle(e).backgroundColor")  # noqa: E731
        transparent = "rgba(0, 0, 0, 0)"
        assert colour("#plugin-settings-form button.uk-btn-primary") != transparent
        assert colour("#plugin-settings-form input[name='supports_streaming'][type='checkbox']") != transparent


def test_phone_pages_fit_and_wide_tables_say_they_scroll(demo_server, browser):
    "At 390 px nothing pushes the page sideways; the tables scroll in labelled boxes with a visible hint."
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = ctx.new_page()
    page.set_default_timeout(10_000)
    try:
        page.goto(demo_server.url + "/")
        assert not page_overflows_sideways(page)
        box_ = page.get_by_role("region", name="Running resources (scrolls sideways)")
        assert box_.evaluate("e => getComputedStyle(e).overflowX") == "auto"
        assert page.get_by_text("Scroll sideways to see every column.").first.is_visible()
        page.goto(demo_server.url + "/plugins/category/llm")
        with page.expect_response(HX):
            page.click("#comparison-toggle")
        scroller = page.get_by_role("region", name="Plugin comparison (scrolls sideways)")
        assert scroller.evaluate("e => e.scrollWidth > e.clientWidth")  # it really scrolls ...
        assert page.locator("#plugin-comparison").get_by_text("Scroll sideways to see every column.").is_visible()  # ... and says so
        assert not page_overflows_sideways(page)
    finally:
        ctx.close()


def test_a_long_invalid_value_neither_widens_the_phone_page_nor_the_message(demo_server, browser):
    "5,000 digits typed into a number field: the error quotes the first 40 and wraps; the page does not scroll sideways."
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = ctx.new_page()
    page.set_default_timeout(10_000)
    try:
        page.goto(demo_server.url + "/plugins/category/transcription")
        field(page, "memory").fill("9" * 5000)
        save(page)
        assert page.locator("[data-field-error='memory']").inner_text().strip() == f"Enter a whole number (got '{'9' * 40}…')."
        assert not page_overflows_sideways(page)
    finally:
        ctx.close()


def test_no_page_asks_for_a_missing_favicon(demo_server, page_and_net):
    page, net = page_and_net
    for path in ("/", "/plugins", "/plugins/category/llm", f"/plugins/settings/{RUNPOD}"):
        page.goto(demo_server.url + path)
        page.wait_for_load_state("load")
    assert page.locator("link[rel=icon]").count() == 1
    assert not [u for u in net.requests if u.endswith("/favicon.ico")]
    assert [r["url"] for r in net.responses if r["status"] == "404"] == []


def test_skip_link_is_the_first_tab_stop_and_lands_in_main(demo_server, page_and_net):
    page, _ = page_and_net
    page.goto(demo_server.url + "/plugins/category/transcription")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Skip to content"
    assert page.locator("a[href='#main']").is_visible()  # shown while focused
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    stops = 0  # from <main>, only the category tabs stand before the dropdown (not the brand, navbar links and toggle)
    while not page.evaluate("document.activeElement.id === 'plugin-select'"):
        page.keyboard.press("Tab"); stops += 1
        assert stops <= 6, "the dropdown is more than 6 tab stops into <main>"


SEARCH_APP = '''
import sys
from pathlib import Path

import fasthtml.common as fh
import uvicorn

from cjm_fasthtml_plugins.components.selector import render_comparison_table, render_dropdown_selector
from cjm_fasthtml_plugins.core.metadata import PluginMetadata
from cjm_fasthtml_plugins.demo.assets import mount_assets, offline_headers

names = ["Whisper tiny", "Whisper base", "Whisper large", "Voxtral mini", "Voxtral small", "Parakeet", "Canary",
         "Moonshine", "SenseVoice", "Wav2Vec2", "Vosk", "Kaldi"]
plugins = [PluginMetadata(n.lower().replace(" ", "_"), "transcription", n, {}) for n in names]
port, assets = int(sys.argv[1]), Path(sys.argv[2])
app = fh.FastHTML(hdrs=offline_headers(), default_hdrs=False, secret_key="test", htmlkw={"lang": "en"})
mount_assets(app, assets)

@app.get("/")
def index(): return fh.Title("Search"), fh.Main(render_dropdown_selector(plugins))

@app.get("/fetched")  # the comparison comes from an endpoint when the toggle is pressed
def fetched(): return fh.Title("Search"), fh.Main(render_dropdown_selector(plugins, comparison_endpoint="/compare"))

@app.get("/compare")
def compare(): return render_comparison_table(plugins)

@app.get("/in-form")  # the selector inside the app's own form, which posts the choice with its other fields
def in_form(plugin_id: str = ""):
    return fh.Title("In a form"), fh.Main(fh.Form(fh.Input(name="note", value="hello"),
        render_dropdown_selector(plugins, plugin_id, own_form=False), fh.Button("Save settings"), action="/app-save", method="post"))

@app.post("/app-save")
def app_save(plugin_id: str, note: str): return fh.P(f"saved {plugin_id} {note}", id="saved")

uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")
'''


@pytest.fixture
def search_app(tmp_path, assets_ready):
    "A page with one long category (12 plugins) under uvicorn; always stopped afterwards."
    yield from serve_script(tmp_path, SEARCH_APP, assets_ready)


def test_search_filters_the_plugins_of_a_long_category(search_app, page_and_net):
    page, net = page_and_net
    page.goto(search_app + "/")
    visible = lambda: page.evaluate("[...document.querySelectorAll('#plugin-select option')].filter(o => !o.hidden).map(o => o.textContent)")  # noqa: E731
    assert len(visible()) == 12
    requests = len(net.requests)
    page.get_by_label("Filter plugins").fill("whisper")
    assert visible() == ["Whisper tiny", "Whisper base", "Whisper large"]
    assert page.locator("#plugin-search-status").inner_text() == "3 of 12 plugins match"
    page.get_by_label("Filter plugins").fill("VOX")  # case does not matter
    assert visible() == ["Voxtral mini", "Voxtral small"]
    page.click("#comparison-toggle")  # the inline comparison filters too
    rows = page.locator("#plugin-comparison tr[data-plugin-id]")
    assert [r for r in rows.all() if r.is_visible()] and all(
        "Voxtral" in r.inner_text() for r in rows.all() if r.is_visible())
    page.get_by_label("Filter plugins").fill("")
    assert len(visible()) == 12 and page.locator("#plugin-search-status").inner_text() == ""
    assert len(net.requests) == requests  # filtering asks the server nothing


def test_the_selector_inside_an_app_form_is_no_nested_form(search_app, browser, page_and_net):
    "Inside the app's own form: one form on the page, the choice posts with it, and 'Show' works without JavaScript."
    with no_js_page(browser) as page:
        page.goto(search_app + "/in-form")
        page.select_option("#plugin-select", "transcription_canary")
        with page.expect_navigation():
            page.locator("#plugin-selector").get_by_role("button", name="Show").click()
        assert page.url.startswith(search_app + "/in-form?") and "plugin_id=transcription_canary" in page.url
        assert page.locator("#plugin-details").get_attribute("data-plugin-id") == "transcription_canary"
        with page.expect_navigation():
            page.get_by_role("button", name="Save settings").click()
        assert page.locator("#saved").inner_text() == "saved transcription_canary hello"
    page, net = page_and_net  # with JavaScript: Enter in the search box filters, it submits nothing
    page.goto(search_app + "/in-form")
    assert page.evaluate("document.forms.length") == 1
    page.get_by_label("Filter plugins").fill("canary")
    page.get_by_label("Filter plugins").press("Enter")
    assert page.url == search_app + "/in-form" and not any(r.endswith("/app-save") for r in net.requests)


# -- issue 14: one source of truth per view ------------------------------------------------------------------------


def open_comparison(page):
    with page.expect_response(HX):
        page.click("#comparison-toggle")
    page.wait_for_selector("#plugin-comparison table")
    wait_for_htmx_settled(page)


def test_save_and_reset_update_the_card_and_the_comparison(demo_server, page_and_net):
    page, _ = page_and_net
    open_category(page, demo_server, "Transcription")
    open_comparison(page)
    field(page, "memory").fill("12"); save(page)
    page.wait_for_function(f"() => document.querySelector('#plugin-row-{WHISPER}').textContent.includes('Saved')")
    assert "Saved settings" in page.locator("#plugin-details").inner_text() and card_feature(page, "Memory") == "12GB"
    reset(page)
    page.wait_for_function(f"() => document.querySelector('#plugin-row-{WHISPER}').textContent.includes('Defaults')")
    assert "Default settings" in page.locator("#plugin-details").inner_text()


def test_select_in_the_comparison_moves_every_view_and_the_url(demo_server, page_and_net):
    page, _ = page_and_net
    open_category(page, demo_server, "Transcription")
    open_comparison(page)
    for uid in (WORKER, WHISPER):  # twice: the status element must survive the first answer
        with page.expect_response(lambda r: HX(r) and r.url.endswith("/plugins/select")):
            page.locator(f"#plugin-row-{uid}").get_by_role("button", name="Select").click()
        page.wait_for_selector(f"#plugin-comparison tr[aria-current='true'][data-plugin-id='{uid}']")
        wait_for_htmx_settled(page)
        assert page.input_value("#plugin-select") == uid
        assert page.get_attribute("#plugin-details", "data-plugin-id") == uid
        assert page.get_attribute("#plugin-settings", "data-plugin-id") == uid
        assert page.url.endswith(f"/plugins/category/transcription?plugin_id={uid}")
        assert "is now running" in page.inner_text("#plugin-selection-status")


def test_the_url_carries_the_plugin_and_reload_restores_it(demo_server, page_and_net):
    page, _ = page_and_net
    open_category(page, demo_server, "Transcription")
    choose(page, WORKER)
    assert page.url.endswith(f"?plugin_id={WORKER}")
    page.reload()
    assert page.input_value("#plugin-select") == WORKER
    assert page.get_attribute("#plugin-settings", "data-plugin-id") == WORKER


def test_the_full_page_comparison_selects_and_leads_back(demo_server, page_and_net):
    page, _ = page_and_net
    page.goto(demo_server.url + "/plugins/compare?category=transcription")
    assert page.get_by_role("link", name="Back to the plugins").get_attribute("href") == "/plugins/category/transcription"
    with page.expect_navigation():
        page.locator(f"tr[data-plugin-id='{WORKER}']").get_by_role("button", name="Select").click()
    assert page.locator("[data-testid='selection-result']").get_attribute("data-plugin-id") == WORKER
    page.get_by_role("link", name="Back to the plugins").click()
    page.wait_for_selector("#plugin-select")
    assert page.input_value("#plugin-select") == WORKER


def test_focus_goes_to_the_first_invalid_field_or_the_confirmation(demo_server, page_and_net):
    page, _ = page_and_net
    open_category(page, demo_server, "Transcription")
    field(page, "memory").fill("0"); save(page)
    page.wait_for_function("() => document.activeElement && document.activeElement.getAttribute('aria-invalid') === 'true'")
    assert page.evaluate("document.activeElement.name") == "memory"
    field(page, "memory").fill("12"); save(page)
    page.wait_for_function("() => document.activeElement && document.activeElement.dataset.testid === 'form-message'")
    assert page.locator("[data-testid='form-message']").inner_text().strip() == "Settings saved."
    reset(page)
    page.wait_for_function("() => document.activeElement && document.activeElement.dataset.testid === 'form-message'")
    assert page.locator("[data-testid='form-message']").inner_text().strip() == "Settings reset to defaults."


# -- issue 15: history, restore, changed elsewhere ---------------------------------------------------------------------
def save_elsewhere(server, unique_id: str, config: dict):
    "Save a config from another process (its own registry on the demo's config directory), as another host would."
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (str(REPO_ROOT), os.environ.get("PYTHONPATH")) if p))
    code = ("import json, sys; from cjm_fasthtml_plugins.core.registry import UnifiedPluginRegistry; "
            "UnifiedPluginRegistry(sys.argv[1]).write_plugin_config(sys.argv[2], json.loads(sys.argv[3]))")
    subprocess.run([sys.executable, "-c", code, str(server.config_dir), unique_id, json.dumps(config)], env=env, check=True,
                   timeout=60)


def test_history_shows_what_changed_and_restore_brings_a_version_back(demo_server, page_and_net):
    page, _ = page_and_net
    open_category(page, demo_server, "Transcription")
    for memory in ("12", "14"):
        field(page, "memory").fill(memory); save(page)
        page.wait_for_selector("[data-testid='form-message']")
    with page.expect_response(lambda r: HX(r) and "/plugins/history/" in r.url):
        page.get_by_role("link", name="Show the settings history").click()
    entries = page.locator("#plugin-history li[data-action='save']")
    assert entries.count() == 2
    assert "Changed: memory (12 \u2192 14)" in entries.nth(0).inner_text()
    assert entries.nth(0).get_by_role("button").count() == 0  # the current version
    oldest = entries.nth(1).get_attribute("data-revision")
    with page.expect_response(lambda r: HX(r) and "/plugins/restore/" in r.url):
        entries.nth(1).get_by_role("button", name=f"Restore revision {oldest}").click()
    page.wait_for_function("() => document.activeElement && document.activeElement.dataset.testid === 'form-message'")
    assert f"Restored the settings of revision {oldest}." in page.inner_text("[data-testid='form-message']")
    assert field(page, "memory").input_value() == "12"
    page.wait_for_function("() => document.querySelector('#plugin-details').textContent.includes('12GB')")
    assert card_feature(page, "Memory") == "12GB"


def test_a_save_elsewhere_is_noticed_while_the_page_is_open(demo_server, page_and_net):
    page, _ = page_and_net
    open_category(page, demo_server, "Transcription")
    field(page, "memory").fill("12"); save(page)
    page.wait_for_selector("[data-testid='form-message']")
    field(page, "memory").fill("13")  # an edit in progress
    save_elsewhere(demo_server, WHISPER, {"memory": 16})
    notice = page.locator("[data-testid='changed-elsewhere']")
    notice.wait_for(timeout=20_000)  # the panel asks every 5 s
    assert "changed elsewhere" in notice.inner_text()
    page.wait_for_function("() => document.querySelector('#plugin-details').textContent.includes('16GB')")
    with page.expect_response(lambda r: HX(r) and "/plugins/settings/" in r.url):
        notice.get_by_role("button", name="Load the newer settings").click()
    page.wait_for_function("() => !document.querySelector(\"[data-testid='changed-elsewhere']\")")
    assert field(page, "memory").input_value() == "16"


def test_search_also_filters_a_comparison_fetched_after_typing(search_app, page_and_net):
    page, _ = page_and_net
    page.goto(search_app + "/fetched")
    page.get_by_label("Filter plugins").fill("whisper")
    with page.expect_response(lambda r: "/compare" in r.url):
        page.click("#comparison-toggle")
    page.wait_for_selector("#plugin-comparison tr[data-plugin-id]")
    page.wait_for_function("() => document.querySelectorAll('#plugin-comparison tr[data-plugin-id][hidden]').length === 9")
    shown = [r.inner_text().split("\t")[0] for r in page.locator("#plugin-comparison tr[data-plugin-id]").all() if r.is_visible()]
    assert shown == ["Whisper tiny", "Whisper base", "Whisper large"], shown
