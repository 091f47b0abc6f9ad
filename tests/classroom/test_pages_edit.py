"""The classroom pages that change things: the assignment edit page (prefilled, saved, its
problems beside their fields, the re-grade offered after a change of what grades), renaming a
class, and the confirmations of removing a student, leaving, archiving and re-grading (a GET
page that says what happens, and a POST button). Personas as in test_pages.py."""
from __future__ import annotations

import re
import types
from datetime import datetime, timezone as tz
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import include, path

from lab.classroom import services
from lab.classroom.models import Assignment, Classroom, Membership, Submission
from lab.lessons import selectors as lessons

from .helpers import LESSON_ID, design, signed_in, work

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"
STEP = f"{LESSON_ID}/add-instances"


def body(response: Any) -> str:
    return response.content.decode()


def submitted(assignment: Assignment, student: User) -> Submission:
    sub = services.submission_create(assignment=assignment, student=student, topology=design(3), owner_key="k",
                                     requester=None)
    work()
    return sub


def field_problems(page: str, field: str) -> str:
    """The text of the problems shown beside one field ("" if none)."""
    match = re.search(rf'<ul class="errorlist" id="{field}-problems"[^>]*>(.*?)</ul>', page, re.S)
    return re.sub(r"<[^>]+>", " ", match.group(1)) if match else ""


def the_form(**changes: str) -> dict[str, str]:
    """The edit form of the `assignment` fixture as the page fills it, with `changes`."""
    form = {"title": "Lunchtime", "step": STEP, "opens": "", "due": "", "max_attempts": "", "late_policy": "accept",
            "late_penalty_pct": "0", "show_hints": "on", "hidden_seeds": "7",
            "hidden_faults": '[{"id": "slow-db", "kind": "latency", "node": "db", "added_ms": 2, "start_s": 20, '
                             '"duration_s": 5}]',
            "points.p95": "3", "points.errors-while-down": "2"}
    form.update(changes)
    return {k: v for k, v in form.items() if v is not None}


def inline_scripts(page: str) -> list[str]:
    """Script elements with a body that is code (CSP refuses them); JSON data blocks are data."""
    return [m for m in re.findall(r"<script\b([^>]*)>", page)
            if "src=" not in m and 'type="application/json"' not in m]


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


# ---- renaming a class ----------------------------------------------------------------------------

def test_a_teacher_renames_the_class(classroom: Classroom, tess: User) -> None:
    response = signed_in(tess).post(f"/classes/{classroom.pk}/settings", {"what": "rename", "name": " Systems 201 "})
    assert response["Location"] == f"/classes/{classroom.pk}/"
    classroom.refresh_from_db()
    assert classroom.name == "Systems 201"


@pytest.mark.parametrize("name, says", [("", "cannot be empty"), ("x" * 101, "at most 100"),
                                        ("evil\u202egpj.exe", "override")])
def test_a_bad_name_is_shown_beside_the_name_field_as_typed(classroom: Classroom, tess: User, name: str,
                                                            says: str) -> None:
    response = signed_in(tess).post(f"/classes/{classroom.pk}/settings", {"what": "rename", "name": name})
    page = body(response)
    assert response.status_code == 400 and says in field_problems(page, "rename-name")
    assert f'value="{name}" id="rename-name"' in page
    assert '<h1 id="class-name">Systems 101</h1>' in page
    classroom.refresh_from_db()
    assert classroom.name == "Systems 101"


def test_a_hostile_new_name_is_text(classroom: Classroom, tess: User) -> None:
    signed_in(tess).post(f"/classes/{classroom.pk}/settings", {"what": "rename", "name": SCRIPT})
    page = body(signed_in(tess).get(f"/classes/{classroom.pk}/"))
    assert SCRIPT not in page and 'value="&lt;script&gt;alert(1)&lt;/script&gt;"' in page


@pytest.mark.parametrize("who", ["sam", "olga", "uma"])
def test_nobody_but_the_teacher_renames(request: pytest.FixtureRequest, classroom: Classroom, who: str) -> None:
    response = signed_in(request.getfixturevalue(who)).post(f"/classes/{classroom.pk}/settings",
                                                             {"what": "rename", "name": "Mine"})
    assert response.status_code == 404


# ---- field problems of the classes page ----------------------------------------------------------

def test_a_bad_class_name_is_shown_beside_the_create_field(tess: User) -> None:
    response = signed_in(tess).post("/classes/new", {"name": "   "})
    assert response.status_code == 400 and "cannot be empty" in field_problems(body(response), "class-name")


def test_a_wrong_join_code_is_shown_beside_the_code_field(uma: User) -> None:
    response = signed_in(uma).post("/classes/join", {"code": SCRIPT})
    page = body(response)
    assert response.status_code == 404 and "no class has this join code" in field_problems(page, "join-code")
    assert SCRIPT not in page and 'value="&lt;script&gt;alert(1)&lt;/script&gt;"' in page


# ---- confirmations -------------------------------------------------------------------------------

def test_removing_a_student_is_confirmed_on_a_page_that_says_what_happens(
        classroom: Classroom, assignment: Assignment, tess: User, sam: User) -> None:
    submitted(assignment, sam)
    url = f"/classes/{classroom.pk}/students/{sam.pk}/remove"
    assert url in body(signed_in(tess).get(f"/classes/{classroom.pk}/"))
    page = body(signed_in(tess).get(url))
    assert "Remove Sam Student from Systems 101?" in page
    assert "Sam Student&#x27;s 1 submission stays in the results" in page
    assert "can no longer submit" in page
    assert f'<form method="post" action="{url}"' in page and inline_scripts(page) == []
    assert Membership.objects.filter(classroom=classroom, student=sam).exists()  # the GET changed nothing
    assert signed_in(tess).post(url)["Location"] == f"/classes/{classroom.pk}/"
    assert not Membership.objects.filter(classroom=classroom, student=sam).exists()
    assert Submission.objects.filter(student=sam).count() == 1


def test_leaving_is_confirmed_on_a_page_that_says_what_happens(classroom: Classroom, assignment: Assignment,
                                                              sam: User) -> None:
    submitted(assignment, sam)
    submitted(assignment, sam)
    url = f"/classes/{classroom.pk}/leave"
    assert url in body(signed_in(sam).get(f"/classes/{classroom.pk}/"))
    page = body(signed_in(sam).get(url))
    assert "Leave Systems 101?" in page and "Your 2 submissions stay with your teacher" in page
    assert "no longer submit" in page and 'id="confirm-button"' in page
    assert Membership.objects.filter(classroom=classroom, student=sam).exists()
    assert signed_in(sam).post(url)["Location"] == "/classes/"


def test_archiving_is_confirmed_on_a_page_that_says_what_happens(classroom: Classroom, tess: User) -> None:
    url = f"/classes/{classroom.pk}/archive"
    assert url in body(signed_in(tess).get(f"/classes/{classroom.pk}/"))
    page = body(signed_in(tess).get(url))
    assert "Archive Systems 101?" in page and "its 1 student can no longer submit" in page
    assert "restore it" in page and 'name="what" value="archive"' in page
    assert f'action="/classes/{classroom.pk}/settings"' in page
    classroom.refresh_from_db()
    assert classroom.archived is None
    signed_in(tess).post(f"/classes/{classroom.pk}/settings", {"what": "archive"})
    classroom.refresh_from_db()
    assert classroom.archived is not None
    assert signed_in(tess).get(url)["Location"] == f"/classes/{classroom.pk}/"  # nothing left to confirm


def test_regrading_is_confirmed_on_a_page_that_says_what_happens(assignment: Assignment, tess: User,
                                                                sam: User) -> None:
    url = f"/assignments/{assignment.pk}/regrade"
    assert url in body(signed_in(tess).get(f"/assignments/{assignment.pk}/results"))
    page = body(signed_in(tess).get(url))
    assert "Nobody has submitted yet" in page and 'id="confirm-button"' not in page
    submitted(assignment, sam)
    page = body(signed_in(tess).get(url))
    assert "each of its 1 student is graded again" in page and "stays in the submission&#x27;s history" in page
    assert f'<form method="post" action="{url}"' in page and inline_scripts(page) == []


@pytest.mark.parametrize("who", ["sam", "olga", "uma"])
def test_the_teachers_confirmations_are_not_found_by_anyone_else(
        request: pytest.FixtureRequest, classroom: Classroom, assignment: Assignment, sam: User, who: str) -> None:
    client = signed_in(request.getfixturevalue(who))
    for url in (f"/classes/{classroom.pk}/students/{sam.pk}/remove", f"/classes/{classroom.pk}/archive",
                f"/assignments/{assignment.pk}/regrade"):
        assert client.get(url).status_code == 404, url


@pytest.mark.parametrize("who", ["tess", "olga", "uma"])
def test_only_a_student_of_the_class_is_asked_to_leave_it(request: pytest.FixtureRequest, classroom: Classroom,
                                                         who: str) -> None:
    assert signed_in(request.getfixturevalue(who)).get(f"/classes/{classroom.pk}/leave").status_code == 404


def test_a_confirmation_shows_hostile_names_as_text(tess: User) -> None:
    room = services.classroom_create(teacher=tess, name=SCRIPT)
    evil = User.objects.create_user("evil", first_name=SCRIPT)
    services.classroom_join(user=evil, code=room.join_code)
    for url in (f"/classes/{room.pk}/students/{evil.pk}/remove", f"/classes/{room.pk}/archive"):
        page = body(signed_in(tess).get(url))
        assert SCRIPT not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    page = body(signed_in(evil).get(f"/classes/{room.pk}/leave"))
    assert SCRIPT not in page


def test_the_class_pages_have_no_inline_script(classroom: Classroom, assignment: Assignment, tess: User,
                                               sam: User) -> None:
    for client, url in ((signed_in(tess), f"/classes/{classroom.pk}/"), (signed_in(sam), f"/classes/{classroom.pk}/"),
                        (signed_in(tess), "/classes/"), (signed_in(sam), f"/classes/{classroom.pk}/leave"),
                        (signed_in(tess), f"/classes/{classroom.pk}/archive")):
        assert inline_scripts(body(client.get(url))) == [], url


# ---- the pupil accounts' link ----------------------------------------------------------------------

def urlconf_with(patterns: list[Any]) -> types.ModuleType:
    """lab/urls.py without the pupil accounts' routes, and with `patterns` instead."""
    import lab.urls

    conf = types.ModuleType("test_urlconf")
    conf.urlpatterns = [p for p in lab.urls.urlpatterns if getattr(p, "app_name", None) != "pupils"] + patterns
    return conf


def roster(request: Any, classroom_id: Any) -> Any:  # pragma: no cover - only reversed
    raise AssertionError


def test_the_class_page_works_without_the_pupil_accounts_page(classroom: Classroom, tess: User,
                                                             settings: Any) -> None:
    settings.ROOT_URLCONF = urlconf_with([])
    response = signed_in(tess).get(f"/classes/{classroom.pk}/")
    assert response.status_code == 200 and 'id="pupils-link"' not in body(response)


def test_the_teachers_class_page_links_to_pupil_accounts_once_their_page_exists(
        classroom: Classroom, tess: User, sam: User, settings: Any) -> None:
    settings.ROOT_URLCONF = urlconf_with([path("", include((
        [path("classes/<uuid:classroom_id>/pupils", roster, name="roster")], "pupils")))])
    page = body(signed_in(tess).get(f"/classes/{classroom.pk}/"))
    assert f'<a href="/classes/{classroom.pk}/pupils" id="pupils-link">Pupil accounts</a>' in page
    assert 'id="pupils-link"' not in body(signed_in(sam).get(f"/classes/{classroom.pk}/"))


def test_the_live_session_form_of_the_class_page_still_names_each_lesson(classroom: Classroom, tess: User) -> None:
    page = body(signed_in(tess).get(f"/classes/{classroom.pk}/"))
    live = page.split('data-testid="live-start"')[1].split("</form>")[0]
    assert '<optgroup label="When one pool is not enough">' in live and f'value="{STEP}"' in live


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
