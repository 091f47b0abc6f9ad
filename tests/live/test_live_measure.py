"""A live question the lab measures itself: the teacher names a measure from the goal vocabulary
(a metric and where), and at the reveal the lab measures it on the class's run, over its last 10
simulated seconds since the question was asked, beside the class's answers; a measure the design
cannot have is refused with its path, and the teacher's own number still wins."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User

from lab.classroom.errors import ClassroomRefused
from lab.classroom.models import Classroom, Membership
from lab.classroom.services import grant_teacher
from lab.live import selectors, services
from lab.runs import services as runs
from lab.runs.host import execute
from lab.runs.models import RunWindow

pytestmark = pytest.mark.django_db
EXAMPLE = json.loads((Path(__file__).resolve().parents[2] / "lab" / "sim" / "examples" / "cached_api.json").read_text())
P99 = {"metric": "latency_p99_ms", "scope": {"overall": True}}


@pytest.fixture
def world() -> dict[str, Any]:
    teacher = User.objects.create_user("teacher")
    grant_teacher(user=teacher)
    ann = User.objects.create_user("ann")
    classroom = Classroom.objects.create(name="Systems 101", teacher=teacher, join_code="MEAS2345")
    Membership.objects.create(classroom=classroom, student=ann)
    session = services.session_start(classroom=classroom, by=teacher, title="Caches", topology=EXAMPLE)
    return {"teacher": teacher, "ann": ann, "session": session}


def run_to_the_end(world: dict[str, Any], seconds: float = 30) -> Any:
    run = services.session_run(session=world["session"], by=world["teacher"], owner_key="k", duration_s=seconds, speed=0)
    execute(runs.run_claim_next(worker="w"))
    run.refresh_from_db()
    assert run.status == "done"
    return run


def test_the_lab_measures_the_p99_on_the_runs_last_ten_seconds_at_the_reveal(world: dict[str, Any]) -> None:
    question = services.question_add(session=world["session"], by=world["teacher"], text="p99 now?", measure=P99)
    assert question.unit == "ms"  # the measure's unit, when the teacher gives none
    services.question_open(question=question, by=world["teacher"])
    services.answer_submit(question=question, student=world["ann"], value=40)
    run = run_to_the_end(world)
    revealed = services.question_reveal(question=question, by=world["teacher"])
    last = [w for w in RunWindow.objects.filter(run=run).values_list("data", flat=True) if w["t_start"] >= 20 - 1e-9]
    p99s = [w["overall"]["latency_ms"]["p99"] for w in last if w["overall"].get("latency_ms")]
    assert revealed.measured is not None and min(p99s) <= revealed.measured <= max(p99s)
    assert revealed.measured_note == "p99 latency, measured by the lab over t = 20-30 s of the run"
    view = selectors.question_view(revealed, role="student", user=world["ann"])
    assert view["measured"] == revealed.measured and "measured by the lab" in view["measured_note"]


def test_the_teachers_own_number_wins_and_a_question_asked_after_the_run_has_nothing_to_measure(
        world: dict[str, Any]) -> None:
    run_to_the_end(world, seconds=25)
    late = services.question_add(session=world["session"], by=world["teacher"], text="p99?", measure=P99)
    services.question_open(question=late, by=world["teacher"])
    nothing = services.question_reveal(question=late, by=world["teacher"])
    assert nothing.measured is None
    assert nothing.measured_note == "no window of the run has closed since the question was asked"
    typed = services.question_reveal(question=late, by=world["teacher"], measured=123)
    assert typed.measured == 123 and typed.measured_note == ""


@pytest.mark.parametrize("measure, path", [
    ({"metric": "latency_p99_ms", "scope": {"node": "nowhere"}}, "$.measure.scope.node"),
    ({"metric": "p99"}, "$.measure.metric"),
    ({"metric": "latency_p99_ms", "span": "worst_window"}, "$.measure"),
    ("p99", "$.measure"),
    ([P99], "$.measure"),
])
def test_a_measure_the_design_cannot_have_is_refused_with_its_path(world: dict[str, Any], measure: Any, path: str) -> None:
    with pytest.raises(ClassroomRefused) as refused:
        services.question_add(session=world["session"], by=world["teacher"], text="p99?", measure=measure)
    assert path in [p["path"] for p in refused.value.problems], refused.value.problems


def test_a_choice_question_has_no_measure(world: dict[str, Any]) -> None:
    with pytest.raises(ClassroomRefused) as refused:
        services.question_add(session=world["session"], by=world["teacher"], text="Which?", kind="choice",
                              choices=["a", "b"], measure=P99)
    assert refused.value.problems[0]["path"] == "$.measure"
