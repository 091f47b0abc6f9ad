"""What the pupil account tests share: making a pupil (and being refused one), the join link's
pages, who a client is signed in as, and tom, the teacher of another class."""
from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from lab.classroom import pupils, services
from lab.classroom.errors import ClassroomRefused
from lab.classroom.models import Classroom, PupilAccount

from .helpers import make_user

PASSWORD = "river-otter-42"
SCRIPT = "<script>alert(1)</script>"


def made(classroom: Classroom, name: str = "Anna K", password: str = PASSWORD,
         network: str = "ip:127.0.0.1") -> PupilAccount:
    return pupils.pupil_create(code=classroom.join_code, display_name=name, password=password, network=network)


def refused(**kwargs: Any) -> ClassroomRefused:
    with pytest.raises(ClassroomRefused) as caught:
        pupils.pupil_create(**{"network": "ip:127.0.0.1", "password": PASSWORD, **kwargs})
    return caught.value


def create_page(client: Client, classroom: Classroom, name: str, password: str = PASSWORD,
                again: str | None = None) -> Any:
    return client.post(f"/classes/join/{classroom.join_code}/pupil",
                       {"display_name": name, "password": password, "password2": password if again is None else again})


def sign_in_page(client: Client, classroom: Classroom, name: str, password: str) -> Any:
    return client.post(f"/classes/join/{classroom.join_code}/pupil/sign-in",
                       {"display_name": name, "password": password})


def who_is_signed_in(client: Client) -> int | None:
    uid = client.session.get("_auth_user_id")
    return int(uid) if uid is not None else None


def text(response: Any) -> str:
    return response.content.decode()


@pytest.fixture
def tom() -> User:
    user = make_user("tom")
    services.grant_teacher(user=user)
    services.classroom_create(teacher=user, name="Tom's class")
    return user
