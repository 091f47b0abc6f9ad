"""A pupil account's username is generated (`pupil-...`) and means nothing to anyone: every list a
teacher reads (the students API, the results, both CSVs, the navigation) shows the pupil's display
name, leaves the username empty, and sorts students by the name shown."""
from __future__ import annotations

import csv
import io

import pytest
from django.contrib.auth.models import User

from lab.classroom import pupils, services
from lab.classroom.models import Assignment, Classroom

from .helpers import as_, call, design, work

pytestmark = pytest.mark.django_db


@pytest.fixture
def zoe(classroom: Classroom) -> User:
    return pupils.pupil_create(code=classroom.join_code, display_name="Zoë <b>Z</b>", password="correct horse 42",
                               network="10.0.0.1").user


@pytest.fixture
def abe(classroom: Classroom) -> User:
    return pupils.pupil_create(code=classroom.join_code, display_name="abe", password="correct horse 43",
                               network="10.0.0.1").user


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))


def test_the_students_api_names_pupils_by_display_name_with_no_username(tess: User, classroom: Classroom, zoe: User,
                                                                        abe: User) -> None:
    listed = call(as_(tess), "get", f"/api/v1/classes/{classroom.id}/students").json()["results"]
    assert [(s["name"], s["username"]) for s in listed] == [("abe", None), ("Sam Student", "sam"), ("Zoë <b>Z</b>", None)]


def test_results_and_both_csvs_show_the_display_name_sorted_by_it(tess: User, assignment: Assignment, zoe: User,
                                                                 abe: User) -> None:
    services.submission_create(assignment=assignment, student=zoe, topology=design(3), owner_key="k", requester=None)
    work()
    results = call(as_(tess), "get", f"/api/v1/assignments/{assignment.id}/results").json()
    assert [(r["student"]["name"], r["student"]["username"]) for r in results["rows"]] == [
        ("abe", None), ("Sam Student", "sam"), ("Zoë <b>Z</b>", None)]
    table = rows(as_(tess).get(f"/api/v1/assignments/{assignment.id}/results.csv").content.decode("utf-8"))
    assert [(r["student"], r["username"]) for r in table] == [("abe", ""), ("Sam Student", "sam"), ("Zoë <b>Z</b>", "")]
    subs = rows(as_(tess).get(f"/api/v1/assignments/{assignment.id}/submissions.csv").content.decode("utf-8"))
    assert [(r["student"], r["username"]) for r in subs] == [("Zoë <b>Z</b>", "")]
    assert "pupil-" not in str(results) and "pupil-" not in str(table) + str(subs)


def test_a_signed_in_pupil_sees_their_display_name_in_the_navigation(classroom: Classroom, zoe: User) -> None:
    page = as_(zoe).get("/accounts/profile/").content.decode()
    assert "Zoë &lt;b&gt;Z&lt;/b&gt;" in page and "pupil-" not in page


def test_the_class_page_lists_a_pupil_by_name_and_the_remove_page_says_the_account_closes(
        tess: User, classroom: Classroom, zoe: User) -> None:
    page = as_(tess).get(f"/classes/{classroom.id}/").content.decode()
    assert "Zoë &lt;b&gt;Z&lt;/b&gt;" in page and "pupil-" not in page
    confirm = as_(tess).get(f"/classes/{classroom.id}/students/{zoe.pk}/remove").content.decode()
    assert "has a pupil account of this class: removing them also closes it, and it can no longer sign in" in confirm
    sam_page = as_(tess).get(f"/classes/{classroom.id}/students/{User.objects.get(username='sam').pk}/remove")
    assert "they join again with the class" in sam_page.content.decode()


def test_a_pupil_cannot_leave_the_class_its_account_belongs_to(classroom: Classroom, zoe: User) -> None:
    assert 'id="leave"' not in as_(zoe).get(f"/classes/{classroom.id}/").content.decode()
    assert as_(zoe).get(f"/classes/{classroom.id}/leave").status_code == 404
    answer = call(as_(zoe), "post", f"/api/v1/classes/{classroom.id}/leave")
    assert answer.status_code == 409 and "cannot leave it" in answer.json()["problems"][0]["message"]
    assert classroom.memberships.filter(student=zoe).exists()
    zoe.refresh_from_db()
    assert zoe.is_active


def test_a_teacher_finds_their_own_lessons_from_the_class_list(tess: User, sam: User) -> None:
    page = as_(tess).get("/classes/").content.decode()
    assert 'href="/challenges/new"' in page and 'href="/challenges/upload"' in page and 'href="/challenges/"' in page
    assert 'id="own-lessons"' not in as_(sam).get("/classes/").content.decode()


def test_the_admin_lists_pupil_accounts(zoe: User) -> None:
    admin = User.objects.create_superuser("root", password="x")
    page = as_(admin).get("/admin/classroom/pupilaccount/")
    assert page.status_code == 200 and "Zoë &lt;b&gt;Z&lt;/b&gt;" in page.content.decode()


def test_an_administrator_grants_the_teacher_role_in_the_admin(sam: User) -> None:
    from django.contrib.auth.models import Group

    from lab.classroom.selectors import is_teacher

    admin = User.objects.create_superuser("root", password="x")
    teachers = Group.objects.get(name="teachers")
    form = as_(admin).get(f"/admin/auth/user/{sam.pk}/change/")
    assert form.status_code == 200 and "teachers" in form.content.decode()
    data = {"username": "sam", "first_name": "Sam", "last_name": "Student", "email": "", "is_active": "on",
            "groups": [str(teachers.pk)], "last_login_0": "", "last_login_1": "",
            "date_joined_0": "2026-01-01", "date_joined_1": "00:00:00"}
    saved = as_(admin).post(f"/admin/auth/user/{sam.pk}/change/", data)
    assert saved.status_code == 302, saved.content.decode()[:2000]
    assert is_teacher(User.objects.get(pk=sam.pk))
    assert as_(sam).get("/admin/").status_code == 302  # not staff: sent to the admin's log-in


def test_a_pupils_shared_design_is_signed_with_the_display_name_not_the_internal_username(zoe: User) -> None:
    from lab.designs.services import design_create, design_share

    from .helpers import design as topology

    made = design_share(design=design_create(owner=zoe, name="My shop", topology=topology(1)), visibility="public")
    for url in (f"/designs/{made.id}/", "/gallery", f"/designs/{made.id}/edit", f"/designs/{made.id}/revisions/1/"):
        page = as_(zoe).get(url).content.decode()
        assert "pupil-" not in page, url
    listed = call(as_(zoe), "get", f"/api/v1/designs/{made.id}").json()
    assert listed["owner"] == "Zoë <b>Z</b>"
    revisions = call(as_(zoe), "get", f"/api/v1/designs/{made.id}/revisions").json()["results"]
    assert revisions[0]["author"] == "Zoë <b>Z</b>"
