"""Pupil accounts through the REST API (docs/pupil-accounts.md): making one signs the session in,
CSRF for a visitor, bad requests answered with problems, and who lists, resets or renames a
class's pupils. Personas as in test_pupils.py."""
from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from lab.classroom.models import Classroom, PupilAccount

from .helpers import as_, call, signed_in
from .pupil_helpers import PASSWORD, made, sign_in_page, who_is_signed_in

pytestmark = pytest.mark.django_db


# ---- the API ---------------------------------------------------------------------------------

def test_the_api_makes_a_pupil_and_signs_the_session_in(classroom: Classroom) -> None:
    client = Client()
    response = call(client, "post", "/api/v1/classes/join/pupil",
                    {"code": classroom.join_code.lower(), "display_name": "Anna K", "password": PASSWORD})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["pupil"]["display_name"] == "Anna K" and body["classroom"]["id"] == str(classroom.pk)
    assert body["classroom"]["join_code"] is None and body["classroom"]["role"] == "student"
    assert who_is_signed_in(client) == body["pupil"]["id"]
    assert [c["id"] for c in client.get("/api/v1/classes").json()["results"]] == [str(classroom.pk)]


def test_the_api_checks_csrf_for_a_visitor(classroom: Classroom) -> None:
    client = Client(enforce_csrf_checks=True)
    response = call(client, "post", "/api/v1/classes/join/pupil",
                    {"code": classroom.join_code, "display_name": "Anna K", "password": PASSWORD})
    assert response.status_code == 403 and not PupilAccount.objects.exists()


@pytest.mark.parametrize("payload,status,path", [
    ({"code": "{code}", "display_name": "Anna K", "password": "abc"}, 400, "$.password"),
    ({"code": "{code}", "display_name": "evil\u202egpj", "password": PASSWORD}, 400, "$.display_name"),
    ({"code": "{code}", "display_name": "Anna K", "password": PASSWORD, "email": "x@y"}, 400, "$.email"),
    ({"code": "NOPE2345", "display_name": "Anna K", "password": PASSWORD}, 404, "$.code"),
    ({"code": 12, "display_name": "Anna K", "password": PASSWORD}, 400, "$.code"),
    ({"code": "{code}", "display_name": None, "password": PASSWORD}, 400, "$.display_name"),
])
def test_the_api_answers_bad_requests_with_problems(classroom: Classroom, payload: dict[str, Any], status: int,
                                                    path: str) -> None:
    data = {k: (v.format(code=classroom.join_code) if isinstance(v, str) else v) for k, v in payload.items()}
    response = call(Client(), "post", "/api/v1/classes/join/pupil", data)
    assert response.status_code == status and response.json()["problems"][0]["path"] == path


def test_the_api_refuses_invalid_surrogates_in_json(classroom: Classroom) -> None:
    raw = '{"code": "%s", "display_name": "\\ud800Anna", "password": "%s"}' % (classroom.join_code, PASSWORD)
    response = call(Client(), "post", "/api/v1/classes/join/pupil", raw)
    assert response.status_code == 400 and response.json()["problems"]
    assert not PupilAccount.objects.exists()


def test_the_api_refuses_a_signed_in_caller(classroom: Classroom, uma: User) -> None:
    response = call(signed_in(uma), "post", "/api/v1/classes/join/pupil",
                    {"code": classroom.join_code, "display_name": "Anna K", "password": PASSWORD})
    assert response.status_code == 409 and "/api/v1/classes/join" in response.json()["problems"][0]["message"]


@pytest.mark.parametrize("persona,status", [("tess", 200), ("tom", 404), ("sam", 404), ("olga", 404), ("uma", 404),
                                            (None, 401)])
def test_who_lists_a_classs_pupils(request: pytest.FixtureRequest, classroom: Classroom, persona: str | None,
                                   status: int) -> None:
    made(classroom)
    response = as_(request.getfixturevalue(persona) if persona else None).get(f"/api/v1/classes/{classroom.pk}/pupils")
    assert response.status_code == status
    if status == 200:
        assert [p["display_name"] for p in response.json()["results"]] == ["Anna K"]


@pytest.mark.parametrize("persona,status", [("tom", 404), ("sam", 404), ("olga", 404), ("uma", 404), (None, 401)])
def test_only_the_teacher_resets_or_renames_through_the_api(request: pytest.FixtureRequest, classroom: Classroom,
                                                            persona: str | None, status: int) -> None:
    pupil = made(classroom)
    client = as_(request.getfixturevalue(persona) if persona else None)
    base = f"/api/v1/classes/{classroom.pk}/pupils/{pupil.user_id}"
    assert call(client, "post", f"{base}/reset").status_code == status
    assert call(client, "patch", base, {"display_name": "Hacked"}).status_code == status
    pupil.refresh_from_db()
    assert not pupil.must_change_password and pupil.display_name == "Anna K"


def test_the_api_reset_returns_a_one_time_password_that_works_once(classroom: Classroom, tess: User) -> None:
    pupil = made(classroom)
    response = call(signed_in(tess), "post", f"/api/v1/classes/{classroom.pk}/pupils/{pupil.user_id}/reset")
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    body = response.json()
    assert body["pupil"]["must_change_password"] is True
    assert sign_in_page(Client(), classroom, "Anna K", body["one_time_password"])["Location"] == "/pupils/password"


def test_the_api_renames_and_refuses_a_taken_name(classroom: Classroom, tess: User) -> None:
    anna, ben = made(classroom), made(classroom, name="Ben")
    teacher = signed_in(tess)
    taken = call(teacher, "patch", f"/api/v1/classes/{classroom.pk}/pupils/{anna.user_id}", {"display_name": "ben"})
    assert taken.status_code == 400 and taken.json()["problems"][0]["path"] == "$.display_name"
    done = call(teacher, "patch", f"/api/v1/classes/{classroom.pk}/pupils/{ben.user_id}", {"display_name": "Benno"})
    assert done.status_code == 200 and done.json()["display_name"] == "Benno"


@pytest.mark.parametrize("user_id", ["0", "99999999999999999999", "2147483648"])
def test_the_api_answers_404_for_a_pupil_id_that_cannot_be(classroom: Classroom, tess: User, user_id: str) -> None:
    response = call(signed_in(tess), "post", f"/api/v1/classes/{classroom.pk}/pupils/{user_id}/reset")
    assert response.status_code == 404


def test_a_student_who_is_not_a_pupil_is_not_found_as_one(classroom: Classroom, tess: User, sam: User) -> None:
    response = call(signed_in(tess), "post", f"/api/v1/classes/{classroom.pk}/pupils/{sam.pk}/reset")
    assert response.status_code == 404


def test_the_openapi_document_describes_the_pupil_endpoints(db: None) -> None:
    paths = json.loads(Client().get("/api/v1/schema?format=json").content)["paths"]
    assert set(paths["/api/v1/classes/join/pupil"]) == {"post"}
    assert set(paths["/api/v1/classes/{classroom_id}/pupils"]) == {"get"}
    assert set(paths["/api/v1/classes/{classroom_id}/pupils/{user_id}"]) == {"patch"}
    assert set(paths["/api/v1/classes/{classroom_id}/pupils/{user_id}/reset"]) == {"post"}
