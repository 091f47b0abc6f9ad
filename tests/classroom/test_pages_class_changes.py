"""The class pages that change things, other than an assignment: renaming a class, the classes
page's field problems, the confirmations of removing a student, leaving, archiving and
re-grading (a GET page that says what happens, and a POST button), no inline script, and the
links to pupil accounts and live sessions. Personas as in test_pages.py; the assignment edit
page is in test_pages_assignment_edit.py."""
from __future__ import annotations

import types
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.urls import include, path

from lab.classroom import services
from lab.classroom.models import Assignment, Classroom, Membership, Submission

from .helpers import signed_in
from .page_helpers import SCRIPT, STEP, body, field_problems, inline_scripts, submitted

pytestmark = pytest.mark.django_db


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
