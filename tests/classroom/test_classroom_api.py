"""Classes through /api/v1 with five personas: tess the class's teacher, sam its student, olga
a student of another class, uma a signed-in user outside both, and a visitor. A denied read is
a 404 (nothing is found by guessing), an anonymous write a 401."""
from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.contrib.auth.models import User

from lab.classroom import services
from lab.classroom.models import Assignment, Classroom

from .helpers import as_, call, design, work

pytestmark = pytest.mark.django_db

PERSONAS = ["tess", "sam", "olga", "uma", None]


def who(request: Any, name: str | None) -> User | None:
    return request.getfixturevalue(name) if name else None


def submitted(client: Any, assignment: Assignment, topology: dict[str, Any]) -> dict[str, Any]:
    response = call(client, "post", f"/api/v1/assignments/{assignment.id}/submissions", {"topology": topology})
    assert response.status_code == 202, response.json()
    return response.json()


@pytest.mark.parametrize("persona,status", [("tess", 200), ("sam", 200), ("olga", 404), ("uma", 404), (None, 401)])
def test_who_reads_a_class(request: Any, classroom: Classroom, persona: str | None, status: int) -> None:
    response = as_(who(request, persona)).get(f"/api/v1/classes/{classroom.id}")
    assert response.status_code == status
    if status == 200:
        body = response.json()
        assert (body["join_code"] is not None) == (persona == "tess") and body["students"] == 1


@pytest.mark.parametrize("persona,status", [("tess", 200), ("sam", 403), ("olga", 404), ("uma", 404), (None, 401)])
def test_who_changes_a_class(request: Any, classroom: Classroom, persona: str | None, status: int) -> None:
    response = call(as_(who(request, persona)), "patch", f"/api/v1/classes/{classroom.id}", {"name": "Renamed"})
    assert response.status_code == status


@pytest.mark.parametrize("persona,status", [("tess", 200), ("sam", 404), ("olga", 404), ("uma", 404), (None, 401)])
def test_who_lists_a_classs_students(request: Any, classroom: Classroom, persona: str | None, status: int) -> None:
    assert as_(who(request, persona)).get(f"/api/v1/classes/{classroom.id}/students").status_code == status


@pytest.mark.parametrize("persona,status", [("tess", 200), ("sam", 200), ("olga", 404), ("uma", 404), (None, 401)])
def test_who_reads_an_assignment(request: Any, assignment: Assignment, persona: str | None, status: int) -> None:
    response = as_(who(request, persona)).get(f"/api/v1/assignments/{assignment.id}")
    assert response.status_code == status
    if persona == "sam":
        body = response.json()
        assert "hidden_seeds" not in body and "hidden_faults" not in body and "slow-db" not in response.content.decode()
        assert body["status"]["can_submit"] is True
    if persona == "tess":
        assert response.json()["hidden_seeds"] == [7]


def test_the_assignment_list_hides_the_hidden_parts_from_students(assignment: Assignment, sam: User) -> None:
    response = as_(sam).get(f"/api/v1/classes/{assignment.classroom_id}/assignments")
    assert response.status_code == 200 and "slow-db" not in response.content.decode()
    assert response.json()["results"][0]["title"] == "Lunchtime"


@pytest.mark.parametrize("persona,status", [("tess", 403), ("sam", 202), ("olga", 404), ("uma", 404), (None, 401)])
def test_who_submits(request: Any, assignment: Assignment, persona: str | None, status: int) -> None:
    response = call(as_(who(request, persona)), "post", f"/api/v1/assignments/{assignment.id}/submissions",
                    {"topology": design(3)})
    assert response.status_code == status, response.json()


@pytest.mark.parametrize("path", ["results", "results.csv", "submissions.csv"])
@pytest.mark.parametrize("persona,status", [("tess", 200), ("sam", 404), ("olga", 404), ("uma", 404), (None, 401)])
def test_who_reads_results(request: Any, assignment: Assignment, path: str, persona: str | None, status: int) -> None:
    assert as_(who(request, persona)).get(f"/api/v1/assignments/{assignment.id}/{path}").status_code == status


@pytest.mark.parametrize("persona,status", [("tess", 202), ("sam", 403), ("olga", 404), ("uma", 404), (None, 401)])
def test_who_regrades(request: Any, assignment: Assignment, persona: str | None, status: int) -> None:
    response = call(as_(who(request, persona)), "post", f"/api/v1/assignments/{assignment.id}/regrade")
    assert response.status_code == status


@pytest.mark.parametrize("persona,status", [("tess", 200), ("sam", 200), ("olga", 404), ("uma", 404), (None, 401)])
def test_who_reads_a_submission(request: Any, assignment: Assignment, sam: User, persona: str | None,
                                status: int) -> None:
    sub = submitted(as_(sam), assignment, design(3))
    assert as_(who(request, persona)).get(sub["url"]).status_code == status


def test_a_student_never_sees_another_students_submission(assignment: Assignment, sam: User, uma: User) -> None:
    services.classroom_join(user=uma, code=assignment.classroom.join_code)
    sub = submitted(as_(sam), assignment, design(3))
    assert as_(uma).get(sub["url"]).status_code == 404
    assert as_(uma).get(f"/api/v1/assignments/{assignment.id}/submissions").json()["results"] == []
    assert len(as_(sam).get(f"/api/v1/assignments/{assignment.id}/submissions").json()["results"]) == 1


def test_a_submission_is_graded_end_to_end_and_reveals_the_hidden_parts(assignment: Assignment, sam: User) -> None:
    sub = submitted(as_(sam), assignment, design(3))
    assert sub["status"] == "queued" and sub["score"] is None and sub["grade"] is None
    work()
    body = as_(sam).get(sub["url"]).json()
    assert body["status"] == "graded" and body["score"] == 5 and body["max_score"] == 5
    assert body["grade"]["scenario"]["seeds"] == [7]
    assert [f["id"] for f in body["grade"]["scenario"]["faults"]] == ["one-instance-down", "slow-db"]
    assert body["history"][0]["reason"] == "graded"
    assert as_(sam).get(body["attempt_url"]).status_code == 200


def test_a_failing_design_is_graded_with_its_failed_goals(assignment: Assignment, sam: User) -> None:
    sub = submitted(as_(sam), assignment, design(1))
    work()
    body = as_(sam).get(sub["url"]).json()
    assert body["score"] == 0 and not any(g["passed"] for g in body["grade"]["goals"])


@pytest.mark.parametrize("name", ["", "x" * 10_000, "a\u0000b", "\u202eevil", 7, None, {"a": 1}])
def test_hostile_class_names_get_a_problem_not_a_500(tess: User, name: Any) -> None:
    response = call(as_(tess), "post", "/api/v1/classes", {"name": name})
    assert response.status_code == 400 and response.json()["problems"][0]["path"] == "$.name"


def test_a_body_that_is_not_an_object_is_a_problem(tess: User, classroom: Classroom) -> None:
    for raw in ("[1]", '"x"', "{bad json"):
        response = call(as_(tess), "post", f"/api/v1/classes/{classroom.id}/assignments", raw)
        assert response.status_code == 400 and response.json()["problems"]


@pytest.mark.parametrize("field,value", [("hidden_seeds", "7"), ("hidden_faults", {"a": 1}), ("points", [1]),
                                         ("opens", 12), ("max_attempts", True), ("late_policy", "never"),
                                         ("title", ["x"]), ("lesson", 3)])
def test_invalid_json_types_in_an_assignment_get_a_problem(tess: User, classroom: Classroom, field: str,
                                                            value: Any) -> None:
    body = {"title": "t", "lesson": "first-lesson", "step": "add-instances", field: value}
    response = call(as_(tess), "post", f"/api/v1/classes/{classroom.id}/assignments", body)
    assert response.status_code == 400 and response.json()["problems"], response.content


def test_join_code_brute_force_is_refused_with_429(classroom: Classroom, uma: User) -> None:
    client = as_(uma)
    statuses = [call(client, "post", "/api/v1/classes/join", {"code": f"WRONG{i:03d}"}).status_code for i in range(21)]
    assert statuses == [404] * 20 + [429]
    assert call(client, "post", "/api/v1/classes/join", {"code": classroom.join_code}).status_code == 429


def test_joining_an_archived_class_and_submitting_to_it_are_refused(assignment: Assignment, tess: User, sam: User,
                                                                     uma: User) -> None:
    room = assignment.classroom
    assert call(as_(tess), "patch", f"/api/v1/classes/{room.id}", {"archived": True}).status_code == 200
    response = call(as_(uma), "post", "/api/v1/classes/join", {"code": room.join_code})
    assert response.status_code == 409 and "archived" in response.json()["problems"][0]["message"]
    response = call(as_(sam), "post", f"/api/v1/assignments/{assignment.id}/submissions", {"topology": design(3)})
    assert response.status_code == 409 and "archived" in response.json()["problems"][0]["message"]


def test_a_regrade_through_the_api_keeps_the_history(assignment: Assignment, tess: User, sam: User) -> None:
    sub = submitted(as_(sam), assignment, design(3))
    work()
    as_(sam).get(sub["url"])
    call(as_(tess), "patch", f"/api/v1/assignments/{assignment.id}", {"points": {"p95": 1, "errors-while-down": 1}})
    assert call(as_(tess), "post", f"/api/v1/assignments/{assignment.id}/regrade").json() == {"regraded": 1}
    work()
    body = as_(tess).get(sub["url"]).json()
    assert body["score"] == 2 and [h["score"] for h in body["history"]] == [5, 2]


def rows(response: Any) -> list[list[str]]:
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_the_results_csv_has_a_column_per_goal_and_escapes_formulas(assignment: Assignment, tess: User) -> None:
    mallory = User.objects.create_user("mallory", first_name="=HYPERLINK(\"http://x\")", last_name="")
    services.classroom_join(user=mallory, code=assignment.classroom.join_code)
    submitted(as_(mallory), assignment, design(3))
    work()
    response = as_(tess).get(f"/api/v1/assignments/{assignment.id}/results.csv")
    assert response["Content-Type"].startswith("text/csv")
    table = rows(response)
    assert table[0] == ["student", "username", "attempts", "p95", "errors-while-down", "total", "best_submitted",
                        "last_submitted", "late"]
    by_user = {r[1]: r for r in table[1:]}
    assert by_user["mallory"][0] == "'=HYPERLINK(\"http://x\")"
    assert by_user["mallory"][2:6] == ["1", "3", "2", "5"]
    assert by_user["sam"][2] == "0" and by_user["sam"][5] == ""


def test_the_submissions_csv_has_a_row_per_submission(assignment: Assignment, tess: User, sam: User) -> None:
    submitted(as_(sam), assignment, design(1))
    submitted(as_(sam), assignment, design(3))
    work()
    table = rows(as_(tess).get(f"/api/v1/assignments/{assignment.id}/submissions.csv?anonymise=1"))
    assert table[0][:8] == ["student", "username", "number", "submitted", "late", "status", "score", "max_score"]
    assert [(r[0], r[1], r[2], r[6]) for r in table[1:]] == [("Student 1", "", "1", "0"), ("Student 1", "", "2", "5")]
