"""A run's windows by range and by field (GET /api/v1/runs/{id}/windows?seq_from=&seq_to=&fields=):
the scrubber asks for the block of windows around a moment, cut to what it draws. The range is
that range whole, bad parameters are 400s naming them, and a run you may not see is a 404
whatever you ask of it."""
from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from lab.runs import host, services
from lab.sim import Simulation, load
from lab.sim.metrics.documents import Window

from .conftest import call, example, paths, signed_in

pytestmark = pytest.mark.django_db

URL = "/api/v1/runs"
CRASH = {"id": "db-down", "kind": "crash", "node": "mysql", "start_s": 4, "duration_s": 3}


def finished_run(client: Client, duration: int = 12) -> str:
    """A finished 1 s-window run of the one-VM WordPress example, its database down from 4 s to 7 s."""
    doc = example("single_vm_wordpress")
    doc["settings"]["window_s"] = 1
    doc["faults"] = [CRASH]
    run_id = call(client, "post", URL, {"topology": doc, "duration_s": duration, "speed": 0}).json()["id"]
    run = services.run_claim_next(worker="test")
    assert run is not None
    host.execute(run)
    return run_id


def windows(client: Client, run_id: str, query: str) -> Any:
    return call(client, "get", f"{URL}/{run_id}/windows?{query}")


def all_windows(client: Client, run_id: str) -> list[dict[str, Any]]:
    return [r["window"] for r in windows(client, run_id, "page_size=1000").json()["results"]]


def test_a_range_is_those_windows_whole_in_order(as_alice: Client) -> None:
    run_id = finished_run(as_alice)
    full = all_windows(as_alice, run_id)
    body = windows(as_alice, run_id, "seq_from=3&seq_to=7").json()
    assert body["count"] == 12 and body["seq_from"] == 3 and body["seq_to"] == 7
    assert [r["seq"] for r in body["results"]] == [3, 4, 5, 6, 7]
    assert [r["window"] for r in body["results"]] == full[3:8]
    assert body["next"].endswith(f"/api/v1/runs/{run_id}/windows?seq_from=8&seq_to=12")


def test_a_range_past_the_last_window_ends_with_it_and_has_no_next(as_alice: Client) -> None:
    run_id = finished_run(as_alice)
    body = windows(as_alice, run_id, "seq_from=10").json()
    assert [r["seq"] for r in body["results"]] == [10, 11] and body["next"] is None
    assert windows(as_alice, run_id, "seq_from=500&seq_to=600").json()["results"] == []
    assert [r["seq"] for r in windows(as_alice, run_id, "seq_to=1").json()["results"]] == [0, 1]


def test_a_range_reads_only_its_own_rows(as_alice: Client) -> None:
    run_id = finished_run(as_alice)
    with CaptureQueriesContext(connection) as queries:
        assert windows(as_alice, run_id, "seq_from=3&seq_to=4").status_code == 200
    rows = [q["sql"] for q in queries.captured_queries if "runs_runwindow" in q["sql"]]
    assert len(rows) == 1 and '"seq" >= 3' in rows[0] and '"seq" <= 4' in rows[0], rows


def test_fields_cut_each_window_to_the_parts_named(as_alice: Client) -> None:
    run_id = finished_run(as_alice)
    full = all_windows(as_alice, run_id)
    body = windows(as_alice, run_id, "seq_from=2&seq_to=3&fields=overall,edges").json()
    for row, window in zip(body["results"], full[2:4]):
        assert row["window"] == {k: window[k] for k in ("index", "t_start", "t_end", "overall", "edges")}
    # Pages take fields too, and keep their shape.
    page = windows(as_alice, run_id, "page=2&page_size=5&fields=events").json()
    assert page["count"] == 12 and page["next"] and [r["seq"] for r in page["results"]] == [5, 6, 7, 8, 9]
    assert set(page["results"][0]["window"]) == {"index", "t_start", "t_end", "events"}


def test_a_moment_is_what_the_canvas_draws_with_the_faults_active_then(as_alice: Client) -> None:
    run_id = finished_run(as_alice)
    full = all_windows(as_alice, run_id)
    moments = [r["window"] for r in windows(as_alice, run_id, "seq_from=0&seq_to=11&fields=moment").json()["results"]]
    for moment, window in zip(moments, full):
        pool = moment["nodes"]["wordpress"]
        want = window["nodes"]["wordpress"]
        assert pool == {k: want[k] for k in ("kind", "arrival_rate_per_s", "utilization", "queue_length", "errors",
                                             "latency_ms", "instances", "instances_booting")}
        assert moment["edges"]["e2"] == {"from": "wordpress", "to": "mysql", "rate_per_s": window["edges"]["e2"]["rate_per_s"]}
        assert "overall" not in moment and "classes" not in moment
    # The crash starts at 4 s and ends at 7 s; a moment is the timeline up to its window's end,
    # that instant included (as the canvas has it): down at the ends of windows 3 to 5 (4 s to 6 s).
    down = [m["index"] for m in moments if [f["fault"] for f in m["faults"]] == ["db-down"]]
    assert down == [3, 4, 5]
    assert all(m["faults"] == [] for m in moments if m["index"] not in down)
    assert moments[4]["faults"][0]["node"] == "mysql" and moments[4]["unhealthy"] == []
    # A moment is a fraction of the window it comes from.
    assert len(str(moments[5])) < len(str(full[5])) / 3


def test_a_moment_from_the_middle_of_a_run_knows_the_faults_started_before_it(as_alice: Client) -> None:
    run_id = finished_run(as_alice)
    (only,) = windows(as_alice, run_id, "seq_from=5&seq_to=5&fields=moment").json()["results"]
    assert [f["fault"] for f in only["window"]["faults"]] == ["db-down"]


def test_a_paused_runs_moments_take_the_faults_from_its_stored_windows(as_alice: Client) -> None:
    doc = example("single_vm_wordpress")
    doc["settings"]["window_s"] = 1
    doc["faults"] = [CRASH]
    run_id = call(as_alice, "post", URL, {"topology": doc, "duration_s": 30, "speed": 0}).json()["id"]
    run = services.run_claim_next(worker="test")
    assert run is not None
    stored: list[Window] = []
    sim = Simulation(load(json.dumps(run.topology)), seed=run.seed, on_window=stored.append)
    sim.run(8.0)  # windows 0 to 7 stored, no results: the run is still going
    assert services.run_add_windows(run=run, windows=stored, sim_time=sim.now)
    moments = windows(as_alice, run_id, "seq_from=5&seq_to=7&fields=moment").json()["results"]
    assert [[f["fault"] for f in r["window"]["faults"]] for r in moments] == [["db-down"], [], []]


def test_traces_are_the_sampled_requests_that_started_in_each_window(as_alice: Client) -> None:
    run_id = finished_run(as_alice)
    results = call(as_alice, "get", f"{URL}/{run_id}/results").json()["results"]
    sampled = results["traces"]["sampled"]
    assert sampled
    latest = sampled[-1]
    at = int(latest["start_s"])  # 1 s windows from 0
    (row,) = windows(as_alice, run_id, f"seq_from={at}&seq_to={at}&fields=traces").json()["results"]
    assert latest in row["window"]["traces"]
    assert all(at <= t["start_s"] < at + 1 for t in row["window"]["traces"])
    assert set(row["window"]) == {"index", "t_start", "t_end", "traces"}


@pytest.mark.parametrize("query, path, words", [
    ("seq_from=x", "?seq_from", "whole number from 0"),
    ("seq_from=-1", "?seq_from", "whole number from 0"),
    ("seq_from=1.5", "?seq_from", "whole number from 0"),
    ("seq_to=%2B3", "?seq_to", "whole number from 0"),  # +3
    ("seq_from=%D9%A1%D9%A2", "?seq_from", "whole number from 0"),  # Arabic-Indic digits
    ("seq_from=99999999999999999999999", "?seq_from", "whole number from 0"),
    ("seq_from=2147483648", "?seq_from", "whole number from 0"),
    ("seq_from=", "?seq_from", "whole number from 0"),
    ("seq_from=1&seq_from=2", "?seq_from", "once"),
    ("seq_from=9&seq_to=3", "?seq_to", "seq_to (3) is before seq_from (9)"),
    ("seq_from=0&seq_to=1000", "?seq_to", "at most 1000 windows"),
    ("seq_from=10&page=2", "?page", "comes whole"),
    ("seq_to=10&page_size=5", "?page_size", "comes whole"),
    ("fields=nodes,bogus", "?fields", "no field 'bogus'"),
    ("fields=", "?fields", "empty"),
    ("fields=nodes,,overall", "?fields", "empty"),
    ("fields=%E2%98%83%F0%9F%92%A5", "?fields", "no field"),  # a snowman and a collision
    ("fields=" + "nodes," * 60 + "overall", "?fields", "short comma-separated list"),
])
def test_a_bad_parameter_is_a_400_naming_it(as_alice: Client, query: str, path: str, words: str) -> None:
    run_id = finished_run(as_alice, duration=3)
    response = windows(as_alice, run_id, query)
    assert response.status_code == 400, response.content
    assert paths(response) == [path]
    assert words in response.json()["problems"][0]["message"]


def test_a_span_of_exactly_the_bound_is_fine(as_alice: Client) -> None:
    run_id = finished_run(as_alice, duration=3)
    assert windows(as_alice, run_id, "seq_from=2147482648&seq_to=2147483647").json()["results"] == []
    assert windows(as_alice, run_id, "seq_from=0&seq_to=999&fields=moment").status_code == 200


def test_another_users_run_is_not_found_whatever_the_range(as_alice: Client, bob: User, visitor: Client) -> None:
    run_id = finished_run(as_alice, duration=3)
    for client in (signed_in(bob), visitor):
        for query in ("seq_from=0&seq_to=2", "seq_from=0&fields=moment,traces", "fields=nodes"):
            response = windows(client, run_id, query)
            assert response.status_code == 404 and "problems" in response.json()
    assert windows(as_alice, run_id, "seq_from=0&seq_to=2").status_code == 200


def test_the_openapi_document_describes_the_range_and_the_fields(visitor: Client) -> None:
    schema = call(visitor, "get", "/api/v1/schema?format=json").json()
    operation = schema["paths"]["/api/v1/runs/{run_id}/windows"]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert {"seq_from", "seq_to", "fields", "page", "page_size"} <= names
    assert "400" in operation["responses"]
