#!/usr/bin/env bash
# Set up and start the demo app on a fresh machine: installs the package (only when this checkout is not the one
# Python imports, or pyproject.toml changed since the last install), fetches the front-end assets from the npm
# registry on first run, then serves on 127.0.0.1:5001.
# Usage: bash tools/demo.sh [--host 127.0.0.1] [--port 5001] [--config-dir DIR] [--assets-dir DIR] [--log-level LEVEL]
set -euo pipefail
cd "$(dirname "$0")/.."
python="$(command -v python || command -v python3 || true)"  # Debian has python3 only
[ -n "$python" ] || { echo "Python 3.10 or newer is needed (python or python3 on the PATH)." >&2; exit 1; }
if ! command -v npm >/dev/null; then
    echo "npm is needed to fetch the front-end assets; installing Debian's nodejs and npm" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null
fi
# The install stamp records pyproject.toml's hash (dependencies, entry points) per checkout, outside the repo.
stamp_dir="${XDG_CACHE_HOME:-$HOME/.cache}/cjm_fasthtml_plugins"
stamp="$stamp_dir/demo-install-$(pwd -P | sha256sum | cut -c1-16).stamp"
want="$(sha256sum pyproject.toml | cut -d' ' -f1)"
imports_here() {  # this checkout's package (not another copy) and its UI dependencies import
    "$python" - <<'PY' 2>/dev/null
import pathlib, sys
import fasthtml, monsterui, uvicorn, cjm_fasthtml_plugins as m
sys.exit(pathlib.Path(m.__file__).resolve().parent != pathlib.Path("cjm_fasthtml_plugins").resolve())
PY
}
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ] || ! imports_here; then
    echo "Installing cjm_fasthtml_plugins from $(pwd -P) (first run, or pyproject.toml changed)" >&2
    "$python" -m pip install --quiet --disable-pip-version-check -e .
    mkdir -p "$stamp_dir" && echo "$want" > "$stamp"
fi
exec "$python" -m cjm_fasthtml_plugins.demo "$@"
