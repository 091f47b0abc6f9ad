"""Pupil accounts from the teacher's side (docs/pupil-accounts.md): resetting a password (a
one-time one), renaming, removing, who may do any of it, and a pupil named by display name in
the results and the CSV. Personas as in test_pupils.py."""
from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from lab.classroom import pupils, services
from lab.classroom.errors import ClassroomRefused
from lab.classroom.models import Assignment, Classroom

from .helpers import design, signed_in, work
from .pupil_helpers import PASSWORD, made, sign_in_page, text, who_is_signed_in

pytestmark = pytest.mark.django_db


# ---- the teacher's reset and rename ------------------------------------------------------------

def test_a_reset_gives_a_one_time_password_that_only_lets_the_pupil_choose_a_new_one(
        classroom: Classroom, tess: User) -> None:
    pupil = made(classroom)
    teacher = signed_in(tess)
    url = f"/classes/{classroom.pk}/pupils/{pupil.user_id}/reset"
    confirm = teacher.get(url)
    assert confirm.status_code == 200 and "Reset the password of Anna K?" in text(confirm)
    assert teacher.post(url).status_code == 302
    roster = text(teacher.get(f"/classes/{classroom.pk}/pupils"))
    one_time = roster.split('<code id="one-time-password">')[1].split("<")[0]
    assert len(one_time) == pupils.ONE_TIME_LENGTH and set(one_time) <= set(pupils.ONE_TIME_ALPHABET)
    assert one_time not in text(teacher.get(f"/classes/{classroom.pk}/pupils"))  # shown once

    assert sign_in_page(Client(), classroom, "Anna K", PASSWORD).status_code == 400  # the old one is gone
    client = Client()
    response = sign_in_page(client, classroom, "Anna K", one_time)
    assert response.status_code == 302 and response["Location"] == "/pupils/password"
    assert who_is_signed_in(client) is None  # nothing else before a new password
    assert client.get(f"/classes/{classroom.pk}/").status_code == 302
    weak = client.post("/pupils/password", {"password": "abc", "password2": "abc"})
    assert weak.status_code == 400 and 'id="new-password-problems"' in text(weak)
    done = client.post("/pupils/password", {"password": "new-heron-77", "password2": "new-heron-77"})
    assert done.status_code == 302 and who_is_signed_in(client) == pupil.user_id
    pupil.refresh_from_db()
    assert not pupil.must_change_password
    assert sign_in_page(Client(), classroom, "Anna K", one_time).status_code == 400
    assert sign_in_page(Client(), classroom, "Anna K", "new-heron-77").status_code == 302


def test_a_reset_lifts_a_sign_in_lock(classroom: Classroom, tess: User, settings: Any) -> None:
    pupil = made(classroom)
    for i in range(settings.AXES_FAILURE_LIMIT):
        sign_in_page(Client(), classroom, "Anna K", f"wrong-{i}")
    one_time = pupils.pupil_reset(pupil=pupil, by=tess)
    assert sign_in_page(Client(), classroom, "Anna K", one_time).status_code == 302


def test_a_reset_ends_the_pupils_open_sessions(classroom: Classroom, tess: User) -> None:
    pupil = made(classroom)
    client = Client()
    sign_in_page(client, classroom, "Anna K", PASSWORD)
    pupils.pupil_reset(pupil=pupil, by=tess)
    assert client.get(f"/classes/{classroom.pk}/").status_code == 302


def test_the_teacher_renames_a_pupil_and_a_taken_name_is_refused_beside_its_field(
        classroom: Classroom, tess: User) -> None:
    anna, _ = made(classroom), made(classroom, name="Ben")
    teacher = signed_in(tess)
    url = f"/classes/{classroom.pk}/pupils/{anna.user_id}/rename"
    taken = teacher.post(url, {"display_name": "BEN"})
    assert taken.status_code == 400 and f'id="rename-{anna.user_id}-problems"' in text(taken)
    assert teacher.post(url, {"display_name": "Anna Karenina"}).status_code == 302
    anna.refresh_from_db()
    anna.user.refresh_from_db()
    assert anna.display_name == anna.user.first_name == "Anna Karenina"
    assert sign_in_page(Client(), classroom, "anna karenina", PASSWORD).status_code == 302


@pytest.mark.parametrize("who", ["tom", "sam", "olga", "uma"])
def test_no_one_but_the_teacher_finds_the_roster_or_resets(request: pytest.FixtureRequest, classroom: Classroom,
                                                           who: str) -> None:
    pupil = made(classroom)
    client = signed_in(request.getfixturevalue(who))
    base = f"/classes/{classroom.pk}/pupils"
    assert client.get(base).status_code == 404
    assert client.get(f"{base}/{pupil.user_id}/reset").status_code == 404
    assert client.post(f"{base}/{pupil.user_id}/reset").status_code == 404
    assert client.post(f"{base}/{pupil.user_id}/rename", {"display_name": "Hacked"}).status_code == 404
    pupil.refresh_from_db()
    assert not pupil.must_change_password and pupil.display_name == "Anna K"


def test_a_visitor_is_sent_to_log_in_for_the_roster_and_changes_nothing(classroom: Classroom) -> None:
    pupil = made(classroom)
    base = f"/classes/{classroom.pk}/pupils"
    for response in (Client().get(base), Client().post(f"{base}/{pupil.user_id}/reset")):
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next=")
    pupil.refresh_from_db()
    assert not pupil.must_change_password


def test_a_teacher_cannot_reset_a_pupil_of_another_class(classroom: Classroom, tess: User, tom: User) -> None:
    pupil = made(Classroom.objects.get(teacher=tom))
    assert signed_in(tess).post(f"/classes/{classroom.pk}/pupils/{pupil.user_id}/reset").status_code == 404
    with pytest.raises(ClassroomRefused) as caught:
        pupils.pupil_reset(pupil=pupil, by=tess)
    assert caught.value.status == 403


def test_a_removed_pupil_is_listed_as_removed_and_cannot_be_reset(classroom: Classroom, tess: User) -> None:
    pupil = made(classroom)
    services.student_remove(classroom=classroom, by=tess, student=pupil.user)
    assert "removed: cannot sign in" in text(signed_in(tess).get(f"/classes/{classroom.pk}/pupils"))
    with pytest.raises(ClassroomRefused) as caught:
        pupils.pupil_reset(pupil=pupil, by=tess)
    assert caught.value.status == 409


# ---- results and CSV ---------------------------------------------------------------------------

def test_results_and_csv_name_a_pupil_by_display_name(classroom: Classroom, assignment: Assignment,
                                                      tess: User) -> None:
    pupil = made(classroom, name="Zoë Ö")
    services.submission_create(assignment=assignment, student=pupil.user, topology=design(3), owner_key="k",
                               requester=None)
    work()
    teacher = signed_in(tess)
    rows = teacher.get(f"/api/v1/assignments/{assignment.pk}/results").json()["rows"]
    assert "Zoë Ö" in [r["student"]["name"] for r in rows]
    for csv_name in ("results.csv", "submissions.csv"):
        body = teacher.get(f"/api/v1/assignments/{assignment.pk}/{csv_name}").content.decode("utf-8-sig")
        assert "Zoë Ö" in body
    pupils.pupil_rename(pupil=pupil, by=tess, display_name="Zoe O")
    rows = teacher.get(f"/api/v1/assignments/{assignment.pk}/results").json()["rows"]
    assert "Zoe O" in [r["student"]["name"] for r in rows]
