"""Real PostgreSQL and Redis servers for the scale-out tests, started from Debian's packages on
free loopback ports in a throwaway directory, and stopped afterwards. Nothing here is a mock:
the servers are the ones a scale-out deployment runs."""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from livelab import free_port


class ServiceMissing(RuntimeError):
    """A server binary is not installed: scripts/test.sh installs it (a failure, never a skip)."""


def _wait_for_port(port: int, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{what} did not accept connections on port {port} within {timeout:.0f} s")


@dataclass
class Postgres:
    port: int
    directory: Path
    as_user: list[str]
    bin: Path

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/archlab"

    def stop(self) -> None:
        subprocess.run([*self.as_user, str(self.bin / "pg_ctl"), "-D", str(self.directory / "data"), "-m", "immediate",
                        "-w", "stop"], check=False, capture_output=True)
        shutil.rmtree(self.directory, ignore_errors=True)


def start_postgres() -> Postgres:
    """initdb + pg_ctl start in a fresh directory; as root, run as the postgres user (PostgreSQL
    refuses to run as root), in a directory that user can reach (not under a 0700 /root)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise ServiceMissing("PostgreSQL is not installed (Debian package postgresql); scripts/test.sh installs it")
    bin_dir = Path(found[-1]).parent
    directory = Path(tempfile.mkdtemp(prefix="archlab-pg-", dir="/tmp"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        os.chown(directory, user.pw_uid, user.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    port = free_port()
    subprocess.run([*as_user, str(bin_dir / "initdb"), "-D", str(directory / "data"), "-U", "postgres", "-A", "trust",
                    "-E", "UTF8", "--no-locale"], check=True, capture_output=True)
    subprocess.run([*as_user, str(bin_dir / "pg_ctl"), "-D", str(directory / "data"), "-l", str(directory / "server.log"),
                    "-w", "-o", f"-p {port} -c listen_addresses=127.0.0.1 -k {directory} -c fsync=off", "start"],
                   check=True, capture_output=True)
    server = Postgres(port, directory, as_user, bin_dir)
    try:
        _wait_for_port(port, "PostgreSQL")
        subprocess.run([*as_user, str(bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres",
                        "archlab"], check=True, capture_output=True)
    except Exception:
        server.stop()
        raise
    return server


@dataclass
class Redis:
    port: int
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


def start_redis() -> Redis:
    binary = shutil.which("redis-server")
    if binary is None:
        raise ServiceMissing("redis-server is not installed (Debian package redis-server); scripts/test.sh installs it")
    port = free_port()
    process = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5) as conn:
                    conn.sendall(b"PING\r\n")
                    if conn.recv(16).startswith(b"+PONG"):
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not answer PING on port {port}")
            time.sleep(0.05)
    except Exception:
        process.kill()
        raise
    return Redis(port, process)
