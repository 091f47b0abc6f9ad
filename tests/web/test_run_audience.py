"""A run's audience (lab.runs.models.RunAudience): the students a live session shows a run to may
watch it and read its results, through the REST API and its websocket, and never control it;
anyone else is still told it does not exist."""
from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import User
from django.test import Client

from lab.asgi import application
from livelab import signed_in_session
from lab.runs import services
from lab.runs.models import RunAudience

from .conftest import example
from .stream_client import HEADERS
from .stream_client import Client as StreamClient

pytestmark = pytest.mark.django_db(transaction=True)


def client_of(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def shown() -> tuple:
    teacher = User.objects.create_user("teacher")
    student = User.objects.create_user("student")
    outsider = User.objects.create_user("outsider")
    run = services.run_create(topology=example("cached_api"), seed=1, duration_s=5, speed=1, user=teacher,
                              owner_key=f"user:{teacher.pk}")
    RunAudience.objects.create(run=run, user=student)
    return run, teacher, student, outsider


def test_the_audience_reads_the_run_and_an_outsider_is_told_it_does_not_exist(shown: tuple) -> None:
    run, _, student, outsider = shown
    assert client_of(student).get(f"/api/v1/runs/{run.id}").status_code == 200
    assert client_of(outsider).get(f"/api/v1/runs/{run.id}").status_code == 404
    assert Client().get(f"/api/v1/runs/{run.id}").status_code in (401, 404)


def test_the_audience_cannot_control_the_run_only_its_owner_can(shown: tuple) -> None:
    run, teacher, student, _ = shown
    refused = client_of(student).post(f"/api/v1/runs/{run.id}/commands", {"op": "pause"}, content_type="application/json")
    assert refused.status_code == 403, refused.content
    assert client_of(teacher).post(f"/api/v1/runs/{run.id}/commands", {"op": "pause"},
                                   content_type="application/json").status_code == 202


def test_the_audience_watches_over_the_websocket_and_its_commands_are_refused(shown: tuple) -> None:
    run, _, student, outsider = shown
    students, outsiders = signed_in_session(student), signed_in_session(outsider)

    async def watch() -> dict:
        ws = await StreamClient.open(str(run.id), students)
        await ws.snapshot()
        await ws.send({"type": "control", "command": {"op": "pause"}})
        refused = await ws.next_of("error")
        await ws.close()
        return refused

    assert "only whoever started this run can control it" in async_to_sync(watch)()["message"]

    async def stranger() -> tuple:
        socket = WebsocketCommunicator(application, f"/ws/runs/{run.id}/",
                                       headers=HEADERS + [(b"cookie", f"sessionid={outsiders}".encode())])
        return await socket.connect()

    connected, code = async_to_sync(stranger)()
    assert not connected and code == 4404
