#!/usr/bin/env bash
# Sets up everything Archlab needs on a fresh Debian machine. Idempotent: a second run only
# checks that what is there is current.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian's Chromium for the browser tests (never `playwright install`: nothing but the package
# registries can be downloaded here).
if ! command -v chromium >/dev/null 2>&1; then
    SUDO=""
    [ "$(id -u)" = 0 ] || SUDO="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq chromium >/dev/null
fi

PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
# Reinstall only when pyproject.toml changed since the last successful install.
stamp=.venv/.archlab-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    .venv/bin/pip install -q --disable-pip-version-check -e ".[test,bench]"
    touch "$stamp"
fi
