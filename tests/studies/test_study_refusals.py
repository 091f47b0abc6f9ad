"""A study that cannot run is refused before anything runs, in the one problem shape, with a
sentence that says what to change: over the allowance of studies (429), over the runs, CPU or
per-run budgets, a bad spec (unknown node or parameter, an unsweepable one, illegal values), and
garbage: broken or hostile JSON, invalid Unicode, absurd sizes, wrong types. Never a 500."""
from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from lab.runs.models import Run
from lab.studies.models import Study

from .conftest import call, design_of, messages, paths, small, work

pytestmark = pytest.mark.django_db


def sweep(axis: Any, seeds: Any = 2, **extra: Any) -> dict[str, Any]:
    return {"kind": "sweep", "spec": {"axes": [axis], "seeds": seeds}, **extra}


@pytest.fixture
def url(alice: Any) -> str:
    return f"/api/v1/designs/{design_of(alice).id}/studies"


def test_a_second_study_at_once_is_refused_with_retry_after(as_alice: Client, url: str) -> None:
    assert call(as_alice, "post", url, {"kind": "replications", "seeds": 2}).status_code == 201
    refused = call(as_alice, "post", url, {"kind": "replications", "seeds": 2})
    assert refused.status_code == 429 and refused["Retry-After"] == "30"
    assert messages(refused) == ["you already have 1 study going (at most 1 at once); cancel it or let it finish, "
                                 "then try again"]


def test_a_finished_study_frees_the_allowance(as_alice: Client, url: str) -> None:
    first = call(as_alice, "post", url, {"kind": "replications", "seeds": 1}).json()
    work(lambda: Study.objects.get(id=first["id"]).is_over)
    assert call(as_alice, "post", url, {"kind": "replications", "seeds": 1}).status_code == 201


def test_too_many_runs_says_what_to_lower(as_alice: Client, url: str, settings: Any) -> None:
    settings.ARCHLAB_STUDY_MAX_RUNS = 20
    refused = call(as_alice, "post", url, sweep({"workload": "rate_per_s", "range": {"start": 10, "stop": 100,
                                                                                      "steps": 11}}, seeds=2))
    assert refused.status_code == 400 and paths(refused) == ["$.spec.axes"]
    assert messages(refused)[0].startswith("this sweep is 22 runs (11 values of workload.rate_per_s × 2 seeds); "
                                           "the limit is 20 runs")
    assert not Study.objects.exists() and not Run.objects.exists()


def test_over_the_cpu_budget_says_how_much_to_shorten(as_alice: Client, url: str, settings: Any) -> None:
    settings.ARCHLAB_STUDY_MAX_CPU_S = 1
    refused = call(as_alice, "post", url, {"kind": "replications", "seeds": 50, "duration_s": 600})
    assert refused.status_code == 400
    assert "minutes of CPU time" in messages(refused)[0] and "shorten settings.duration_s" in messages(refused)[0]


def test_a_run_over_the_per_run_budget_is_named(as_alice: Client, url: str, settings: Any) -> None:
    settings.ARCHLAB_RUN_MAX_EVENTS = 100_000
    refused = call(as_alice, "post", url, sweep({"workload": "rate_per_s", "values": [10, 20000]}))
    assert refused.status_code == 400
    assert any(m.startswith("workload.rate_per_s=20000") and "events" in m for m in messages(refused))


def test_the_servers_full_queue_refuses_a_study(as_alice: Client, url: str, settings: Any) -> None:
    settings.ARCHLAB_MAX_QUEUED = 1
    from lab.runs import services as runs

    runs.run_create(topology=small(), speed=0)
    refused = call(as_alice, "post", url, {"kind": "replications", "seeds": 2})
    assert refused.status_code == 429 and "queue is full" in messages(refused)[0]


@pytest.mark.parametrize("body, path, words", [
    (sweep({"node": "nope", "param": "instances", "values": [1, 2]}), "$.spec.axes[0].node", "no node"),
    (sweep({"node": "app", "param": "wings", "values": [1, 2]}), "$.spec.axes[0].param", "wings"),
    (sweep({"node": "app", "param": "instances", "values": [1, 0]}), "$.spec.axes[0].values[1]", "at least 1"),
    (sweep({"node": "app", "param": "service_samples_ms", "values": [[1], [2]]}), "$.spec.axes[0].param", "cannot step"),
    (sweep({"node": "app", "param": "instances", "values": [1, 1]}), "$.spec.axes[0].values[1]", "twice"),
    (sweep({"node": "app", "param": "instances", "values": list(range(1, 100_001))}), "$.spec.axes[0].values", ""),
    (sweep({"workload": "rate_per_s", "values": [10, 20]}, seeds=0), "$.spec.seeds", "from 1 to 100"),
    (sweep({"workload": "rate_per_s", "values": [10, 20]}, seeds=10**30), "$.spec.seeds", ""),
    ({"kind": "sweep"}, "$.spec", "a sweep needs `spec`"),
    ({"kind": "sweep", "spec": "axes"}, "$.spec", "must be an object"),
    ({"kind": "sweep", "spec": {"axes": [], "seeds": 2}}, "$.spec.axes", "one parameter"),
    ({"kind": "sweep", "spec": {"axes": [{"workload": "rate_per_s", "values": [1, 2]}], "colour": 1}},
     "$.spec.colour", "no field"),
    (sweep({"workload": "rate_per_s", "values": [10, 20]}, knee_metric="vibes"), "$.knee_metric", "one of"),
    (sweep({"workload": "rate_per_s", "values": [10, 20]}, threshold=-1), "$.threshold", "above 0"),
    ({"kind": "replications", "seeds": "many"}, "$.seeds", "number of seeds"),
    ({"kind": "replications", "seeds": [1, 1]}, "$.seeds[1]", "twice"),
    ({"kind": "replications", "seeds": 2, "precision": 2}, "$.precision", "0.001 to 0.5"),
    ({"kind": "replications", "seeds": 2, "duration_s": 10**9}, "$.duration_s", "at most"),
    ({"kind": "replications", "seeds": 2, "duration_s": True}, "$.duration_s", "more than 0"),
    ({"kind": "replications", "revision": 99}, "$.revision", "no revision 99"),
    ({"kind": "replications", "revision": "<script>alert(1)</script>"}, "$.revision", "whole number"),
    ({"kind": "comparison", "seeds": 2}, "$.b", "needs B"),
    ({"kind": "comparison", "seeds": 2, "b": "yesterday"}, "$.b", "must be an object"),
    ({"kind": "comparison", "seeds": 2, "b": {"revision": 1, "colour": "red"}}, "$.b.colour", "unknown field"),
    ({"kind": "teleport"}, "$.kind", "one of sweep, replications, comparison"),
    ({"kind": ["sweep"]}, "$.kind", "one of"),
    ({"seeds": 2}, "$.kind", "one of"),
    ({"kind": "replications", "seeds": 2, "spec": {}}, "$.spec", "unknown field"),
    ({"kind": "replications", "seeds": 2, "\u202egnp.exe" * 50: 1}, None, "unknown field"),
    ([1, 2, 3], "$", "JSON object"),
])
def test_a_bad_request_is_refused_with_its_path_and_a_sentence(as_alice: Client, url: str, body: Any,
                                                               path: str | None, words: str) -> None:
    response = call(as_alice, "post", url, body)
    assert response.status_code == 400, response.content
    problems = response.json()["problems"]
    if path is not None:
        assert path in [p["path"] for p in problems], problems
    assert any(words in p["message"] for p in problems), problems
    assert not Study.objects.exists() and not Run.objects.exists()


@pytest.mark.parametrize("raw, words", [
    (b'{"kind": "sweep", ', "not valid JSON"),
    (b'{"kind": "replications", "seeds": NaN}', "NaN"),
    (b'{"kind": "replications", "kind": "sweep"}', "twice"),
    (b'{"kind": "replications", "seeds": 2, "x": "\\ud800"}', "surrogate"),
    (b'\xff\xfe{"kind"', "UTF-8"),
    (b'{"kind": "replications", "seeds": 1' + b'0' * 5000 + b'}', "digits"),
    (b"[" * 10_000 + b"]" * 10_000, "deep"),
])
def test_garbage_json_is_refused_never_a_500(as_alice: Client, url: str, raw: bytes, words: str) -> None:
    response = call(as_alice, "post", url, raw)
    assert response.status_code == 400, response.content
    assert any(words.lower() in p["message"].lower() for p in response.json()["problems"]), response.json()


def test_an_absurdly_large_body_is_refused_unread(as_alice: Client, url: str) -> None:
    response = call(as_alice, "post", url, b'{"kind": "sweep", "x": "' + b"a" * 3_000_000 + b'"}')
    assert response.status_code == 413 and "the limit is" in messages(response)[0]


def test_a_b_that_does_not_exist_is_not_found(as_alice: Client, url: str) -> None:
    response = call(as_alice, "post", url, {"kind": "comparison", "seeds": 2,
                                            "b": {"design": "00000000-0000-0000-0000-000000000000"}})
    assert response.status_code == 404 and paths(response) == ["$.b.design"]


def test_a_malformed_or_unknown_study_is_not_found(as_alice: Client) -> None:
    for url in ("/api/v1/studies/00000000-0000-0000-0000-000000000000", "/api/v1/studies/not-a-uuid",
                "/api/v1/studies/00000000-0000-0000-0000-000000000000/study.xlsx"):
        response = call(as_alice, "get", url)
        assert response.status_code == 404 and response.json()["problems"]
