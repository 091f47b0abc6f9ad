"""Personas and helpers for the study tests: alice owns designs, bob is another user, `visitor`
is anonymous; `work` is a simulation worker in this process (the workers' own loop: claim,
host.tick, housekeeping), `small` a design whose runs take milliseconds."""
from __future__ import annotations

import json
import time
from typing import Any, Callable

import pytest
from django.contrib.auth.models import User
from django.test import Client

from lab.accounts.models import ApiToken
from lab.designs import services as design_services
from lab.designs.models import Design
from lab.runs import services as run_services
from lab.runs.host import Host
from lab.runs.worker import housekeep


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


def call(client: Client, method: str, url: str, body: Any = None, **extra: Any) -> Any:
    if body is not None:
        extra["data"] = body if isinstance(body, (bytes, str)) else json.dumps(body)
    if method != "get":
        extra.setdefault("content_type", "application/json")
    return getattr(client, method)(url, **extra)


def messages(response: Any) -> list[str]:
    return [p["message"] for p in response.json()["problems"]]


def paths(response: Any) -> list[str]:
    return [p["path"] for p in response.json()["problems"]]


def make_user(name: str, **kw: Any) -> User:
    return User.objects.create_user(name, f"{name}@example.com", **kw)


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def bearer(user: User) -> dict[str, str]:
    _, secret = ApiToken.issue(user, "script")
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def design_of(owner: User, topology: dict[str, Any] | None = None, visibility: str = "private",
              name: str = "Queue") -> Design:
    design = design_services.design_create(owner=owner, name=name, topology=topology or small())
    if visibility != "private":
        design_services.design_share(design=design, visibility=visibility)
        design.refresh_from_db()
    return design


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


@pytest.fixture
def alice(db: None) -> User:
    return make_user("alice")


@pytest.fixture
def bob(db: None) -> User:
    return make_user("bob")


@pytest.fixture
def as_alice(alice: User) -> Client:
    return signed_in(alice)


@pytest.fixture
def as_bob(bob: User) -> Client:
    return signed_in(bob)


@pytest.fixture
def visitor(db: None) -> Client:
    return Client()
