"""The people the API and study tests act as, the designs they own and the JSON requests they
make: alice owns designs, bob is another user, carol a third, a visitor is anonymous (their
fixtures are tests/conftest.py's). One definition each, imported by tests/api and tests/studies."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.contrib.auth.models import User
from django.test import Client

from lab.accounts.models import ApiToken
from lab.designs import services
from lab.designs.models import Design

EXAMPLES = Path(__file__).resolve().parents[1] / "lab" / "sim" / "examples"


def example(name: str = "reference") -> dict[str, Any]:
    """An example topology with no warm-up, so tests can run it for a few seconds."""
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


def make_user(name: str, **kw: Any) -> User:
    return User.objects.create_user(name, f"{name}@example.com", **kw)  # no password: no slow hashing


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def bearer(user: User, name: str = "script") -> dict[str, str]:
    _, secret = ApiToken.issue(user, name)
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def design_of(owner: User, topology: dict[str, Any] | None = None, *, name: str = "Shop",
              visibility: str = "private", **kw: Any) -> Design:
    """`owner`'s design of `topology` (the reference example if none), shared as `visibility`;
    `kw` goes to design_create (tags, description)."""
    design = services.design_create(owner=owner, name=name, topology=topology or example(), **kw)
    if visibility != "private":
        services.design_share(design=design, visibility=visibility)
    return design
