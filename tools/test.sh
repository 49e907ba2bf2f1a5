#!/usr/bin/env bash
# Set up everything the tests need on a fresh machine, then run every test.
# Usage: bash tools/test.sh            (what .ci/run and a newcomer run)
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "Installing the package with its dev extra"
python -m pip install --quiet --disable-pip-version-check -e ".[dev]"

step "Installing Debian's Chromium for the browser tests"
if [ ! -x /usr/bin/chromium ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq chromium >/dev/null
fi
/usr/bin/chromium --version

step "Installing Node.js and npm for the offline front-end assets"
if ! command -v npm >/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null
fi

step "Installing Debian's PostgreSQL server (the tests start throwaway clusters of it) and wrk (the HTTP benchmark)"
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || ! command -v wrk >/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq postgresql wrk >/dev/null
fi
ls /usr/lib/postgresql/*/bin/initdb

step "Building the Python 3.12 environment for the cjm-plugin-system integration tests"
bash tools/plugin_system_env.sh

step "Fetching the front-end assets from npm (htmx, Franken UI, DaisyUI, Tailwind)"
python -c 'from cjm_fasthtml_plugins.demo.assets import ensure_assets; print(ensure_assets())'

step "Checking that notebooks and package agree (nbdev-export, nbdev-clean)"
snapshot() { git status --porcelain --untracked-files=all; git diff; }
before="$(snapshot)"
nbdev-export
nbdev-clean
after="$(snapshot)"
if [ "$before" != "$after" ]; then
    echo "nbdev-export or nbdev-clean changed files: run them and commit the result." >&2
    diff <(echo "$before") <(echo "$after") >&2 || true
    exit 1
fi

step "Running the notebooks (nbdev-test)"
nbdev-test

step "Checking the docs (nbdev-proc-nbs; every public name documented; README.md matches nbs/index.ipynb)"
python tools/check_docs.py check

step "Running the benchmarks in quick mode (small N, no timing targets: they only must not crash)"
python bench/bench.py --quick

step "Running pytest"
set +e
python -m pytest -q "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then echo "pytest collected no tests: that is a failure here." >&2; exit 1; fi
exit "$status"
