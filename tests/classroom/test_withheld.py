"""An assignment that turns a step's hints or reference off holds in the lessons API too: its
students get 403 with a sentence for the step's hints and solution while the assignment is open
and not yet due, and the lesson's detail shows them no unlocked hint; others are not affected."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from lab.classroom import services
from lab.classroom.models import Assignment

from .helpers import LESSON_ID, call, make_user, signed_in

pytestmark = pytest.mark.django_db
STEP = f"/api/v1/lessons/{LESSON_ID}/steps/add-instances"


def test_a_student_of_an_assignment_without_hints_or_reference_gets_neither(assignment: Assignment, sam: User) -> None:
    services.assignment_update(assignment=assignment, by=assignment.classroom.teacher, show_hints=False,
                               show_reference=False)
    client = signed_in(sam)
    hint = call(client, "post", f"{STEP}/hints")
    assert hint.status_code == 403 and "does not show its hints" in hint.json()["problems"][0]["message"]
    solution = client.get(f"{STEP}/solution")
    assert solution.status_code == 403 and "does not show its reference solution" in solution.json()["problems"][0]["message"]
    steps = client.get(f"/api/v1/lessons/{LESSON_ID}").json()["steps"]
    assert steps[0]["hints"]["unlocked"] == [] and steps[0]["hints"]["total"] == 2


def test_the_default_shows_hints_and_not_the_reference_and_other_learners_are_not_affected(
        assignment: Assignment, sam: User) -> None:
    client = signed_in(sam)
    assert call(client, "post", f"{STEP}/hints").status_code == 200  # show_hints is on by default
    assert client.get(f"{STEP}/solution").status_code == 403  # show_reference is off by default
    outsider = signed_in(make_user("outsider"))
    assert outsider.get(f"{STEP}/solution").status_code == 200
    assert call(outsider, "post", f"{STEP}/hints").status_code == 200


def test_once_the_assignment_is_due_the_step_is_a_lesson_like_any_other(assignment: Assignment, sam: User) -> None:
    Assignment.objects.filter(pk=assignment.pk).update(due=timezone.now() - timedelta(minutes=1), show_hints=False)
    client = signed_in(sam)
    assert client.get(f"{STEP}/solution").status_code == 200
    assert call(client, "post", f"{STEP}/hints").status_code == 200
