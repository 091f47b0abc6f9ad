"""What the lab page asks of /api/v1/ (it has no JSON API of its own): the examples, checking a
document, a traffic source's preview, and its runs: a visitor's run owned by the browser
session, the revision a run of the open design ran, control, downloads and quotas. Bad input
gets a clear answer, never a 500; the old page-private addresses are gone."""
from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from lab.runs import host, services
from lab.runs.models import Run

from .conftest import EXAMPLES, call, design_of, example, paths, signed_in

pytestmark = pytest.mark.django_db


def post(client: Client, url: str, body: object, **extra: Any) -> Any:
    return call(client, "post", url, body, **extra)


# Examples, checks and previews -------------------------------------------------------------


def test_the_examples_are_listed_with_their_names_and_each_is_a_document(client: Client) -> None:
    listed = client.get("/api/v1/examples").json()
    assert [e["id"] for e in listed] == sorted(p.stem for p in EXAMPLES.glob("*.json"))
    assert all(e["name"] and "description" in e for e in listed)
    doc = client.get("/api/v1/examples/reference").json()
    assert doc == json.loads((EXAMPLES / "reference.json").read_text())


def test_an_unknown_example_is_404_with_a_sentence(client: Client) -> None:
    response = client.get("/api/v1/examples/no-such-thing")
    assert response.status_code == 404 and response.json()["problems"][0]["message"] == "no such example"


def test_checking_a_topology_lists_its_problems(client: Client) -> None:
    doc = example()
    doc["nodes"][0]["kind"] = "traffic_sauce"
    problems = post(client, "/api/v1/topologies/check", doc).json()["problems"]
    assert problems[0]["path"] == "$.nodes[0].kind" and "traffic_source" in problems[0]["message"]
    assert post(client, "/api/v1/topologies/check", example()).json() == {"problems": []}


def test_a_check_takes_the_documents_limit_not_the_bodys(client: Client) -> None:
    from lab.sim import LIMITS

    text = json.dumps({**example(), "description": "x" * LIMITS["document_bytes"]})
    response = post(client, "/api/v1/topologies/check", text)
    assert response.status_code == 413 and "the document is over the limit" in response.json()["problems"][0]["message"]


def test_a_sources_rate_curve_preview_follows_its_pattern(client: Client) -> None:
    body = {"params": {"rate_per_s": 100, "pattern": "spike", "spike_rate_per_s": 900, "spike_start_s": 10,
                       "spike_duration_s": 5}, "until_s": 30}
    points = dict(post(client, "/api/v1/sources/preview", body).json()["points"])
    assert max(points.values()) == 900 and min(points.values()) == 100
    assert all(rate == 900 for t, rate in points.items() if 10 <= t < 15)


def test_a_bad_preview_request_names_the_parameter(client: Client) -> None:
    response = post(client, "/api/v1/sources/preview", {"params": {"rate_per_s": -1, "nope": 1}, "until_s": 0})
    assert response.status_code == 400
    assert paths(response) == ["$.params.rate_per_s", "$.params.nope", "$.until_s"]
    shapeless = post(client, "/api/v1/sources/preview", [1])
    assert shapeless.status_code == 400 and "until_s" in shapeless.json()["problems"][0]["message"]


# Runs from the lab page ------------------------------------------------------------------


def test_starting_a_run_answers_201_with_its_websocket(client: Client) -> None:
    response = post(client, "/api/v1/runs", {"topology": example(), "duration_s": 5, "speed": 0})
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "queued" and body["websocket"] == f"/ws/runs/{body['id']}/"
    assert Run.objects.get(id=body["id"]).owner_key == client.session.session_key


@pytest.mark.parametrize("body, path", [
    (b"{not json", "$"),
    ({"seed": 1}, "$"),
    ({"topology": {"version": 1, "nodes": "x", "edges": []}}, "$.nodes"),
    ({"topology": example(), "speed": 42}, "$.speed"),
    ({"topology": example(), "duration_s": float("1e300")}, "$.duration_s"),
])
def test_a_bad_run_request_gets_400_with_the_problem_path(client: Client, body: object, path: str) -> None:
    response = post(client, "/api/v1/runs", body)
    assert response.status_code == 400
    assert response.json()["problems"][0]["path"] == path


def test_nan_in_a_topology_is_refused_not_parsed(client: Client) -> None:
    text = json.dumps({"topology": example()}).replace('"rate_per_s": 1000', '"rate_per_s": NaN')
    response = post(client, "/api/v1/runs", text)
    assert response.status_code == 400 and "NaN" in response.json()["problems"][0]["message"]


def test_a_run_of_the_open_design_records_its_revision_only_when_it_is_that_revision(alice: User) -> None:
    design = design_of(alice)
    as_alice = signed_in(alice)
    same = post(as_alice, "/api/v1/runs", {"topology": example(), "design": str(design.id), "revision": 1,
                                           "duration_s": 3}).json()
    assert same["design"] == str(design.id) and same["revision"] == 1  # its own duration: still that revision
    edited = example()
    edited["nodes"][0]["params"]["rate_per_s"] = 10
    changed = post(as_alice, "/api/v1/runs", {"topology": edited, "design": str(design.id), "revision": 1}).json()
    assert changed["revision"] is None
    assert Run.objects.get(id=changed["id"]).topology["nodes"][0]["params"]["rate_per_s"] == 10


def test_a_run_of_a_design_you_may_not_see_records_no_revision(alice: User, bob: User) -> None:
    private = design_of(alice)
    response = post(signed_in(bob), "/api/v1/runs", {"topology": example(), "design": str(private.id),
                                                     "revision": 1})
    assert response.status_code == 201 and response.json()["design"] is None
    assert not Run.objects.filter(revision__design=private).exists()


def test_a_share_link_opened_in_this_browser_counts_for_the_revision(alice: User) -> None:
    unlisted = design_of(alice, visibility="unlisted")
    browser = Client()
    assert browser.get(f"/s/{unlisted.share_token}/").status_code in (200, 302)
    response = post(browser, "/api/v1/runs", {"topology": example(), "design": str(unlisted.id), "revision": 1})
    assert response.status_code == 201 and response.json()["revision"] == 1


def test_only_the_browser_that_started_a_run_can_control_it(client: Client, bob: User) -> None:
    run_id = post(client, "/api/v1/runs", {"topology": example(), "duration_s": 5}).json()["id"]
    assert post(client, f"/api/v1/runs/{run_id}/commands", {"op": "pause"}).status_code == 202
    # Another browser may not even see it (404, not 403: a run you may not see is not there).
    assert post(Client(), f"/api/v1/runs/{run_id}/commands", {"op": "pause"}).status_code == 404
    assert post(signed_in(bob), f"/api/v1/runs/{run_id}/commands", {"op": "pause"}).status_code == 404


def test_the_designs_owner_sees_a_run_of_it_but_may_not_control_it(alice: User, bob: User) -> None:
    design = design_of(alice, visibility="public")
    run_id = post(signed_in(bob), "/api/v1/runs", {"design": str(design.id), "duration_s": 5}).json()["id"]
    as_alice = signed_in(alice)
    assert as_alice.get(f"/api/v1/runs/{run_id}").status_code == 200
    refused = post(as_alice, f"/api/v1/runs/{run_id}/commands", {"op": "stop"})
    assert refused.status_code == 403
    assert refused.json()["problems"][0]["message"].startswith("only whoever started this run can control it")


def test_a_visitors_command_needs_the_csrf_token(client: Client) -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.get("/")
    token = {"HTTP_X_CSRFTOKEN": browser.cookies["csrftoken"].value}
    run_id = post(browser, "/api/v1/runs", {"topology": example(), "duration_s": 5}, **token).json()["id"]
    assert post(browser, f"/api/v1/runs/{run_id}/commands", {"op": "pause"}).status_code == 403
    assert post(browser, f"/api/v1/runs/{run_id}/commands", {"op": "pause"}, **token).status_code == 202


def test_results_download_as_json_and_csv(client: Client) -> None:
    run_id = post(client, "/api/v1/runs", {"topology": example(), "duration_s": 3, "speed": 0}).json()["id"]
    host.execute(services.run_claim_next(worker="w"))
    response = client.get(f"/api/v1/runs/{run_id}/results.json")
    assert response["Content-Disposition"] == f'attachment; filename="archlab-run-{run_id}.json"'
    data = response.json()
    assert data["run"]["status"] == "done" and len(data["windows"]) == 3
    assert data["results"]["requests"]["created"] > 2000
    download = client.get(f"/api/v1/runs/{run_id}/results.csv")
    assert download["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(download.content.decode())))
    assert {r["node"] for r in rows} >= {"overall", "app1", "db"}
    assert len(rows) == 3 * 9


def test_a_download_of_a_run_you_may_not_see_is_404(client: Client, alice: User) -> None:
    run_id = post(client, "/api/v1/runs", {"topology": example(), "duration_s": 3}).json()["id"]
    for who in (Client(), signed_in(alice)):
        assert who.get(f"/api/v1/runs/{run_id}/results.csv").status_code == 404


def test_an_unknown_run_is_404_not_500(client: Client) -> None:
    assert client.get("/api/v1/runs/not-a-uuid").status_code == 404
    assert client.get("/api/v1/runs/00000000-0000-0000-0000-000000000000").status_code == 404


def test_an_unknown_results_format_is_404_not_a_file(client: Client) -> None:
    run_id = post(client, "/api/v1/runs", {"topology": example(), "duration_s": 3}).json()["id"]
    response = client.get(f"/api/v1/runs/{run_id}/results.exe")
    assert response.status_code == 404 and "results.json or results.csv" in response.json()["problems"][0]["message"]


def test_one_browser_cannot_queue_runs_without_end(client: Client, settings: object) -> None:
    settings.ARCHLAB_VISITOR_RUNNING, settings.ARCHLAB_VISITOR_QUEUED = 1, 1
    body = {"topology": example(), "duration_s": 3}
    assert [post(client, "/api/v1/runs", body).status_code for _ in range(2)] == [201, 201]
    refused = post(client, "/api/v1/runs", body)
    assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1
    assert "already have 2 runs going or waiting" in refused.json()["problems"][0]["message"]
    assert post(Client(), "/api/v1/runs", body).status_code == 201  # another browser is not affected


# The page-private API is gone --------------------------------------------------------------

OLD = ["/api/catalogue", "/api/examples/reference", "/api/topologies/check", "/api/sources/preview", "/api/runs",
       "/api/runs/00000000-0000-0000-0000-000000000000", "/api/runs/00000000-0000-0000-0000-000000000000/commands",
       "/api/runs/00000000-0000-0000-0000-000000000000/results.json",
       "/api/runs/00000000-0000-0000-0000-000000000000/results.csv"]


@pytest.mark.parametrize("path", OLD)
def test_no_page_private_address_answers_any_more(client: Client, path: str) -> None:
    assert client.get(path).status_code == 404
    assert post(client, path, {"topology": example()}).status_code == 404
    assert not Run.objects.exists()
