"""Run budgets on the server (figure 4 of the shared-server issue): an absurd run is refused at
admission with a sentence naming the setting to lower; a run that gets past the estimate and
then outgrows its budget ends as "limited" with its partial results, and the worker that hosted
it goes on with the next run."""
from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from lab.runs import services
from lab.runs.host import Host
from lab.runs.models import Run

from sim.budget_world import chain, two_hundred_nodes  # tests/ is on the path: the engine tests' designs

from .conftest import example

pytestmark = pytest.mark.django_db


def topology(nodes: list[dict[str, Any]], edges: list[dict[str, Any]], **settings: Any) -> dict[str, Any]:
    return {"format": "archlab.topology", "version": 1, "settings": {"duration_s": 3600, "window_s": 1, **settings},
            "nodes": nodes, "edges": edges}


def start(doc: dict[str, Any], **fields: Any) -> Any:
    return Client().post("/api/v1/runs", json.dumps({"topology": doc, **fields}), content_type="application/json")


def test_an_hour_of_200_nodes_in_hundredth_second_windows_is_refused_with_what_to_lower() -> None:
    refused = start(two_hundred_nodes(), speed=0)
    assert refused.status_code == 400
    messages = {p["path"]: p["message"] for p in refused.json()["problems"]}
    assert set(messages) == {"$.settings.window_s", "$.settings.duration_s"}  # one sentence for each
    assert "360,000 windows" in messages["$.settings.window_s"]
    assert "raise settings.window_s to at least 0.5 s" in messages["$.settings.window_s"]
    assert "Lower settings.duration_s to about" in messages["$.settings.duration_s"]
    assert not Run.objects.exists()


def test_a_64_hop_chain_at_20k_requests_a_second_is_refused_by_its_events_not_its_requests() -> None:
    refused = start(chain(20_000), speed=0)
    assert refused.status_code == 400
    (problem,) = refused.json()["problems"]  # one sentence, not one per proportional limit
    assert "64 hops" in problem["message"] and "events" in problem["message"]
    assert start(chain(2), duration_s=60, speed=0).status_code == 201


def test_a_run_that_outgrows_its_memory_budget_ends_limited_and_the_worker_goes_on(settings: Any) -> None:
    settings.ARCHLAB_RUN_MAX_HEAP = 5_000
    # Ten times more traffic than the pool serves, and room to queue it all: the backlog grows.
    overloaded = topology([{"id": "users", "kind": "traffic_source", "params": {"rate_per_s": 2000}},
                           {"id": "app", "kind": "service_pool",
                            "params": {"service_time_ms": 20, "instances": 1, "workers_per_instance": 4,
                                       "queue_capacity": 1_000_000}}],
                          [{"from": "users", "to": "app"}], duration_s=600)
    limited = services.run_create(topology=overloaded, speed=0)
    after = services.run_create(topology=example("reference"), duration_s=3, speed=0)
    host = Host(worker="w")
    host.adopt(services.run_claim_next(worker="w"))
    host.adopt(services.run_claim_next(worker="w"))
    for _ in range(100_000):
        if not host.executions:
            break
        host.tick()
    limited.refresh_from_db()
    after.refresh_from_db()
    assert limited.status == "limited" and "requests in flight" in limited.reason or "pending events" in limited.reason
    assert limited.sim_time < 600 and limited.results["requests"]["created"] > 5_000
    assert after.status == "done"
