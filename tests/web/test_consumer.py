"""The run websocket, through Channels' communicator in-process: snapshots, frames in order,
control, and garbage that gets an error without killing the consumer. (Long runs, slow readers
and resync floods: test_streams.py; a thousand garbage frames: test_streams_garbage.py.)"""
from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from lab.asgi import application
from lab.runs import host, services
from lab.runs.models import RunCommand

from .conftest import example
from .stream_client import HEADERS, Client, new_session

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


async def new_run(duration: float = 4.0) -> tuple[str, str]:
    """A run as fast as possible, started by a new browser session; returns (run id, session key)."""
    key = await new_session()
    run = await database_sync_to_async(services.run_create)(topology=example("reference"), duration_s=duration,
                                                            speed=0, owner_key=key)
    return str(run.id), key


@database_sync_to_async
def execute_next() -> None:
    host.execute(services.run_claim_next(worker="w"))


async def test_a_viewer_gets_a_snapshot_then_every_window_in_order_then_the_end() -> None:
    run_id, key = await new_run()
    ws = await Client.open(run_id, key)
    snapshot = await ws.snapshot()
    assert snapshot["status"] == "queued" and snapshot["windows"] == [] and snapshot["through"] == -1
    await execute_next()
    seqs, final = [], None
    while final is None:
        frame = await ws.frame()
        if frame["type"] == "window":
            assert frame["run"] == run_id and frame["attempt"] == 1
            seqs.append(frame["seq"])
        elif frame["type"] == "windows":  # windows the viewer was behind on come as a page
            seqs.extend(w["index"] for w in frame["windows"])
        elif frame["type"] == "status" and frame["status"] == "done":
            final = frame
    assert seqs == [0, 1, 2, 3]
    assert final["results"]["requests"]["created"] > 3000
    await ws.close()


async def test_a_viewer_who_joins_late_gets_the_windows_so_far_in_the_snapshot() -> None:
    run_id, key = await new_run(duration=3.0)
    await execute_next()
    ws = await Client.open(run_id, key)
    snapshot = await ws.snapshot()
    assert snapshot["status"] == "done"
    assert [w["index"] for w in snapshot["windows"]] == [0, 1, 2]
    assert snapshot["results"]["measured"]["overall"]["completions"] > 0
    await ws.close()


@pytest.mark.parametrize("garbage", ["not json", "[1, 2]", '{"type": "launch"}', '{"type": "control"}',
                                     '{"type": "control", "command": 3}', "x" * 30_000, '{"a": NaN}',
                                     '{"type": "ping", "x": "\\ud800"}', '{"type": "ack", "frames": "3"}',
                                     '{"type": "ack", "frames": 99999}', '{"type": "ping", "type": "resync"}'])
async def test_garbage_gets_an_error_frame_and_the_consumer_keeps_working(garbage: str) -> None:
    run_id, key = await new_run()
    ws = await Client.open(run_id, key)
    await ws.snapshot()
    await ws.ws.send_to(text_data=garbage)
    error = await ws.frame()
    assert error["type"] == "error" and error["message"] and error["problems"][0]["message"]
    await ws.ws.send_to(bytes_data=b"\x00\x01")
    assert (await ws.frame())["type"] == "error"
    await ws.send({"type": "ping"})
    assert (await ws.frame())["type"] == "status"
    await ws.close()


async def test_a_stranger_cannot_watch_or_control_someone_elses_run() -> None:
    run_id, _ = await new_run()
    stranger = await new_session()
    for cookie in ([], [(b"cookie", f"sessionid={stranger}".encode())]):
        communicator = WebsocketCommunicator(application, f"/ws/runs/{run_id}/", headers=HEADERS + cookie)
        connected, code = await communicator.connect()
        assert not connected and code == 4404  # the same answer as for a run that does not exist
        await communicator.disconnect()
    assert await database_sync_to_async(RunCommand.objects.count)() == 0


async def test_an_unknown_run_is_refused_at_connect() -> None:
    communicator = WebsocketCommunicator(application, "/ws/runs/00000000-0000-0000-0000-000000000000/", headers=HEADERS)
    connected, code = await communicator.connect()
    assert not connected
    await communicator.disconnect()


async def test_a_foreign_origin_is_refused() -> None:
    run_id, _ = await new_run()
    communicator = WebsocketCommunicator(application, f"/ws/runs/{run_id}/",
                                         headers=[(b"origin", b"http://evil.example"), (b"host", b"127.0.0.1")])
    connected, _ = await communicator.connect()
    assert not connected
    await communicator.disconnect()


@database_sync_to_async
def owned_run(duration: float, speed: float) -> tuple[str, str]:
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session["visitor"] = True
    session.create()
    run = services.run_create(topology=example("reference"), duration_s=duration, speed=speed,
                              owner_key=session.session_key)
    return str(run.id), session.session_key


async def test_pause_resume_a_live_edit_and_stop_reach_a_running_simulation() -> None:
    import asyncio

    run_id, session_key = await owned_run(duration=600.0, speed=10.0)
    ws = await Client.open(run_id, session_key)
    await ws.snapshot()
    worker = asyncio.create_task(asyncio.to_thread(lambda: host.execute(services.run_claim_next(worker="w"))))
    before = [(await ws.next_of("window"))["window"] for _ in range(3)]

    await ws.send({"type": "control", "command": {"op": "pause"}})
    assert (await ws.next_of("ack"))["command"] == {"op": "pause"}
    await asyncio.sleep(0.4)  # a window may have been on its way; then nothing more comes
    while not await ws.quiet(0.05):
        await ws.frame()
    assert await ws.quiet(0.5), "windows kept coming while paused"

    await ws.send({"type": "control", "command": {"op": "resume"}})
    await ws.send({"type": "control", "command": {"op": "set_param", "node": "db", "param": "workers", "value": 16}})
    after = []
    while len(after) < 6:
        after.append((await ws.next_of("window"))["window"])
    events = [e for w in after for e in w["events"]]
    assert {"type": "set_param", "node": "db", "param": "workers", "value": 16, "old": 2}.items() <= next(
        e for e in events if e["type"] == "set_param").items()
    # Sixteen database workers instead of two: the database's utilization falls.
    assert after[-1]["nodes"]["db"]["utilization"] < before[-1]["nodes"]["db"]["utilization"] / 3

    await ws.send({"type": "control", "command": {"op": "stop"}})
    final = None
    while final is None:
        frame = await ws.next_of("status")
        final = frame if frame["status"] in ("stopped", "done") else None
    assert final["status"] == "stopped"
    await worker
    await ws.close()


@database_sync_to_async
def users_run_and_another_session_of_that_user() -> tuple[str, str, str]:
    """A run a user started with an API token, and a browser session of the same user and of
    another user (both signed in)."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.models import User
    from django.contrib.sessions.backends.db import SessionStore

    def signed_in(user: User) -> str:
        session = SessionStore()
        session.update({SESSION_KEY: str(user.pk), BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
                        HASH_SESSION_KEY: user.get_session_auth_hash()})
        session.create()
        return session.session_key

    alice, bob = User.objects.create_user("alice"), User.objects.create_user("bob")
    run = services.run_create(topology=example("reference"), duration_s=600, speed=1, owner_key=f"user:{alice.pk}",
                              user=alice)
    return str(run.id), signed_in(alice), signed_in(bob)


async def test_the_user_who_started_a_run_controls_it_from_any_session_and_nobody_else_does() -> None:
    run_id, alices, bobs = await users_run_and_another_session_of_that_user()
    ws = await Client.open(run_id, alices)
    await ws.snapshot()
    await ws.send({"type": "control", "command": {"op": "stop"}})
    assert (await ws.next_of("ack"))["command"] == {"op": "stop"}
    await ws.close()
    stranger = WebsocketCommunicator(application, f"/ws/runs/{run_id}/",
                                     headers=HEADERS + [(b"cookie", f"sessionid={bobs}".encode())])
    connected, code = await stranger.connect()
    assert not connected and code == 4404  # bob may not even watch it
