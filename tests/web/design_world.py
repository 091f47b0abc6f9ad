"""Helpers for the design page tests (the alice and bob fixtures are in conftest.py)."""
from __future__ import annotations

import json
from typing import Any

from django.contrib.auth.models import User
from django.test import Client

from lab.designs import services
from lab.designs.models import Design

from .conftest import example

XSS_NAME = "<img src=x onerror=alert(1)>"
XSS_TEXT = "<script>alert(1)</script>"


def as_user(user: User, **options: Any) -> Client:
    client = Client(**options)
    client.force_login(user)
    return client


def shop(owner: User, visibility: str = "private", **fields: Any) -> Design:
    design = services.design_create(owner=owner, name=fields.pop("name", "Shop"), topology=example("reference"), **fields)
    return services.design_share(design=design, visibility=visibility) if visibility != "private" else design


def post_json(client: Client, url: str, body: Any) -> Any:
    return client.post(url, data=json.dumps(body), content_type="application/json")


def pages(design: Design) -> list[str]:
    base = f"/designs/{design.id}"
    return [f"{base}/", f"{base}/edit", f"{base}/revisions/1/", f"{base}/compare?from=1&to=1", f"{base}/export.json",
            f"{base}/thumbnail.svg"]


def owner_posts(design: Design) -> list[str]:
    base = f"/designs/{design.id}"
    return [f"{base}/settings", f"{base}/share", f"{base}/revoke-link", f"{base}/delete", f"{base}/revisions/1/restore"]


def three_revisions(owner: User) -> Design:
    design = shop(owner)
    second = example("reference")
    second["nodes"][2]["params"]["instances"] = 9
    services.design_save(design=design, author=owner, topology=second, message="more instances")
    third = json.loads(json.dumps(second))
    third["nodes"].append({"id": "audit", "kind": "database", "params": {}, "position": {"x": 900, "y": 40}})
    third["edges"].append({"id": "e-audit", "from": "app1", "to": "audit"})
    services.design_save(design=design, author=owner, topology=third, message="an audit store")
    return design
