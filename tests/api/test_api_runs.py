"""Runs through /api/v1/runs: starting a run of a design or a topology, and who may read it (the
user or browser session that started it, and the design's owner; anyone else gets 404)."""
from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from lab.runs import host, services
from lab.runs.models import Run

from .conftest import bearer, call, design_of, example, paths, signed_in

pytestmark = pytest.mark.django_db

URL = "/api/v1/runs"


def start(client: Client, body: dict[str, Any], **extra: Any) -> Any:
    return call(client, "post", URL, {"duration_s": 3, "speed": 0, **body}, **extra)


def test_the_owner_runs_a_design_and_the_run_records_its_revision(as_alice: Client, alice: User) -> None:
    design = design_of(alice)
    response = start(as_alice, {"design": str(design.id), "seed": 7})
    assert response.status_code == 201
    body = response.json()
    assert response["Location"] == f"{URL}/{body['id']}"
    assert body["status"] == "queued" and body["attempt"] == 0 and body["progress"] == 0
    assert body["design"] == str(design.id) and body["revision"] == 1 and body["seed"] == 7
    assert body["websocket"] == f"/ws/runs/{body['id']}/"
    run = Run.objects.get(id=body["id"])
    assert run.user == alice and run.revision.number == 1 and run.owner_key == as_alice.session.session_key


def test_a_viewer_runs_a_public_design_without_changing_it(as_bob: Client, alice: User) -> None:
    design = design_of(alice, visibility="public")
    before = design.updated
    response = start(as_bob, {"design": str(design.id)})
    assert response.status_code == 201
    design.refresh_from_db()
    assert design.latest_revision == 1 and design.updated == before and design.revisions.count() == 1
    assert Run.objects.get(id=response.json()["id"]).user.username == "bob"


def test_a_run_of_an_earlier_revision_runs_that_revision(as_alice: Client, alice: User) -> None:
    design = design_of(alice)
    doc = example()
    doc["nodes"][0]["params"]["rate_per_s"] = 10
    call(as_alice, "post", f"/api/v1/designs/{design.id}/revisions", {"topology": doc})
    body = start(as_alice, {"design": str(design.id), "revision": 1}).json()
    assert body["revision"] == 1
    assert Run.objects.get(id=body["id"]).topology["nodes"][0]["params"]["rate_per_s"] == 1000
    assert start(as_alice, {"design": str(design.id)}).json()["revision"] == 2


def test_running_needs_view_access(as_bob: Client, alice: User) -> None:
    private = design_of(alice)
    unlisted = design_of(alice, visibility="unlisted")
    assert start(as_bob, {"design": str(private.id)}).status_code == 404
    assert start(as_bob, {"design": str(unlisted.id)}).status_code == 404
    assert start(as_bob, {"design": str(unlisted.id), "token": "wrong"}).status_code == 404
    assert start(as_bob, {"design": str(unlisted.id), "token": unlisted.share_token}).status_code == 201
    assert start(as_bob, {"design": "not-an-id"}).status_code == 404
    assert not Run.objects.filter(revision__design=private).exists()


def test_a_visitors_run_is_their_browser_sessions_and_needs_its_csrf_token(alice: User) -> None:
    # The lab page runs for visitors: the run belongs to the browser session that started it,
    # and another site's page cannot spend a visitor's allowance (no CSRF token: 403).
    design = design_of(alice, visibility="public")
    browser = Client(enforce_csrf_checks=True)
    browser.get("/")  # the lab page sets the CSRF cookie
    refused = start(browser, {"topology": example()})
    assert refused.status_code == 403 and "CSRF" in refused.json()["problems"][0]["message"]
    assert not Run.objects.exists()
    token = {"HTTP_X_CSRFTOKEN": browser.cookies["csrftoken"].value}
    response = start(browser, {"design": str(design.id)}, **token)
    assert response.status_code == 201 and response.json()["revision"] == 1
    run = Run.objects.get(id=response.json()["id"])
    assert run.user is None and run.owner_key == browser.session.session_key
    assert call(browser, "get", f"{URL}/{run.id}").status_code == 200
    assert call(Client(), "get", f"{URL}/{run.id}").status_code == 404  # another visitor


def test_a_topology_document_runs_without_a_design(as_alice: Client) -> None:
    response = start(as_alice, {"topology": example()})
    assert response.status_code == 201
    assert response.json()["design"] is None and response.json()["revision"] is None


@pytest.mark.parametrize("body, path", [
    ({}, "$"), ({"revision": 1}, "$"), ({"topology": {}, "revision": 1}, "$.revision"),
    ({"design": 5}, "$.design"), ({"topology": {}, "colour": "red"}, "$.colour"),
])
def test_a_run_request_that_names_nothing_clear_is_refused(as_alice: Client, body: dict, path: str) -> None:
    response = call(as_alice, "post", URL, body)
    assert response.status_code == 400 and path in paths(response)


def test_an_invalid_topology_is_refused_with_the_engines_problems(as_alice: Client) -> None:
    doc = example()
    doc["nodes"][0]["params"]["rate_per_s"] = -1
    response = start(as_alice, {"topology": doc})
    assert response.status_code == 400 and paths(response) == ["$.nodes[0].params.rate_per_s"]


@pytest.mark.parametrize("field, value", [("seed", -1), ("seed", "x"), ("seed", 2**63), ("duration_s", 0),
                                          ("duration_s", 10**9), ("duration_s", True), ("speed", 3), ("speed", "1")])
def test_absurd_run_settings_are_refused_with_their_path(as_alice: Client, field: str, value: Any) -> None:
    response = start(as_alice, {"topology": example(), field: value})
    assert response.status_code == 400 and paths(response) == [f"$.{field}"]


@pytest.mark.parametrize("revision", [2, 0, "1", True, 2**70])
def test_a_revision_the_design_does_not_have_is_refused(as_alice: Client, alice: User, revision: Any) -> None:
    design = design_of(alice)
    response = start(as_alice, {"design": str(design.id), "revision": revision})
    assert response.status_code == 400 and paths(response) == ["$.revision"]


def test_a_script_with_a_token_has_the_same_limit_on_active_runs(alice: User, settings: Any) -> None:
    headers = bearer(alice)
    client = Client(enforce_csrf_checks=True)
    for _ in range(settings.ARCHLAB_USER_RUNNING + settings.ARCHLAB_USER_QUEUED):
        assert start(client, {"topology": example()}, **headers).status_code == 201
    refused = start(client, {"topology": example()}, **headers)
    assert refused.status_code == 429 and "runs going" in refused.json()["problems"][0]["message"]
    assert int(refused["Retry-After"]) >= 1
    assert set(Run.objects.values_list("owner_key", flat=True)) == {f"user:{alice.pk}"}


# Who may read a run ------------------------------------------------------------------------


def test_the_starter_and_the_designs_owner_read_a_run_and_nobody_else(alice: User, bob: User, carol: User,
                                                                       visitor: Client) -> None:
    design = design_of(alice, visibility="public")
    run_id = start(signed_in(bob), {"design": str(design.id)}).json()["id"]
    assert call(signed_in(bob), "get", f"{URL}/{run_id}").status_code == 200  # bob started it
    assert call(Client(), "get", f"{URL}/{run_id}", **bearer(bob)).status_code == 200  # bob, with a token
    assert call(signed_in(alice), "get", f"{URL}/{run_id}").status_code == 200  # it ran alice's design
    for suffix in ("", "/results", "/windows"):
        assert call(signed_in(carol), "get", f"{URL}/{run_id}{suffix}").status_code == 404
        assert call(visitor, "get", f"{URL}/{run_id}{suffix}").status_code == 404


def test_the_browser_session_that_started_a_run_reads_it(as_alice: Client, alice: User) -> None:
    run_id = start(as_alice, {"topology": example()}).json()["id"]
    Run.objects.filter(id=run_id).update(user=None)  # as if the account were gone: the session still owns it
    assert call(as_alice, "get", f"{URL}/{run_id}").status_code == 200
    assert call(signed_in(alice), "get", f"{URL}/{run_id}").status_code == 404  # another session, no user link


def test_a_run_that_does_not_exist_is_not_found(as_alice: Client) -> None:
    for url in (f"{URL}/00000000-0000-4000-8000-000000000000", f"{URL}/nope", f"{URL}/00000000-0000-4000-8000-000000000000/results"):
        response = call(as_alice, "get", url)
        assert response.status_code == 404 and "problems" in response.json()


def test_results_and_windows_arrive_when_the_run_is_over(as_alice: Client) -> None:
    run_id = start(as_alice, {"topology": example(), "duration_s": 5}).json()["id"]
    queued = call(as_alice, "get", f"{URL}/{run_id}/results").json()
    assert queued == {"id": run_id, "status": "queued", "results": None}
    assert call(as_alice, "get", f"{URL}/{run_id}/windows").json()["count"] == 0
    host.execute(services.run_claim_next(worker="test"))
    run = call(as_alice, "get", f"{URL}/{run_id}").json()
    assert run["status"] == "done" and run["attempt"] == 1 and run["progress"] == 1 and run["windows"] == 5
    assert run["error"] is None and run["started"] and run["finished"]
    results = call(as_alice, "get", f"{URL}/{run_id}/results").json()
    assert results["status"] == "done" and results["results"]["requests"]["created"] > 4000
    page = call(as_alice, "get", f"{URL}/{run_id}/windows?page_size=2").json()
    assert page["count"] == 5 and [w["seq"] for w in page["results"]] == [0, 1] and page["next"]
    assert page["results"][0]["window"]["index"] == 0
    last = call(as_alice, "get", f"{URL}/{run_id}/windows?page_size=2&page=3").json()
    assert [w["seq"] for w in last["results"]] == [4] and last["next"] is None


# Who may control a run -----------------------------------------------------------------------


def test_a_run_started_with_a_token_is_stopped_with_the_token_and_ends_stopped(alice: User) -> None:
    headers = bearer(alice)
    client = Client(enforce_csrf_checks=True)
    run_id = start(client, {"topology": example(), "duration_s": 600, "speed": 1}, **headers).json()["id"]
    stopped = call(client, "post", f"/api/v1/runs/{run_id}/commands", {"op": "stop"}, **headers)
    assert stopped.status_code == 202 and stopped.json()["command"] == {"op": "stop"}
    host.execute(services.run_claim_next(worker="test"))
    detail = call(client, "get", f"/api/v1/runs/{run_id}", **headers).json()
    assert detail["status"] == "stopped" and "stopped by the person who started it" in detail["reason"]


def test_the_same_user_controls_a_run_from_another_session_and_nobody_else_does(alice: User, bob: User) -> None:
    run_id = start(Client(), {"topology": example(), "duration_s": 600}, **bearer(alice)).json()["id"]
    browser = signed_in(alice)
    assert call(browser, "post", f"/api/v1/runs/{run_id}/commands", {"op": "pause"}).status_code == 202
    assert call(browser, "post", f"/api/v1/runs/{run_id}/commands", {"op": "resume"}).status_code == 202
    other = call(Client(), "post", f"/api/v1/runs/{run_id}/commands", {"op": "stop"}, **bearer(bob))
    assert other.status_code == 404  # bob may not even see it
    assert Run.objects.get(id=run_id).commands.count() == 2


def test_a_command_to_a_finished_run_or_a_garbage_command_is_refused_with_a_sentence(alice: User) -> None:
    headers = bearer(alice)
    run_id = start(Client(), {"topology": example(), "duration_s": 2, "speed": 0}, **headers).json()["id"]
    garbage = call(Client(), "post", f"/api/v1/runs/{run_id}/commands", [1, 2], **headers)
    assert garbage.status_code == 400 and "command object" in garbage.json()["problems"][0]["message"]
    host.execute(services.run_claim_next(worker="test"))
    late = call(Client(), "post", f"/api/v1/runs/{run_id}/commands", {"op": "stop"}, **headers)
    assert late.status_code == 400 and "the run is done" in late.json()["problems"][0]["message"]
