"""Figure 8, the HTTP half, for the page-side JSON endpoints (the REST API's fuzz is
tests/api/test_api_fuzz.py): at least 1,000 generated bad requests per endpoint, in-process
through Django's test client with CSRF checks on as in production. None may be a 5xx or log an
error, every 4xx is JSON in the problem shape with a sentence, and no answer holds text that
cannot be encoded (the strict reader reads each one back)."""
from __future__ import annotations

import json
import logging
import random
from collections import Counter
from typing import Any
from urllib.parse import quote

import pytest
from django.contrib.auth.models import User
from django.test import Client

from lab.designs import services as designs
from lab.http import MAX_BODY_BYTES
from lab.runs.models import Run
from lab.sim import load
from lab.sim.strict_json import JsonRefused, loads

from .bad_requests import HOSTILE_STRINGS, bad_requests

pytestmark = pytest.mark.django_db
REQUESTS = 1000


def example() -> dict[str, Any]:
    doc = json.load(open("lab/sim/examples/reference.json"))
    doc["settings"]["warmup_s"] = 0
    return doc


@pytest.fixture
def world(settings: Any) -> dict[str, Any]:
    """alice signed in (with the CSRF cookie and header a page sends), her design, her run."""
    settings.ARCHLAB_EMBEDDED_WORKERS = 0
    alice = User.objects.create_user("alice")
    design = designs.design_create(owner=alice, name="Shop", topology=example())
    run = Run.objects.create(topology=load(example()), seed=1, duration_s=1, user=alice, revision=design.latest())
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    client.get("/")
    client.defaults["HTTP_X_CSRFTOKEN"] = client.cookies["csrftoken"].value
    return {"client": client, "design": design, "run": run}


def problems_of(response: Any) -> list[dict[str, str]] | None:
    """The problems of a refusal if it has the documented shape, else None."""
    if not response["Content-Type"].startswith("application/json"):
        return None
    try:
        body = loads(response.content, max_bytes=10**7)
    except JsonRefused:
        return None
    problems = body.get("problems") if isinstance(body, dict) else None
    ok = isinstance(problems, list) and problems and all(
        isinstance(p, dict) and isinstance(p.get("path"), str) and p["path"].startswith("$")
        and isinstance(p.get("message"), str) and len(p["message"].split()) >= 2 and p.get("severity") == "error"
        for p in problems)
    return problems if ok else None


def failures(responses: list[tuple[str, Any]]) -> list[str]:
    """What is wrong with each answer: a 5xx, a 4xx that is not a problem, a 2xx JSON that does
    not read back."""
    out = []
    for label, response in responses:
        status = response.status_code
        if status >= 500:
            out.append(f"{label}: {status}")
        elif status >= 400 and problems_of(response) is None:
            out.append(f"{label}: {status} {response['Content-Type']} {response.content[:120]!r}")
        elif status < 300 and response["Content-Type"].startswith("application/json"):
            try:
                loads(response.content, max_bytes=10**8)
            except JsonRefused as exc:
                out.append(f"{label}: {status} answer does not read back: {exc}")
    return out


def no_errors_logged(caplog: Any) -> list[str]:
    return [r.getMessage()[:200] for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


def bodies_for(url: str, valid: Any, world: dict[str, Any], caplog: Any, seed: int) -> Counter:
    client = world["client"]
    cases = bad_requests(valid, seed=seed, count=REQUESTS, max_bytes=MAX_BODY_BYTES)
    responses = [(f"#{i} {case.label}", client.generic("POST", url, case.body, content_type=case.content_type))
                 for i, case in enumerate(cases)]
    assert len(responses) >= REQUESTS
    assert failures(responses) == []
    assert no_errors_logged(caplog) == []
    statuses = Counter(r.status_code for _, r in responses)
    print(url, len(responses), dict(statuses))
    return statuses


@pytest.fixture(autouse=True)
def quiet_refusals(caplog: Any) -> None:
    # Each refusal logs a warning line (Django's "Bad Request: ..."); only errors matter here.
    caplog.set_level(logging.ERROR)


def test_topology_check_never_fails(world: dict[str, Any], caplog: Any) -> None:
    statuses = bodies_for("/api/v1/topologies/check", example(), world, caplog, seed=1)
    assert statuses[200] and statuses[400] and statuses[413]


def test_source_preview_never_fails(world: dict[str, Any], caplog: Any) -> None:
    valid = {"params": {"rate_per_s": 50, "pattern": "spike", "spike_rate_per_s": 500, "schedule": [[0, 10], [60, 20]],
                        "mix": {"read": 1}}, "until_s": 300}
    statuses = bodies_for("/api/v1/sources/preview", valid, world, caplog, seed=2)
    assert statuses[200] and statuses[400]


def test_run_start_never_fails(world: dict[str, Any], caplog: Any) -> None:
    design = world["design"]
    valid = {"topology": example(), "seed": 7, "duration_s": 5, "speed": 0, "design": str(design.id), "revision": 1}
    statuses = bodies_for("/api/v1/runs", valid, world, caplog, seed=3)
    assert statuses[400] and (statuses[201] or statuses[429])


def test_run_command_never_fails(world: dict[str, Any], caplog: Any) -> None:
    valid = {"op": "set_param", "node": "api", "param": "servers", "value": 2}
    statuses = bodies_for(f"/api/v1/runs/{world['run'].id}/commands", valid, world, caplog, seed=4)
    assert statuses[400] and statuses[413]


def test_design_create_never_fails(world: dict[str, Any], caplog: Any) -> None:
    valid = {"name": "New", "description": "from the lab", "topology": example()}
    statuses = bodies_for("/api/v1/designs", valid, world, caplog, seed=5)
    assert statuses[201] and statuses[400]


def test_design_save_never_fails(world: dict[str, Any], caplog: Any) -> None:
    valid = {"topology": example(), "message": "one more node"}
    statuses = bodies_for(f"/api/v1/designs/{world['design'].id}/revisions", valid, world, caplog, seed=6)
    assert statuses[201] and statuses[400]


def test_design_fork_from_the_lab_never_fails(world: dict[str, Any], caplog: Any) -> None:
    statuses = bodies_for(f"/api/v1/designs/{world['design'].id}/fork", {"topology": example()}, world, caplog,
                          seed=7)
    assert statuses[201] and statuses[400]


def test_import_never_fails_and_every_refusal_names_its_problem(world: dict[str, Any], caplog: Any) -> None:
    """Import is a form page, so a refusal is the page again (400) with the problems listed."""
    client = world["client"]
    cases = bad_requests(example(), seed=8, count=REQUESTS, max_bytes=2_000_000)
    out = []
    for i, case in enumerate(cases):
        upload = _file(case.body, "topology.json")
        response = client.post("/designs/import", {"file": upload, "name": case.label})
        problems = response.context.get("problems") if response.status_code == 400 and response.context else None
        if response.status_code >= 500 or (response.status_code == 400 and not problems) \
                or response.status_code not in (302, 400, 413):
            out.append(f"#{i} {case.label}: {response.status_code}")
    assert out == [] and no_errors_logged(caplog) == []


def _file(content: bytes, name: str) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="application/json")


def addresses(seed: int) -> list[str]:
    """Run ids, example names and formats a client might send: garbage, percent-encoded bytes
    that are not UTF-8, surrogates, traversal, very long, and real ones."""
    rng = random.Random(seed)
    parts = HOSTILE_STRINGS + ["..", "%00", "%ED%A0%80", "%FF", "%C0%AF", "1" * 40, "00000000-0000-0000-0000-000000000000",
                               "-1", "1e999", "NaN", "reference", "json", "csv", "a" * 9000]
    out = []
    for _ in range(REQUESTS):
        part = rng.choice(parts)
        if rng.random() < 0.3:
            part = "".join(rng.choice("%/?#&=;.:\\ \t") + rng.choice(parts)[:20] for _ in range(rng.randrange(1, 4)))
        out.append(part if part.startswith("%") else quote(part, safe="%/?&=;"))
    return out


METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "PROPFIND"]


@pytest.mark.parametrize("template", ["/api/v1/runs/{}", "/api/v1/runs/{run}/results.{}", "/api/v1/examples/{}",
                                      "/api/v1/catalogue?{}", "/api/v1/runs/{run}/commands?{}"])
def test_read_endpoints_never_fail_whatever_the_address_or_method(template: str, world: dict[str, Any],
                                                                  caplog: Any) -> None:
    client, run = world["client"], world["run"]
    rng = random.Random(template)
    responses = []
    for i, part in enumerate(addresses(seed=len(template))):
        method = METHODS[0] if i % 3 else rng.choice(METHODS)
        url = template.format(part, run=run.id)
        responses.append((f"#{i} {method} {url[:80]}", client.generic(method, url, b"", content_type="application/json")))
    assert len(responses) >= REQUESTS
    assert failures([(label, r) for label, r in responses if not label.split()[1] == "HEAD"]) == []
    assert all(r.status_code < 500 for _, r in responses)
    assert no_errors_logged(caplog) == []
