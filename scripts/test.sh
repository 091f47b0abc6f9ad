#!/usr/bin/env bash
# Sets everything up and runs every test. This is README command 2, and what CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."
# What the tests drive besides Python: Debian's Chromium for the browser tests (never
# `playwright install`: nothing but the package registries can be downloaded here), and the
# PostgreSQL and Redis servers the scale-out tests start on loopback ports.
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
if [ ${#missing[@]} -gt 0 ]; then
    SUDO=""
    [ "$(id -u)" = 0 ] || SUDO="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
bash scripts/setup.sh
exec .venv/bin/python -m pytest -q -p no:cacheprovider "$@"
