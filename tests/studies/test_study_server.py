"""Studies on a real server (scripts/start.sh's: Daphne, two spawned simulation workers, its own
SQLite file), through HTTP with an API token: a sweep says where its knee is, a comparison of
two revisions gives its verdict, and a worker
SIGKILLed mid-study loses nothing: its run is re-run on the other worker, every planned run is
counted once, and each summary is what run_one gives for the same run."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request
from typing import Any, Iterator

import pytest

from lab.sim.evidence import Plan, run_one
from livelab import ROOT, free_port, start_lab

from web.test_worker_pool import alive, db_rows, sim_workers, wait_for
from .conftest import small

MAKE_ALICE = """
import json, sys
from django.contrib.auth.models import User
from lab.accounts.models import ApiToken
from lab.designs import services
alice = User.objects.create_user("alice", "alice@example.org")
_, secret = ApiToken.issue(alice, "tests")
one, two = json.loads(sys.stdin.read())
design = services.design_create(owner=alice, name="Queue", topology=one)
services.design_save(design=design, author=alice, topology=two, message="a second worker")
print(json.dumps({"token": secret, "design": str(design.id)}))
"""


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    port = free_port()
    db = tmp_path_factory.mktemp("studies") / "lab.sqlite3"
    # Three running runs each, so a study of alice's runs two at once, one on each worker.
    env = {"ARCHLAB_USER_RUNNING": "3", "ARCHLAB_LEASE_S": "15"}
    server = start_lab(port, db, workers=2, **env)
    made = subprocess.run([sys.executable, "manage.py", "shell", "-c", MAKE_ALICE], cwd=ROOT, check=True,
                          capture_output=True, input=json.dumps([small(duration=4), small(duration=4, workers=2)]).encode(),
                          env={**os.environ, **env, "ARCHLAB_SQLITE": str(db), "DJANGO_SETTINGS_MODULE": "lab.settings",
                               "LOG_LEVEL": "WARNING"})
    alice = json.loads(made.stdout.decode().strip().splitlines()[-1])
    wait_for(lambda: len(sim_workers(server.pid)) == 2, 30, "the pool started at boot")
    yield {"base": f"http://127.0.0.1:{port}", "db": db, "server": server, **alice}
    server.kill()
    server.wait(10)


def api(lab: dict[str, Any], method: str, path: str, body: Any = None) -> Any:
    request = urllib.request.Request(lab["base"] + path, json.dumps(body).encode() if body is not None else None,
                                     {"Content-Type": "application/json", "Authorization": f"Bearer {lab['token']}"},
                                     method=method)
    with urllib.request.urlopen(request, timeout=20) as response:
        return json.loads(response.read())


def over(lab: dict[str, Any], study_id: str, timeout: float) -> dict[str, Any]:
    wait_for(lambda: api(lab, "GET", f"/api/v1/studies/{study_id}")["status"] not in ("queued", "running"),
             timeout, "the study ended")
    return api(lab, "GET", f"/api/v1/studies/{study_id}")


def test_a_sweep_on_the_servers_workers_names_its_knee(lab: dict[str, Any]) -> None:
    study = api(lab, "POST", f"/api/v1/designs/{lab['design']}/studies", {
        "kind": "sweep", "revision": 1, "threshold": 40,
        "spec": {"axes": [{"workload": "rate_per_s", "values": [40, 100, 160, 190]}], "seeds": 2}})
    got = over(lab, study["id"], 60)
    assert (got["status"], got["progress"]) == ("done", {"done": 8, "failed": 0, "total": 8})
    assert "p99 latency stays under 40 ms up to about" in got["document"]["knee"]["sentence"]
    workers = {w for (w,) in db_rows(lab["db"], "select worker from runs_run where evidence is not null")}
    assert len(workers) == 2  # both of the server's workers ran its runs
    # A worker that queued a study's next runs did not start an embedded pool of its own.
    assert all(sim_workers(pid) == [] for pid in sim_workers(lab["server"].pid))


def test_a_comparison_on_the_servers_workers_gives_a_verdict(lab: dict[str, Any]) -> None:
    study = api(lab, "POST", f"/api/v1/designs/{lab['design']}/studies",
                {"kind": "comparison", "seeds": 3, "a": {"revision": 1}, "b": {"revision": 2}})
    got = over(lab, study["id"], 60)
    assert (got["status"], got["progress"]["done"]) == ("done", 6)
    mean = got["document"]["metrics"]["latency_mean_ms"]
    assert mean["better"] == "b" and mean["verdict"].startswith("B's mean latency is")


def test_a_worker_killed_mid_study_loses_nothing(lab: dict[str, Any]) -> None:
    db, server = lab["db"], lab["server"]
    study = api(lab, "POST", f"/api/v1/designs/{lab['design']}/studies",
                {"kind": "replications", "revision": 1, "seeds": 8, "duration_s": 480})
    hex_id = study["id"].replace("-", "")
    seen: list[tuple[Any, ...]] = []

    def running() -> bool:
        # The run found running is the one killed: read once, so it cannot end in between (on a
        # quiet machine a short run ended between two reads); runs of 480 s take a while.
        seen[:] = db_rows(db, "select r.id, r.worker from runs_run r join studies_studyrun s on s.run_id = r.id "
                              f"where s.study_id = '{hex_id}' and r.status = 'running'")
        return bool(seen)

    wait_for(running, 30, "a run of the study was under way")
    run_id, worker = seen[0]
    victim = int(worker.rpartition(":")[2])
    os.kill(victim, signal.SIGKILL)
    got = over(lab, study["id"], 120)
    assert not alive(victim)
    assert (got["status"], got["progress"]) == ("done", {"done": 8, "failed": 0, "total": 8})
    assert got["document"]["runs"]["counted"] == 8 and got["document"]["seeds"] == list(range(1, 9))
    attempts = dict(db_rows(db, f"select id, attempt from runs_run where id = '{run_id}'"))
    assert attempts[run_id] == 2  # the killed run ran again, from the start
    rows = db_rows(db, f"select s.\"index\", s.status, s.summary from studies_studyrun s where s.study_id = '{hex_id}' "
                       "order by s.\"index\"")
    assert [(i, status) for i, status, _ in rows] == [(i, "done") for i in range(8)]  # each once
    plan_text = db_rows(db, f"select plan from studies_study where id = '{hex_id}'")[0][0]
    plan = Plan.from_dict(json.loads(plan_text))
    for index, _, summary in rows[:3]:
        stored, expected = json.loads(summary), dict(run_one(plan.runs[index]))
        for key in ("cpu_s", "wall_s"):
            stored.pop(key)
            expected.pop(key)
        assert stored == expected
    wait_for(lambda: len(sim_workers(server.pid)) == 2, 30, "the pool was back to full size")
