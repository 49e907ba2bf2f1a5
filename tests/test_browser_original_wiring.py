"""An app written against the original 0.0.5, unchanged, in a real browser.

The original's wiring: the dropdown GETs `details_endpoint` on change and swaps the answer (`render_plugin_details`)
`outerHTML` into `#plugin-details`; a "confirm" button POSTs the choice to `selection_endpoint` into `#{target_id}`.
The card must stay the element with id `plugin-details`, or the second change finds no target.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time

import httpx
import pytest

from browser_support import REPO_ROOT, assets_ready, browser, color_scheme, free_port, page_and_net  # noqa: F401

pytestmark = pytest.mark.browser

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


@pytest.fixture
def original_app(tmp_path, assets_ready):
    "The 0.0.5-style app under uvicorn on a free port; always stopped afterwards."
    (tmp_path / "app.py").write_text(APP)
    port = free_port()
    proc = subprocess.Popen([sys.executable, str(tmp_path / "app.py"), str(port), str(tmp_path / "configs"),
                             str(assets_ready)], cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(REPO_ROOT)})
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
