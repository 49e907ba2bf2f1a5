"""axe-core on every page of the real demo, in light, dark and phone (390x844) views: no serious or critical violation.
Two checks axe cannot make: no page scrolls sideways at 390 px (WCAG 1.4.10 reflow), and dark mode keeps muted
text visibly muted.

The demo runs under uvicorn on 127.0.0.1 with its offline assets (as in test_browser_demo.py); axe-core comes from the
npm registry into a local cache (`a11y_support.ensure_axe`) and is injected from that file, never from a CDN.
Each page's full axe result is written to test-artifacts/axe/<view>/<page>.json.
"""
from __future__ import annotations

import json

import pytest

from a11y_support import VIEWS, contrast, blocking, demo_pages, describe, ensure_axe, new_view_context, run_axe, wait_settled
from browser_support import ARTIFACTS, start_demo_server  # the browser fixtures come from conftest.py

pytestmark = pytest.mark.browser


@pytest.fixture(scope="session")
def axe_script():
    "axe.min.js, fetched once from the npm registry into the local cache."
    return ensure_axe()


@pytest.fixture(scope="module")
def a11y_server(tmp_path_factory, assets_ready):
    "One demo server for the module (axe only reads pages; the few saves it makes are harmless)."
    root = tmp_path_factory.mktemp("a11y")
    server = start_demo_server(root / "configs", root / "server.log")
    try: yield server
    finally: server.stop()


@pytest.mark.parametrize("page_def", demo_pages(), ids=lambda p: p.name)
@pytest.mark.parametrize("view", VIEWS, ids=lambda v: v.name)
def test_no_serious_or_critical_axe_violations(a11y_server, browser, axe_script, view, page_def):
    ctx = new_view_context(browser, view, a11y_server.url)
    page = ctx.new_page()
    page.set_default_timeout(15_000)
    try:
        response = page.goto(a11y_server.url + page_def.path)
        assert response.status == 200, f"{page_def.path}: HTTP {response.status}"
        page.wait_for_load_state("load")
        wait_settled(page)
        if page_def.action: page_def.action(page)
        dark = page.evaluate("document.documentElement.classList.contains('dark')")
        assert dark == (view.color_scheme == "dark"), f"the page is {'dark' if dark else 'light'} in the {view.name} view"
        results = run_axe(page, axe_script)
    finally:
        ctx.close()
    out = ARTIFACTS / "axe" / view.name / f"{page_def.name}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results["violations"], indent=1))
    assert ctx.offsite == [], f"requests left 127.0.0.1: {ctx.offsite}"
    bad = blocking(results)
    assert bad == [], (f"{len(bad)} serious/critical axe violation(s) on {page_def.path} ({view.name}):\n"
                       + describe(bad, f"[{view.name} {page_def.name}] "))


def _open(browser, server, view, page_def):
    "A page of the demo in `view`, loaded, settled and brought to its state; returns (context, page)."
    ctx = new_view_context(browser, view, server.url)
    page = ctx.new_page()
    page.set_default_timeout(15_000)
    page.goto(server.url + page_def.path)
    wait_settled(page)
    if page_def.action: page_def.action(page)
    return ctx, page


OVERFLOW_JS = """() => { const d = document.documentElement, out = [];
  for (const e of document.querySelectorAll('body *')) {
    const r = e.getBoundingClientRect();
    if (r.width > 0 && r.right > d.clientWidth + 1) {
      let p = e.parentElement, clipped = false;  // inside a box that scrolls or clips it: fine
      while (p && p !== document.body) { const o = getComputedStyle(p).overflowX; if (o !== 'visible') { clipped = true; break } p = p.parentElement }
      if (!clipped) out.push(e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + ' right=' + Math.round(r.right));
    } }
  return {scrollWidth: d.scrollWidth, clientWidth: d.clientWidth, offenders: out.slice(0, 5)} }"""


@pytest.mark.parametrize("page_def", demo_pages(), ids=lambda p: p.name)
def test_phone_pages_do_not_scroll_sideways(a11y_server, browser, page_def):
    phone = next(v for v in VIEWS if v.name == "phone")
    ctx, page = _open(browser, a11y_server, phone, page_def)
    try: found = page.evaluate(OVERFLOW_JS)
    finally: ctx.close()
    assert found["scrollWidth"] <= found["clientWidth"], f"{page_def.path} is wider than the 390 px screen: {found}"


MUTED_JS = """() => { const color = s => { const e = document.querySelector(s); return e && getComputedStyle(e).color };
  return {label: color('#plugin-settings-form .uk-form-label'), muted: color('#plugin-settings-form [id$="-help"]'),
          background: getComputedStyle(document.body).backgroundColor} }"""


def test_dark_mode_keeps_muted_text_muted(a11y_server, browser):
    "A field's description reads as secondary to its label (contrast between them >= 1.5) and stays readable (>= 4.5)."
    dark = next(v for v in VIEWS if v.name == "dark")
    category = next(p for p in demo_pages() if p.name == "category-transcription")
    ctx, page = _open(browser, a11y_server, dark, category)
    try: colors = page.evaluate(MUTED_JS)
    finally: ctx.close()
    assert None not in colors.values(), colors
    assert contrast(colors["muted"], colors["background"]) >= 4.5, colors
    assert contrast(colors["label"], colors["muted"]) >= 1.5, (
        f"dark mode: descriptions {colors['muted']} look like labels {colors['label']} "
        f"(contrast between them {contrast(colors['label'], colors['muted']):.2f})")


FOCUS_JS = """() => { const e = document.activeElement, s = getComputedStyle(e), shown = e.cloneNode(true);
  shown.querySelectorAll('[aria-hidden=true]').forEach(x => x.remove());  // the name a screen reader reads
  return {name: shown.textContent.trim(), style: s.outlineStyle, width: parseFloat(s.outlineWidth), offset: parseFloat(s.outlineOffset),
          color: s.outlineColor, fill: s.backgroundColor, background: getComputedStyle(document.body).backgroundColor} }"""


@pytest.mark.parametrize("view_name", ["light", "dark"])
def test_keyboard_focus_on_buttons_and_links_stands_out(a11y_server, browser, view_name):
    "The focus ring of a button or link is >= 2 px, apart from the control, and >= 3:1 against the page (WCAG 1.4.11)."
    view = next(v for v in VIEWS if v.name == view_name)
    category = next(p for p in demo_pages() if p.name == "category-llm")
    ctx, page = _open(browser, a11y_server, view, category)
    try:
        page.focus("#plugin-select")
        rings = []
        for key in ("Tab", "Tab"):  # "Use this plugin" (a primary button), then "Compare all plugins" (a link)
            page.keyboard.press(key)
            rings.append(page.evaluate(FOCUS_JS))
        page.focus("#plugin-select")
        for key in ("Shift+Tab", "Shift+Tab"):  # the theme toggle, then the navbar's last category link
            page.keyboard.press(key)
            rings.append(page.evaluate(FOCUS_JS))
    finally: ctx.close()
    assert [r["name"] for r in rings] == ["Use this plugin", "Compare all plugins", "Dark mode", "Transcription"], rings
    for ring in rings:
        assert ring["style"] not in ("none", "hidden") and ring["width"] >= 2 and ring["offset"] >= 1, ring
        assert contrast(ring["color"], ring["background"]) >= 3, (
            f"{view_name}: the focus ring of {ring['name']!r} ({ring['color']}) hardly shows on {ring['background']} "
            f"(contrast {contrast(ring['color'], ring['background']):.2f})")


ALIGN_JS = """() => [...document.querySelectorAll('[role=alert]')].filter(e => e.offsetParent)
  .map(e => (e.dataset.testid || e.id || e.className) + ':' + getComputedStyle(e).textAlign)"""


@pytest.mark.parametrize("page_name", ["category-transcription+errors", "category-transcription+changed"])
def test_alerts_read_from_the_start_on_a_phone(a11y_server, browser, page_name):
    "DaisyUI centres an alert's text below 640 px; a list of failures or problems reads badly centred."
    phone = next(v for v in VIEWS if v.name == "phone")
    ctx, page = _open(browser, a11y_server, phone, next(p for p in demo_pages() if p.name == page_name))
    try: aligns = page.evaluate(ALIGN_JS)
    finally: ctx.close()
    assert aligns and all(a.endswith((":start", ":left")) for a in aligns), aligns
