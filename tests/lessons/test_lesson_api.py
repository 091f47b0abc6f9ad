"""Lessons through /api/v1/lessons: the index, a lesson's steps, graded attempts (ordinary runs,
executed here in-process), hints and the solution, with the three personas: alice the learner,
bob another user, and an anonymous visitor. The lesson is the small one of tests/lessons/fixtures.py:
one API instance cannot keep the p95 under 100 ms, and it has no errors budget while it is down."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from lab.lessons.models import Attempt, LessonProgress
from lab.runs import host
from lab.runs import services as runs
from lab.runs.models import Run

from .fixtures import LESSON_ID, design, write_lesson

pytestmark = pytest.mark.django_db

LESSONS = "/api/v1/lessons"
LESSON = f"{LESSONS}/{LESSON_ID}"
STEP = f"{LESSON}/steps/add-instances"


@pytest.fixture(autouse=True)
def lessons_dir(tmp_path: Path, settings: Any) -> Path:
    settings.ARCHLAB_EMBEDDED_WORKERS = 0  # runs stay queued until work() runs them
    root = tmp_path / "lessons"
    write_lesson(root)
    settings.ARCHLAB_LESSONS_DIR = root
    return root


def make_user(name: str, **extra: Any) -> User:
    return User.objects.create_user(name, f"{name}@example.com", **extra)


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def alice() -> User:
    return make_user("alice")


@pytest.fixture
def as_alice(alice: User) -> Client:
    return signed_in(alice)


@pytest.fixture
def as_bob() -> Client:
    return signed_in(make_user("bob"))


def call(client: Client, method: str, url: str, body: Any = None) -> Any:
    if method == "get":
        return client.get(url)
    return getattr(client, method)(url, data=json.dumps(body if body is not None else {}),
                                   content_type="application/json")


def work() -> None:
    """What the simulation workers do: run every queued run to its end, graded runs first."""
    while (run := runs.run_claim_next(worker="w")) is not None:
        host.execute(run)


def submit(client: Client, topology: dict[str, Any], **body: Any) -> Any:
    return call(client, "post", f"{STEP}/attempts", {"topology": topology, **body})


def graded(client: Client, topology: dict[str, Any], **body: Any) -> dict[str, Any]:
    response = submit(client, topology, **body)
    assert response.status_code == 202, response.json()
    work()
    attempt = client.get(response.json()["url"])
    assert attempt.status_code == 200
    return attempt.json()


def test_submitting_the_reference_passes_and_marks_the_step_passed(as_alice: Client, alice: User) -> None:
    response = submit(as_alice, design(3))
    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "queued" and body["passed"] is None and body["grade"] is None
    assert response["Location"] == body["url"] == f"{LESSON}/attempts/{body['id']}"
    assert [(r["role"], r["seed"]) for r in body["runs"]] == [("design", 1), ("design", 2), ("start", 1), ("start", 2)]
    assert all(r["websocket"] == f"/ws/runs/{r['id']}/" for r in body["runs"])
    assert [r["watchable"] for r in body["runs"]] == [True, True, False, False]
    assert set(Run.objects.values_list("priority", "speed")) == {(10, 0.0)}
    work()
    attempt = as_alice.get(body["url"]).json()
    assert attempt["status"] == "graded" and attempt["passed"] is True
    assert [g["goal"] for g in attempt["grade"]["goals"] if g["passed"]] == ["p95", "errors-while-down"]
    assert attempt["engine"]["sim"].startswith("sha256:") and attempt["seeds"] == [1, 2]
    lesson = as_alice.get(LESSON).json()
    assert lesson["progress"]["passed_steps"] == ["add-instances"]
    assert lesson["steps"][0]["passed"] is True and lesson["steps"][0]["debrief_html"].startswith("<p>Utilization")


def test_submitting_the_start_fails_with_a_sentence_and_what_to_look_at_per_goal(as_alice: Client) -> None:
    attempt = graded(as_alice, design(1))
    assert attempt["passed"] is False
    p95 = next(g for g in attempt["grade"]["goals"] if g["goal"] == "p95")
    assert not p95["passed"] and "the goal is at most 100 ms" in p95["sentence"]
    assert p95["look_at"] and [m["seed"] for m in p95["measured"]] == [1, 2]
    assert all(m["value"] > 100 and m["unit"] == "ms" for m in p95["measured"])
    errors = next(g for g in attempt["grade"]["goals"] if g["goal"] == "errors-while-down")
    assert not errors["passed"] and "while one-instance-down is active" in errors["sentence"]


def test_a_design_that_lowers_the_traffic_still_gets_the_steps_traffic(as_alice: Client) -> None:
    quiet = design(1)
    quiet["nodes"][0]["params"]["rate_per_s"] = 5
    quiet["faults"] = []
    attempt = graded(as_alice, quiet)
    assert attempt["passed"] is False
    frozen = Run.objects.get(id=attempt["runs"][0]["id"]).topology
    assert frozen["nodes"][0]["params"]["rate_per_s"] == 150
    assert [f["id"] for f in frozen["faults"]] == ["one-instance-down"]


def test_a_design_that_deletes_the_faulted_node_is_refused_with_a_sentence(as_alice: Client) -> None:
    doc = design(3)
    doc["nodes"] = [n for n in doc["nodes"] if n["id"] != "api"]
    doc["edges"] = [{"from": "users", "to": "db"}]
    response = submit(as_alice, doc)
    assert response.status_code == 400
    assert "your design has no node 'api'" in response.json()["problems"][0]["message"]
    assert not Run.objects.exists() and not Attempt.objects.exists()


def test_a_design_without_the_traffic_source_is_refused_with_a_sentence(as_alice: Client) -> None:
    doc = design(3)
    doc["nodes"][0]["id"] = "visitors"
    doc["edges"][0]["from"] = "visitors"
    response = submit(as_alice, doc)
    assert response.status_code == 400
    problem = response.json()["problems"][0]
    assert problem["path"] == "$.topology"
    assert "traffic source named 'users'" in problem["message"] and "rename yours to 'users'" in problem["message"]
    assert not Run.objects.exists()


def test_a_design_that_changes_a_locked_parameter_is_refused(as_alice: Client) -> None:
    response = submit(as_alice, design(3, read_time_ms=1))
    assert response.status_code == 400
    assert "locks db.read_time_ms at 5" in response.json()["problems"][0]["message"]


def test_hints_unlock_one_at_a_time_and_after_a_failed_attempt(as_alice: Client) -> None:
    assert as_alice.get(LESSON).json()["steps"][0]["hints"] == {"total": 2, "unlocked": []}
    first = call(as_alice, "post", f"{STEP}/hints")
    assert first.status_code == 200 and len(first.json()["unlocked"]) == 1
    assert first.json()["unlocked"][0].startswith("Open the API's utilization chart")
    graded(as_alice, design(1))  # a failed attempt unlocks the next
    assert len(as_alice.get(LESSON).json()["steps"][0]["hints"]["unlocked"]) == 2
    done = call(as_alice, "post", f"{STEP}/hints")
    assert done.status_code == 400 and "already shown" in done.json()["problems"][0]["message"]


def test_the_solution_is_a_diff_in_words_against_my_latest_design(as_alice: Client) -> None:
    before = as_alice.get(f"{STEP}/solution").json()
    assert before["against"] == "the start design"
    assert before["words"] == ["Change 'api': instances from 1 to 3."]
    assert before["reference"]["nodes"][1]["params"]["instances"] == 3
    graded(as_alice, design(2))
    after = as_alice.get(f"{STEP}/solution").json()
    assert after["against"] == "your latest design" and after["words"] == ["Change 'api': instances from 2 to 3."]
    assert after["diff"]["nodes"]["changed"] == [{"id": "api", "fields": ["params.instances"]}]
    assert LessonProgress.objects.get().solutions_shown == ["add-instances"]


def test_progress_resumes_with_my_design_attempts_and_best_result(as_alice: Client, alice: User) -> None:
    graded(as_alice, design(2, workers=2))
    later = signed_in(alice)  # another session, another day
    step = later.get(LESSON).json()["steps"][0]
    assert step["topology"]["nodes"][1]["params"]["workers_per_instance"] == 2
    assert step["attempts"] == 1 and step["best"]["passed"] is False
    index = later.get(LESSONS).json()["results"][0]
    assert index["progress"]["current_step"] == "add-instances" and index["progress"]["attempts"] == 1


def test_predictions_are_shown_beside_the_measured_value(as_alice: Client) -> None:
    attempt = graded(as_alice, design(3), predictions={"guess-p95": 60})
    (guess,) = attempt["grade"]["predictions"]
    assert guess["id"] == "guess-p95" and guess["guess"] == 60 and guess["unit"] == "ms"
    assert [m["seed"] for m in guess["measured"]] == [1, 2] and all(m["value"] > 0 for m in guess["measured"])
    wrong = submit(as_alice, design(3), predictions={"guess-p99": 1})
    assert wrong.status_code == 400 and wrong.json()["problems"][0]["path"] == "$.predictions.guess-p99"


def test_another_user_cannot_see_my_attempt(as_alice: Client, as_bob: Client) -> None:
    url = submit(as_alice, design(3)).json()["url"]
    assert as_bob.get(url).status_code == 404
    assert Client().get(url).status_code == 404
    assert as_alice.get(url).status_code == 200


def test_a_visitor_reads_lessons_without_progress(client: Client) -> None:
    # Taking a lesson as a visitor: tests/lessons/test_lesson_visitors.py.
    assert client.get(LESSONS).json()["results"][0]["progress"] is None
    assert client.get(LESSON).json()["progress"] is None


def test_the_run_quota_still_applies_to_graded_attempts(as_alice: Client, settings: Any) -> None:
    settings.ARCHLAB_USER_RUNNING, settings.ARCHLAB_USER_QUEUED = 1, 0  # one run at a time; the step has two seeds
    response = submit(as_alice, design(3))
    assert response.status_code == 429 and response.has_header("Retry-After")
    assert not Attempt.objects.exists() and not Run.objects.exists()


def test_a_broken_lesson_is_hidden_from_learners_and_shown_to_staff_with_its_problems(
        as_alice: Client, lessons_dir: Path) -> None:
    write_lesson(lessons_dir, {"designs/reference.json": None}, name="broken-one")
    assert [item["id"] for item in as_alice.get(LESSONS).json()["results"]] == [LESSON_ID]
    assert as_alice.get(f"{LESSONS}/broken-one").status_code == 404
    staff = signed_in(make_user("teacher", is_staff=True))
    items = {item["id"]: item for item in staff.get(LESSONS).json()["results"]}
    assert items["broken-one"]["broken"] is True and items[LESSON_ID]["broken"] is False
    assert any("designs/reference.json" in p["message"] for p in items["broken-one"]["problems"])


def test_an_unknown_lesson_or_step_is_a_404(as_alice: Client) -> None:
    assert as_alice.get(f"{LESSONS}/no-such-lesson").status_code == 404
    assert submit(as_alice, design(3)).status_code == 202
    assert call(as_alice, "post", f"{LESSON}/steps/no-such-step/attempts", {"topology": design(3)}).status_code == 404
    assert as_alice.get(f"{LESSON}/steps/no-such-step/solution").status_code == 404
