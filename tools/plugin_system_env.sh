#!/usr/bin/env bash
# Build (once) the Python 3.12 virtual environment the cjm-plugin-system integration tests run in, and print its
# interpreter's path. cjm-plugin-system 0.0.46 needs Python >= 3.12; the project itself keeps Python >= 3.10.
#
#   tools/plugin_system_env.sh            # -> /root/.cache/cjm_fasthtml_plugins/py312/bin/python
#
# Idempotent and fast when the environment is already there: a stamp file records what was installed (the pins and
# this checkout's path); nothing is installed again while it matches. Override the location with
# CJM_PLUGIN_SYSTEM_VENV and the interpreter with CJM_PYTHON312.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${CJM_PLUGIN_SYSTEM_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/cjm_fasthtml_plugins/py312}"
pins="cjm-plugin-system==0.0.46 cjm-transcription-plugin-system==0.0.40"
want="$pins setuptools wheel -e $repo"
stamp="$venv/.cjm-plugin-system-env"

if [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  echo "$venv/bin/python"; exit 0
fi

find_python312() {
  if [[ -n "${CJM_PYTHON312:-}" ]]; then echo "$CJM_PYTHON312"; return; fi
  # (a pyenv shim named python3.12 exists even when 3.12 is not pyenv's selected version, and then fails: try it)
  if command -v python3.12 >/dev/null 2>&1 && python3.12 -c '' >/dev/null 2>&1; then command -v python3.12; return; fi
  if command -v pyenv >/dev/null 2>&1; then
    local v; v="$(pyenv versions --bare 2>/dev/null | grep -E '^3\.12(\.|$)' | sort -V | tail -1 || true)"
    if [[ -n "$v" ]]; then PYENV_VERSION="$v" pyenv which python; return; fi
  fi
  echo "plugin_system_env.sh: no Python 3.12 found (set CJM_PYTHON312, put python3.12 on PATH, or 'pyenv install 3.12')" >&2
  exit 1
}

if [[ ! -x "$venv/bin/python" ]]; then
  mkdir -p "$(dirname "$venv")"
  "$(find_python312)" -m venv "$venv" >&2
fi
# shellcheck disable=SC2086  # the pins are separate words on purpose
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check $pins setuptools wheel >&2
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -e "$repo" >&2
echo "$want" > "$stamp"
echo "$venv/bin/python"
