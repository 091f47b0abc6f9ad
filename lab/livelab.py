"""A real lab server for browser tests and load benchmarks: Daphne on a free loopback port with
its own SQLite file and embedded simulation workers, as `scripts/start.sh` runs it."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
# Debian's Chromium as root, headless, and quiet on a machine without internet access.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_lab(port: int, db: Path, workers: int = 2, **extra_env: str) -> subprocess.Popen[bytes]:
    """Migrate `db` and start Daphne on `port`; returns once it accepts connections."""
    env = {**os.environ, "ARCHLAB_SQLITE": str(db), "ARCHLAB_EMBEDDED_WORKERS": str(workers),
           "DJANGO_SETTINGS_MODULE": "lab.settings", "LOG_LEVEL": "WARNING", **extra_env}
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    server = subprocess.Popen([sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port),
                               "lab.asgi_static:application"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError(f"Daphne did not start on port {port} within 30 s")
