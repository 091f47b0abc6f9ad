"""The server side of lessons without HTTP: a graded attempt is ordinary runs graded once on read,
reproducible from what it records; relative goals run the start design on the same seeds; a run
that does not complete never passes a step; the index is read once per process."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User

from lab.lessons import selectors, services
from lab.lessons.grading import grade_step
from lab.lessons.models import Attempt, AttemptRun, LessonProgress
from lab.runs import host
from lab.runs import services as runs
from lab.runs.models import Run

from .fixtures import LESSON_ID, LESSON_TOML, design, replaced, write_lesson

pytestmark = pytest.mark.django_db

STEP = "add-instances"
# The p95 goal made relative: at least 30% lower than the start design's p95 on the same seeds.
RELATIVE = replaced('compare = "<="\nvalue = 100\nunit = "ms"',
                    'relative = { to = "start", change_pct = -30 }\nunit = "ms"')


@pytest.fixture(autouse=True)
def lessons_dir(tmp_path: Path, settings: Any) -> Path:
    settings.ARCHLAB_EMBEDDED_WORKERS = 0
    settings.ARCHLAB_LESSONS_DIR = tmp_path / "lessons"
    write_lesson(tmp_path / "lessons")
    write_lesson(tmp_path / "lessons", toml=RELATIVE.replace(f'id = "{LESSON_ID}"', 'id = "relative"'), name="relative")
    return tmp_path / "lessons"


@pytest.fixture
def alice() -> User:
    return User.objects.create_user("alice")


def work() -> None:
    while (run := runs.run_claim_next(worker="w")) is not None:
        host.execute(run)


def submit(user: User, topology: dict[str, Any], lesson_id: str = LESSON_ID, **kw: Any) -> Attempt:
    lesson = selectors.lesson_get(lesson_id=lesson_id)
    return services.attempt_create(user=user, lesson=lesson, step_id=STEP, topology=topology,
                                   owner_key=f"user:{user.pk}", requester=None, **kw)


def test_an_attempt_is_graded_once_on_the_first_read_after_its_runs_are_over(alice: User) -> None:
    attempt = submit(alice, design(3))
    assert services.attempt_refresh(attempt=attempt).status == "queued"
    work()
    first = services.attempt_refresh(attempt=attempt)
    assert first.status == "graded" and first.passed is True and first.graded is not None
    again = services.attempt_refresh(attempt=Attempt.objects.get(id=attempt.id))
    assert again.graded == first.graded and again.grade == first.grade
    progress = LessonProgress.objects.get(user=alice)
    assert progress.passed_steps == [STEP] and progress.attempts == 1
    assert progress.best[STEP]["attempt"] == str(attempt.id) and progress.best[STEP]["goals_passed"] == 2


def test_the_server_grade_is_the_grade_of_the_framework_free_grader_on_what_the_attempt_recorded(alice: User) -> None:
    attempt = submit(alice, design(2, workers=2))
    work()
    stored = services.attempt_refresh(attempt=attempt).grade
    step = selectors.lesson_get(lesson_id=LESSON_ID).step(STEP)
    assert attempt.seeds == [1, 2] and attempt.scenario["duration_s"] == 30
    assert attempt.engine == services.engine_version()
    replay = grade_step(step, attempt.topology)
    assert stored["passed"] == replay.passed
    for mine, theirs in zip(stored["goals"], replay.goals):
        assert [m["value"] for m in mine["measured"]] == [r.measured for r in theirs.results]
        assert mine["sentence"] == theirs.sentence


def test_a_relative_goal_runs_the_start_design_on_the_same_seeds_and_reuses_those_runs(alice: User) -> None:
    first = submit(alice, design(3), lesson_id="relative")
    roles = sorted(AttemptRun.objects.filter(attempt=first).values_list("role", "seed"))
    assert roles == [("design", 1), ("design", 2), ("start", 1), ("start", 2)]
    assert first.start_topology["nodes"][1]["params"]["instances"] == 1
    work()
    graded = services.attempt_refresh(attempt=first)
    p95 = next(g for g in graded.grade["goals"] if g["goal"] == "p95")
    assert p95["passed"] and all(m["baseline"] > m["value"] / 0.7 for m in p95["measured"])
    second = submit(alice, design(2, workers=8), lesson_id="relative")
    starts = AttemptRun.objects.filter(role="start")
    assert {link.run_id for link in starts.filter(attempt=second)} == {link.run_id for link in starts.filter(attempt=first)}
    assert Run.objects.count() == 6


def test_a_run_that_does_not_complete_never_passes_the_step(alice: User) -> None:
    attempt = submit(alice, design(3))
    run = runs.run_claim_next(worker="w")
    runs.run_fail(run=run, error="Traceback ...\nMemoryError: out of memory")
    work()
    graded = services.attempt_refresh(attempt=attempt)
    assert graded.status == "graded" and graded.passed is False and graded.grade["goals"] == []
    (problem,) = graded.grade["problems"]
    assert f"on seed {run.seed} failed (MemoryError: out of memory)" in problem["message"]
    assert "submit again" in problem["message"]
    assert LessonProgress.objects.get(user=alice).passed_steps == []


def test_an_attempt_records_the_design_as_submitted_and_the_progress_keeps_it(alice: User) -> None:
    doc = design(2)
    doc["nodes"][0]["params"]["rate_per_s"] = 1
    attempt = submit(alice, doc, predictions={"guess-p95": 40})
    assert attempt.topology == doc and attempt.predictions[0]["guess"] == 40
    assert LessonProgress.objects.get(user=alice).topologies[STEP] == doc
    frozen = Run.objects.filter(lesson_attempt_runs__attempt=attempt).values_list("topology", flat=True)
    assert {t["nodes"][0]["params"]["rate_per_s"] for t in frozen} == {150}


def test_the_lesson_index_is_read_once_per_process(lessons_dir: Path) -> None:
    assert [lesson.id for lesson in selectors.lesson_index().lessons] == [LESSON_ID, "relative"]
    write_lesson(lessons_dir, toml=LESSON_TOML.replace(f'id = "{LESSON_ID}"', 'id = "later"'), name="later")
    assert selectors.lesson_get(lesson_id="later") is None
    selectors.lesson_index_reload()
    assert selectors.lesson_get(lesson_id="later") is not None


def test_a_lesson_folder_that_breaks_stays_out_of_the_learners_index(alice: User, lessons_dir: Path) -> None:
    write_lesson(lessons_dir, {"steps/add-instances.md": None}, name="broken")
    items = selectors.lesson_list(user=alice)
    assert "broken" not in [item["id"] for item in items]
    alice.is_staff = True
    broken = next(item for item in selectors.lesson_list(user=alice) if item["id"] == "broken")
    assert broken["broken"] and broken["problems"]


def test_the_diff_in_words_names_added_removed_and_changed_parts() -> None:
    old = design(1)
    new = design(3)
    new["nodes"].append({"id": "cache", "kind": "cache"})
    new["edges"] = [{"from": "users", "to": "api"}, {"from": "api", "to": "cache"}]
    assert selectors.diff_words(old, new) == [
        "Add cache 'cache'.", "Change 'api': instances from 1 to 3.", "Connect api to cache.",
        "Disconnect api from db."]
    assert selectors.diff_words(old, old) == ["Your design already matches the reference."]
