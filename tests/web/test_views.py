"""The lab page and the JSON API: bad input gets a clear answer, never a 500."""
from __future__ import annotations

import csv
import io
import json
import re
from html import unescape

import pytest
from django.test import Client

from lab.runs import host, services
from lab.runs.models import Run

from .conftest import EXAMPLES, example

pytestmark = pytest.mark.django_db


def post(client: Client, url: str, body: object) -> object:
    return client.post(url, data=json.dumps(body) if not isinstance(body, (bytes, str)) else body,
                       content_type="application/json")


def test_the_lab_page_lists_the_examples_and_carries_the_catalogue_as_json(client: Client) -> None:
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "One WordPress VM and its database" in html
    assert 'id="catalogue-data" type="application/json"' in html
    assert "csrftoken" in response.cookies


def test_no_example_in_the_picker_is_named_as_a_step_of_a_story(client: Client) -> None:
    # The picker sorts examples by file name, so "Step 1", "Step 3"... read out of order there;
    # the numbered story is the startup-growth lesson's.
    html = client.get("/").content.decode()
    picker = html[html.index('<select id="example">'):]
    names = [unescape(n) for n in re.findall(r'<option value="[^"]+" title="[^"]*">([^<]*)</option>',
                                            picker[:picker.index("</select>")])]
    assert len(names) == len(list(EXAMPLES.glob("*.json")))
    assert [n for n in names if re.match(r"Step \d", n)] == []


def test_starting_a_run_answers_201_with_its_websocket(client: Client) -> None:
    response = post(client, "/api/runs", {"topology": example("reference"), "duration_s": 5, "speed": 0})
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "queued" and body["websocket"] == f"/ws/runs/{body['id']}/"
    assert Run.objects.get(id=body["id"]).owner_key == client.session.session_key


@pytest.mark.parametrize("body, path", [
    (b"{not json", "$"),
    ({"seed": 1}, "$"),
    ({"topology": {"version": 1, "nodes": "x", "edges": []}}, "$.nodes"),
    ({"topology": example("reference"), "speed": 42}, "$.speed"),
    ({"topology": example("reference"), "duration_s": float("1e300")}, "$.duration_s"),
])
def test_a_bad_run_request_gets_400_with_the_problem_path(client: Client, body: object, path: str) -> None:
    response = post(client, "/api/runs", body)
    assert response.status_code == 400
    assert response.json()["problems"][0]["path"] == path


def test_nan_in_a_topology_is_refused_not_parsed(client: Client) -> None:
    text = json.dumps({"topology": example("reference")}).replace('"rate_per_s": 1000', '"rate_per_s": NaN')
    response = post(client, "/api/runs", text)
    assert response.status_code == 400


def test_checking_a_topology_lists_its_problems(client: Client) -> None:
    doc = example("reference")
    doc["nodes"][0]["kind"] = "traffic_sauce"
    problems = post(client, "/api/topologies/check", doc).json()["problems"]
    assert problems[0]["path"] == "$.nodes[0].kind" and "traffic_source" in problems[0]["message"]
    assert post(client, "/api/topologies/check", example("reference")).json() == {"problems": []}


def test_only_the_browser_that_started_a_run_can_control_it(client: Client) -> None:
    run_id = post(client, "/api/runs", {"topology": example("reference"), "duration_s": 5}).json()["id"]
    assert post(client, f"/api/runs/{run_id}/commands", {"op": "pause"}).status_code == 202
    assert post(Client(), f"/api/runs/{run_id}/commands", {"op": "pause"}).status_code == 403


def test_results_download_as_json_and_csv(client: Client) -> None:
    run_id = post(client, "/api/runs", {"topology": example("reference"), "duration_s": 3, "speed": 0}).json()["id"]
    host.execute(services.run_claim_next(worker="w"))
    data = client.get(f"/api/runs/{run_id}/results.json").json()
    assert data["run"]["status"] == "done" and len(data["windows"]) == 3
    assert data["results"]["requests"]["created"] > 2000
    rows = list(csv.DictReader(io.StringIO(client.get(f"/api/runs/{run_id}/results.csv").content.decode())))
    assert {r["node"] for r in rows} >= {"overall", "app1", "db"}
    assert len(rows) == 3 * 9


def test_an_unknown_run_is_404_not_500(client: Client) -> None:
    assert client.get("/api/runs/not-a-uuid").status_code == 404
    assert client.get("/api/runs/00000000-0000-0000-0000-000000000000").status_code == 404


def test_a_sources_rate_curve_preview_follows_its_pattern(client: Client) -> None:
    body = {"params": {"rate_per_s": 100, "pattern": "spike", "spike_rate_per_s": 900, "spike_start_s": 10,
                       "spike_duration_s": 5}, "until_s": 30}
    points = dict(post(client, "/api/sources/preview", body).json()["points"])
    assert max(points.values()) == 900 and min(points.values()) == 100
    assert all(rate == 900 for t, rate in points.items() if 10 <= t < 15)


def test_a_bad_preview_request_names_the_parameter(client: Client) -> None:
    response = post(client, "/api/sources/preview", {"params": {"rate_per_s": -1, "nope": 1}, "until_s": 0})
    assert response.status_code == 400
    assert [p["path"] for p in response.json()["problems"]] == ["$.params.rate_per_s", "$.params.nope", "$.until_s"]


def test_an_unknown_results_format_is_404_not_a_file(client: Client) -> None:
    run_id = post(client, "/api/runs", {"topology": example("reference"), "duration_s": 3}).json()["id"]
    response = client.get(f"/api/runs/{run_id}/results.exe")
    assert response.status_code == 404 and "results.json or results.csv" in response.json()["problems"][0]["message"]


def test_one_browser_cannot_queue_runs_without_end(client: Client, settings: object) -> None:
    settings.ARCHLAB_VISITOR_RUNNING, settings.ARCHLAB_VISITOR_QUEUED = 1, 1
    body = {"topology": example("reference"), "duration_s": 3}
    assert [post(client, "/api/runs", body).status_code for _ in range(2)] == [201, 201]
    refused = post(client, "/api/runs", body)
    assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1
    assert "already have 2 runs going or waiting" in refused.json()["problems"][0]["message"]
    assert post(Client(), "/api/runs", body).status_code == 201  # another browser is not affected


def test_pages_answer_head_requests_like_get_without_a_body(client) -> None:
    # Link checkers and uptime monitors ask with HEAD.
    for path in ("/", "/gallery"):
        response = client.head(path)
        assert response.status_code == 200 and response.content == b""
