#!/usr/bin/env bash
# Set up and start the demo app on a fresh machine: installs the package, fetches the
# front-end assets from the npm registry on first run, then serves on 127.0.0.1:5001.
# Usage: bash tools/demo.sh [--host 127.0.0.1] [--port 5001] [--config-dir DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v npm >/dev/null; then
    echo "npm is needed to fetch the front-end assets; installing Debian's nodejs and npm" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null
fi
python -m pip install --quiet --disable-pip-version-check -e .
exec python -m cjm_fasthtml_plugins.demo "$@"
