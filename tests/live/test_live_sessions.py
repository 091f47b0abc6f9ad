"""Live class sessions (lab.live): the teacher shows one run to the class and asks it to predict,
the students watch and answer. Through the services, and as an attacker: a student trying to
control or read ahead, an outsider, a flood of answers, hostile text."""
from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from lab.classroom.errors import ClassroomRefused
from lab.classroom.models import Classroom, Membership
from lab.classroom.services import grant_teacher
from lab.live import selectors, services
from lab.live.models import Question
from lab.runs import selectors as run_selectors


pytestmark = pytest.mark.django_db
EXAMPLES = Path(__file__).resolve().parents[2] / "lab" / "sim" / "examples"


def example(name: str) -> dict[str, Any]:
    return json.loads((EXAMPLES / f"{name}.json").read_text())


@pytest.fixture
def world() -> dict[str, Any]:
    teacher = User.objects.create_user("teacher")
    grant_teacher(user=teacher)
    ann, ben, eve = (User.objects.create_user(n) for n in ("ann", "ben", "eve"))
    classroom = Classroom.objects.create(name="Systems 101", teacher=teacher, join_code="ABCD2345")
    for student in (ann, ben):
        Membership.objects.create(classroom=classroom, student=student)
    session = services.session_start(classroom=classroom, by=teacher, title="Caches",
                                      topology=example("cached_api"))
    return {"teacher": teacher, "ann": ann, "ben": ben, "eve": eve, "classroom": classroom, "session": session}


def refused(status: int, call: Any, **kw: Any) -> ClassroomRefused:
    with pytest.raises(ClassroomRefused) as caught:
        call(**kw)
    assert caught.value.status == status, caught.value.problems
    return caught.value


def test_only_the_classs_teacher_starts_a_session_and_a_class_has_one_at_a_time(world: dict[str, Any]) -> None:
    refused(403, services.session_start, classroom=world["classroom"], by=world["ann"], title="Mine",
            topology=example("cached_api"))
    refused(409, services.session_start, classroom=world["classroom"], by=world["teacher"], title="Another",
            topology=example("cached_api"))
    services.session_end(session=world["session"], by=world["teacher"])
    assert services.session_start(classroom=world["classroom"], by=world["teacher"], title="Next",
                                  lesson="startup-growth", step="one-vm").topology["nodes"]


def test_a_bad_design_or_title_is_refused_with_every_problem(world: dict[str, Any]) -> None:
    services.session_end(session=world["session"], by=world["teacher"])
    problems = refused(400, services.session_start, classroom=world["classroom"], by=world["teacher"],
                       title="\u202eevil", topology={"format": "archlab.topology", "version": 1, "nodes": "x"}).problems
    paths = {p["path"] for p in problems}
    assert "$.title" in paths and any(p.startswith("$.topology") for p in paths)


def test_the_students_watch_the_teachers_run_and_only_the_teacher_controls_it(world: dict[str, Any]) -> None:
    run = services.session_run(session=world["session"], by=world["teacher"], owner_key=f"user:{world['teacher'].pk}",
                               duration_s=30, speed=1)
    for student in ("ann", "ben"):
        assert run_selectors.run_can_view(run=run, user=world[student], session_key=None)
        assert not run_selectors.run_can_control(run=run, user=world[student], session_key=None)
    assert run_selectors.run_can_control(run=run, user=world["teacher"], session_key=None)
    assert not run_selectors.run_can_view(run=run, user=world["eve"], session_key=None)
    # A student who joins the class later is let in when they open the session.
    late = User.objects.create_user("late")
    Membership.objects.create(classroom=world["classroom"], student=late)
    assert not run_selectors.run_can_view(run=run, user=late, session_key=None)
    services.session_join(session=world["session"], user=late)
    assert run_selectors.run_can_view(run=run, user=late, session_key=None)
    refused(403, services.session_join, session=world["session"], user=world["eve"])
    refused(403, services.session_run, session=world["session"], by=world["ann"], owner_key="x")


def ask(world: dict[str, Any], **kw: Any) -> Question:
    question = services.question_add(session=world["session"], by=world["teacher"],
                                     **({"text": "p99 once the cache dies (ms)?", "unit": "ms"} | kw))
    return services.question_open(question=question, by=world["teacher"])


def test_predict_then_reveal_the_teacher_sees_how_many_answered_not_what(world: dict[str, Any]) -> None:
    question = ask(world)
    services.answer_submit(question=question, student=world["ann"], value=120)
    services.answer_submit(question=question, student=world["ben"], value=300)
    services.answer_submit(question=question, student=world["ben"], value=250)  # changed before it closes
    teacher_view = selectors.question_view(question, role="teacher", user=world["teacher"])
    assert teacher_view["answered"] == 2 and "rounds" not in teacher_view
    ann_view = selectors.question_view(question, role="student", user=world["ann"])
    assert ann_view["my_answer"] == 120 and "rounds" not in ann_view
    services.question_reveal(question=question, by=world["teacher"], measured=240)
    shown = selectors.question_view(question, role="student", user=world["ann"])
    assert shown["measured"] == 240 and shown["rounds"][0]["answers"] == 2 and shown["rounds"][0]["median"] == 185
    refused(409, services.answer_submit, question=question, student=world["ann"], value=1)


def test_a_second_round_after_discussion_keeps_the_first_rounds_answers(world: dict[str, Any]) -> None:
    question = ask(world, kind="choice", choices=["it stays up", "it slows", "it fails"], text="What happens?", unit="")
    services.answer_submit(question=question, student=world["ann"], value=0)
    services.question_close(question=question, by=world["teacher"])
    services.question_open(question=question, by=world["teacher"])  # vote again
    services.answer_submit(question=question, student=world["ann"], value=2)
    services.answer_submit(question=question, student=world["ben"], value=2)
    services.question_reveal(question=question, by=world["teacher"])
    rounds = selectors.question_view(question, role="teacher", user=world["teacher"])["rounds"]
    assert [r["counts"] for r in rounds] == [[1, 0, 0], [0, 0, 2]]
    export = selectors.session_export(world["session"], anonymise=True)
    assert [(a["round"], a["student"]) for a in export["questions"][0]["answers"]] == \
        [(1, "Student 1"), (2, "Student 1"), (2, "Student 2")]


def test_students_cannot_answer_for_others_out_of_time_or_with_garbage(world: dict[str, Any]) -> None:
    question = ask(world, kind="choice", choices=["a", "b"], text="Which?", unit="")
    refused(403, services.answer_submit, question=question, student=world["eve"], value=0)
    for garbage in (5, -1, 0.5, "0", None, True, float("nan"), 1e300):
        refused(400, services.answer_submit, question=question, student=world["ann"], value=garbage)
    Question.objects.filter(pk=question.pk).update(closes_at=timezone.now() - timedelta(seconds=1))
    question.refresh_from_db()
    refused(409, services.answer_submit, question=question, student=world["ann"], value=0)
    assert selectors.question_view(question, role="student", user=world["ann"])["state"] == "closed"


def test_a_flood_of_answers_from_one_student_is_refused_and_counted_once(world: dict[str, Any]) -> None:
    question = ask(world)
    outcomes = []
    for i in range(40):
        try:
            services.answer_submit(question=question, student=world["ann"], value=i)
            outcomes.append("ok")
        except ClassroomRefused as exc:
            outcomes.append(exc.status)
    assert outcomes.count("ok") == services.ANSWERS_PER_MINUTE and outcomes.count(429) == 40 - services.ANSWERS_PER_MINUTE
    assert selectors.question_view(question, role="teacher", user=world["teacher"])["answered"] == 1


def test_questions_prepared_in_the_plan_are_not_shown_to_students_before_they_are_asked(world: dict[str, Any]) -> None:
    planned = services.question_add(session=world["session"], by=world["teacher"], text="The secret question?")
    seen = selectors.session_view(world["session"], role="student", user=world["ann"])
    assert all(q["id"] != planned.pk for q in seen["questions"])
    assert "secret" not in str(seen)
    assert selectors.session_view(world["session"], role="teacher", user=world["teacher"])["questions"][0]["text"] == \
        "The secret question?"


def test_hostile_question_text_is_refused_or_kept_as_text(world: dict[str, Any]) -> None:
    problems = refused(400, services.question_add, session=world["session"], by=world["teacher"], text="\x00\u202e",
                       kind="poll", time_limit_s=10**9).problems
    assert {p["path"] for p in problems} >= {"$.text", "$.kind", "$.time_limit_s"}
    kept = services.question_add(session=world["session"], by=world["teacher"], text="<script>alert(1)</script>?")
    assert kept.text == "<script>alert(1)</script>?"  # stored as text; pages escape it


def test_ending_a_session_stops_its_run_and_closes_its_questions(world: dict[str, Any]) -> None:
    run = services.session_run(session=world["session"], by=world["teacher"], owner_key="k", duration_s=30)
    question = ask(world)
    services.session_end(session=world["session"], by=world["teacher"])
    question.refresh_from_db()
    assert question.state == "closed" and run.commands.filter(command__op="stop").exists()
    refused(409, services.question_open, question=question, by=world["teacher"])


def test_a_new_run_for_the_class_stops_the_one_it_replaces(world: dict[str, Any]) -> None:
    first = services.session_run(session=world["session"], by=world["teacher"], owner_key="k", duration_s=30)
    second = services.session_run(session=world["session"], by=world["teacher"], owner_key="k", duration_s=30)
    assert first.commands.filter(command__op="stop").exists() and not second.commands.exists()
    assert world["session"].run == second and set(world["session"].runs.all()) == {first, second}
