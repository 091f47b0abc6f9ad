"""The assignment edit page: prefilled, saved, its problems beside their fields, the re-grade
offered after a change of what grades; the teacher's own lessons in the form, and a step chosen
by the challenge builder's link. Personas as in test_pages.py; the class's other changing pages
(renaming, confirmations) are in test_pages_class_changes.py."""
from __future__ import annotations

import re
from datetime import datetime, timezone as tz
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from lab.classroom import services
from lab.classroom.models import Assignment, Classroom
from lab.lessons import selectors as lessons

from .helpers import LESSON_ID, signed_in
from .page_helpers import SCRIPT, STEP, body, field_problems, inline_scripts, submitted, the_form

pytestmark = pytest.mark.django_db


# ---- the assignment edit page ------------------------------------------------------------------

def test_the_edit_page_shows_every_field_filled_with_the_assignment(assignment: Assignment, tess: User) -> None:
    page = body(signed_in(tess).get(f"/assignments/{assignment.pk}/edit"))
    assert 'id="a-title"' in page and 'value="Lunchtime"' in page
    assert f'<option value="{STEP}" selected>' in page
    assert 'name="hidden_seeds" value="7"' in page and "&quot;slow-db&quot;" in page
    assert 'name="points.p95" size="5" value="3"' in page and 'name="points.errors-while-down" size="5" value="2"' in page
    assert 'id="a-hints" checked' in page and 'id="a-reference" checked' not in page
    assert 'id="a-save"' in page and inline_scripts(page) == []


def test_the_results_page_and_the_class_page_link_to_the_edit_page(assignment: Assignment, tess: User) -> None:
    url = f"/assignments/{assignment.pk}/edit"
    assert url in body(signed_in(tess).get(f"/assignments/{assignment.pk}/results"))
    assert url in body(signed_in(tess).get(f"/classes/{assignment.classroom.pk}/"))


@pytest.mark.parametrize("who", ["sam", "olga", "uma"])
def test_nobody_but_the_teacher_finds_the_edit_page(request: pytest.FixtureRequest, assignment: Assignment,
                                                   who: str) -> None:
    client = signed_in(request.getfixturevalue(who))
    assert client.get(f"/assignments/{assignment.pk}/edit").status_code == 404
    assert client.post(f"/assignments/{assignment.pk}/edit", the_form(title="Mine")).status_code == 404
    assignment.refresh_from_db()
    assert assignment.title == "Lunchtime"


def test_a_visitor_is_sent_to_log_in_from_the_edit_page(assignment: Assignment) -> None:
    response = Client().get(f"/assignments/{assignment.pk}/edit")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_a_teacher_changes_every_field(assignment: Assignment, tess: User) -> None:
    response = signed_in(tess).post(f"/assignments/{assignment.pk}/edit", the_form(
        title="Lunch rush", opens="2099-01-01T08:00", due="2099-01-02T09:30", max_attempts="4",
        late_policy="penalty", late_penalty_pct="25", show_hints=None, show_reference="on", hidden_seeds="11, 12",
        hidden_faults="", **{"points.p95": "5", "points.errors-while-down": ""}))
    assert response.status_code == 302, body(response)
    assignment.refresh_from_db()
    assert assignment.title == "Lunch rush" and assignment.max_attempts == 4
    assert assignment.opens == datetime(2099, 1, 1, 8, 0, tzinfo=tz.utc)
    assert assignment.due == datetime(2099, 1, 2, 9, 30, tzinfo=tz.utc)
    assert assignment.late_policy == "penalty" and assignment.late_penalty_pct == 25
    assert not assignment.show_hints and assignment.show_reference
    assert assignment.hidden_seeds == [11, 12] and assignment.hidden_faults == [] and assignment.points == {"p95": 5}


def test_a_date_left_as_shown_keeps_its_seconds(assignment: Assignment, tess: User) -> None:
    due = datetime(2099, 3, 1, 9, 0, 30, tzinfo=tz.utc)
    services.assignment_update(assignment=assignment, by=tess, due=due)
    page = body(signed_in(tess).get(f"/assignments/{assignment.pk}/edit"))
    assert 'value="2099-03-01T09:00:30"' in page
    signed_in(tess).post(f"/assignments/{assignment.pk}/edit", the_form(title="Renamed", due="2099-03-01T09:00:30"))
    assignment.refresh_from_db()
    assert assignment.title == "Renamed" and assignment.due == due


def test_every_problem_of_the_edit_is_shown_beside_its_field_with_what_was_typed(
        assignment: Assignment, tess: User) -> None:
    response = signed_in(tess).post(f"/assignments/{assignment.pk}/edit", the_form(
        title="", opens="2099-02-01T09:00", due="2099-01-01T09:00", max_attempts="0", late_penalty_pct="101",
        hidden_seeds="x, 3", hidden_faults='[{"id": "gone", "kind": "latency", "node": "nope", "added_ms": 2, '
                                           '"start_s": 1, "duration_s": 1}]', **{"points.p95": "-1"}))
    page = body(response)
    assert response.status_code == 400
    assert "cannot be empty" in field_problems(page, "a-title")
    assert "after the assignment opens" in field_problems(page, "a-due")
    assert "1 to 1,000" in field_problems(page, "a-max")
    assert "0 to 100" in field_problems(page, "a-penalty")
    assert "whole number" in field_problems(page, "a-seeds")
    assert "nope" in field_problems(page, "a-faults")
    assert "0 to 1000" in field_problems(page, "a-points-1-1")
    assert 'value="2099-02-01T09:00"' in page and 'value="x, 3"' in page and 'value="101"' in page
    assert 'value="-1"' in page and "&quot;gone&quot;" in page
    assert '<h1 id="assignment-title">Change Lunchtime</h1>' in page
    assignment.refresh_from_db()
    assert assignment.title == "Lunchtime" and assignment.hidden_seeds == [7]


def test_faults_that_are_not_json_are_a_problem_of_their_field(assignment: Assignment, tess: User) -> None:
    response = signed_in(tess).post(f"/assignments/{assignment.pk}/edit", the_form(hidden_faults="[oops"))
    assert response.status_code == 400
    assert "JSON list of faults" in field_problems(body(response), "a-faults") and "[oops" in body(response)


def test_a_change_of_what_grades_with_submissions_offers_the_regrade(
        assignment: Assignment, tess: User, sam: User) -> None:
    submitted(assignment, sam)
    response = signed_in(tess).post(f"/assignments/{assignment.pk}/edit", the_form(**{"points.p95": "10"}),
                                    follow=True)
    page = body(response)
    assert response.redirect_chain[-1][0] == f"/assignments/{assignment.pk}/regrade"
    assert "re-grade to apply it" in page and "points" in page
    assert 'id="confirm-button"' in page and "Re-grade every submission" in page


def test_a_change_of_the_title_alone_or_without_submissions_goes_back_to_the_results(
        assignment: Assignment, tess: User, sam: User) -> None:
    client = signed_in(tess)
    response = client.post(f"/assignments/{assignment.pk}/edit", the_form(hidden_seeds="8"))
    assert response["Location"] == f"/assignments/{assignment.pk}/results"  # nobody submitted yet
    submitted(assignment, sam)
    response = client.post(f"/assignments/{assignment.pk}/edit", the_form(title="Lunch", hidden_seeds="8"))
    assert response["Location"] == f"/assignments/{assignment.pk}/results"


def test_a_hostile_title_is_text_on_the_edit_page(assignment: Assignment, tess: User) -> None:
    services.assignment_update(assignment=assignment, by=tess, title=SCRIPT)
    page = body(signed_in(tess).get(f"/assignments/{assignment.pk}/edit"))
    assert SCRIPT not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    response = signed_in(tess).post(f"/assignments/{assignment.pk}/edit", the_form(title=SCRIPT, max_attempts="0"))
    assert response.status_code == 400 and SCRIPT not in body(response)


# ---- the teacher's lessons in the form, and a step chosen by the link ---------------------------

@pytest.fixture
def own_lesson(monkeypatch: pytest.MonkeyPatch, tess: User) -> Any:
    """tess has written a challenge (the built-in lesson under another id and title)."""
    import dataclasses

    mine = dataclasses.replace(lessons.lesson_get(lesson_id=LESSON_ID), id="my-challenge", title="Tess's challenge")
    monkeypatch.setattr(lessons, "authored_list", lambda *, owner: [mine] if owner == tess else [])
    return mine


def test_the_form_lists_the_teachers_own_lessons_in_a_group_of_their_own(
        classroom: Classroom, tess: User, own_lesson: Any) -> None:
    page = body(signed_in(tess).get(f"/classes/{classroom.pk}/"))
    group = page.split('<optgroup label="Your lessons and challenges" data-own="1">')[1].split("</optgroup>")[0]
    assert '<option value="my-challenge/add-instances">Tess&#x27;s challenge › 1. The API is slow' in group
    assert f'value="{STEP}"' not in group


def test_the_link_of_the_challenge_builder_chooses_the_step(classroom: Classroom, tess: User,
                                                             own_lesson: Any) -> None:
    page = body(signed_in(tess).get(f"/classes/{classroom.pk}/?lesson=my-challenge&step=add-instances"))
    assert '<option value="my-challenge/add-instances" selected>' in page
    assert 'data-step="my-challenge/add-instances">' in page  # its points are shown, not hidden
    page = body(signed_in(tess).get(f"/classes/{classroom.pk}/?lesson={LESSON_ID}"))
    assert f'<option value="{STEP}" selected>' in page
    page = body(signed_in(tess).get(f"/classes/{classroom.pk}/?lesson=nope&step=%3Cscript%3E"))
    assert " selected>" not in page.split('id="a-step"')[1].split("</select>")[0]


def test_the_classes_page_with_a_lesson_links_each_class_to_its_form_with_it(classroom: Classroom,
                                                                            tess: User) -> None:
    page = body(signed_in(tess).get(f"/classes/?lesson={LESSON_ID}&step=add-instances"))
    assert f"/classes/{classroom.pk}/?lesson={LESSON_ID}&amp;step=add-instances#new-assignment" in page


def test_a_teacher_sets_her_uploaded_lesson_from_the_link_the_challenge_builder_sends_to(
        classroom: Classroom, tess: User, settings: Any, tmp_path: Any) -> None:
    import io
    import zipfile

    from lab.lessons import authored_services
    from lessons.fixtures import files

    settings.ARCHLAB_AUTHORED_CACHE_DIR = str(tmp_path / "authored")
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as archive:
        for name, content in files().items():
            archive.writestr(f"mine/{name}", content)
    row, _ = authored_services.authored_upload(owner=tess, data=data.getvalue())
    client = signed_in(tess)
    page = body(client.get(f"/classes/{classroom.pk}/?lesson={row.key}&step=add-instances"))
    assert f'<option value="{row.key}/add-instances" selected>' in page.split('data-own="1"')[1]
    response = client.post(f"/classes/{classroom.pk}/assignments/new", {
        "title": "My own", "step": f"{row.key}/add-instances", "late_policy": "accept", "late_penalty_pct": "0"})
    assert response.status_code == 302, body(response)
    assert Assignment.objects.get(title="My own").lesson == row.key


def test_the_hidden_faults_example_the_form_shows_is_one_the_form_takes(assignment: Assignment, tess: User) -> None:
    """A teacher copies the example: it must be in the fault format (node, not "target")."""
    import html

    page = body(signed_in(tess).get(f"/assignments/{assignment.pk}/edit"))
    example = html.unescape(re.search(r'id="a-faults-example">([^<]*)<', page).group(1))
    saved = signed_in(tess).post(f"/assignments/{assignment.pk}/edit", the_form(hidden_faults=example))
    assert saved.status_code == 302, field_problems(body(saved), "hidden_faults")
    assignment.refresh_from_db()
    assert assignment.hidden_faults[0]["node"] == "db"
