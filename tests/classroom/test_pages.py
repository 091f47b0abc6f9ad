"""The classroom pages with Django's client: what each persona sees of the classes page, a join
link, a class, an assignment, its lab, its results and a submission (tess the teacher, sam her
student, olga a student of another class, uma signed in outside both, a visitor), the forms
with the service's problems shown beside them, and hostile names shown as text."""
from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.test import Client

from lab.classroom import services
from lab.classroom.models import Assignment, Classroom, Membership, Submission

from .helpers import LESSON_ID, as_, design, signed_in, work

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"
RTL = "evil\u202egpj.exe"


def submitted(assignment: Assignment, student: User, instances: int = 3) -> Submission:
    sub = services.submission_create(assignment=assignment, student=student, topology=design(instances),
                                     owner_key="k", requester=None)
    work()
    return sub


def body(response) -> str:
    return response.content.decode()


# ---- who sees what ---------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/classes/", "/classes/{c}/", "/assignments/{a}/", "/assignments/{a}/lab",
                                  "/assignments/{a}/results"])
def test_a_visitor_is_sent_to_log_in(classroom: Classroom, assignment: Assignment, path: str) -> None:
    url = path.format(c=classroom.pk, a=assignment.pk)
    response = Client().get(url)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.parametrize("who", ["olga", "uma"])
@pytest.mark.parametrize("path", ["/classes/{c}/", "/assignments/{a}/", "/assignments/{a}/lab",
                                  "/assignments/{a}/results", "/submissions/{s}/"])
def test_a_class_and_its_work_are_not_found_by_anyone_outside_it(
        request: pytest.FixtureRequest, classroom: Classroom, assignment: Assignment, sam: User, who: str,
        path: str) -> None:
    sub = submitted(assignment, sam)
    outsider = request.getfixturevalue(who)
    url = path.format(c=classroom.pk, a=assignment.pk, s=sub.pk)
    assert signed_in(outsider).get(url).status_code == 404


@pytest.mark.parametrize("path", ["/assignments/{a}/results", "/submissions/{s}/"])
def test_another_student_of_the_class_sees_neither_the_results_nor_someone_elses_submission(
        classroom: Classroom, assignment: Assignment, sam: User, uma: User, path: str) -> None:
    services.classroom_join(user=uma, code=classroom.join_code)
    sub = submitted(assignment, sam)
    assert signed_in(uma).get(path.format(a=assignment.pk, s=sub.pk)).status_code == 404


def test_a_made_up_id_or_code_is_not_found(tess: User) -> None:
    client = signed_in(tess)
    assert client.get("/classes/00000000-0000-0000-0000-000000000000/").status_code == 404
    assert client.get("/assignments/00000000-0000-0000-0000-000000000000/").status_code == 404
    assert client.get("/classes/join/NOSUCHXX").status_code == 404


def test_the_classes_page_lists_a_teachers_classes_with_their_codes(classroom: Classroom, tess: User) -> None:
    page = body(signed_in(tess).get("/classes/"))
    assert "Systems 101" in page and classroom.join_code in page and "Create a class" in page


def test_the_classes_page_lists_a_students_classes_without_codes(classroom: Classroom, sam: User) -> None:
    page = body(signed_in(sam).get("/classes/"))
    assert "Systems 101" in page and classroom.join_code not in page
    assert "Join a class" in page and "Create a class" not in page


def test_the_nav_links_to_classes_for_a_signed_in_user_only(sam: User) -> None:
    assert 'data-testid="nav-classes"' in body(signed_in(sam).get("/lessons/"))
    assert 'data-testid="nav-classes"' not in body(Client().get("/lessons/"))


def test_the_teachers_class_page_has_the_code_the_link_the_students_and_the_form(
        classroom: Classroom, assignment: Assignment, tess: User) -> None:
    page = body(signed_in(tess).get(f"/classes/{classroom.pk}/"))
    assert classroom.join_code in page and f"/classes/join/{classroom.join_code}" in page
    assert "Sam Student" in page and "Remove" in page  # by the name shown
    assert "Lunchtime" in page and f"/assignments/{assignment.pk}/results" in page
    assert f'value="{LESSON_ID}/add-instances"' in page and 'name="hidden_seeds"' in page


def test_the_students_class_page_has_the_open_assignments_and_leave(
        classroom: Classroom, assignment: Assignment, sam: User) -> None:
    page = body(signed_in(sam).get(f"/classes/{classroom.pk}/"))
    assert "Lunchtime" in page and f"/assignments/{assignment.pk}/" in page and "Leave class" in page
    assert classroom.join_code not in page and "Remove" not in page and "results" not in page.lower().split("<main")[1]


def test_a_student_opening_the_results_is_sent_to_their_assignment_and_the_teacher_the_other_way(
        assignment: Assignment, tess: User, sam: User) -> None:
    assert signed_in(sam).get(f"/assignments/{assignment.pk}/results").status_code == 404
    assert signed_in(tess).get(f"/assignments/{assignment.pk}/")["Location"] == f"/assignments/{assignment.pk}/results"


# ---- joining ---------------------------------------------------------------------------------

def test_the_join_page_names_the_class_and_its_teacher_and_a_visitor_is_asked_to_sign_in(
        classroom: Classroom) -> None:
    page = body(Client().get(f"/classes/join/{classroom.join_code}"))
    assert "Systems 101" in page and "tess" in page
    assert f"/accounts/login/?next=/classes/join/{classroom.join_code}" in page and "sign up" in page


def test_joining_from_the_link_and_from_the_code_form(classroom: Classroom, uma: User, olga: User) -> None:
    response = signed_in(uma).post(f"/classes/join/{classroom.join_code}")
    assert response.status_code == 302 and response["Location"] == f"/classes/{classroom.pk}/"
    response = signed_in(olga).post("/classes/join", {"code": classroom.join_code.lower()})
    assert response.status_code == 302
    assert Membership.objects.filter(classroom=classroom, student__in=[uma, olga]).count() == 2


def test_a_wrong_code_is_shown_beside_the_join_form(uma: User) -> None:
    response = signed_in(uma).post("/classes/join", {"code": "WRONGCDE"})
    assert response.status_code == 404 and "no class has this join code" in body(response)
    assert 'value="WRONGCDE"' in body(response)


def test_a_closed_class_says_so_on_its_join_page(classroom: Classroom, tess: User, uma: User) -> None:
    signed_in(tess).post(f"/classes/{classroom.pk}/settings", {"what": "close"})
    client = signed_in(uma)
    assert "closed" in body(client.get(f"/classes/join/{classroom.join_code}"))
    response = client.post(f"/classes/join/{classroom.join_code}")
    assert response.status_code == 409 and "closed to new students" in body(response)


# ---- the teacher's forms -----------------------------------------------------------------------

def test_a_teacher_creates_a_class_and_lands_on_it(tess: User) -> None:
    response = signed_in(tess).post("/classes/new", {"name": "Networks"})
    room = Classroom.objects.get(name="Networks")
    assert response["Location"] == f"/classes/{room.pk}/"


def test_a_student_cannot_create_a_class_and_is_told_why(sam: User) -> None:
    response = signed_in(sam).post("/classes/new", {"name": "Mine"})
    assert response.status_code == 403 and "only teachers create classes" in body(response)


def test_a_teacher_closes_and_archives_and_a_student_cannot(classroom: Classroom, tess: User, sam: User) -> None:
    assert signed_in(sam).post(f"/classes/{classroom.pk}/settings", {"what": "close"}).status_code == 404
    signed_in(tess).post(f"/classes/{classroom.pk}/settings", {"what": "close"})
    signed_in(tess).post(f"/classes/{classroom.pk}/settings", {"what": "archive"})
    classroom.refresh_from_db()
    assert not classroom.joining_open and classroom.archived is not None


def test_a_teacher_removes_a_student_and_a_student_leaves(classroom: Classroom, tess: User, sam: User,
                                                           uma: User) -> None:
    services.classroom_join(user=uma, code=classroom.join_code)
    assert signed_in(sam).post(f"/classes/{classroom.pk}/students/{uma.pk}/remove").status_code == 404
    signed_in(tess).post(f"/classes/{classroom.pk}/students/{uma.pk}/remove")
    response = signed_in(sam).post(f"/classes/{classroom.pk}/leave")
    assert response["Location"] == "/classes/"
    assert not Membership.objects.filter(classroom=classroom).exists()


def test_a_teacher_sets_an_assignment_with_hidden_seeds_and_points(classroom: Classroom, tess: User) -> None:
    response = signed_in(tess).post(f"/classes/{classroom.pk}/assignments/new", {
        "title": "Scale it", "step": f"{LESSON_ID}/add-instances", "opens": "", "due": "2099-01-01T09:00",
        "max_attempts": "3", "late_policy": "penalty", "late_penalty_pct": "20", "show_hints": "on",
        "hidden_seeds": "17, 4242", "hidden_faults": "", "points.p95": "4", "points.errors-while-down": ""})
    assert response.status_code == 302, body(response)
    made = Assignment.objects.get(title="Scale it")
    assert made.hidden_seeds == [17, 4242] and made.max_attempts == 3 and made.points["p95"] == 4
    assert made.show_hints and not made.show_reference and made.due.year == 2099


def test_every_problem_of_the_assignment_form_is_shown_beside_it_with_what_was_typed(
        classroom: Classroom, tess: User) -> None:
    response = signed_in(tess).post(f"/classes/{classroom.pk}/assignments/new", {
        "title": "", "step": f"{LESSON_ID}/add-instances", "opens": "2099-02-01T09:00", "due": "2099-01-01T09:00",
        "max_attempts": "0", "late_policy": "accept", "late_penalty_pct": "0", "hidden_seeds": "x, 3",
        "hidden_faults": "[not json"})
    assert response.status_code == 400
    assert 'data-testid="problems"' in body(response) and "hidden faults are a JSON list" in body(response)
    response = signed_in(tess).post(f"/classes/{classroom.pk}/assignments/new", {
        "title": "", "step": f"{LESSON_ID}/add-instances", "opens": "2099-02-01T09:00", "due": "2099-01-01T09:00",
        "max_attempts": "0", "late_policy": "accept", "late_penalty_pct": "0", "hidden_seeds": "x, 3"})
    page = body(response)
    assert response.status_code == 400
    for path, field in (("$.title", "a-title"), ("$.due", "a-due"), ("$.max_attempts", "a-max"),
                        ("$.hidden_seeds", "a-seeds")):
        assert f'data-path="{path}' in page, path
        assert f'id="{field}-problems"' in page and f'aria-describedby="{field}-problems"' in page, field
    assert 'value="2099-02-01T09:00"' in page and 'value="x, 3"' in page
    assert not Assignment.objects.filter(classroom=classroom).exists()


# ---- an assignment, its lab, its results, a submission ---------------------------------------

def test_a_student_sees_the_assignment_without_its_hidden_parts(assignment: Assignment, sam: User) -> None:
    page = body(signed_in(sam).get(f"/assignments/{assignment.pk}/"))
    assert "Lunchtime" in page and "Work on it in the lab" in page and "unlimited" in page
    assert "slow-db" not in page and ">7<" not in page and "seeds or faults you see only once you have submitted" in page


def test_after_submitting_the_student_sees_the_score_each_goal_and_the_hidden_seed_and_fault(
        assignment: Assignment, sam: User) -> None:
    sub = submitted(assignment, sam)
    page = body(signed_in(sam).get(f"/assignments/{assignment.pk}/"))
    assert "5 / 5" in page and "✓" in page
    assert "Graded on seeds 7; faults one-instance-down, slow-db" in page
    assert f"/submissions/{sub.pk}/" in page


def test_the_lab_opens_the_step_in_assignment_mode(assignment: Assignment, sam: User) -> None:
    response = signed_in(sam).get(f"/assignments/{assignment.pk}/lab")
    context = response.context["lab_context"]["lesson"]
    assert context["id"] == LESSON_ID and context["step"] == "add-instances"
    assert context["steps"] == [{"id": "add-instances", "title": context["steps"][0]["title"]}]
    shown = context["assignment"]
    assert shown["id"] == str(assignment.pk) and shown["can_submit"] and shown["hidden"]
    assert "slow-db" not in body(response) and 'data-testid="assignment-info"' in body(response)


def test_the_teacher_opening_the_lab_cannot_submit(assignment: Assignment, tess: User) -> None:
    shown = signed_in(tess).get(f"/assignments/{assignment.pk}/lab").context["lab_context"]["lesson"]["assignment"]
    assert not shown["can_submit"] and "you teach this class" in shown["why_not"]


def test_the_results_show_each_student_per_goal_with_totals_and_csv_links(
        classroom: Classroom, assignment: Assignment, tess: User, sam: User, uma: User) -> None:
    services.classroom_join(user=uma, code=classroom.join_code)
    submitted(assignment, sam, 3)
    submitted(assignment, uma, 1)
    page = body(signed_in(tess).get(f"/assignments/{assignment.pk}/results"))
    rows = re.findall(r'<tr data-student="\d+">(.*?)</tr>', page, re.S)
    assert len(rows) == 2
    assert 'data-value="5.0"' in rows[0] and "Sam Student" in rows[0]
    assert 'class="total" data-value="0.0"' in rows[1]
    assert f"/api/v1/assignments/{assignment.pk}/results.csv" in page
    assert f"/api/v1/assignments/{assignment.pk}/submissions.csv" in page
    assert 'id="results-data"' in page and "Re-grade every submission" in page


def test_anonymised_results_show_no_name(classroom: Classroom, assignment: Assignment, tess: User,
                                         sam: User) -> None:
    submitted(assignment, sam)
    page = body(signed_in(tess).get(f"/assignments/{assignment.pk}/results?anonymise=1"))
    table = page.split('id="results-table"')[1].split("</table>")[0]
    assert "Student 1" in table and "Sam" not in table and "sam" not in table


def test_a_teacher_regrades_from_the_results(assignment: Assignment, tess: User, sam: User) -> None:
    submitted(assignment, sam)
    response = signed_in(tess).post(f"/assignments/{assignment.pk}/regrade", follow=True)
    assert "being graded again" in body(response)
    assert signed_in(sam).post(f"/assignments/{assignment.pk}/regrade").status_code == 404


def test_a_submission_page_shows_its_design_and_feedback_to_its_student_and_teacher(
        assignment: Assignment, tess: User, sam: User) -> None:
    sub = submitted(assignment, sam)
    for user in (tess, sam):
        response = signed_in(user).get(f"/submissions/{sub.pk}/")
        assert response.status_code == 200
        assert 'id="design-topology"' in body(response) and "5 / 5" in body(response)


# ---- hostile names -----------------------------------------------------------------------------

@pytest.mark.parametrize("name", [SCRIPT, "x" * 100])
def test_a_hostile_class_or_assignment_name_is_shown_as_text(tess: User, sam: User, name: str) -> None:
    room = services.classroom_create(teacher=tess, name=name)
    services.classroom_join(user=sam, code=room.join_code)
    work_ = services.assignment_create(classroom=room, by=tess, title=name * 2, lesson=LESSON_ID, step="add-instances")
    pages = [signed_in(tess).get("/classes/"), signed_in(tess).get(f"/classes/{room.pk}/"),
             signed_in(sam).get(f"/classes/{room.pk}/"), signed_in(sam).get(f"/assignments/{work_.pk}/"),
             signed_in(tess).get(f"/assignments/{work_.pk}/results"), Client().get(f"/classes/join/{room.join_code}")]
    for response in pages:
        assert response.status_code == 200
        assert SCRIPT not in body(response)
    if name == SCRIPT:
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body(pages[1])


def test_a_right_to_left_override_in_a_class_name_is_refused_on_the_form(tess: User) -> None:
    response = signed_in(tess).post("/classes/new", {"name": RTL})
    assert response.status_code == 400 and "override" in body(response)
    assert not Classroom.objects.filter(teacher=tess).exists()


def test_a_hostile_username_is_shown_as_text_in_the_students_and_the_results(
        classroom: Classroom, assignment: Assignment, tess: User) -> None:
    evil = User.objects.create_user("evil", first_name=SCRIPT)
    services.classroom_join(user=evil, code=classroom.join_code)
    for url in (f"/classes/{classroom.pk}/", f"/assignments/{assignment.pk}/results"):
        assert SCRIPT not in body(signed_in(tess).get(url))
    assert as_(None).get(f"/classes/{classroom.pk}/").status_code == 302
