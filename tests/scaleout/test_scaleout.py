"""Scale-out mode for real: PostgreSQL as the record and Redis as the channel layer, two Daphne
servers without embedded workers, and two `manage.py runsimworker` processes, all on loopback.

A run started through one server is claimed by a worker, streamed to a viewer on the other
server, controlled from there with the starting browser's session, and survives the loss of
the worker running it (the other worker reaps it when the lease runs out and runs it again).
A sweep study started through one server is run by both workers, its progress streams to a
viewer on the other server, and it finishes whole, with its knee, even when a worker running one
of its runs is killed.
"""
from __future__ import annotations

import asyncio
import http.cookiejar
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any, Iterator

import psycopg
import pytest
import websockets

from lab.sim.evidence import Plan, run_one
from livelab import ROOT, free_port, start_lab
from studies.conftest import small
from studies.test_study_server import api

from .services import ServiceMissing, start_postgres, start_redis

pytestmark = pytest.mark.scaleout
LEASE_S = 5


@pytest.fixture(scope="module")
def services() -> Iterator[dict[str, str]]:
    try:
        postgres = start_postgres()
    except ServiceMissing as exc:
        pytest.fail(str(exc))
    try:
        redis = start_redis()
    except ServiceMissing as exc:
        postgres.stop()
        pytest.fail(str(exc))
    # Three running runs for a user, so a study of theirs runs two at once (lab/studies/limits.py);
    # the run tests above are visitors', whose allowance this leaves alone.
    yield {"DATABASE_URL": postgres.url, "REDIS_URL": redis.url, "ARCHLAB_LEASE_S": str(LEASE_S),
           "ARCHLAB_USER_RUNNING": "3"}
    redis.stop()
    postgres.stop()


class Cluster:
    def __init__(self, env: dict[str, str], tmp: Path) -> None:
        self.env = {**os.environ, "DJANGO_SETTINGS_MODULE": "lab.settings", "LOG_LEVEL": "WARNING", **env}
        self.ports = [free_port(), free_port()]
        self.servers = [start_lab(port, tmp / "unused.sqlite3", workers=0, **env) for port in self.ports]
        self.workers: list[subprocess.Popen[bytes]] = []
        self.add_worker()
        self.add_worker()

    def add_worker(self) -> subprocess.Popen[bytes]:
        worker = subprocess.Popen([sys.executable, "manage.py", "runsimworker"], cwd=ROOT, env=self.env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.workers.append(worker)
        return worker

    def url(self, server: int) -> str:
        return f"http://127.0.0.1:{self.ports[server]}"

    def sql(self, query: str, *args: Any) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.env["DATABASE_URL"]) as conn:
            return conn.execute(query, args).fetchall()

    def stop(self) -> None:
        for process in self.servers + self.workers:
            if process.poll() is None:
                process.terminate()
        for process in self.servers + self.workers:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.fixture(scope="module")
def cluster(services: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    running = Cluster(services, tmp_path_factory.mktemp("scaleout"))
    yield running
    running.stop()


class Browser:
    """A browser's session with one server: cookies, the CSRF token, JSON in and out."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))
        self.opener.open(base + "/").read()

    def cookie(self, name: str) -> str:
        return next(c.value for c in self.cookies if c.name == name)

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        request = urllib.request.Request(self.base + path, data=json.dumps(body).encode(), method="POST",
                                         headers={"Content-Type": "application/json",
                                                  "X-CSRFToken": self.cookie("csrftoken")})
        with self.opener.open(request) as response:
            return json.loads(response.read())

    def get(self, path: str) -> dict[str, Any]:
        with self.opener.open(self.base + path) as response:
            return json.loads(response.read())


def topology(duration_s: float) -> dict[str, Any]:
    doc = json.loads((ROOT / "lab" / "sim" / "examples" / "reference.json").read_text())
    doc["settings"].update({"duration_s": duration_s, "warmup_s": 0})
    return doc


def wait_for(predicate: Any, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


async def watch(url: str, run_id: str, session: str, command: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Watch a run to its end over a websocket; send `command` once the first window arrives."""
    frames: list[dict[str, Any]] = []
    headers = {"Origin": url, "Cookie": f"sessionid={session}"}
    async with websockets.connect(url.replace("http", "ws") + f"/ws/runs/{run_id}/", additional_headers=headers) as ws:
        sent = command is None
        while True:
            frame = json.loads(await asyncio.wait_for(ws.recv(), timeout=60))
            frames.append(frame)
            if not sent and frame["type"] == "window":
                await ws.send(json.dumps({"type": "control", "command": command}))
                sent = True
            if frame["type"] in ("status", "snapshot") and frame["status"] in ("done", "failed", "stopped"):
                return frames


def test_runs_are_shared_by_two_workers_and_stream_to_a_viewer_on_the_other_server(cluster: Cluster) -> None:
    browser = Browser(cluster.url(0))
    first = browser.post("/api/v1/runs", {"topology": topology(8), "seed": 3, "speed": 1})
    second = browser.post("/api/v1/runs", {"topology": topology(8), "seed": 4, "speed": 1})
    assert first["status"] == "queued" and second["status"] == "queued"

    # The viewer is on the other server; its commands carry the first server's session, which
    # both servers read from PostgreSQL.
    command = {"op": "set_param", "node": "app1", "param": "instances", "value": 3}
    frames = asyncio.run(watch(cluster.url(1), first["id"], browser.cookie("sessionid"), command))
    windows = [f for f in frames if f["type"] == "window"]
    assert len(windows) >= 3, [f["type"] for f in frames]
    seqs = [f["seq"] for f in windows]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    assert not [f for f in frames if f["type"] == "error"], frames
    assert frames[-1]["status"] == "done"

    wait_for(lambda: cluster.sql("select count(*) from runs_run where status = 'done'")[0][0] >= 2, 60,
             "both runs to finish")
    # Runs as fast as possible each want a core: two of them go to the two workers.
    # (Two visitors: one visitor runs one run at a time.)
    fast = [Browser(cluster.url(0)).post("/api/v1/runs", {"topology": topology(8), "seed": s, "speed": 0,
                                                       "duration_s": 120}) for s in (5, 6)]
    wait_for(lambda: cluster.sql("select count(*) from runs_run where status = 'done'")[0][0] >= 4, 120,
             "the fast runs to finish")
    workers = cluster.sql("select worker from runs_run where id in (%s, %s)", fast[0]["id"], fast[1]["id"])
    assert len({w for (w,) in workers}) == 2, "two runs as fast as possible should be claimed by the two workers"
    results = browser.get(f"/api/v1/runs/{first['id']}/results.json")
    assert results["results"]["requests"]["created"] > 0
    assert any(e["type"] == "set_param" and e["value"] == 3 for e in results["results"]["timeline"])


def test_a_run_whose_worker_dies_is_reaped_after_its_lease_and_finished_by_another(cluster: Cluster) -> None:
    browser = Browser(cluster.url(1))
    run = browser.post("/api/v1/runs", {"topology": topology(12), "seed": 5, "speed": 1})
    worker = wait_for(lambda: cluster.sql("select worker from runs_run where id = %s and status = 'running'",
                                          run["id"]), 30, "a worker to claim the run")[0][0]
    pid = int(worker.rsplit(":", 1)[1])
    victim = next(w for w in cluster.workers if w.pid == pid)
    time.sleep(2)  # let it write a few windows
    victim.send_signal(signal.SIGKILL)
    victim.wait(10)
    cluster.add_worker()  # keep two workers for whatever runs next

    final = wait_for(lambda: cluster.sql("select status, attempt, worker from runs_run where id = %s and status in "
                                         "('done', 'failed')", run["id"]), 12 + 3 * LEASE_S + 30, "the retried run")
    status, attempt, last_worker = final[0]
    assert (status, attempt) == ("done", 2)
    assert last_worker != worker
    detail = browser.get(f"/api/v1/runs/{run['id']}")
    assert detail["status"] == "done" and detail["attempt"] == 2


MAKE_ALICE = """
import json, sys
from django.contrib.auth.models import User
from lab.accounts.models import ApiToken
from lab.designs import services
alice = User.objects.create_user("alice", "alice@example.org")
_, secret = ApiToken.issue(alice, "tests")
design = services.design_create(owner=alice, name="Queue", topology=json.loads(sys.stdin.read()))
services.design_share(design=design, visibility="public")
print(json.dumps({"token": secret, "design": str(design.id)}))
"""
MU = 200.0  # small()'s pool: one worker, 5 ms exponential service


@pytest.fixture(scope="module")
def alice_api(cluster: Cluster) -> dict[str, str]:
    """alice's API token and her public design of an M/M/1 queue, made in the cluster's database."""
    made = subprocess.run([sys.executable, "manage.py", "shell", "-c", MAKE_ALICE], cwd=ROOT, env=cluster.env,
                          input=json.dumps(small(duration=600)).encode(), capture_output=True, check=True)
    return json.loads(made.stdout.decode().strip().splitlines()[-1])


def sweep(alice: dict[str, str], base: str, values: list[float], duration_s: float) -> dict[str, Any]:
    return api({**alice, "base": base}, "POST", f"/api/v1/designs/{alice['design']}/studies", {
        "kind": "sweep", "duration_s": duration_s, "threshold": 40,
        "spec": {"axes": [{"workload": "rate_per_s", "values": values}], "seeds": 2}})


async def follow_study(url: str, study_id: str) -> list[dict[str, Any]]:
    """A visitor's view of a public design's study over its websocket, to its end."""
    frames: list[dict[str, Any]] = []
    async with websockets.connect(url.replace("http", "ws") + f"/ws/studies/{study_id}/",
                                  additional_headers={"Origin": url}) as ws:
        while not frames or frames[-1]["status"] in ("queued", "running"):
            frames.append(json.loads(await asyncio.wait_for(ws.recv(), timeout=50)))
    return frames


def study_runs(cluster: Cluster, study_id: str) -> list[tuple[Any, ...]]:
    """(index, its row's status, run id, run status, attempt, worker) of each planned run."""
    return cluster.sql("select s.\"index\", s.status, r.id::text, r.status, r.attempt, r.worker "
                       "from studies_studyrun s join runs_run r on r.id = s.run_id "
                       "where s.study_id = %s order by s.\"index\"", study_id)


def test_a_sweep_is_run_by_both_workers_and_streams_to_a_viewer_on_the_other_server(cluster: Cluster,
                                                                                   alice_api: dict[str, str]) -> None:
    study = sweep(alice_api, cluster.url(0), [40, 100, 160, 190], 600)
    assert (study["status"], study["progress"]["total"]) == ("running", 8)
    frames = asyncio.run(follow_study(cluster.url(1), study["id"]))
    assert {f["type"] for f in frames} == {"study"}
    done = [f["done"] for f in frames]
    assert done == sorted(done) and len(set(done)) >= 3, done  # it moved while the viewer watched
    assert (frames[-1]["status"], frames[-1]["done"], frames[-1]["failed"]) == ("done", 8, 0)

    runs = study_runs(cluster, study["id"])
    assert [(i, row, run, attempt) for i, row, _, run, attempt, _ in runs] == [(i, "done", "done", 1) for i in range(8)]
    workers = {worker for *_, worker in runs}
    assert len(workers) == 2, workers  # both workers ran its runs
    assert {int(w.rsplit(":", 1)[1]) for w in workers} <= {w.pid for w in cluster.workers}

    # The document, as the other server's visitor reads it: each point's two runs, M/M/1's mean
    # latency 1/(mu - lambda) where the queue is not near saturation, and the knee in words.
    doc = urllib.request.urlopen(cluster.url(1) + f"/api/v1/studies/{study['id']}", timeout=20)
    got = json.loads(doc.read())
    assert (got["status"], got["progress"]) == ("done", {"done": 8, "failed": 0, "total": 8})
    points = got["document"]["points"]
    assert [(p["values"]["workload.rate_per_s"], p["runs"]) for p in points] == [(40, 2), (100, 2), (160, 2), (190, 2)]
    for point in points[:3]:
        rate = point["values"]["workload.rate_per_s"]
        assert point["metrics"]["latency_mean_ms"]["mean"] == pytest.approx(1000 / (MU - rate), rel=0.15), rate
        assert point["nodes"]["app"]["utilization"]["mean"] == pytest.approx(rate / MU, abs=0.03), rate
    knee = got["document"]["knee"]
    # p99 of M/M/1's time in system is ln(100)/(mu - lambda): 29 ms at 40/s, 46 ms at 100/s.
    assert knee["direction"] == "rises" and 60 < knee["value"] < 100, knee
    assert knee["sentence"].startswith("p99 latency stays under 40 ms up to about"), knee


def test_a_study_whose_worker_dies_mid_run_finishes_with_nothing_lost(cluster: Cluster,
                                                                     alice_api: dict[str, str]) -> None:
    # Runs of the longest duration allowed, 1.7 to 2 s of compute each: the kill must land while
    # one is under way (900 s runs took 0.45 s once the engine got faster, and one ended first).
    study = sweep(alice_api, cluster.url(1), [100, 160], 3600)
    seen: list[tuple[Any, ...]] = []

    def running() -> bool:
        # The run found running is the one killed: read once, so it cannot end in between.
        seen[:] = [r for r in study_runs(cluster, study["id"]) if r[3] == "running"]
        return bool(seen)

    wait_for(running, 20, "a run of the study was under way")
    index, _, run_id, _, _, worker = seen[0]
    victim = next(w for w in cluster.workers if w.pid == int(worker.rsplit(":", 1)[1]))
    time.sleep(0.3)  # into the run, which takes seconds
    victim.send_signal(signal.SIGKILL)
    victim.wait(10)
    status = cluster.sql("select status, attempt from runs_run where id = %s", run_id)[0]
    assert status != ("done", 1), "the run ended before its worker was killed: make the runs longer"
    cluster.add_worker()  # keep two workers for whatever runs next

    over = wait_for(lambda: cluster.sql("select status from studies_study where id = %s and status not in "
                                        "('queued', 'running')", study["id"]), 50, "the study to end")
    assert over[0][0] == "done"
    runs = study_runs(cluster, study["id"])
    assert [(i, row, run) for i, row, _, run, _, _ in runs] == [(i, "done", "done") for i in range(4)]  # each once
    killed = next(r for r in runs if r[2] == run_id)
    assert killed[4] == 2 and killed[5] != worker  # run again, from the start, by another worker
    got = api({**alice_api, "base": cluster.url(0)}, "GET", f"/api/v1/studies/{study['id']}")
    assert got["progress"] == {"done": 4, "failed": 0, "total": 4}
    assert got["document"]["runs"]["counted"] == 4 and [p["runs"] for p in got["document"]["points"]] == [2, 2]
    # The re-run's summary is the run's, as run_one gives it: nothing of the lost attempt in it.
    plan, summary = cluster.sql("select st.plan, s.summary from studies_study st join studies_studyrun s "
                                "on s.study_id = st.id where st.id = %s and s.\"index\" = %s", study["id"], index)[0]
    expected = dict(run_one(Plan.from_dict(plan).runs[index]))
    for key in ("cpu_s", "wall_s"):
        summary.pop(key)
        expected.pop(key)
    assert summary == expected
