"""Helpers for the study tests: `work` is a simulation worker in this process (the workers' own
loop: claim, host.tick, housekeeping), `small` a topology whose runs take milliseconds, and
`design_of` makes designs of it. The personas (alice, bob, a visitor) are tests/conftest.py's
fixtures; the requests they make are tests/personas.py's, named here for the tests that import
them from this folder."""
from __future__ import annotations

import time
from typing import Any, Callable

import pytest
from django.contrib.auth.models import User

import personas
from lab.designs.models import Design
from lab.runs import services as run_services
from lab.runs.host import Host
from lab.runs.worker import housekeep
from personas import bearer, call, make_user, paths, signed_in

__all__ = ["LOAD_SWEEP", "bearer", "call", "design_of", "make_user", "messages", "paths", "signed_in", "small",
           "start", "work"]


@pytest.fixture(autouse=True)
def no_embedded_workers(settings: Any) -> None:
    # Runs stay queued until a test works them (or starts a server with its own workers).
    settings.ARCHLAB_EMBEDDED_WORKERS = 0


def small(rate: float = 100.0, service_ms: float = 5.0, workers: int = 1, duration: float = 4.0,
          name: str = "M/M/1") -> dict[str, Any]:
    """A source and one pool: an M/M/c queue whose runs take a few milliseconds."""
    return {"format": "archlab.topology", "version": 1, "name": name,
            "settings": {"duration_s": duration, "warmup_s": 0.5, "window_s": 0.5, "seed": 1},
            "nodes": [{"id": "users", "kind": "traffic_source", "params": {"rate_per_s": rate}},
                      {"id": "app", "kind": "service_pool",
                       "params": {"instances": 1, "workers_per_instance": workers, "service_time_ms": service_ms,
                                  "service_distribution": "exponential"}}],
            "edges": [{"from": "users", "to": "app"}]}


def design_of(owner: User, topology: dict[str, Any] | None = None, **kw: Any) -> Design:
    """tests/personas.py's design_of with the studies' defaults: a design named "Queue" of
    `small()`, so that a study of it runs in a moment."""
    return personas.design_of(owner, topology or small(), **{"name": "Queue", **kw})


def messages(response: Any) -> list[str]:
    return [p["message"] for p in response.json()["problems"]]


# A load sweep of the small M/M/1 design (a 200/s server) up to 95% busy, past its knee.
LOAD_SWEEP = {"kind": "sweep", "threshold": 40,
              "spec": {"axes": [{"workload": "rate_per_s", "values": [40, 100, 160, 190]}], "seeds": 2}}


def start(client: Client, design: Any, body: dict[str, Any]) -> dict[str, Any]:
    response = call(client, "post", f"/api/v1/designs/{design.id}/studies", body)
    assert response.status_code == 201, response.json()
    return response.json()


def work(until: Callable[[], bool], *, timeout: float = 60.0, worker: str = "test:1",
         capacity: int = 60, host: Host | None = None) -> Host:
    """The worker loop (lab.runs.worker.serve) in this thread until `until()` holds. Pass the
    `host` it returned to go on with the runs it holds."""
    host = host or Host(worker=worker)
    worker = host.worker
    deadline = time.monotonic() + timeout
    next_house = 0.0
    while not until():
        assert time.monotonic() < deadline, "the worker did not get there in time"
        if time.monotonic() >= next_house:  # first, as lab.runs.worker.serve does
            housekeep(worker)
            next_house = time.monotonic() + 0.5
        while len(host.executions) < capacity:
            run = run_services.run_claim_next(worker=worker)
            if run is None:
                break
            host.adopt(run)
        pause = host.tick()
        if pause > 0 and not host.executions:
            time.sleep(0.005)
    return host
