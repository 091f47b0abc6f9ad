"""A study's websocket, through Channels' communicator in-process: its progress frame on connect
and as its runs finish, from the publisher (the one module that sends to websockets); 4404 for
a study someone may not see; garbage gets an error frame."""
from __future__ import annotations

import json
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from lab.asgi import application
from lab.studies.models import Study

from .conftest import call, design_of, make_user, signed_in, work

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]
HEADERS = [(b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1")]


@database_sync_to_async
def alices_study() -> tuple[str, str, str]:
    """(study id, alice's session cookie, bob's session cookie)"""
    alice, bob = make_user("alice"), make_user("bob")
    client = signed_in(alice)
    design = design_of(alice)
    study = call(client, "post", f"/api/v1/designs/{design.id}/studies", {"kind": "replications", "seeds": 3}).json()
    return study["id"], client.cookies["sessionid"].value, signed_in(bob).cookies["sessionid"].value


async def socket(study_id: str, session: str) -> tuple[WebsocketCommunicator, bool, Any]:
    ws = WebsocketCommunicator(application, f"/ws/studies/{study_id}/",
                               headers=HEADERS + [(b"cookie", f"sessionid={session}".encode())])
    connected, code = await ws.connect()
    return ws, connected, code


async def test_the_owner_sees_progress_on_connect_and_as_runs_finish() -> None:
    study_id, alice, _ = await alices_study()
    ws, connected, _ = await socket(study_id, alice)
    assert connected
    first = json.loads(await ws.receive_from(5))
    assert first == {"type": "study", "study": study_id, "status": "running", "done": 0, "failed": 0, "total": 3}
    await database_sync_to_async(work)(lambda: Study.objects.get(id=study_id).is_over)
    frames = [first]
    while frames[-1]["status"] != "done":
        frames.append(json.loads(await ws.receive_from(5)))
    assert frames[-1]["done"] == 3 and [f["done"] for f in frames] == sorted(f["done"] for f in frames)
    await ws.send_to(text_data='{"type": "ping"}')
    assert json.loads(await ws.receive_from(5))["status"] == "done"  # asked again: the same frame
    await ws.send_to(text_data="not json")
    error = json.loads(await ws.receive_from(5))
    assert error["type"] == "error" and error["problems"]
    await ws.disconnect()


async def test_someone_who_may_not_see_the_study_is_closed_as_not_found() -> None:
    study_id, _, bob = await alices_study()
    ws, connected, code = await socket(study_id, bob)
    assert not connected and code == 4404
    ws, connected, code = await socket("00000000-0000-0000-0000-000000000000", bob)
    assert not connected and code == 4404
