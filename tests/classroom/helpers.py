"""People, a class and an assignment of the small lesson of tests/lessons/fixtures.py, and the
simulation workers run in-process. The personas: tess the teacher of the class, sam its
student, olga a student of another class, uma a signed-in user outside both, and a visitor."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.test import Client

from lab.classroom import services
from lab.classroom.models import Assignment, Classroom
from lab.runs import host
from lab.runs import services as runs
from lessons.fixtures import LESSON_ID, design, write_lesson

__all__ = ["LESSON_ID", "design", "call", "work", "signed_in", "make_user"]


@pytest.fixture(autouse=True)
def lessons_dir(tmp_path: Path, settings: Any) -> Path:
    settings.ARCHLAB_EMBEDDED_WORKERS = 0  # runs stay queued until work() runs them
    root = tmp_path / "lessons"
    write_lesson(root)
    settings.ARCHLAB_LESSONS_DIR = root
    cache.clear()  # join failures are counted in the cache
    return root


def make_user(name: str, **extra: Any) -> User:
    return User.objects.create_user(name, f"{name}@example.com", **extra)


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def call(client: Client, method: str, url: str, body: Any = None) -> Any:
    if method in ("get", "delete") and body is None:
        return getattr(client, method)(url)
    raw = body if isinstance(body, (str, bytes)) else json.dumps(body if body is not None else {})
    return getattr(client, method)(url, data=raw, content_type="application/json")


def work() -> None:
    """What the simulation workers do: run every queued run to its end."""
    while (run := runs.run_claim_next(worker="w")) is not None:
        host.execute(run)


@pytest.fixture
def tess() -> User:
    user = make_user("tess", first_name="Tess", last_name="Teacher")
    services.grant_teacher(user=user)
    return user


@pytest.fixture
def sam() -> User:
    return make_user("sam", first_name="Sam", last_name="Student")


@pytest.fixture
def uma() -> User:
    return make_user("uma")


@pytest.fixture
def classroom(tess: User, sam: User) -> Classroom:
    room = services.classroom_create(teacher=tess, name="Systems 101")
    services.classroom_join(user=sam, code=room.join_code)
    return room


@pytest.fixture
def olga(tess: User) -> User:
    """A student of another class of the same teacher."""
    user = make_user("olga")
    other = services.classroom_create(teacher=tess, name="Systems 102")
    services.classroom_join(user=user, code=other.join_code)
    return user


@pytest.fixture
def assignment(classroom: Classroom, tess: User) -> Assignment:
    """One hidden seed (a short grading: one run of the design, one of the start design) and a
    hidden fault that slows the database."""
    return services.assignment_create(
        classroom=classroom, by=tess, title="Lunchtime", lesson=LESSON_ID, step="add-instances",
        hidden_seeds=[7], hidden_faults=[{"id": "slow-db", "kind": "latency", "node": "db", "added_ms": 2,
                                          "start_s": 20, "duration_s": 5}],
        points={"p95": 3, "errors-while-down": 2})


def as_(user: User | None) -> Client:
    return signed_in(user) if user is not None else Client()
