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
