"""Live class sessions through /api/v1: the permission matrix (teacher of the class, its student,
a student of another class, a signed-in outsider, a visitor) over the session, its run, its
questions and answers and its export; denied reads answer 404, anonymous calls 401."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from lab.classroom.models import Classroom, Membership
from lab.classroom.services import grant_teacher

pytestmark = pytest.mark.django_db
EXAMPLE = json.loads((Path(__file__).resolve().parents[2] / "lab" / "sim" / "examples" / "cached_api.json").read_text())


def as_user(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def clients() -> dict[str, Any]:
    teacher, other_teacher = User.objects.create_user("teacher"), User.objects.create_user("other-teacher")
    grant_teacher(user=teacher)
    grant_teacher(user=other_teacher)
    student, stranger_student, outsider = (User.objects.create_user(n) for n in ("student", "stranger", "outsider"))
    mine = Classroom.objects.create(name="Mine", teacher=teacher, join_code="AAAA2222")
    theirs = Classroom.objects.create(name="Theirs", teacher=other_teacher, join_code="BBBB3333")
    Membership.objects.create(classroom=mine, student=student)
    Membership.objects.create(classroom=theirs, student=stranger_student)
    return {"classroom": mine, "teacher": as_user(teacher), "student": as_user(student),
            "stranger": as_user(stranger_student), "outsider": as_user(outsider), "visitor": as_user(None),
            "other_teacher": as_user(other_teacher)}


def post(client: Client, url: str, body: Any = None) -> Any:
    return client.post(url, json.dumps(body if body is not None else {}), content_type="application/json")


def start(c: dict[str, Any]) -> str:
    response = post(c["teacher"], f"/api/v1/classes/{c['classroom'].id}/sessions", {"title": "Caches", "topology": EXAMPLE})
    assert response.status_code == 201, response.content
    return response.json()["id"]


def test_only_the_teacher_starts_a_session_and_others_learn_nothing(clients: dict[str, Any]) -> None:
    url = f"/api/v1/classes/{clients['classroom'].id}/sessions"
    assert post(clients["visitor"], url, {"title": "x", "topology": EXAMPLE}).status_code in (401, 403)
    for who in ("outsider", "stranger", "other_teacher"):
        assert post(clients[who], url, {"title": "x", "topology": EXAMPLE}).status_code == 404, who
    assert post(clients["student"], url, {"title": "x", "topology": EXAMPLE}).status_code == 403
    assert post(clients["teacher"], url, {"title": "x", "topology": EXAMPLE, "colour": "red"}).status_code == 400
    start(clients)


def test_students_read_the_session_and_watch_its_run_others_get_404(clients: dict[str, Any]) -> None:
    session = start(clients)
    shown = post(clients["teacher"], f"/api/v1/sessions/{session}/run", {"duration_s": 30, "speed": 1})
    assert shown.status_code == 201, shown.content
    run = shown.json()["run"]
    assert run["can_control"] is True
    seen = clients["student"].get(f"/api/v1/sessions/{session}")
    assert seen.status_code == 200 and seen.json()["role"] == "student" and seen.json()["run"]["can_control"] is False
    assert clients["student"].get(run["url"]).status_code == 200  # the audience reads the run
    assert post(clients["student"], f"{run['url']}/commands", {"op": "stop"}).status_code == 403
    for who in ("outsider", "stranger", "other_teacher"):
        assert clients[who].get(f"/api/v1/sessions/{session}").status_code == 404, who
        assert clients[who].get(run["url"]).status_code == 404, who
    assert clients["visitor"].get(f"/api/v1/sessions/{session}").status_code in (401, 403)
    assert post(clients["student"], f"/api/v1/sessions/{session}/run", {}).status_code == 403
    assert clients["student"].get(f"/api/v1/sessions/{session}/export").status_code == 404
    assert clients["teacher"].get("/api/v1/sessions/not-a-uuid").status_code == 404


def test_a_question_is_asked_answered_counted_and_revealed(clients: dict[str, Any]) -> None:
    session = start(clients)
    added = post(clients["teacher"], f"/api/v1/sessions/{session}/questions",
                 {"text": "p99 after the cache dies (ms)?", "unit": "ms", "time_limit_s": 30})
    assert added.status_code == 201, added.content
    question = added.json()["questions"][0]["id"]
    assert post(clients["student"], f"/api/v1/questions/{question}/open").status_code == 403
    assert post(clients["student"], f"/api/v1/questions/{question}/answers", {"value": 5}).status_code == 409  # not asked
    assert post(clients["teacher"], f"/api/v1/questions/{question}/open").status_code == 200
    assert post(clients["student"], f"/api/v1/questions/{question}/answers", {"value": "lots"}).status_code == 400
    assert post(clients["student"], f"/api/v1/questions/{question}/answers", {"value": 240}).status_code == 200
    assert post(clients["stranger"], f"/api/v1/questions/{question}/answers", {"value": 1}).status_code == 404
    counted = clients["teacher"].get(f"/api/v1/sessions/{session}").json()["questions"][0]
    assert counted["answered"] == 1 and "rounds" not in counted
    revealed = post(clients["teacher"], f"/api/v1/questions/{question}/reveal", {"measured": 260})
    shown = revealed.json()["questions"][0]
    assert shown["state"] == "revealed" and shown["measured"] == 260 and shown["rounds"][0]["median"] == 240
    assert post(clients["teacher"], f"/api/v1/questions/{question}/explode").status_code == 404
    export = clients["teacher"].get(f"/api/v1/sessions/{session}/export?anonymise=1").json()
    assert export["questions"][0]["answers"][0]["student"] == "Student 1"
    ended = post(clients["teacher"], f"/api/v1/sessions/{session}/end")
    assert ended.status_code == 200 and ended.json()["ended"]
