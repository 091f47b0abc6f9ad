"""Personas and helpers for the REST API v1 tests: alice owns designs, bob is another user,
carol a third, and `visitor` is anonymous."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from lab.accounts.models import ApiToken
from lab.designs import services
from lab.designs.models import Design

EXAMPLES = Path(__file__).resolve().parents[2] / "lab" / "sim" / "examples"


@pytest.fixture(autouse=True)
def no_embedded_workers(settings: Any) -> None:
    # Runs stay queued; a test that needs results runs the executor itself.
    settings.ARCHLAB_EMBEDDED_WORKERS = 0


def example(name: str = "reference") -> dict[str, Any]:
    doc = json.loads((EXAMPLES / f"{name}.json").read_text())
    doc["settings"]["warmup_s"] = 0
    return doc


def call(client: Client, method: str, url: str, body: Any = None, **extra: Any) -> Any:
    """A JSON request; a `body` of bytes or str goes as it is (to send broken JSON)."""
    if body is not None:
        extra["data"] = body if isinstance(body, (bytes, str)) else json.dumps(body)
    if method != "get":
        extra.setdefault("content_type", "application/json")
    return getattr(client, method)(url, **extra)


def paths(response: Any) -> list[str]:
    return [p["path"] for p in response.json()["problems"]]


def make_user(name: str) -> User:
    return User.objects.create_user(name, f"{name}@example.com")  # no password: no slow hashing


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def bearer(user: User, name: str = "script") -> dict[str, str]:
    _, secret = ApiToken.issue(user, name)
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def design_of(owner: User, name: str = "Shop", visibility: str = "private", **kw: Any) -> Design:
    design = services.design_create(owner=owner, name=name, topology=example(), **kw)
    if visibility != "private":
        services.design_share(design=design, visibility=visibility)
    return design


@pytest.fixture
def alice(db: None) -> User:
    return make_user("alice")


@pytest.fixture
def bob(db: None) -> User:
    return make_user("bob")


@pytest.fixture
def carol(db: None) -> User:
    return make_user("carol")


@pytest.fixture
def as_alice(alice: User) -> Client:
    return signed_in(alice)


@pytest.fixture
def as_bob(bob: User) -> Client:
    return signed_in(bob)


@pytest.fixture
def visitor(db: None) -> Client:
    return Client()
