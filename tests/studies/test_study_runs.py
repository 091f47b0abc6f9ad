"""Studies through the API, run by a simulation worker in this process (the workers' own loop,
lab.runs.host): a sweep says where its knee is, replications give intervals and the seeds a
precision needs, a comparison gives a verdict; each run's summary is run_one's; a cancel stops
what is going and keeps what finished; downloads; retention; the document's size bound."""
from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.test import Client

from lab.designs import services as design_services
from lab.runs.models import Run
from lab.sim import load
from lab.sim.evidence import Plan, run_one
from lab.studies.models import Study, StudyRun

from .conftest import LOAD_SWEEP, call, design_of, small, start, work

pytestmark = pytest.mark.django_db

def finished(study_id: str) -> Any:
    return lambda: Study.objects.get(id=study_id).is_over


def test_a_load_sweep_runs_on_the_workers_and_names_its_knee(as_alice: Client, alice: Any) -> None:
    design = design_of(alice, small(duration=6))
    study = start(as_alice, design, LOAD_SWEEP)
    assert (study["status"], study["progress"]) == ("running", {"done": 0, "failed": 0, "total": 8})
    work(finished(study["id"]))
    got = call(as_alice, "get", study["url"]).json()
    assert (got["status"], got["progress"]["done"], got["error"]) == ("done", 8, None)
    knee = got["document"]["knee"]
    assert knee["direction"] == "rises" and "p99 latency stays under 40 ms up to about" in knee["sentence"]
    assert [p["runs"] for p in got["document"]["points"]] == [2, 2, 2, 2]
    # Its runs were ordinary runs of the queue, charged to alice, as background work.
    runs = Run.objects.filter(evidence__study=study["id"])
    assert {(r.status, r.principal, r.priority, r.speed) for r in runs} == {("done", f"user:{alice.pk}", -1, 0.0)}
    assert not any(r.window_rows.exists() for r in runs)


def test_replications_give_intervals_bands_and_the_seeds_a_precision_needs(as_alice: Client, alice: Any) -> None:
    study = start(as_alice, design_of(alice), {"kind": "replications", "seeds": 4, "precision": 0.1})
    work(finished(study["id"]))
    doc = call(as_alice, "get", study["url"]).json()["document"]
    p99 = doc["metrics"]["latency_p99_ms"]
    assert doc["format"] == "archlab.replications" and p99["n"] == 4 and p99["low"] < p99["mean"] < p99["high"]
    assert "within ±10%" in doc["precision"]["advice"][0]
    assert len(doc["windows"]["t_end"]) == 7  # 4 s, a 0.5 s warm-up, windows of 0.5 s


def test_a_comparison_of_two_revisions_finds_the_faster_one(as_alice: Client, alice: Any) -> None:
    design = design_of(alice, small(rate=180, service_ms=10, workers=2))
    design_services.design_save(design=design, author=alice, topology=small(rate=180, service_ms=10, workers=4))
    study = start(as_alice, design, {"kind": "comparison", "seeds": 4, "a": {"revision": 1}, "b": {"revision": 2}})
    assert (study["a"]["revision"], study["b"]["revision"]) == (1, 2)
    work(finished(study["id"]))
    doc = call(as_alice, "get", study["url"]).json()["document"]
    p95 = doc["metrics"]["latency_p95_ms"]
    assert p95["better"] == "b" and p95["verdict"].startswith("B's p95 latency is") and "lower" in p95["verdict"]
    rows = list(csv.DictReader(io.StringIO(call(as_alice, "get", study["downloads"]["csv"]).content.decode())))
    assert len(rows) == 8 and {r["metric"] for r in rows} >= {"latency_p95_ms", "throughput_per_s"}
    row = next(r for r in rows if r["metric"] == "latency_p95_ms")
    assert row["better"] == "b" and row["verdict"] == p95["verdict"] and float(row["difference_mean"]) < 0


def test_a_study_run_keeps_what_run_one_keeps(as_alice: Client, alice: Any) -> None:
    study = start(as_alice, design_of(alice), {"kind": "replications", "seeds": 2})
    work(finished(study["id"]))
    stored = Study.objects.get(id=study["id"])
    plan = Plan.from_dict(stored.plan)
    for row in StudyRun.objects.filter(study=stored):
        expected = run_one(plan.runs[row.index])
        for key in ("cpu_s", "wall_s"):
            expected.pop(key)  # type: ignore[misc]
            row.summary.pop(key)
        assert row.summary == expected


def test_the_sweep_downloads_have_a_row_per_point_and_figure(as_alice: Client, alice: Any) -> None:
    study = start(as_alice, design_of(alice), LOAD_SWEEP)
    work(finished(study["id"]))
    response = call(as_alice, "get", study["downloads"]["csv"])
    assert response["Content-Disposition"] == f'attachment; filename="archlab-study-{study["id"]}.csv"'
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    p99 = [r for r in rows if r["metric"] == "latency_p99_ms" and not r["node"]]
    assert [r["workload.rate_per_s"] for r in p99] == ["40", "100", "160", "190"]
    assert all(float(r["low"]) <= float(r["median"]) <= float(r["high"]) or r["n"] == "1" for r in p99)
    assert {r["node"] for r in rows} == {"", "users", "app"}
    whole = call(as_alice, "get", study["downloads"]["json"]).json()
    assert whole["study"]["id"] == study["id"] and whole["document"]["format"] == "archlab.sweep"


def test_cancel_stops_what_is_going_and_keeps_what_finished(as_alice: Client, alice: Any, settings: Any) -> None:
    settings.ARCHLAB_USER_RUNNING = 3  # two of alice's study runs at once
    study = start(as_alice, design_of(alice), LOAD_SWEEP)
    host = work(lambda: Study.objects.get(id=study["id"]).done >= 3)
    going = Run.objects.filter(evidence__study=study["id"], status__in=("queued", "running")).count()
    response = call(as_alice, "post", f"{study['url']}/cancel")
    got = response.json()
    assert response.status_code == 200 and got["status"] == "cancelled"
    done = got["progress"]["done"]
    assert done >= 3 and got["document"]["runs"]["counted"] == done
    work(lambda: not Run.objects.filter(evidence__study=study["id"], status__in=("queued", "running")).exists(),
         host=host)
    assert not host.executions
    assert going == 0 or Run.objects.filter(evidence__study=study["id"], status="stopped").count() >= 1
    assert StudyRun.objects.filter(study_id=study["id"], status="cancelled").count() == 8 - done
    assert call(as_alice, "get", study["url"]).json()["progress"]["done"] == done  # late runs are not counted
    again = call(as_alice, "post", f"{study['url']}/cancel")
    assert again.status_code == 409 and "the study is cancelled" in again.json()["problems"][0]["message"]


def test_each_user_keeps_a_bounded_number_of_studies_per_design(as_alice: Client, alice: Any, settings: Any) -> None:
    settings.ARCHLAB_STUDIES_PER_DESIGN = 2
    design = design_of(alice)
    ids = []
    for _ in range(3):
        ids.append(start(as_alice, design, {"kind": "replications", "seeds": 1})["id"])
        work(finished(ids[-1]))
    listed = call(as_alice, "get", f"/api/v1/designs/{design.id}/studies").json()["results"]
    assert [s["id"] for s in listed] == [ids[2], ids[1]]
    assert not Run.objects.filter(evidence__study=ids[0]).exists()


def test_deleting_the_design_deletes_its_studies_and_their_runs(as_alice: Client, alice: Any) -> None:
    design = design_of(alice)
    study = start(as_alice, design, {"kind": "replications", "seeds": 3})
    work(lambda: Study.objects.get(id=study["id"]).done >= 1)
    assert call(as_alice, "delete", f"/api/v1/designs/{design.id}").status_code == 204
    assert not Study.objects.exists() and not StudyRun.objects.exists()
    assert set(Run.objects.filter(evidence__study=study["id"]).values_list("status", flat=True)) <= {"running"}


def test_a_document_over_the_size_limit_loses_its_bands_first(as_alice: Client, alice: Any, settings: Any) -> None:
    settings.ARCHLAB_STUDY_MAX_DOCUMENT_KB = 6
    study = start(as_alice, design_of(alice, small(duration=30)), {"kind": "replications", "seeds": 3})
    work(finished(study["id"]))
    stored = Study.objects.get(id=study["id"])
    assert stored.status == "done" and stored.document["windows"] is None and stored.document_bytes <= 6 * 1024
    assert "left out" in stored.document["notes"][-1]


def test_a_run_that_fails_is_left_out_and_said(as_alice: Client, alice: Any) -> None:
    study = start(as_alice, design_of(alice), {"kind": "replications", "seeds": 2})
    first = Run.objects.filter(evidence__study=study["id"]).order_by("created").first()
    assert first is not None
    Run.objects.filter(id=first.id).update(topology={**load(small()), "nodes": "broken"})
    work(finished(study["id"]))
    got = call(as_alice, "get", study["url"]).json()
    assert got["status"] == "done" and got["progress"] == {"done": 1, "failed": 1, "total": 2}
    assert got["document"]["runs"]["counted"] == 1
