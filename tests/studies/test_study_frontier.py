"""Cost against p99 across several saved designs (GET /api/v1/studies/frontier), run by a
simulation worker in this process: each design gives its latest finished run over seeds (or the A
side of a comparison) with intervals, the front is marked and named in a sentence; a design
without one is listed with what to do; another user's private design is answered as no design at
all; bad lists of ids are refused with a problem saying which id and why. And a running study's
document so far (?partial=true), which the lab's panel draws as runs finish."""
from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client

from lab.studies.frontier import MAX_DESIGNS
from lab.studies.models import Study

from .conftest import call, design_of, messages, paths, small, work

pytestmark = pytest.mark.django_db
URL = "/api/v1/studies/frontier"


def measured(client: Client, design: Any, body: dict[str, Any] | None = None) -> dict[str, Any]:
    body = body or {"kind": "replications", "seeds": 3}
    response = call(client, "post", f"/api/v1/designs/{design.id}/studies", body)
    assert response.status_code == 201, response.json()
    study = response.json()
    work(lambda: Study.objects.get(id=study["id"]).is_over)
    return call(client, "get", study["url"]).json()


def frontier(client: Client, *designs: Any) -> Any:
    return get(client, URL, designs=",".join(str(getattr(d, "id", d)) for d in designs))


def get(client: Client, url: str, **query: str) -> Any:
    return client.get(f"{url}?{urlencode(query)}" if query else url)


def pool(instances: int, service_ms: float) -> dict[str, Any]:
    doc = small(rate=150, service_ms=service_ms)
    doc["nodes"][1]["params"]["instances"] = instances
    return doc


def test_designs_get_cost_and_p99_with_intervals_and_the_front_marked_and_named(as_alice: Client, alice: Any) -> None:
    # One server is cheap and slow, two are dearer and fast, two slower ones cost as much for no gain.
    cheap = design_of(alice, pool(1, 5.0), name="One server")
    fast = design_of(alice, pool(2, 5.0), name="Two servers")
    worse = design_of(alice, pool(2, 6.0), name="Two slow servers")
    studies = {d.name: measured(as_alice, d) for d in (cheap, fast, worse)}
    answer = frontier(as_alice, cheap, fast, worse)
    assert answer.status_code == 200, answer.json()
    got = answer.json()
    assert (got["x"], got["y"], got["without"], got["not_found"]) == ("cost_per_hour_usd", "latency_p99_ms", [], [])
    by_name = {p["design"]["name"]: p for p in got["points"]}
    assert [p["design"]["name"] for p in got["points"]] == ["One server", "Two servers", "Two slow servers"]
    for name, point in by_name.items():
        stored = studies[name]["document"]["metrics"]
        assert point[got["y"]] == stored["latency_p99_ms"] and point[got["x"]] == stored["cost_per_hour_usd"]
        assert point["study"]["id"] == studies[name]["id"] and point["study"]["seeds"] == 3 and point["revision"] == 1
        assert point[got["y"]]["low"] <= point[got["y"]]["mean"] <= point[got["y"]]["high"]
    assert by_name["One server"][got["x"]]["mean"] < by_name["Two servers"][got["x"]]["mean"]
    assert by_name["Two servers"][got["y"]]["mean"] < by_name["One server"][got["y"]]["mean"]
    assert {n for n, p in by_name.items() if p["on_front"]} == {"One server", "Two servers"}
    assert got["front"] == [str(cheap.id), str(fast.id)]  # cheapest first
    assert got["sentence"].startswith("On the Pareto front are One server ($")
    assert "and Two servers ($" in got["sentence"] and "Two slow servers costs more for no gain" in got["sentence"]


def test_a_design_without_a_finished_run_over_seeds_is_listed_with_what_to_do(as_alice: Client, alice: Any) -> None:
    measuredone = design_of(alice, name="Measured")
    measured(as_alice, measuredone)
    bare = design_of(alice, name="Never measured")
    swept = design_of(alice, name="Only swept")  # a sweep's points are variants, not the design as saved
    measured(as_alice, swept, {"kind": "sweep", "spec": {"axes": [{"workload": "rate_per_s", "values": [50, 100]}],
                                                         "seeds": 2}})
    got = frontier(as_alice, measuredone, bare, swept).json()
    assert [p["design"]["name"] for p in got["points"]] == ["Measured"]
    assert [(w["design"]["name"], w["reason"]) for w in got["without"]] == [
        ("Never measured", "no finished run over seeds yet: run seeds on it first (Evidence, Seeds)"),
        ("Only swept", "no finished run over seeds yet: run seeds on it first (Evidence, Seeds)")]
    assert got["sentence"].startswith("Only Measured ($") and "run seeds on another design" in got["sentence"]


def test_the_latest_finished_study_counts_and_a_comparison_gives_its_a_side(as_alice: Client, alice: Any) -> None:
    design = design_of(alice, pool(1, 5.0))
    measured(as_alice, design, {"kind": "replications", "seeds": 2})
    compared = measured(as_alice, design, {"kind": "comparison", "seeds": 2, "b": {"revision": 1}})
    point = frontier(as_alice, design).json()["points"][0]
    assert point["study"] == {**point["study"], "id": compared["id"], "kind": "comparison", "seeds": 2}
    assert point["latency_p99_ms"] == compared["document"]["metrics"]["latency_p99_ms"]["a"]


def test_another_users_private_design_is_answered_as_no_design_at_all(as_alice: Client, alice: Any, as_bob: Client,
                                                                      bob: Any, visitor: Client) -> None:
    private = design_of(alice, name="Alice's private")
    public = design_of(alice, name="Alice's public", visibility="public")
    for d in (private, public):
        measured(as_alice, d)
    nothing = uuid.uuid4()
    as_owner = frontier(as_alice, private, public).json()
    assert [p["design"]["name"] for p in as_owner["points"]] == ["Alice's private", "Alice's public"]
    for client in (as_bob, visitor):
        got = frontier(client, private, public, nothing)
        assert got.status_code == 200
        body = got.json()
        assert [p["design"]["name"] for p in body["points"]] == ["Alice's public"]
        # The private design and an id of no design get the same answer: nothing about it shows.
        assert body["not_found"] == [str(private.id), str(nothing)] and body["without"] == []
        assert "Alice's private" not in got.content.decode()


def test_an_unlisted_design_counts_once_this_browser_opened_its_link(as_alice: Client, alice: Any,
                                                                    as_bob: Client) -> None:
    unlisted = design_of(alice, name="Alice's unlisted", visibility="unlisted")
    measured(as_alice, unlisted)
    assert frontier(as_bob, unlisted).json()["not_found"] == [str(unlisted.id)]
    as_bob.get(f"/s/{unlisted.share_token}/")  # bob follows the link alice sent him
    got = frontier(as_bob, unlisted).json()
    assert [p["design"]["name"] for p in got["points"]] == ["Alice's unlisted"] and got["not_found"] == []


@pytest.mark.parametrize(("query", "path", "says"), [
    (None, "?designs", "name the designs to compare"),
    ("", "?designs", "name the designs to compare"),
    ("  ", "?designs", "name the designs to compare"),
    ("not-a-uuid", "?designs[0]", "'not-a-uuid' is not a design id"),
    ("{a},", "?designs[1]", "an empty id"),
    ("{a},{a}", "?designs[1]", "is named twice"),
    ("{a},12345", "?designs[1]", "'12345' is not a design id"),
    ("x" * 5000, "?designs[0]", "is not a design id"),
    (",".join(["{a}"] * (MAX_DESIGNS + 1)), "?designs", f"at most {MAX_DESIGNS} designs at a time; 21 were named"),
])
def test_a_bad_list_of_designs_is_refused_with_a_problem_saying_which_and_why(as_alice: Client, alice: Any,
                                                                              query: str | None, path: str,
                                                                              says: str) -> None:
    design = design_of(alice)
    params = {} if query is None else {"designs": query.replace("{a}", str(design.id))}
    answer = get(as_alice, URL, **params)
    assert answer.status_code == 400
    assert paths(answer)[0] == path and says in messages(answer)[0]
    assert len(answer.content) < 2000  # a long id is not echoed back whole


def test_a_running_study_shows_its_points_so_far_when_asked(as_alice: Client, alice: Any) -> None:
    design = design_of(alice, small(duration=4))
    response = call(as_alice, "post", f"/api/v1/designs/{design.id}/studies",
                    {"kind": "sweep", "spec": {"axes": [{"workload": "rate_per_s", "values": [50, 100, 150]}],
                                               "seeds": 2}})
    study = response.json()
    assert get(as_alice, study["url"], partial="true").json()["document"] is None  # nothing finished
    work(lambda: Study.objects.get(id=study["id"]).done >= 2)
    row = Study.objects.get(id=study["id"])
    row.status = Study.Status.RUNNING  # held as if its last runs were still going
    row.save(update_fields=["status"])
    so_far = get(as_alice, study["url"], partial="true").json()
    assert so_far["status"] == "running" and so_far["document"]["format"] == "archlab.sweep"
    assert sum(p["runs"] for p in so_far["document"]["points"]) == so_far["progress"]["done"]
    assert call(as_alice, "get", study["url"]).json()["document"] is None  # only when asked
    bad = get(as_alice, study["url"], partial="maybe")
    assert bad.status_code == 400 and paths(bad) == ["?partial"]
