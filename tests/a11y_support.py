"""axe-core for the accessibility tests and the screenshot tool: fetched once from the npm registry, run in a page.

axe-core is pinned (`AXE_VERSION`) and installed with `npm install --prefix <cache>` into
`~/.cache/cjm_fasthtml_plugins/axe` (or `$CJM_AXE_CACHE`), so later runs work offline. It is injected into pages
with Playwright's `add_script_tag(path=...)`: no CDN is ever contacted.

It also lists the demo's pages (`demo_pages`) and the three views every page is checked in (`VIEWS`).
"""
from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Optional

from filelock import FileLock

logger = logging.getLogger(__name__)

AXE_VERSION = "4.14.1"  # npm axe-core, pinned
AXE_CACHE_ENV = "CJM_AXE_CACHE"
BLOCKING_IMPACTS = ("serious", "critical")
# WCAG 2.x A/AA rules plus axe's best practices (region, landmarks, heading order ...)
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


def axe_cache_dir() -> Path:
    "Where axe-core is installed: `$CJM_AXE_CACHE`, else `~/.cache/cjm_fasthtml_plugins/axe`."
    env = os.environ.get(AXE_CACHE_ENV)
    return Path(env).expanduser() if env else Path.home() / ".cache" / "cjm_fasthtml_plugins" / "axe"


def _installed_version(cache: Path) -> Optional[str]:
    manifest = cache / "node_modules" / "axe-core" / "package.json"
    if not manifest.is_file(): return None
    return json.loads(manifest.read_text()).get("version")


def ensure_axe(cache: Optional[Path] = None) -> Path:
    "Path of `axe.min.js` (pinned version), installed from the npm registry into the cache if missing."
    cache = Path(cache or axe_cache_dir())
    cache.mkdir(parents=True, exist_ok=True)
    script = cache / "node_modules" / "axe-core" / "axe.min.js"
    with FileLock(str(cache / ".lock"), timeout=300):
        if _installed_version(cache) == AXE_VERSION and script.is_file(): return script
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError(f"npm was not found on PATH: the accessibility tests need it to fetch axe-core@{AXE_VERSION} "
                               f"from the npm registry into {cache} (install Node.js and npm, e.g. `apt-get install npm`).")
        logger.info("Installing axe-core@%s into %s", AXE_VERSION, cache)
        proc = subprocess.run([npm, "install", "--prefix", str(cache), "--no-audit", "--no-fund", "--no-save",
                               "--ignore-scripts", f"axe-core@{AXE_VERSION}"], capture_output=True, text=True, timeout=300)
        if proc.returncode != 0 or _installed_version(cache) != AXE_VERSION or not script.is_file():
            raise RuntimeError(f"Could not install axe-core@{AXE_VERSION} into {cache} with npm "
                               f"(exit {proc.returncode}): {proc.stderr.strip()[-2000:]}")
    return script


@dataclass(frozen=True)
class View:
    "How a page is looked at: colour scheme and viewport."
    name: str
    color_scheme: str
    width: int
    height: int


VIEWS = [View("light", "light", 1280, 900), View("dark", "dark", 1280, 900), View("phone", "light", 390, 844)]


def new_view_context(browser, view: View, origin: str):
    """A context for `view`: its viewport and colour scheme (the demo's theme follows the OS setting and the saved
    choice, so the saved choice is set too); requests not addressed to `origin` are aborted and recorded in
    `context.offsite`."""
    ctx = browser.new_context(color_scheme=view.color_scheme, viewport={"width": view.width, "height": view.height},
                              service_workers="block", is_mobile=view.width < 500, has_touch=view.width < 500)
    ctx.add_init_script("try { localStorage.setItem('__FRANKEN__', JSON.stringify(Object.assign("
                        "JSON.parse(localStorage.getItem('__FRANKEN__') || '{}'), {mode: %s}))) } catch (e) {}"
                        % json.dumps(view.color_scheme))
    ctx.offsite = []

    def route(r):
        url = r.request.url
        if url.startswith((origin, "data:", "blob:")): r.continue_()
        else: ctx.offsite.append(url); r.abort()
    ctx.route("**/*", route)
    return ctx


def wait_settled(page) -> None:
    "Wait until HTMX has no request, swap or settle in flight."
    page.wait_for_function("() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')")


# -- the demo's pages ------------------------------------------------------------------------------------------------
# Each page: a name, a path, and an optional action run after loading (to reach a state: comparison open, errors shown).
CATEGORIES = {"transcription": "transcription_whisper_local", "llm": "llm_llama_docker", "export": "export_markdown"}
PLUGINS = ["transcription_whisper_local", "transcription_voxtral_worker", "llm_llama_docker", "llm_runpod_vllm",
           "export_markdown", "export_cloud_pdf"]


def _open_comparison(page) -> None:
    page.click("#comparison-toggle")
    page.wait_for_selector("#plugin-comparison table")
    wait_settled(page)


def _save_invalid(page) -> None:
    "Type an out-of-range value into the first number field and save: the form shows its errors."
    form = page.locator("#plugin-settings-form")
    form.locator("input[inputmode=numeric]").first.fill("99999")
    with page.expect_response(lambda r: r.request.method == "POST"):
        form.get_by_role("button", name="Save", exact=True).click()
    wait_settled(page)


def _save_valid(page) -> None:
    form = page.locator("#plugin-settings-form")
    with page.expect_response(lambda r: r.request.method == "POST"):
        form.get_by_role("button", name="Save", exact=True).click()
    wait_settled(page)


def _show_history(page) -> None:
    "Save twice (two history entries, one restorable), then open the settings history inside the panel."
    _change_memory(page)
    _save_valid(page)
    page.get_by_role("link", name="Show the settings history").click()
    page.wait_for_selector("#plugin-history li[data-action]")
    wait_settled(page)


def _change_memory(page) -> None:
    "Change the Memory field of the settings form to a valid value it does not hold yet, and save."
    box = page.locator("#plugin-settings-form input[name='memory']")
    box.fill("9" if box.input_value() != "9" else "10")
    _save_valid(page)


def _history_with_entries(page) -> None:
    "The full-page history after two saves of the plugin (from its category page), so it lists a restorable entry."
    history = page.url
    page.goto(history.replace("/plugins/history/llm_llama_docker", "/plugins/category/llm?plugin_id=llm_llama_docker"))
    _change_memory(page)
    _change_memory(page)
    page.goto(history)
    page.wait_for_selector("#plugin-history li[data-action] form")


def _changed_elsewhere(page) -> None:
    "Save the same plugin in a second tab: the first one shows the 'changed elsewhere' notice (it polls every 5 s)."
    other = page.context.new_page()
    other.goto(page.url)
    _change_memory(other)
    other.close()
    page.wait_for_selector("[data-testid='changed-elsewhere']", timeout=20_000)
    wait_settled(page)


@dataclass(frozen=True)
class DemoPage:
    name: str
    path: str
    action: Optional[Callable] = None


def demo_pages() -> List[DemoPage]:
    "Every page of the demo worth checking, plus the category page's states (comparison open, errors, saved)."
    pages = [DemoPage("home", "/"), DemoPage("plugins-index", "/plugins")]
    for cat in CATEGORIES:
        pages.append(DemoPage(f"category-{cat}", f"/plugins/category/{cat}"))
        pages.append(DemoPage(f"compare-{cat}", f"/plugins/compare?category={cat}"))
    pages += [DemoPage("category-transcription+comparison", "/plugins/category/transcription", _open_comparison),
              DemoPage("category-transcription+errors", "/plugins/category/transcription", _save_invalid),
              DemoPage("category-llm+saved", "/plugins/category/llm", _save_valid),
              DemoPage("category-llm+history", "/plugins/category/llm", _show_history),
              DemoPage("category-transcription+changed", "/plugins/category/transcription", _changed_elsewhere)]
    pages += [DemoPage(f"settings-{uid}", f"/plugins/settings/{uid}") for uid in PLUGINS]
    pages.append(DemoPage("details-llm_runpod_vllm", "/plugins/details?plugin_id=llm_runpod_vllm&settings=1"))
    pages.append(DemoPage("history-llm_llama_docker", "/plugins/history/llm_llama_docker", _history_with_entries))
    return pages


def contrast(a: str, b: str) -> float:
    "WCAG contrast ratio of two CSS colours given as `rgb(r, g, b)` or `rgba(...)` (alpha ignored)."
    def luminance(css: str) -> float:
        rgb = [int(float(x)) / 255 for x in css[css.index("(") + 1:css.index(")")].split(",")[:3]]
        lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


# -- running axe -----------------------------------------------------------------------------------------------------
def run_axe(page, axe_script: Path) -> Dict:
    "Inject axe-core into `page` (from the local file) and return `axe.run()`'s results (WCAG A/AA + best practice)."
    if not page.evaluate("typeof window.axe !== 'undefined'"): page.add_script_tag(path=str(axe_script))
    return page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
                         AXE_TAGS)


def blocking(results: Dict) -> List[Dict]:
    "The violations of impact serious or critical."
    return [v for v in results["violations"] if v.get("impact") in BLOCKING_IMPACTS]


def describe(violations: List[Dict], where: str = "") -> str:
    "One readable block per violation: id, impact, help, and each target with axe's summary."
    lines = []
    for v in violations:
        lines.append(f"{where}{v['id']} [{v['impact']}] {v['help']} ({len(v['nodes'])} node(s)) {v.get('helpUrl', '')}")
        for n in v["nodes"][:8]:
            summary = (n.get("failureSummary") or "").replace("\n", " ")[:300]
            lines.append(f"    target={n['target']}  {summary}")
        if len(v["nodes"]) > 8: lines.append(f"    ... {len(v['nodes']) - 8} more")
    return "\n".join(lines)
