"""Shared pytest fixtures (kept minimal)."""
import os
from pathlib import Path

import pytest

# The browser fixtures live here, once for the whole session: a test module that imported `browser` itself would get a
# second session fixture, and a second sync Playwright in one process fails ("Sync API inside the asyncio loop").
from browser_support import assets_ready, browser, color_scheme, demo_server, page_and_net  # noqa: F401,E402

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def child_env():
    "Environment for child Python processes, importing the package from this checkout."
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH")) if p)
    return env
