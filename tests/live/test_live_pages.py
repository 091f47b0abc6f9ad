"""The live session pages: the lab page in live mode for the class's teacher and students, the
projector view for the teacher; anyone else is told the session does not exist, a visitor is sent
to log in; a hostile class name shows as text."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.test import Client

from lab.classroom.models import Classroom, Membership
from lab.classroom.services import grant_teacher
from lab.live.services import session_start

pytestmark = pytest.mark.django_db
EXAMPLE = json.loads((Path(__file__).resolve().parents[2] / "lab" / "sim" / "examples" / "reference.json").read_text())


@pytest.fixture
def people() -> dict:
    teacher = User.objects.create_user("teacher")
    grant_teacher(user=teacher)
    student, outsider = User.objects.create_user("student"), User.objects.create_user("outsider")
    room = Classroom.objects.create(name="<script>alert(1)</script> 101", teacher=teacher, join_code="PAGE2345")
    Membership.objects.create(classroom=room, student=student)
    live = session_start(classroom=room, by=teacher, title="Crash <i>it</i>", topology=EXAMPLE)
    clients = {}
    for name, user in (("teacher", teacher), ("student", student), ("outsider", outsider)):
        clients[name] = Client()
        clients[name].force_login(user)
    clients["visitor"] = Client()
    return {"session": live, **clients}


def test_the_teacher_gets_the_controls_and_the_student_the_watching_view(people: dict) -> None:
    url = f"/live/{people['session'].id}/"
    teacher = people["teacher"].get(url).content.decode()
    assert 'data-testid="live-panel"' in teacher and 'id="live-run"' in teacher and 'id="question-form"' in teacher
    student = people["student"].get(url).content.decode()
    assert 'data-testid="live-panel"' in student and 'id="live-run"' not in student and 'id="question-form"' not in student
    context = json.loads(student.split('id="lab-context" type="application/json">')[1].split("</script>")[0])
    assert context["live"]["role"] == "student" and context["live"]["projector"] is False


def test_hostile_names_render_as_text(people: dict) -> None:
    page = people["teacher"].get(f"/live/{people['session'].id}/").content.decode()
    assert "<script>alert(1)</script>" not in page.split("<body")[1].split('id="lab-context"')[0]
    assert "&lt;script&gt;alert(1)&lt;/script&gt; 101" in page and "Crash &lt;i&gt;it&lt;/i&gt;" in page


def test_others_are_told_the_session_does_not_exist_and_a_visitor_is_sent_to_log_in(people: dict) -> None:
    url = f"/live/{people['session'].id}/"
    assert people["outsider"].get(url).status_code == 404
    assert people["visitor"].get(url).status_code == 302 and "/accounts/login" in people["visitor"].get(url)["Location"]
    assert people["teacher"].get("/live/00000000-0000-0000-0000-000000000000/").status_code == 404


def test_the_projector_view_is_the_teachers(people: dict) -> None:
    url = f"/live/{people['session'].id}/projector"
    assert people["teacher"].get(url).status_code == 200
    assert '"projector": true' in people["teacher"].get(url).content.decode()
    assert people["student"].get(url).status_code == 404 and people["outsider"].get(url).status_code == 404


def test_the_class_page_starts_a_session_for_its_teacher_and_shows_it_to_its_students(people: dict) -> None:
    room = people["session"].classroom
    page = people["teacher"].get(f"/classes/{room.id}/").content.decode()
    assert 'data-testid="live-start"' in page and f'href="/live/{people["session"].id}/"' in page
    student = people["student"].get(f"/classes/{room.id}/").content.decode()
    assert "Live now:" in student and f'href="/live/{people["session"].id}/"' in student
    assert 'data-testid="live-start"' not in student
    # One session at a time: a second start is refused with the reason, on the class page.
    refused = people["teacher"].post(f"/classes/{room.id}/live", {"title": "Again", "step": "startup-growth/one-vm"},
                                     follow=True)
    assert "Not started: this class already has a live session going" in refused.content.decode()
    people["session"].ended = people["session"].created
    people["session"].save()
    started = people["teacher"].post(f"/classes/{room.id}/live", {"title": "Caches", "step": "startup-growth/cache"})
    assert started.status_code == 302 and started["Location"].startswith("/live/")
    assert people["student"].post(f"/classes/{room.id}/live", {"title": "Mine", "step": "startup-growth/one-vm"},
                                  follow=True).content.decode().count("Not started: only the class") == 1
    assert people["outsider"].post(f"/classes/{room.id}/live", {"title": "x", "step": "a/b"}).status_code == 404


def test_the_teacher_starts_a_session_from_a_saved_design_and_not_from_anothers_private_one(people: dict) -> None:
    from lab.designs.services import design_create, design_save
    from lab.live.models import LiveSession

    room = people["session"].classroom
    people["session"].ended = people["session"].created
    people["session"].save()
    teacher = room.teacher
    mine = design_create(owner=teacher, name="Shop <b>v2</b>", topology=EXAMPLE)
    changed = {**EXAMPLE, "nodes": [*EXAMPLE["nodes"]]}
    changed["nodes"][1] = {**changed["nodes"][1], "label": "the second revision"}
    design_save(design=mine, author=teacher, topology=changed)
    page = people["teacher"].get(f"/classes/{room.id}/").content.decode()
    assert f'value="design:{mine.id}">Shop &lt;b&gt;v2&lt;/b&gt;</option>' in page  # listed, as text
    started = people["teacher"].post(f"/classes/{room.id}/live", {"title": "My shop", "step": f"design:{mine.id}"})
    assert started.status_code == 302
    session = LiveSession.objects.get(title="My shop")
    assert session.topology["nodes"][1]["label"] == "the second revision"  # the latest revision is shown
    session.ended = session.created
    session.save()
    stranger = User.objects.create_user("stranger")
    theirs = design_create(owner=stranger, name="Private", topology=EXAMPLE)
    for value in (f"design:{theirs.id}", "design:not-a-uuid", "design:"):
        refused = people["teacher"].post(f"/classes/{room.id}/live", {"title": "Theirs", "step": value}, follow=True)
        assert "Not started: there is no such design, or it is not one you may show" in refused.content.decode()
    assert not LiveSession.objects.filter(title="Theirs").exists()
