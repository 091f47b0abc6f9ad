"""GET /api/v1/runs/{id}/theory: the theory overlay of a finished run, for whoever may read the run."""
from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from lab.runs import host, services

from .conftest import call, example, signed_in

pytestmark = pytest.mark.django_db

URL = "/api/v1/runs"


def test_a_finished_runs_nodes_have_their_model_beside_the_measurement(as_alice: Client) -> None:
    run_id = call(as_alice, "post", URL, {"topology": example(), "duration_s": 20}).json()["id"]
    assert call(as_alice, "get", f"{URL}/{run_id}/theory").json() == {"id": run_id, "status": "queued",
                                                                         "nodes": None}
    host.execute(services.run_claim_next(worker="test"))
    body = call(as_alice, "get", f"{URL}/{run_id}/theory").json()
    assert body["status"] == "done"
    nodes = body["nodes"]
    # The reference design: round robin over single-worker app servers, a cache, a database.
    assert nodes["db"]["model"] != "none" and nodes["db"]["verdict"]
    app = next(v for k, v in nodes.items() if v["kind"] == "service_pool")
    assert app["model"].startswith(("M/", "E")) and all({"name", "holds", "why"} <= set(a) for a in app["assumptions"])
    figures = {f["name"]: f for f in app["figures"]}
    assert figures and all("predicted" in f and "measured" in f for f in figures.values())


def test_another_users_run_has_no_theory_to_read(as_alice: Client, bob: User) -> None:
    run_id = call(as_alice, "post", URL, {"topology": example(), "duration_s": 5}).json()["id"]
    response = call(signed_in(bob), "get", f"{URL}/{run_id}/theory")
    assert response.status_code == 404 and response.json()["problems"][0]["message"]
