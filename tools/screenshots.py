#!/usr/bin/env python
r"""Screenshots of every demo page in light, dark and phone (390x844) views.

Starts the real demo (`python -m cjm_fasthtml_plugins.demo` under uvicorn on 127.0.0.1, offline assets, a fresh
config dir), drives headless Debian Chromium with Playwright, and writes
`test-artifacts/screenshots/<view>-<page>.png` (gitignored). With `--docs DIR`, the shots named by `--pick` are also
copied to DIR (a committed location, e.g. for the README).

    python tools/screenshots.py                                 # all pages, all views
    python tools/screenshots.py --pages home,category-llm       # some pages
    python tools/screenshots.py --views phone --no-full-page    # viewport only

The README's shots (nbs/images/, linked by absolute raw.githubusercontent.com URLs so they show on GitHub and PyPI;
`--pick` defaults to them):

    python tools/screenshots.py --pages category-llm,category-transcription+comparison --docs nbs/images
"""
from __future__ import annotations

import argparse
import logging
import shutil
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO_ROOT), str(REPO_ROOT / "tests")]

from a11y_support import VIEWS, demo_pages, new_view_context, wait_settled  # noqa: E402
from browser_support import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, start_demo_server  # noqa: E402

logger = logging.getLogger("screenshots")
OUT = ARTIFACTS / "screenshots"
README_SHOTS = "light-category-llm,dark-category-llm,phone-category-llm,light-category-transcription+comparison"


def parse_args(argv=None) -> argparse.Namespace:
    pages, views = [p.name for p in demo_pages()], [v.name for v in VIEWS]
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--pages", default="", help=f"comma-separated page names (default: all): {', '.join(pages)}")
    p.add_argument("--views", default=",".join(views), help=f"comma-separated views (default: {','.join(views)})")
    p.add_argument("--out", type=Path, default=OUT, help=f"output directory (default: {OUT})")
    p.add_argument("--no-full-page", action="store_true", help="capture the viewport only, not the whole page")
    p.add_argument("--docs", type=Path, default=None, help="also copy the --pick shots into this directory")
    p.add_argument("--pick", default=README_SHOTS, help=f"comma-separated <view>-<page> names to copy with --docs (default: {README_SHOTS})")
    return p.parse_args(argv)


def take(browser, server_url: str, view, page_def, out: Path, full_page: bool) -> Path:
    "One screenshot of `page_def` in `view`."
    ctx = new_view_context(browser, view, server_url)
    try:
        page = ctx.new_page()
        page.set_default_timeout(15_000)
        page.goto(server_url + page_def.path)
        page.wait_for_load_state("load")
        wait_settled(page)
        if page_def.action: page_def.action(page)
        page.wait_for_function("() => document.fonts.status === 'loaded'")
        page.mouse.move(0, 0)  # no hover state left on the last clicked button
        path = out / f"{view.name}-{page_def.name}.png"
        page.screenshot(path=str(path), full_page=full_page, animations="disabled", caret="hide")
    finally:
        ctx.close()
    if ctx.offsite: logger.warning("%s: blocked requests that left 127.0.0.1: %s", path.name, ctx.offsite)
    return path


def main(argv=None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    wanted = {n for n in args.pages.split(",") if n}
    pages = [p for p in demo_pages() if not wanted or p.name in wanted]
    views = [v for v in VIEWS if v.name in args.views.split(",")]
    unknown = wanted - {p.name for p in pages}
    if unknown: raise SystemExit(f"Unknown page(s): {', '.join(sorted(unknown))}")
    args.out.mkdir(parents=True, exist_ok=True)
    from cjm_fasthtml_plugins.demo.assets import ensure_assets
    from playwright.sync_api import sync_playwright
    ensure_assets()
    with tempfile.TemporaryDirectory(prefix="cjm-shots-") as tmp, sync_playwright() as pw:
        server = start_demo_server(Path(tmp) / "configs", Path(tmp) / "server.log")
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            shots = [take(browser, server.url, v, p, args.out, not args.no_full_page) for v in views for p in pages]
        finally:
            browser.close(); server.stop()
    logger.info("Wrote %d screenshots to %s", len(shots), args.out)
    if args.docs:
        args.docs.mkdir(parents=True, exist_ok=True)
        for name in (n for n in args.pick.split(",") if n):
            src = args.out / f"{name}.png"
            if not src.is_file(): raise SystemExit(f"--pick {name}: {src} was not taken (check --pages/--views)")
            dest = args.docs / src.name.replace("+", "-")  # a plain name in README URLs
            shutil.copy2(src, dest)
            logger.info("Copied %s to %s", src.name, dest)
    return 0


if __name__ == "__main__":
    sys.exit(main())
