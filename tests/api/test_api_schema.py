"""The OpenAPI document describes every endpoint, validates as OpenAPI 3, and the documentation
page works under the site's Content-Security-Policy (scripts only from this site, no CDN)."""
from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from drf_spectacular.validation import validate_schema

from livelab import CHROMIUM, CHROMIUM_ARGS, free_port, start_lab


ENDPOINTS = {
    "/api/v1/catalogue": {"get"},
    "/api/v1/examples": {"get"},
    "/api/v1/examples/{name}": {"get"},
    "/api/v1/topologies/check": {"post"},
    "/api/v1/sources/preview": {"post"},
    "/api/v1/designs": {"get", "post"},
    "/api/v1/designs/{design_id}": {"get", "patch", "delete"},
    "/api/v1/designs/{design_id}/revisions": {"get", "post"},
    "/api/v1/designs/{design_id}/revisions/{number}": {"get"},
    "/api/v1/designs/{design_id}/diff": {"get"},
    "/api/v1/designs/{design_id}/restore": {"post"},
    "/api/v1/designs/{design_id}/fork": {"post"},
    "/api/v1/designs/{design_id}/share": {"post"},
    "/api/v1/designs/{design_id}/unshare": {"post"},
    "/api/v1/designs/{design_id}/thumbnail.svg": {"get"},
    "/api/v1/designs/{design_id}/studies": {"get", "post"},
    "/api/v1/studies/frontier": {"get"},
    "/api/v1/studies/{study_id}": {"get"},
    "/api/v1/studies/{study_id}/cancel": {"post"},
    "/api/v1/studies/{study_id}/study.{fmt}": {"get"},
    "/api/v1/runs": {"post"},
    "/api/v1/runs/{run_id}": {"get"},
    "/api/v1/runs/{run_id}/results": {"get"},
    "/api/v1/runs/{run_id}/results.{fmt}": {"get"},
    "/api/v1/runs/{run_id}/windows": {"get"},
    "/api/v1/runs/{run_id}/theory": {"get"},
    "/api/v1/runs/{run_id}/commands": {"post"},
    "/api/v1/lessons": {"get"},
    "/api/v1/lessons/progress": {"post"},
    "/api/v1/lessons/authored": {"get"},
    "/api/v1/lessons/authored/upload": {"post"},
    "/api/v1/lessons/authored/challenges": {"post"},
    "/api/v1/lessons/authored/challenges/check": {"post"},
    "/api/v1/lessons/authored/{key}": {"get", "delete"},
    "/api/v1/runs/{run_id}/goal-suggestions": {"get"},
    "/api/v1/classes/join/pupil": {"post"},
    "/api/v1/classes/{classroom_id}/pupils": {"get"},
    "/api/v1/classes/{classroom_id}/pupils/{user_id}": {"patch"},
    "/api/v1/classes/{classroom_id}/pupils/{user_id}/reset": {"post"},
    "/api/v1/classes/{classroom_id}/sessions": {"post"},
    "/api/v1/sessions/{session_id}": {"get"},
    "/api/v1/sessions/{session_id}/run": {"post"},
    "/api/v1/sessions/{session_id}/end": {"post"},
    "/api/v1/sessions/{session_id}/export": {"get"},
    "/api/v1/sessions/{session_id}/questions": {"post"},
    "/api/v1/questions/{question_id}/answers": {"post"},
    "/api/v1/questions/{question_id}/{action}": {"post"},
    "/api/v1/lessons/{lesson_id}": {"get"},
    "/api/v1/lessons/{lesson_id}/steps/{step_id}/attempts": {"post"},
    "/api/v1/lessons/{lesson_id}/attempts/{attempt_id}": {"get"},
    "/api/v1/lessons/{lesson_id}/steps/{step_id}/hints": {"post"},
    "/api/v1/lessons/{lesson_id}/steps/{step_id}/solution": {"get"},
    "/api/v1/classes": {"get", "post"},
    "/api/v1/classes/join": {"post"},
    "/api/v1/classes/{classroom_id}": {"get", "patch"},
    "/api/v1/classes/{classroom_id}/leave": {"post"},
    "/api/v1/classes/{classroom_id}/students": {"get"},
    "/api/v1/classes/{classroom_id}/students/{user_id}": {"delete"},
    "/api/v1/classes/{classroom_id}/assignments": {"get", "post"},
    "/api/v1/assignments/{assignment_id}": {"get", "patch"},
    "/api/v1/assignments/{assignment_id}/submissions": {"get", "post"},
    "/api/v1/assignments/{assignment_id}/results": {"get"},
    "/api/v1/assignments/{assignment_id}/results.csv": {"get"},
    "/api/v1/assignments/{assignment_id}/submissions.csv": {"get"},
    "/api/v1/assignments/{assignment_id}/regrade": {"post"},
    "/api/v1/submissions/{submission_id}": {"get"},
    "/api/v1/tokens": {"get", "post"},
    "/api/v1/tokens/{token_id}": {"delete"},
}


@pytest.fixture
def schema(db: None, client: Client) -> dict:
    response = client.get("/api/v1/schema?format=json")
    assert response.status_code == 200
    return response.json()


def test_the_schema_is_a_valid_openapi_3_document(schema: dict) -> None:
    validate_schema(schema)
    assert schema["openapi"].startswith("3.") and schema["info"]["title"] == "Archlab API"


def test_the_schema_has_every_endpoint_and_only_those(schema: dict) -> None:
    assert {path: set(ops) - {"parameters"} for path, ops in schema["paths"].items()} == ENDPOINTS


def test_the_schema_documents_both_ways_to_authenticate(schema: dict) -> None:
    schemes = schema["components"]["securitySchemes"]
    assert schemes["tokenAuth"] == {"type": "http", "scheme": "bearer", "description": schemes["tokenAuth"]["description"]}
    assert schemes["cookieAuth"]["in"] == "cookie"


def test_every_operation_documents_its_errors_as_problems(schema: dict) -> None:
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            errors = {code: r for code, r in operation["responses"].items() if code.startswith("4")}
            assert errors, f"{method} {path}"
            for response in errors.values():
                assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Problems"}


def test_request_bodies_are_described_field_by_field(schema: dict) -> None:
    create = schema["components"]["schemas"]["DesignCreateRequest"]
    assert set(create["required"]) == {"name", "topology"}
    assert create["properties"]["name"]["maxLength"] == 200
    assert create["properties"]["tags"]["maxItems"] == 10
    run = schema["components"]["schemas"]["RunCreateRequest"]["properties"]
    assert run["speed"]["allOf"] == [{"$ref": "#/components/schemas/SpeedEnum"}]
    assert schema["components"]["schemas"]["SpeedEnum"]["enum"] == [0, 1, 10, 100]
    assert run["duration_s"]["exclusiveMinimum"] is True and run["duration_s"]["minimum"] == 0
    lists = schema["paths"]["/api/v1/designs"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert lists == {"$ref": "#/components/schemas/PaginatedDesignList"}


def test_the_schema_is_also_served_as_yaml(db: None, client: Client) -> None:
    response = client.get("/api/v1/schema")
    assert response.status_code == 200 and response.content.startswith(b"openapi: 3.")


def test_the_docs_page_loads_its_scripts_from_this_site_only(db: None, client: Client) -> None:
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "<script>" not in html  # no inline script: the CSP would block it
    sources = re.findall(r'<script src="([^"]+)"', html)
    assert sources and all(src.startswith("/") for src in sources)
    bundled = [src for src in sources if src.startswith("/static/")]
    assert len(bundled) == 2 and all(finders.find(src.removeprefix("/static/")) for src in bundled)
    init = client.get(next(src for src in sources if "script" in src.split("?", 1)[-1]).replace("&amp;", "&"))
    assert init.status_code == 200 and init["Content-Type"].startswith("application/javascript")
    assert "/api/v1/schema" in init.content.decode()


# The docs page in a real browser, under the site's real Content-Security-Policy -------------


@pytest.fixture(scope="module")
def live_docs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    server = start_lab(port, tmp_path_factory.mktemp("docs") / "lab.sqlite3", workers=0)
    yield f"http://127.0.0.1:{port}"
    server.terminate()
    server.wait(10)


@pytest.mark.browser
def test_the_docs_page_renders_every_operation_without_breaking_the_csp(live_docs: str) -> None:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: scripts/setup.sh installs Debian's chromium package")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()  # the site's CSP applies: no bypass
        problems: list[str] = []
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.on("console", lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None)
        page.goto(live_docs + "/api/v1/docs")
        page.locator(".swagger-ui .info .title").wait_for(timeout=20_000)
        assert "Archlab API" in page.inner_text(".swagger-ui .info .title")
        page.locator(".opblock").first.wait_for()
        assert page.locator(".opblock").count() == sum(len(ops) for ops in ENDPOINTS.values())
        browser.close()
    assert problems == []
