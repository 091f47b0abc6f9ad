"""Class-scoped pupil accounts (docs/pupil-accounts.md): a visitor makes one on a class's join
link, signs in with the class's code, a display name and a password; what is refused, and a
flood of accounts from one network. The teacher's side is in test_pupils_teacher.py, the API in
test_pupils_api.py. The personas are the classroom tests': tess the teacher of the class, sam its
student, olga a student of another class, uma a signed-in user outside both, a visitor; and tom,
the teacher of another class (pupil_helpers.py)."""
from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.test import Client

from lab.classroom import pupils, services
from lab.classroom.errors import ClassroomRefused
from lab.classroom.models import Classroom, Membership, PupilAccount

from .helpers import call, signed_in
from .pupil_helpers import (PASSWORD, SCRIPT, create_page, made, refused, sign_in_page, text,
                            who_is_signed_in)

pytestmark = pytest.mark.django_db


# ---- making an account -----------------------------------------------------------------------

def test_a_pupil_is_a_member_of_its_class_with_no_address_and_a_hashed_password(classroom: Classroom) -> None:
    pupil = made(classroom)
    user = pupil.user
    assert Membership.objects.filter(classroom=classroom, student=user).exists()
    assert user.email == "" and user.username.startswith("pupil-") and user.username != "Anna K"
    assert user.password.startswith("pbkdf2_") and PASSWORD not in user.password
    assert user.first_name == "Anna K" and pupil.display_name == "Anna K" and not pupil.must_change_password


@pytest.mark.parametrize("taken", ["anna k", "ANNA K", "  Anna K  ", "\uff21nna K"])
def test_a_display_name_taken_in_the_class_in_any_case_is_refused_with_a_sentence(
        classroom: Classroom, taken: str) -> None:
    made(classroom)
    exc = refused(code=classroom.join_code, display_name=taken)
    assert exc.status == 400 and exc.problems[0]["path"] == "$.display_name"
    assert "already called" in exc.problems[0]["message"]
    assert PupilAccount.objects.filter(classroom=classroom).count() == 1


def test_the_same_name_in_another_class_is_another_pupil(classroom: Classroom, tom: User) -> None:
    made(classroom)
    other = Classroom.objects.get(teacher=tom)
    assert made(other).classroom == other


@pytest.mark.parametrize("change,sentence", [({"joining_open": False}, "closed to new pupils"),
                                             ({"archived": True}, "archived")])
def test_it_refuses_a_pupil_when_the_class_is_closed_or_archived(
        classroom: Classroom, tess: User, change: dict[str, bool], sentence: str) -> None:
    services.classroom_update(classroom=classroom, by=tess, **change)
    exc = refused(code=classroom.join_code, display_name="Anna K")
    assert exc.status == 409 and sentence in exc.problems[0]["message"]
    assert not PupilAccount.objects.exists()


def test_an_unknown_code_is_not_found(classroom: Classroom) -> None:
    assert refused(code="ZZZZZZZZ", display_name="Anna K").status == 404


@pytest.mark.parametrize("password,sentence", [("abc", "too short"), ("password", "too common")])
def test_a_weak_password_is_refused_with_djangos_sentences(classroom: Classroom, password: str,
                                                           sentence: str) -> None:
    exc = refused(code=classroom.join_code, display_name="Anna K", password=password)
    assert exc.status == 400 and any(p["path"] == "$.password" and sentence in p["message"] for p in exc.problems)
    assert not User.objects.filter(first_name="Anna K").exists()


@pytest.mark.parametrize("name,sentence", [
    ("evil\u202egpj.exe", "override marks"),
    ("tab\there", "control characters"),
    ("nul\x00", "control characters"),
    ("x" * 10_000, "at most 50 characters"),
    ("   ", "cannot be empty"),
    (["a list"], "must be text"),
])
def test_a_hostile_display_name_is_refused(classroom: Classroom, name: Any, sentence: str) -> None:
    exc = refused(code=classroom.join_code, display_name=name)
    assert exc.status == 400 and sentence in exc.problems[0]["message"]
    assert not PupilAccount.objects.exists()


def test_an_html_display_name_is_kept_as_text_and_escaped_on_the_roster(classroom: Classroom, tess: User) -> None:
    made(classroom, name=SCRIPT[:50])
    page = text(signed_in(tess).get(f"/classes/{classroom.pk}/pupils"))
    assert SCRIPT not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_a_pupil_cannot_join_a_second_class(classroom: Classroom, tom: User) -> None:
    pupil = made(classroom)
    other = Classroom.objects.get(teacher=tom)
    with pytest.raises(ClassroomRefused) as caught:
        services.classroom_join(user=pupil.user, code=other.join_code)
    assert caught.value.status == 409 and "cannot join another" in caught.value.problems[0]["message"]
    response = signed_in(pupil.user).post(f"/classes/join/{other.join_code}")
    assert response.status_code == 409 and "cannot join another" in text(response)
    api = call(signed_in(pupil.user), "post", "/api/v1/classes/join", {"code": other.join_code})
    assert api.status_code == 409 and "cannot join another" in api.json()["problems"][0]["message"]
    assert not Membership.objects.filter(classroom=other, student=pupil.user).exists()


# ---- the join page -----------------------------------------------------------------------------

def test_a_visitor_on_the_join_link_sees_the_three_ways_in(classroom: Classroom) -> None:
    page = text(Client().get(f"/classes/join/{classroom.join_code}"))
    assert "Join with your account" in page and 'id="join-signup"' in page and 'id="join-login"' in page
    assert "No account? Make a pupil account for this class" in page
    assert "Already have a pupil account? Sign in" in page


def test_a_closed_class_offers_no_pupil_account_but_still_a_sign_in(classroom: Classroom, tess: User) -> None:
    services.classroom_update(classroom=classroom, by=tess, joining_open=False)
    page = text(Client().get(f"/classes/join/{classroom.join_code}"))
    assert 'id="pupil-create"' not in page and "Joining this class is closed" in page and 'id="pupil-sign-in"' in page


def test_a_signed_in_user_on_the_join_link_gets_the_join_button_as_before(classroom: Classroom, uma: User) -> None:
    page = text(signed_in(uma).get(f"/classes/join/{classroom.join_code}"))
    assert 'id="join-button"' in page and "pupil account" not in page


def test_making_a_pupil_account_on_the_page_signs_in_and_opens_the_class(classroom: Classroom) -> None:
    client = Client()
    response = create_page(client, classroom, "Anna K")
    assert response.status_code == 302 and response["Location"] == f"/classes/{classroom.pk}/"
    pupil = PupilAccount.objects.get(classroom=classroom)
    assert who_is_signed_in(client) == pupil.user_id
    assert "Anna K" in text(client.get(f"/classes/{classroom.pk}/", follow=True))


def test_a_signed_in_user_makes_no_pupil_account_over_their_own(classroom: Classroom, uma: User) -> None:
    client = signed_in(uma)
    response = create_page(client, classroom, "Anna K")
    assert response.status_code == 302 and response["Location"] == f"/classes/join/{classroom.join_code}"
    assert not PupilAccount.objects.exists() and who_is_signed_in(client) == uma.pk


def test_the_page_shows_each_problem_beside_its_field(classroom: Classroom) -> None:
    made(classroom)
    response = create_page(Client(), classroom, "anna k", password="abc")
    page = text(response)
    assert response.status_code == 400
    assert 'id="pupil-new-name-problems"' in page and "already called" in page
    assert 'id="pupil-new-password-problems"' in page and "too short" in page
    mismatch = create_page(Client(), classroom, "Ben", again="something-else-9")
    assert mismatch.status_code == 400 and 'id="pupil-new-password2-problems"' in text(mismatch)


def test_a_hostile_name_typed_on_the_page_is_shown_back_escaped(classroom: Classroom) -> None:
    response = create_page(Client(), classroom, SCRIPT + "x" * 60)
    assert response.status_code == 400 and SCRIPT not in text(response) and "&lt;script&gt;" in text(response)


# ---- signing in --------------------------------------------------------------------------------

def test_a_pupil_signs_in_with_the_code_their_name_in_any_case_and_password(classroom: Classroom) -> None:
    pupil = made(classroom)
    client = Client()
    response = sign_in_page(client, classroom, "ANNA K", PASSWORD)
    assert response.status_code == 302 and response["Location"] == f"/classes/{classroom.pk}/"
    assert who_is_signed_in(client) == pupil.user_id


def test_a_wrong_password_and_an_unknown_name_are_answered_alike(classroom: Classroom) -> None:
    made(classroom)
    wrong = sign_in_page(Client(), classroom, "Anna K", "not-the-password")
    unknown = sign_in_page(Client(), classroom, "Nobody", "not-the-password")
    assert wrong.status_code == unknown.status_code == 400
    sentence = "no pupil of this class has this display name and password"
    assert sentence in text(wrong) and sentence in text(unknown)


def test_signing_in_with_hostile_text_is_a_problem_never_a_failure(classroom: Classroom) -> None:
    made(classroom)
    for name, password in (("x" * 10_000, PASSWORD), ("Anna K", "p" * 10_000), (SCRIPT, "nul\x00")):
        response = sign_in_page(Client(), classroom, name, password)
        assert response.status_code == 400 and SCRIPT not in text(response)


def test_wrong_passwords_are_throttled_and_the_right_one_waits_too(classroom: Classroom, settings: Any) -> None:
    made(classroom)
    client = Client()
    statuses = [sign_in_page(client, classroom, "Anna K", f"wrong-{i}").status_code
                for i in range(settings.AXES_FAILURE_LIMIT)]
    assert statuses[:-1] == [400] * (settings.AXES_FAILURE_LIMIT - 1) and statuses[-1] == 429
    locked = sign_in_page(client, classroom, "Anna K", PASSWORD)
    assert locked.status_code == 429 and "teacher can reset your password" in text(locked)
    assert who_is_signed_in(client) is None
    # Another pupil of the class, from the same school address, is not locked out.
    made(classroom, name="Ben")
    assert sign_in_page(Client(), classroom, "Ben", PASSWORD).status_code == 302


def test_a_removed_pupil_cannot_sign_in_and_is_signed_out(classroom: Classroom, tess: User) -> None:
    pupil = made(classroom)
    client = signed_in(pupil.user)
    assert client.get(f"/classes/{classroom.pk}/").status_code == 200
    services.student_remove(classroom=classroom, by=tess, student=pupil.user)
    pupil.user.refresh_from_db()
    assert not pupil.user.is_active
    assert client.get(f"/classes/{classroom.pk}/").status_code == 302  # to the log-in page
    response = sign_in_page(Client(), classroom, "Anna K", PASSWORD)
    assert response.status_code == 403 and "removed from the class" in text(response)


def test_the_remove_page_removes_a_pupil_and_deactivates_them(classroom: Classroom, tess: User) -> None:
    pupil = made(classroom)
    response = signed_in(tess).post(f"/classes/{classroom.pk}/students/{pupil.user_id}/remove")
    assert response.status_code == 302
    pupil.user.refresh_from_db()
    assert not pupil.user.is_active
    assert not Membership.objects.filter(classroom=classroom, student=pupil.user).exists()


# ---- floods ----------------------------------------------------------------------------------

def test_a_flood_of_accounts_from_one_network_is_refused_with_429_and_not_counted(
        classroom: Classroom, settings: Any) -> None:
    settings.ARCHLAB_PUPIL_SIGNUPS = 3
    for i in range(3):
        assert create_page(Client(), classroom, f"Pupil {i}").status_code == 302
    for i in range(3):
        flood = create_page(Client(), classroom, f"Flood {i}")
        assert flood.status_code == 429 and "too many pupil accounts" in text(flood)
    assert cache.get(pupils.signups_key(classroom, "ip:127.0.0.1")) == 3  # refused tries are not counted
    # Another network is not held back, and the API says the same.
    assert create_page(Client(REMOTE_ADDR="10.1.2.3"), classroom, "Elsewhere").status_code == 302
    api = call(Client(), "post", "/api/v1/classes/join/pupil",
               {"code": classroom.join_code, "display_name": "Api", "password": PASSWORD})
    assert api.status_code == 429 and "too many pupil accounts" in api.json()["problems"][0]["message"]
    assert PupilAccount.objects.filter(classroom=classroom).count() == 4


def test_a_refused_account_gives_its_place_back(classroom: Classroom, settings: Any) -> None:
    settings.ARCHLAB_PUPIL_SIGNUPS = 1
    made(classroom)
    # A refused password takes no place (a taken name does: it tells who is in the class,
    # test_pupil_review.py).
    assert create_page(Client(REMOTE_ADDR="10.9.9.9"), classroom, "Ben", password="short").status_code == 400
    assert create_page(Client(REMOTE_ADDR="10.9.9.9"), classroom, "Ben").status_code == 302


def test_a_class_holds_at_most_its_pupil_limit(classroom: Classroom, settings: Any) -> None:
    settings.ARCHLAB_PUPILS_PER_CLASS = 2
    made(classroom, name="A"), made(classroom, name="B")
    exc = refused(code=classroom.join_code, display_name="C", network="ip:10.0.0.9")
    assert exc.status == 409 and "the most it may have" in exc.problems[0]["message"]
