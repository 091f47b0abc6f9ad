"""Classes, join codes and assignments through the services: who may make them, what is
checked, and a submission graded end to end with its runs executed here."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.utils import timezone

from lab.classroom import selectors, services
from lab.classroom.models import JOIN_ALPHABET, Assignment, Classroom, GradeRecord, Membership
from lab.classroom.services import ClassroomRefused
from lab.runs.models import Run

from .helpers import LESSON_ID, design, make_user, work

pytestmark = pytest.mark.django_db


def refused(status: int, call, *args, **kwargs) -> list[dict[str, str]]:
    with pytest.raises(ClassroomRefused) as info:
        call(*args, **kwargs)
    assert info.value.status == status, info.value.problems
    return info.value.problems


def test_only_a_teacher_creates_a_class(sam: User) -> None:
    refused(403, services.classroom_create, teacher=sam, name="Mine")


def test_a_class_gets_an_unambiguous_eight_character_join_code(classroom: Classroom) -> None:
    assert len(classroom.join_code) == 8 and set(classroom.join_code) <= set(JOIN_ALPHABET)


def test_the_grant_teacher_command_grants_and_revokes(uma: User) -> None:
    call_command("grant_teacher", "uma")
    assert selectors.is_teacher(User.objects.get(pk=uma.pk))
    call_command("grant_teacher", "uma", "--revoke")
    assert not selectors.is_teacher(User.objects.get(pk=uma.pk))


@pytest.mark.parametrize("name", ["", "   ", "x" * 10_000, "a\x00b", "evil\u202egpj.exe", 42, None, ["a"]])
def test_a_hostile_class_name_is_refused_with_a_sentence(tess: User, name: object) -> None:
    problems = refused(400, services.classroom_create, teacher=tess, name=name)
    assert problems[0]["path"] == "$.name" and problems[0]["message"]


def test_html_in_a_class_name_is_kept_as_text(tess: User) -> None:
    room = services.classroom_create(teacher=tess, name="<script>alert(1)</script>")
    assert room.name == "<script>alert(1)</script>"


def test_joining_is_case_insensitive_and_idempotent(classroom: Classroom, uma: User) -> None:
    first = services.classroom_join(user=uma, code=classroom.join_code.lower())
    again = services.classroom_join(user=uma, code=classroom.join_code)
    assert first.pk == again.pk and Membership.objects.filter(student=uma).count() == 1


def test_the_teacher_cannot_join_their_own_class(classroom: Classroom, tess: User) -> None:
    refused(409, services.classroom_join, user=tess, code=classroom.join_code)


def test_a_closed_or_archived_class_refuses_joins_with_a_sentence(classroom: Classroom, tess: User, uma: User) -> None:
    services.classroom_update(classroom=classroom, by=tess, joining_open=False)
    assert "closed" in refused(409, services.classroom_join, user=uma, code=classroom.join_code)[0]["message"]
    services.classroom_update(classroom=classroom, by=tess, joining_open=True, archived=True)
    assert "archived" in refused(409, services.classroom_join, user=uma, code=classroom.join_code)[0]["message"]


def test_guessing_join_codes_is_refused_after_twenty_wrong_ones(classroom: Classroom, uma: User) -> None:
    for _ in range(20):
        refused(404, services.classroom_join, user=uma, code="ZZZZZZZZ")
    # Even the right code: the counter is per user, so guessing cannot go on.
    refused(429, services.classroom_join, user=uma, code=classroom.join_code)


def test_a_student_leaves_and_the_teacher_removes(classroom: Classroom, tess: User, sam: User, uma: User) -> None:
    services.classroom_join(user=uma, code=classroom.join_code)
    services.classroom_leave(user=uma, classroom=classroom)
    services.student_remove(classroom=classroom, by=tess, student=sam)
    assert selectors.members(classroom=classroom) == []
    refused(403, services.student_remove, classroom=classroom, by=sam, student=sam)


def test_an_assignment_is_checked_whole_with_every_problem(classroom: Classroom, tess: User) -> None:
    problems = refused(400, services.assignment_create, classroom=classroom, by=tess, title="", lesson=LESSON_ID,
                       step="add-instances", hidden_seeds=[1, -2, "3"], late_penalty_pct=120,
                       points={"p95": 5000, "nope": 1}, opens="2025-03-02T00:00:00Z", due="2025-03-01T00:00:00Z",
                       hidden_faults=[{"id": "x", "kind": "crash", "node": "ghost"}])
    paths = {p["path"] for p in problems}
    assert {"$.title", "$.hidden_seeds[1]", "$.hidden_seeds[2]", "$.late_penalty_pct", "$.points.p95",
            "$.points.nope", "$.due", "$.hidden_faults[0].node"} <= paths


def test_an_unknown_lesson_or_step_is_named(classroom: Classroom, tess: User) -> None:
    assert refused(400, services.assignment_create, classroom=classroom, by=tess, title="t", lesson="nope",
                   step="s")[0]["path"] == "$.lesson"
    assert refused(400, services.assignment_create, classroom=classroom, by=tess, title="t", lesson=LESSON_ID,
                   step="nope")[0]["path"] == "$.step"


def test_a_hidden_fault_with_the_id_of_a_step_fault_is_refused(classroom: Classroom, tess: User) -> None:
    problems = refused(400, services.assignment_create, classroom=classroom, by=tess, title="t", lesson=LESSON_ID,
                       step="add-instances", hidden_faults=[{"id": "one-instance-down", "kind": "crash", "node": "db"}])
    assert problems[0]["path"] == "$.hidden_faults[0].id"


def test_the_student_view_of_an_assignment_has_no_hidden_parts(assignment: Assignment) -> None:
    view = selectors.assignment_for_student(assignment=assignment)
    assert "hidden_seeds" not in view and "hidden_faults" not in view
    assert view["points"] == {"p95": 3.0, "errors-while-down": 2.0}


def test_an_assignment_not_open_yet_is_invisible_to_students(classroom: Classroom, tess: User, sam: User) -> None:
    later = services.assignment_create(classroom=classroom, by=tess, title="Later", lesson=LESSON_ID,
                                       step="add-instances", opens=timezone.now() + timedelta(days=1))
    assert selectors.assignment_get(user=sam, assignment_id=later.id) is None
    assert selectors.assignments_of(classroom=classroom, user=sam) == []
    assert selectors.assignment_get(user=classroom.teacher, assignment_id=later.id) == later


def test_a_passing_design_scores_every_point_with_the_hidden_seed_and_fault(assignment: Assignment, sam: User) -> None:
    sub = services.submission_create(assignment=assignment, student=sam, topology=design(3), owner_key="k",
                                     requester=None)
    assert sub.number == 1 and sub.score is None and sub.max_score == 5
    assert sub.attempt.seeds == [7] and [f["id"] for f in sub.attempt.scenario["faults"]] == ["one-instance-down",
                                                                                              "slow-db"]
    work()
    sub = services.submission_refresh(submission=sub)
    assert sub.score == 5 and sub.graded is not None
    assert [(g.score, g.reason) for g in sub.grades.all()] == [(5.0, "graded")]
    assert set(Run.objects.filter(lesson_attempt_runs__attempt=sub.attempt).values_list("seed", flat=True)) == {7}


def test_a_failing_design_scores_the_points_of_the_goals_it_passed(assignment: Assignment, sam: User) -> None:
    sub = services.submission_create(assignment=assignment, student=sam, topology=design(1), owner_key="k",
                                     requester=None)
    work()
    sub = services.submission_refresh(submission=sub)
    assert sub.score == 0 and sub.max_score == 5


def test_a_late_submission_loses_the_penalty(assignment: Assignment, tess: User, sam: User) -> None:
    services.assignment_update(assignment=assignment, by=tess, opens=timezone.now() - timedelta(days=2),
                               due=timezone.now() - timedelta(days=1), late_policy="penalty", late_penalty_pct=40)
    sub = services.submission_create(assignment=assignment, student=sam, topology=design(3), owner_key="k",
                                     requester=None)
    work()
    sub = services.submission_refresh(submission=sub)
    assert sub.late and sub.score == pytest.approx(3.0)
    assert sub.grades.get().reason == "graded, late: 40% off"


def test_late_work_is_refused_when_the_policy_says_so(assignment: Assignment, tess: User, sam: User) -> None:
    services.assignment_update(assignment=assignment, by=tess, due=timezone.now() - timedelta(hours=1),
                               late_policy="refuse")
    assert "late" in refused(409, services.submission_create, assignment=assignment, student=sam,
                             topology=design(3), owner_key="k", requester=None)[0]["message"]


def test_no_submission_past_the_maximum_attempts(assignment: Assignment, tess: User, sam: User) -> None:
    services.assignment_update(assignment=assignment, by=tess, max_attempts=1)
    services.submission_create(assignment=assignment, student=sam, topology=design(1), owner_key="k", requester=None)
    refused(409, services.submission_create, assignment=assignment, student=sam, topology=design(3), owner_key="k",
            requester=None)


def test_an_archived_class_refuses_submissions(assignment: Assignment, tess: User, sam: User) -> None:
    services.classroom_update(classroom=assignment.classroom, by=tess, archived=True)
    assignment.refresh_from_db()
    refused(409, services.submission_create, assignment=assignment, student=sam, topology=design(3), owner_key="k",
            requester=None)


def test_only_a_student_of_the_class_submits(assignment: Assignment, tess: User, olga: User) -> None:
    for who in (tess, olga):
        refused(403, services.submission_create, assignment=assignment, student=who, topology=design(3),
                owner_key="k", requester=None)


def test_a_regrade_replaces_the_score_and_keeps_the_old_one(assignment: Assignment, tess: User, sam: User) -> None:
    sub = services.submission_create(assignment=assignment, student=sam, topology=design(3), owner_key="k",
                                     requester=None)
    work()
    services.submission_refresh(submission=sub)
    services.assignment_update(assignment=assignment, by=tess, points={"p95": 10, "errors-while-down": 0})
    assert services.assignment_regrade(assignment=assignment, by=tess) == 1
    refused(409, services.assignment_regrade, assignment=assignment, by=tess)  # still running
    sub.refresh_from_db()
    assert sub.score == 5 and sub.pending_attempt is not None
    assert Run.objects.filter(owner_key=f"user:{tess.pk}").exists()
    work()
    sub = services.submission_refresh(submission=sub)
    assert sub.score == 10 and sub.max_score == 10 and sub.pending_attempt is None
    assert [(g.score, g.reason) for g in GradeRecord.objects.filter(submission=sub)] == [
        (5.0, "graded"), (10.0, "re-graded (graded)")]
    assert sam.lesson_progress.get(lesson=LESSON_ID).attempts == 1  # the re-grade is not the student's attempt


def test_only_the_teacher_regrades(assignment: Assignment, sam: User) -> None:
    refused(403, services.assignment_regrade, assignment=assignment, by=sam)


def test_results_show_best_and_last_per_student_and_anonymise(assignment: Assignment, sam: User) -> None:
    for doc in (design(1), design(3)):
        services.submission_create(assignment=assignment, student=sam, topology=doc, owner_key="k", requester=None)
    work()
    for sub in selectors.submissions_of(assignment=assignment):
        services.submission_refresh(submission=sub)
    table = selectors.results(assignment=assignment)
    assert [g["id"] for g in table["goals"]] == ["p95", "errors-while-down"]
    row = table["rows"][0]
    assert row["student"]["name"] == "Sam Student" and row["attempts"] == 2 and row["total"] == 5
    assert row["best"]["number"] == 2 and row["last"]["number"] == 2 and row["best"]["goals"]["p95"]["passed"]
    assert table["distribution"]["p95"]["passed"] == 1
    hidden = selectors.results(assignment=assignment, anonymise=True)["rows"][0]["student"]
    assert hidden == {"id": None, "name": "Student 1", "username": None}
