"""An A/B comparison of a saved revision against a proposed change: B is a topology sent with the
request (the lab's canvas as it is), run on the same seeds as A without being saved as a
revision. The study says B is a proposed change, keeps B's topology (in its detail and on its
report page) and nothing else changes: the design keeps its revisions. A bad proposal is refused
with each problem's path inside `$.b.topology`, and nothing is stored. Runs by a worker in this
process (conftest.work)."""
from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from lab.designs.models import Revision
from lab.runs.models import Run
from lab.studies.models import Study

from .conftest import call, design_of, messages, small, start, work

pytestmark = pytest.mark.django_db


def proposal(design: Any, topology: Any, **extra: Any) -> dict[str, Any]:
    return {"kind": "comparison", "seeds": 4, "a": {"revision": 1}, "b": {"topology": topology}, **extra}


def run_to_end(client: Client, design: Any, body: dict[str, Any]) -> dict[str, Any]:
    study = start(client, design, body)
    work(lambda: Study.objects.get(id=study["id"]).is_over)
    return call(client, "get", study["url"]).json()


def test_a_proposed_change_runs_as_b_on_the_same_seeds_and_is_saved_nowhere_else(as_alice: Client, alice: Any) -> None:
    design = design_of(alice, small(rate=180, service_ms=10, workers=2))
    faster = small(rate=180, service_ms=10, workers=4)
    got = run_to_end(as_alice, design, proposal(design, faster))
    assert (got["status"], got["progress"]) == ("done", {"done": 8, "failed": 0, "total": 8})
    assert got["a"] == {"design": {"id": str(design.id), "name": "Queue"}, "revision": 1, "proposed": False,
                        "name": "Queue, revision 1"}
    b = got["b"]
    assert (b["design"], b["revision"], b["proposed"], b["name"]) == (None, None, True, "proposed change (unsaved)")
    app = next(n for n in b["topology"]["nodes"] if n["id"] == "app")
    assert app["params"]["workers_per_instance"] == 4  # B as it ran, normalized
    p95 = got["document"]["metrics"]["latency_p95_ms"]
    assert p95["better"] == "b" and p95["verdict"].startswith("B's p95 latency is") and "lower" in p95["verdict"]
    # Paired: each seed ran once as A and once as B; B's runs belong to no revision.
    runs = Run.objects.filter(evidence__study=got["id"])
    assert sorted((r.evidence["arm"], r.seed) for r in runs) == [("a", s) for s in got["seeds"]] + [
        ("b", s) for s in got["seeds"]]
    assert {r.revision_id for r in runs if r.evidence["arm"] == "b"} == {None}
    assert Revision.objects.filter(design=design).count() == 1  # the design is as it was
    # study.json carries B's topology too, so the file says what ran.
    saved = call(as_alice, "get", got["downloads"]["json"]).json()
    assert saved["study"]["b"]["topology"] == b["topology"] and saved["document"] == got["document"]
    # A list of the design's studies names B without carrying its topology.
    listed = call(as_alice, "get", f"/api/v1/designs/{design.id}/studies").json()["results"][0]
    assert listed["b"] == {"design": None, "revision": None, "proposed": True, "name": "proposed change (unsaved)"}


def test_a_proposal_the_same_as_a_finds_no_difference(as_alice: Client, alice: Any) -> None:
    design = design_of(alice, small(rate=150, service_ms=5))
    got = run_to_end(as_alice, design, proposal(design, small(rate=150, service_ms=5)))
    # Common random numbers: the same design on the same seeds measures the same, run for run.
    for metric in ("latency_p95_ms", "throughput_per_s"):
        figure = got["document"]["metrics"][metric]
        assert figure["difference"]["mean"] == 0 and not figure["significant"], figure


def test_the_report_page_names_b_the_proposed_change_and_draws_it(as_alice: Client, alice: Any) -> None:
    design = design_of(alice, small(rate=180, service_ms=10, workers=2))
    hostile = small(rate=180, service_ms=10, workers=4)
    hostile["nodes"][1]["label"] = "<img src=x onerror=alert(2)> \u4e2d\U0001F600"
    got = run_to_end(as_alice, design, proposal(design, hostile))
    text = call(as_alice, "get", f"/studies/{got['id']}/report").content.decode()
    assert "A/B comparison: Queue r1 (A) against a proposed change (unsaved) (B)" in text
    assert "A: Queue, revision 1 · B: proposed change (unsaved) · 4 pairs of runs on the same seeds" in text
    assert 'id="report-picture-b"' in text and "B: proposed change (unsaved)</figcaption>" in text
    # B's picture is drawn from its topology, its labels escaped (and cut to fit their boxes).
    assert "<img src=x" not in text and "&lt;img src=x o</text>" in text


def test_whoever_may_see_the_design_sees_the_proposal_run_on_it(alice: Any, as_bob: Client, visitor: Client) -> None:
    design = design_of(alice, small(), visibility="public")
    got = run_to_end(as_bob, design, proposal(design, small(workers=2)))
    seen = call(visitor, "get", got["url"]).json()
    assert seen["b"]["proposed"] and seen["b"]["topology"] == got["b"]["topology"]
    answer = call(visitor, "post", f"/api/v1/designs/{design.id}/studies", proposal(design, small(workers=2)))
    assert answer.status_code == 401  # running one needs a sign-in, as for every study


BAD_PROPOSALS = [
    ("not an object", [1, 2], "$.b.topology", "must be a topology document"),
    ("a node of no kind", {**small(), "nodes": [small()["nodes"][0], {"id": "app", "kind": "warp_drive"}]},
     "$.b.topology.nodes[1].kind", "warp_drive"),
    ("an edge to nowhere", {**small(), "edges": [{"from": "users", "to": "nowhere"}]},
     "$.b.topology.edges[0].to", "nowhere"),
    # The strict JSON reader refuses it before anything reads the body, naming where it is.
    ("invalid Unicode in a name", {**small(), "name": "\udcff broken"}, "$", "lone UTF-16 surrogate at $.b.topology.name"),
]


@pytest.mark.parametrize("why,topology,path,words", BAD_PROPOSALS, ids=[b[0] for b in BAD_PROPOSALS])
def test_a_bad_proposal_is_refused_with_its_path_inside_b_and_nothing_is_stored(
        as_alice: Client, alice: Any, why: str, topology: Any, path: str, words: str) -> None:
    design = design_of(alice)
    answer = call(as_alice, "post", f"/api/v1/designs/{design.id}/studies", proposal(design, topology))
    assert answer.status_code == 400, answer.json()
    problems = answer.json()["problems"]
    assert any(p["path"].startswith(path) and words in p["message"] for p in problems), problems
    assert not Study.objects.exists() and not Run.objects.exists()


def test_b_is_a_proposal_or_a_saved_revision_not_both(as_alice: Client, alice: Any) -> None:
    design = design_of(alice)
    body = proposal(design, small())
    body["b"]["revision"] = 1
    answer = call(as_alice, "post", f"/api/v1/designs/{design.id}/studies", body)
    assert answer.status_code == 400
    assert answer.json()["problems"][0]["path"] == "$.b.revision"
    assert "either a proposed change" in messages(answer)[0]
    assert not Study.objects.exists()


def test_a_proposal_over_the_per_run_budget_is_refused_before_anything_runs(as_alice: Client, alice: Any,
                                                                               settings: Any) -> None:
    settings.ARCHLAB_RUN_MAX_EVENTS = 100_000
    design = design_of(alice)
    answer = call(as_alice, "post", f"/api/v1/designs/{design.id}/studies", proposal(design, small(rate=20_000)))
    assert answer.status_code == 400, answer.json()
    assert any(m.startswith("B") and "events" in m for m in messages(answer)), messages(answer)
    assert not Study.objects.exists() and not Run.objects.exists()


def test_a_sweep_takes_no_b(as_alice: Client, alice: Any) -> None:
    design = design_of(alice)
    answer = call(as_alice, "post", f"/api/v1/designs/{design.id}/studies",
                  {"kind": "sweep", "spec": {"axes": [{"workload": "rate_per_s", "values": [10, 20]}]},
                   "b": {"topology": small()}})
    assert answer.status_code == 400 and answer.json()["problems"][0]["path"] == "$.b"
