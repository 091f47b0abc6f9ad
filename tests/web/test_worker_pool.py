"""The embedded pool heals, with real processes: a real Daphne server (scripts/start.sh's), its
two spawned simulation workers, and SIGKILL.

- A worker killed mid-run 20 times: every run is retried to the same seeded result within 35 s,
  the pool is back to full size, no run has two live attempts, saved designs are unchanged.
- The whole server killed and restarted: its workers do not outlive it, designs are
  byte-identical, no run is left running after the first reaper pass, queued runs start by
  themselves.
"""
from __future__ import annotations

import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any

import pytest

from livelab import ROOT, free_port, start_lab

from .conftest import example

SEED = 11


def children(pid: int) -> list[int]:
    """Children of every thread of `pid` (the pool's supervisor thread starts replacements)."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(p) for p in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rpartition(")")[2].split()[0] not in ("Z", "X")
    except OSError:
        return False


def sim_workers(server: int) -> list[int]:
    """The server's simulation workers (multiprocessing also spawns a resource tracker)."""
    found = []
    for pid in children(server):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if b"spawn_main" in cmdline and alive(pid):
            found.append(pid)
    return found


class Browser:
    """A visitor with its own cookies (each run needs its own allowance)."""

    def __init__(self, base: str) -> None:
        self.base = base
        jar = CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        self.opener.open(base + "/", timeout=10).read()  # the lab page sets the CSRF cookie
        self.csrf = next(c.value for c in jar if c.name == "csrftoken")

    def post(self, path: str, body: Any) -> Any:
        request = urllib.request.Request(self.base + path, json.dumps(body).encode(), {
            "Content-Type": "application/json", "X-CSRFToken": self.csrf, "Referer": self.base + "/"})
        with self.opener.open(request, timeout=10) as response:
            return json.loads(response.read())


def db_rows(db: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=20) as conn:
        return conn.execute(sql).fetchall()


def run_row(db: Path, run_id: str) -> dict[str, Any]:
    cols = ("status", "attempt", "worker", "results", "windows", "sim_time")
    row = db_rows(db, f"select {', '.join(cols)} from runs_run where id = '{run_id.replace('-', '')}'")
    return dict(zip(cols, row[0])) if row else {}


def designs_digest(db: Path) -> str:
    rows = db_rows(db, "select d.id, d.name, r.number, r.topology from designs_design d join designs_revision r "
                       "on r.design_id = d.id order by d.id, r.number")
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def wait_for(condition: Any, timeout: float, what: str) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if condition():
            return time.monotonic() - start
        time.sleep(0.1)
    pytest.fail(f"{what}: not within {timeout} s")


def save_designs(db: Path, count: int) -> None:
    """Designs saved through the service layer of a separate process on the server's database."""
    code = ("from django.contrib.auth.models import User\n"
            "from lab.designs import services\n"
            "import json, sys\n"
            "doc = json.loads(sys.stdin.read())\n"
            "owner, _ = User.objects.get_or_create(username='teacher')\n"
            f"for i in range({count}):\n"
            "    services.design_create(owner=owner, name=f'Design {i} \\u00e9\\u4e2d', topology=doc)\n")
    subprocess.run([sys.executable, "manage.py", "shell", "-c", code], cwd=ROOT, check=True,
                   input=json.dumps(example("reference")).encode(),
                   env={**os.environ, "ARCHLAB_SQLITE": str(db), "DJANGO_SETTINGS_MODULE": "lab.settings",
                        "LOG_LEVEL": "WARNING"})


def start_run(base: str, duration: float = 20.0, speed: float = 10) -> str:
    return Browser(base).post("/api/v1/runs", {"topology": example("reference"), "seed": SEED,
                                            "duration_s": duration, "speed": speed})["id"]


@pytest.fixture
def lab(tmp_path: Path) -> Any:
    port = free_port()
    db = tmp_path / "lab.sqlite3"
    server = start_lab(port, db, workers=2, ARCHLAB_LEASE_S="15")
    wait_for(lambda: len(sim_workers(server.pid)) == 2, 30, "the pool started at boot")
    yield {"base": f"http://127.0.0.1:{port}", "db": db, "server": server, "port": port}
    server.kill()
    server.wait(10)


def test_a_worker_killed_mid_run_twenty_times_loses_no_run(lab: dict[str, Any]) -> None:
    base, db, server = lab["base"], lab["db"], lab["server"]
    save_designs(db, 20)
    before = designs_digest(db)
    reference = start_run(base)
    wait_for(lambda: run_row(db, reference).get("status") == "done", 60, "the reference run finished")
    expected = json.loads(run_row(db, reference)["results"])
    recoveries = []
    for _ in range(20):
        run_id = start_run(base)
        wait_for(lambda: run_row(db, run_id).get("status") == "running" and run_row(db, run_id)["sim_time"] > 0,
                 30, "the run started")
        victim = int(run_row(db, run_id)["worker"].rpartition(":")[2])
        killed_at = time.monotonic()
        os.kill(victim, signal.SIGKILL)
        wait_for(lambda: run_row(db, run_id).get("status") in ("done", "failed"), 35, "the killed run was retried")
        recoveries.append(time.monotonic() - killed_at)
        row = run_row(db, run_id)
        assert row["status"] == "done" and row["attempt"] == 2
        assert row["windows"] == 20  # one attempt's windows, once each
        assert json.loads(row["results"]) == expected  # the same seed: the same result, to the last digit
        assert not alive(victim)
        wait_for(lambda: len(sim_workers(server.pid)) == 2, 30, "the pool was back to full size")
    assert max(recoveries) < 35
    assert designs_digest(db) == before


def test_a_server_whose_workers_lose_it_exits_and_gives_its_runs_back(lab: dict[str, Any]) -> None:
    base, db, server = lab["base"], lab["db"], lab["server"]
    running = [start_run(base, duration=600.0, speed=1) for _ in range(2)]
    wait_for(lambda: all(run_row(db, r).get("status") == "running" for r in running), 30, "the runs started")
    workers = sim_workers(server.pid)
    server.kill()  # the server alone: its workers see their doorbell pipe close
    server.wait(10)
    wait_for(lambda: not any(alive(w) for w in workers), 10, "the orphaned workers exited")
    # Handed back, not left running, and not counted as a loss: the attempt is given back.
    assert {(run_row(db, r)["status"], run_row(db, r)["attempt"]) for r in running} == {("queued", 0)}


def test_everything_killed_and_restarted_loses_no_design_and_no_run(lab: dict[str, Any]) -> None:
    base, db, server, port = lab["base"], lab["db"], lab["server"], lab["port"]
    save_designs(db, 1000)
    before = designs_digest(db)
    running = [start_run(base, duration=600.0, speed=1) for _ in range(2)]
    wait_for(lambda: all(run_row(db, r).get("status") == "running" for r in running), 30, "the runs started")
    workers = sim_workers(server.pid)
    for pid in [server.pid, *workers]:  # SIGKILL of everything: no clean shutdown anywhere
        os.kill(pid, signal.SIGKILL)
    server.wait(10)
    wait_for(lambda: not any(alive(w) for w in workers), 10, "every worker was gone")
    assert len(db_rows(db, "select id from runs_run where status = 'running'")) == 2  # nobody reaped them yet
    again = start_lab(port, db, workers=2)
    try:
        # The reaper's first pass sees that their worker processes are gone; no new post is made.
        wait_for(lambda: not db_rows(db, "select id from runs_run where status = 'running' and attempt = 1"), 15,
                 "the lost runs were reaped")
        wait_for(lambda: all(run_row(db, r)["status"] == "running" and run_row(db, r)["attempt"] == 2
                             for r in running), 30, "the lost runs started again by themselves")
        assert designs_digest(db) == before
        assert db_rows(db, "select count(*) from designs_design")[0][0] == 1000
    finally:
        again.kill()
        again.wait(10)
