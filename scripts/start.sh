#!/usr/bin/env bash
# README command 1: sets everything up and starts the lab at http://127.0.0.1:8000 on the
# embedded default (SQLite, in-memory channel layer, simulation workers started by the server).
# Idempotent: the second time it only checks and starts.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/python manage.py migrate --noinput -v 0
# Hashed, compressed copies of the static files in staticfiles/ (git-ignored), served by WhiteNoise.
.venv/bin/python manage.py collectstatic --noinput -v 0
echo "Archlab: http://127.0.0.1:${PORT:-8000}/"
# A listen backlog for a class connecting at once (Twisted's default is 50; docs/operations.md).
exec .venv/bin/python -m daphne -e "tcp:port=${PORT:-8000}:interface=127.0.0.1:backlog=1024" lab.asgi_static:application
