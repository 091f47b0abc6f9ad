"""Runs as rows: creation validates and freezes, claims are exclusive, leases expire, final
writes are fenced, and the executor applies commands between windows."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from lab.runs import host, services
from lab.runs.models import Run, RunCommand, RunWindow

from .conftest import example

pytestmark = pytest.mark.django_db


def queued(duration: float = 5.0, **kw) -> Run:
    return services.run_create(topology=example("reference"), duration_s=duration, speed=0, **kw)


def test_a_run_freezes_a_normalized_copy_of_its_topology() -> None:
    doc = example("reference")
    run = services.run_create(topology=doc, seed=9, duration_s=3, speed=0)
    doc["nodes"].clear()
    run.refresh_from_db()
    assert run.status == "queued" and run.seed == 9 and run.duration_s == 3.0
    assert len(run.topology["nodes"]) == 8
    assert run.topology["nodes"][0]["params"]["arrival"] == "poisson"  # defaults filled in


def test_an_invalid_topology_is_refused_with_the_engines_problems() -> None:
    doc = example("reference")
    doc["edges"].append({"from": "db", "to": "nowhere"})
    with pytest.raises(services.Refused) as refused:
        services.run_create(topology=doc)
    assert any("'nowhere', which does not exist" in p["message"] for p in refused.value.problems)
    assert not Run.objects.exists()


@pytest.mark.parametrize("field, value", [("seed", -1), ("seed", "x"), ("duration_s", 0), ("duration_s", 10**9),
                                          ("speed", 3), ("speed", True)])
def test_absurd_run_settings_are_refused_with_their_path(field: str, value: object) -> None:
    with pytest.raises(services.Refused) as refused:
        services.run_create(topology=example("reference"), **{field: value})
    assert refused.value.problems[0]["path"] == f"$.{field}"


def test_only_one_worker_claims_a_run() -> None:
    run = queued()
    first = services.run_claim_next(worker="a")
    second = services.run_claim_next(worker="b")
    assert first is not None and first.id == run.id and first.attempt == 1 and first.worker == "a"
    assert second is None


def test_an_expired_lease_requeues_the_run_once_then_fails_it() -> None:
    queued()
    claimed = services.run_claim_next(worker="a")
    Run.objects.filter(id=claimed.id).update(lease_until=timezone.now() - timedelta(seconds=1))
    assert services.run_reap_expired() == 1
    assert Run.objects.get(id=claimed.id).status == "queued"
    again = services.run_claim_next(worker="b")
    assert again.attempt == 2
    Run.objects.filter(id=again.id).update(lease_until=timezone.now() - timedelta(seconds=1))
    services.run_reap_expired()
    lost = Run.objects.get(id=again.id)
    assert lost.status == "failed" and "lost" in lost.error


def test_a_zombie_worker_cannot_write_over_the_retry() -> None:
    queued()
    zombie = services.run_claim_next(worker="a")
    Run.objects.filter(id=zombie.id).update(lease_until=timezone.now() - timedelta(seconds=1))
    services.run_reap_expired()
    retry = services.run_claim_next(worker="b")
    assert services.run_add_windows(run=zombie, windows=[{"index": 0}], sim_time=1.0) is False
    assert services.run_finish(run=zombie, results={"zombie": True}, stopped=False) is False
    assert not RunWindow.objects.filter(run=retry).exists()
    assert Run.objects.get(id=retry.id).status == "running"


def test_the_executor_stores_every_window_and_the_results() -> None:
    run = queued(duration=5.0)
    host.execute(services.run_claim_next(worker="w"))
    run.refresh_from_db()
    assert run.status == "done" and run.windows == 5 and run.sim_time == 5.0
    assert list(RunWindow.objects.filter(run=run).values_list("seq", flat=True)) == [0, 1, 2, 3, 4]
    assert run.results["requests"]["created"] > 4000


def test_commands_reach_the_simulation_and_land_in_its_timeline() -> None:
    run = queued(duration=3.0)
    services.run_command_add(run=run, command={"op": "set_param", "node": "db", "param": "workers", "value": 4})
    services.run_command_add(run=run, command={"op": "clear_fault", "id": "never-injected"})
    host.execute(services.run_claim_next(worker="w"))
    run.refresh_from_db()
    assert [e["type"] for e in run.results["timeline"]] == ["set_param"]
    good, bad = RunCommand.objects.filter(run=run).order_by("id")
    assert good.applied and good.problems == []
    assert bad.applied and "no active fault has the id 'never-injected'" in bad.problems[0]["message"]


def test_a_stop_command_ends_the_run_early_as_stopped() -> None:
    run = queued(duration=600.0)
    services.run_command_add(run=run, command={"op": "stop"})
    host.execute(services.run_claim_next(worker="w"))
    run.refresh_from_db()
    assert run.status == "stopped" and run.sim_time < 600


def test_unknown_commands_and_commands_to_finished_runs_are_refused() -> None:
    run = queued()
    with pytest.raises(services.Refused, match="unknown command"):
        services.run_command_add(run=run, command={"op": "explode"})
    with pytest.raises(services.Refused, match="speed must be"):
        services.run_command_add(run=run, command={"op": "speed", "value": 7})
    Run.objects.filter(id=run.id).update(status="done")
    run.refresh_from_db()
    with pytest.raises(services.Refused, match="the run is done"):
        services.run_command_add(run=run, command={"op": "pause"})


def test_a_paced_run_takes_about_its_simulated_time_divided_by_its_speed() -> None:
    import time

    run = services.run_create(topology=example("reference"), duration_s=4.0, speed=10)
    start = time.monotonic()
    host.execute(services.run_claim_next(worker="w"))
    elapsed = time.monotonic() - start
    run.refresh_from_db()
    assert run.status == "done"
    assert 0.35 <= elapsed < 1.5  # 4 simulated seconds at 10x: 0.4 s of wall time


def test_a_command_the_engine_would_refuse_is_refused_when_it_is_sent() -> None:
    run = queued()
    with pytest.raises(services.Refused, match="read_from must be one of"):
        services.run_command_add(run=run, command={"op": "set_param", "node": "db", "param": "read_from", "value": "4"})
    with pytest.raises(services.Refused, match="cannot change during a run"):
        services.run_command_add(run=run, command={"op": "set_param", "node": "db", "param": "replicas", "value": 2})
    with pytest.raises(services.Refused, match="does not exist"):
        services.run_command_add(run=run, command={"op": "inject_fault", "fault": {"kind": "crash", "node": "nope"}})
    assert not RunCommand.objects.filter(run=run).exists()


def test_a_lab_run_is_linked_to_the_design_revision_only_when_it_runs_exactly_that_revision(settings) -> None:
    import json as _json

    from django.contrib.auth.models import User
    from django.test import Client

    from lab.designs import services as designs

    settings.ARCHLAB_EMBEDDED_WORKERS = 0
    alice = User.objects.create_user("alice")
    doc = example("reference")
    design = designs.design_create(owner=alice, name="Shop", topology=doc)
    client = Client()
    client.force_login(alice)
    client.get("/")
    token = client.cookies["csrftoken"].value

    def start(topology: dict, design_id: str = str(design.pk)) -> Run:
        body = {"topology": topology, "duration_s": 20, "speed": 0, "design": design_id, "revision": 1}
        response = client.post("/api/v1/runs", _json.dumps(body), content_type="application/json", HTTP_X_CSRFTOKEN=token)
        assert response.status_code == 201, response.content
        return Run.objects.get(pk=response.json()["id"])

    exact = start(doc)
    assert exact.revision == design.latest() and exact.user == alice
    changed = example("reference")
    changed["nodes"][2]["params"]["instances"] = 7
    assert start(changed).revision is None  # not what revision 1 holds
    other = Client()
    other.force_login(User.objects.create_user("bob"))
    other.get("/")
    response = other.post("/api/v1/runs", _json.dumps({"topology": doc, "duration_s": 20, "speed": 0,
                                                    "design": str(design.pk), "revision": 1}),
                          content_type="application/json", HTTP_X_CSRFTOKEN=other.cookies["csrftoken"].value)
    assert Run.objects.get(pk=response.json()["id"]).revision is None  # bob cannot see alice's private design


def test_a_run_handed_back_by_a_worker_shutting_down_keeps_its_retry() -> None:
    run = queued()
    claimed = services.run_claim_next(worker="a")
    services.run_add_windows(run=claimed, windows=[{"index": 0}], sim_time=1.0)
    assert services.run_hand_back(worker="a") == 1
    again = Run.objects.get(id=run.id)
    assert (again.status, again.attempt, again.windows) == ("queued", 0, 0)
    assert not RunWindow.objects.filter(run=run).exists()
    assert services.run_claim_next(worker="b").attempt == 1
