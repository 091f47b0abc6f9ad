"""A real lab server for browser tests and load benchmarks: Daphne on a free loopback port with
its own SQLite file and embedded simulation workers, and static files collected and served as
`scripts/start.sh` does."""
from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent  # the repository (this file is tests/livelab.py)
CHROMIUM = "/usr/bin/chromium"
# Debian's Chromium as root, headless, and quiet on a machine without internet access.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def collected_static(env: dict[str, str]) -> Path:
    """A STATIC_ROOT that `manage.py collectstatic` has filled, shared by every server started
    while static/, the storage and the pinned dependencies stay the same: collecting (hashing and
    compressing ~200 files) takes seconds, and each test module starts a server. A new content
    gets a new directory, so a running server's files never change under it."""
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + (ROOT / "lab" / "static_files.py").read_bytes())
    for path in sorted((ROOT / "static").rglob("*")):
        if path.is_file():
            stat = path.stat()
            digest.update(f"{path.relative_to(ROOT)}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
    target = Path(tempfile.gettempdir()) / "archlab-static" / digest.hexdigest()[:16]
    if not target.exists():
        draft = target.with_name(f"{target.name}.{os.getpid()}")
        subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=ROOT,
                       env={**env, "ARCHLAB_STATIC_ROOT": str(draft)}, check=True)
        try:
            draft.rename(target)
        except OSError:  # another server collected the same files first
            shutil.rmtree(draft)
    return target


def _log(env: dict[str, str]) -> Any:
    """Where a server's output goes: nowhere, or appended to ARCHLAB_SERVER_LOG (to debug a test)."""
    path = env.get("ARCHLAB_SERVER_LOG")
    return open(path, "ab") if path else subprocess.DEVNULL  # noqa: SIM115 - the child keeps it open


def start_lab(port: int, db: Path, workers: int = 2, **extra_env: str) -> subprocess.Popen[bytes]:
    """Migrate `db`, collect the static files and start Daphne on `port`; returns once it accepts
    connections."""
    env = {**os.environ, "ARCHLAB_SQLITE": str(db), "ARCHLAB_EMBEDDED_WORKERS": str(workers),
           "DJANGO_SETTINGS_MODULE": "lab.settings", "LOG_LEVEL": "WARNING", **extra_env}
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    if "ARCHLAB_STATIC_ROOT" not in extra_env:
        env["ARCHLAB_STATIC_ROOT"] = str(collected_static(env))
    server = subprocess.Popen([sys.executable, "-m", "daphne", "-e", f"tcp:port={port}:interface=127.0.0.1:backlog=1024",
                               "lab.asgi_static:application"], cwd=ROOT, env=env,
                              stdout=_log(env), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError(f"Daphne did not start on port {port} within 30 s")


def signed_in_session(user: Any) -> str:
    """A browser session signed in as `user` (its key, for a sessionid cookie), made directly in
    the database as Django's login would: for benchmarks and tests that need many signed-in
    users without logging each one in through the page."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session.update({SESSION_KEY: str(user.pk), BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
                    HASH_SESSION_KEY: user.get_session_auth_hash()})
    session.create()
    assert session.session_key is not None  # create() saved it under a new key
    return session.session_key
