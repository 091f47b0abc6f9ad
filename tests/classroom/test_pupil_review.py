"""What a review found, as an attacker would try it: a pupil account that outlived its class, an
API token that outlived a reset, the site's log-in taking a one-time password for a whole sign-in,
class names listed by trying them, another teacher's own lesson shown in a live session, and
the challenge checker open to anyone signed in. Each now holds."""
from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from lab.accounts.models import ApiToken
from lab.classroom import pupils, services
from lab.classroom.errors import ClassroomRefused
from lab.classroom.models import Classroom
from lab.live import services as live
from lab.lessons import authored_services
from lessons.test_authored import challenge_document

from .helpers import as_, call, signed_in
from .test_pupils import PASSWORD, made, who_is_signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def tom() -> User:
    user = User.objects.create_user("tom")
    services.grant_teacher(user=user)
    services.classroom_create(teacher=user, name="Tom's class")
    return user


@pytest.mark.parametrize("deleted", ["the class", "its teacher"])
def test_a_pupil_account_does_not_outlive_its_class(classroom: Classroom, tess: User, tom: User, deleted: str) -> None:
    user = made(classroom).user
    client = signed_in(user)
    (classroom if deleted == "the class" else tess).delete()
    user.refresh_from_db()
    assert not user.is_active
    other = Classroom.objects.get(teacher=tom)
    assert call(client, "post", "/api/v1/classes/join", {"code": other.join_code}).status_code in (401, 403)


def test_a_reset_ends_the_pupils_api_tokens(classroom: Classroom, tess: User) -> None:
    pupil = made(classroom)
    _, secret = ApiToken.issue(pupil.user, "laptop")
    assert Client().get("/api/v1/classes", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 200
    pupils.pupil_reset(pupil=pupil, by=tess)
    assert Client().get("/api/v1/classes", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 401


@pytest.mark.parametrize("password", ["one-time", "own"])
def test_the_sites_log_in_refuses_a_pupil_account_with_a_sentence(classroom: Classroom, tess: User,
                                                                  password: str) -> None:
    pupil = made(classroom)
    secret = pupils.pupil_reset(pupil=pupil, by=tess) if password == "one-time" else PASSWORD
    visitor = Client()
    answer = visitor.post("/accounts/login/", {"username": pupil.user.username, "password": secret})
    assert answer.status_code == 200 and "This is a pupil account: sign in on your class" in answer.content.decode()
    assert who_is_signed_in(visitor) is None


def test_trying_names_counts_against_the_networks_allowance(classroom: Classroom, settings: Any) -> None:
    made(classroom, name="Anna K")
    settings.ARCHLAB_PUPIL_SIGNUPS = 3
    answers = [call(Client(), "post", "/api/v1/classes/join/pupil",
                    {"code": classroom.join_code, "display_name": name, "password": PASSWORD}).status_code
               for name in ["anna k", "ANNA K", "Anna k", "anna K", "Anna K"]]
    # Anna's account and two "already taken" answers use the network's three, then it is told to wait.
    assert answers == [400, 400, 429, 429, 429]


def test_another_teacher_cannot_show_a_teachers_own_lesson_in_a_live_session(tess: User, tom: User) -> None:
    row, _ = authored_services.challenge_create(owner=tess, document=challenge_document())
    toms = Classroom.objects.get(teacher=tom)
    with pytest.raises(ClassroomRefused) as refused:
        live.session_start(classroom=toms, by=tom, title="Borrowed", lesson=row.key, step="challenge")
    assert refused.value.problems[0]["path"] == "$.step"
    mine = services.classroom_create(teacher=tess, name="Tess's class")
    assert live.session_start(classroom=mine, by=tess, title="Mine", lesson=row.key, step="challenge").topology


def test_only_teachers_run_the_challenge_checker(tess: User, sam: User) -> None:
    url = "/api/v1/lessons/authored/challenges/check"
    assert call(as_(sam), "post", url, challenge_document()).status_code == 403
    assert call(as_(tess), "post", url, challenge_document()).json()["ok"] is True


# -- uploads and inputs that answered 500 --------------------------------------------------------

@pytest.mark.parametrize("extra, says", [
    ([("my-lesson/" + "x" * 300 + ".md", b"x")], "longer than 255 bytes"),
    ([("my-lesson/notes", b"x"), ("my-lesson/notes/a.md", b"y")], "is a file and also the folder"),
    ([("my-lesson/notes/a.md", b"y"), ("my-lesson/notes", b"x")], "is a file and also the folder"),
    ([("my-lesson/designs//start.json", b"{}")], "empty folder name"),
], ids=["a long name", "file then folder", "folder then file", "a doubled slash"])
def test_a_zip_whose_names_cannot_be_unpacked_is_refused_with_its_reason(tess: User, extra: list, says: str) -> None:
    import io
    import zipfile

    from django.core.files.uploadedfile import SimpleUploadedFile

    from lessons.test_authored import lesson_zip

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(lesson_zip())) as source, zipfile.ZipFile(out, "w") as archive:
        for info in source.infolist():
            archive.writestr(info.filename, source.read(info))
        for name, data in extra:
            archive.writestr(name, data)
    answer = as_(tess).post("/api/v1/lessons/authored/upload",
                            {"file": SimpleUploadedFile("l.zip", out.getvalue(), content_type="application/zip")})
    assert answer.status_code == 400, answer.content[:300]
    assert says in str(answer.json()["problems"])


@pytest.mark.parametrize("where", ["goals[0].value", "scenario.duration_s", "minutes"])
def test_a_number_too_large_for_a_lesson_is_a_problem_with_its_path(tess: User, where: str) -> None:
    doc = challenge_document()
    huge = 10 ** 400
    if where == "goals[0].value":
        doc["goals"][0]["value"] = huge
    elif where == "scenario.duration_s":
        doc["scenario"]["duration_s"] = huge
    else:
        doc["minutes"] = huge
    answer = call(as_(tess), "post", "/api/v1/lessons/authored/challenges/check", doc)
    assert answer.status_code == 200
    assert answer.json()["problems"][0] == {"path": f"$.{where}", "severity": "error",
                                            "message": "the number is too large; numbers in a challenge are at most 1e+15"}


def test_a_lesson_toml_with_a_number_too_large_is_a_problem(tmp_path: Any) -> None:
    from lab.lessons.loader import check_lesson
    from lessons.fixtures import replaced, write_lesson

    folder = write_lesson(tmp_path, toml=replaced("value = 100", "value = 1" + "0" * 400))
    assert any("too large" in p["message"] and "goals[0].value" in p["path"] for p in check_lesson(folder))


def test_a_nul_in_a_lesson_picture_address_is_a_404(client: Client) -> None:
    assert client.get("/lessons/startup-growth/files/a%00.png").status_code == 404


def test_hidden_faults_nested_thousands_deep_are_a_problem_beside_the_field(tess: User, classroom: Classroom) -> None:
    page = as_(tess).post(f"/classes/{classroom.pk}/assignments/new", {
        "title": "T", "step": "startup-growth/one-vm", "opens": "", "due": "", "max_attempts": "",
        "late_policy": "accept", "late_penalty_pct": "0", "hidden_seeds": "", "hidden_faults": "[" * 5000 + "]" * 5000})
    assert page.status_code == 400 and "nested more than" in page.content.decode()
