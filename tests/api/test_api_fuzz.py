"""Property-based and schema-driven fuzzing of the API. Hypothesis generates create and update
bodies and checks the answer against the documented rules; Schemathesis generates requests for
every operation from the OpenAPI document and checks that none is a 5xx and that every answer
conforms to the document. Both are seeded and bounded, so a run is quick and repeatable."""
from __future__ import annotations

import re
import zlib
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.contrib.auth.models import User
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from lab.accounts.models import ApiToken
from lab.designs.models import Design
from lab.runs.models import Run
from lab.sim import load

from .conftest import call, design_of, example, make_user, signed_in

pytestmark = pytest.mark.django_db

# Hypothesis: create and update bodies ------------------------------------------------------

TAG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,29}$")
ANY_JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
                        | st.text(max_size=20), lambda inner: st.lists(inner, max_size=3)
                        | st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=8)
NAMES = st.text(max_size=210) | st.sampled_from(["", "  ", "n" * 200, " n" * 101, "<img src=x onerror=alert(1)>",
                                                 "nul\x00"]) | ANY_JSON
TEXTS = st.text(max_size=60) | st.sampled_from(["d" * 5000, "d" * 5001]) | ANY_JSON
TAGS = st.lists(st.from_regex(TAG, fullmatch=True) | st.text(max_size=32) | st.sampled_from(["Web ", "a b"]) | ANY_JSON,
                max_size=12) | st.sampled_from([0, "", False, {}, "web"]) | ANY_JSON
INVALID_TOPOLOGY = {**example(), "edges": [{"from": "users", "to": "nowhere"}]}
TOPOLOGIES = st.sampled_from([example(), INVALID_TOPOLOGY, {}, "topology", None, 5, []])
SETTINGS = settings(max_examples=60, derandomize=True, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def _name_ok(value: Any, required: bool) -> bool:
    if value is None:
        return not required
    return isinstance(value, str) and bool(value.strip()) and len(value) <= 200 and "\x00" not in value


def _tags_ok(value: Any) -> bool:
    if value is None:
        return True
    return isinstance(value, list) and len(value) <= 10 and all(
        isinstance(t, str) and TAG.match(t.strip().lower()) for t in value)


def _meta_ok(body: dict[str, Any], required: bool) -> bool:
    description = body.get("description")
    return (_name_ok(body.get("name"), required) and _tags_ok(body.get("tags"))
            and (description is None or (isinstance(description, str) and len(description) <= 5000
                                         and "\x00" not in description)))


def _expected_tags(tags: list[str] | None) -> list[str]:
    out: list[str] = []
    for tag in tags or []:
        if tag.strip().lower() not in out:
            out.append(tag.strip().lower())
    return out


def _problems_are_well_formed(response: Any) -> None:
    problems = response.json()["problems"]
    assert problems and all(p["path"].startswith("$") and p["message"] and p["severity"] == "error" for p in problems)


@SETTINGS
@given(body=st.fixed_dictionaries({}, optional={"name": NAMES, "description": TEXTS, "tags": TAGS,
                                                "topology": TOPOLOGIES, "message": TEXTS}))
def test_a_created_design_is_exactly_what_was_sent_or_nothing_is_created(as_alice: Client, body: dict) -> None:
    before = Design.objects.count()
    response = call(as_alice, "post", "/api/v1/designs", body)
    message = body.get("message")
    valid = (_meta_ok(body, required=True) and body.get("topology") == example()
             and (message is None or (isinstance(message, str) and len(message) <= 200)))
    if not valid:
        assert response.status_code == 400, body
        _problems_are_well_formed(response)
        assert Design.objects.count() == before
        return
    assert response.status_code == 201, response.json()
    design = Design.objects.get(id=response.json()["id"])
    assert design.name == body["name"].strip() and design.description == (body.get("description") or "")
    assert design.tags == _expected_tags(body.get("tags")) and design.latest_revision == 1


@SETTINGS
@given(body=st.fixed_dictionaries({}, optional={"name": NAMES, "description": TEXTS, "tags": TAGS}))
def test_an_update_changes_exactly_the_fields_sent_or_nothing(as_alice: Client, alice: User, body: dict) -> None:
    design = Design.objects.filter(owner=alice).first() or design_of(alice, description="original", tags=["orig"])
    before = (design.name, design.description, design.tags)
    response = call(as_alice, "patch", f"/api/v1/designs/{design.id}", body)
    design.refresh_from_db()
    if not _meta_ok(body, required=False):
        assert response.status_code == 400, body
        _problems_are_well_formed(response)
        assert (design.name, design.description, design.tags) == before
        return
    assert response.status_code == 200, response.json()
    expected = (body["name"].strip() if body.get("name") is not None else before[0],
                body["description"] if body.get("description") is not None else before[1],
                _expected_tags(body["tags"]) if body.get("tags") is not None else before[2])
    assert (design.name, design.description, design.tags) == expected


# Schemathesis: every operation from the OpenAPI document -----------------------------------

CONFIG = schemathesis.Config.from_dict({
    "seed": 20260501,
    # Auth comes from the test (a token, or a signed-in session for /tokens), not from generated values.
    "generation": {"deterministic": True, "max-examples": 12, "with-security-parameters": False},
    "phases": {"stateful": {"enabled": False}},
})
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]


@pytest.fixture(autouse=True)
def keep_the_test_connection() -> Iterator[None]:
    """Django's test client keeps the test's database connection across requests; the raw WSGI
    app would close it after each one (inside the test's transaction), so do as the client does."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def world(db: None) -> dict[str, Any]:
    """Something real for the path parameters to point at, so requests reach past the 404, and
    alice's credentials: a token for scripts, and a signed-in session (with CSRF) for /tokens."""
    alice = make_user("alice")
    token, secret = ApiToken.issue(alice, "fuzz")
    design = design_of(alice, visibility="public")
    # Frozen as run_create freezes it (normalized: every edge has its id), which commands are checked against.
    run = Run.objects.create(topology=load(example()), seed=1, duration_s=1, user=alice, revision=design.latest())
    csrf = "c" * 32
    session = signed_in(alice).cookies["sessionid"].value
    return {"alice": alice, "token": token, "run": run, "bearer": {"Authorization": f"Bearer {secret}"},
            "session": {"cookies": {"sessionid": session, "csrftoken": csrf}, "headers": {"X-CSRFToken": csrf}}}


# Loaded at collection, in-process through the WSGI app. (schemathesis.pytest.from_fixture would
# load it lazily, but 4.32.5 sets `Node._nodeid`, which pytest 9 no longer has.)
schema = schemathesis.openapi.from_wsgi("/api/v1/schema?format=json", get_wsgi_application(), config=CONFIG)


@schema.parametrize()
@settings(suppress_health_check=list(HealthCheck), deadline=None)
def test_no_request_makes_the_api_fail_or_break_its_document(case: Any, world: dict[str, Any]) -> None:
    alice = world["alice"]
    design = Design.objects.filter(owner=alice).first() or design_of(alice, visibility="public")
    real = {"design_id": str(design.id), "number": 1, "run_id": str(world["run"].id), "token_id": world["token"].id}
    # Two cases in three (by a stable property of the case) aim at real objects, the rest at random ids.
    if case.path_parameters and zlib.crc32(repr((case.path_parameters, case.query, case.body)).encode()) % 3:
        case.path_parameters = {k: real.get(k, v) for k, v in case.path_parameters.items()}
    # The server gzips JSON for clients that accept it; schemathesis's in-process WSGI client asks
    # for gzip but does not decode it, so the fuzz asks for the plain body.
    plain = {"Accept-Encoding": "identity"}
    if case.path.startswith("/api/v1/tokens"):
        session = world["session"]
        case.call_and_validate(checks=CHECKS, cookies=session["cookies"], headers={**session["headers"], **plain})
    else:
        case.call_and_validate(headers={**world["bearer"], **plain}, checks=CHECKS)
