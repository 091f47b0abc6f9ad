"""Bounded streams, over the run websocket in-process with the real database: a long finished
run arrives whole in pages no larger than the frame limit; a client that stops acknowledging
gets its credit's worth and then nothing, and the rest when it acknowledges; resync floods and
readers that do not read cost the server a bounded amount."""
from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lab.runs import messages, publisher, services, viewers
from lab.runs.models import Run, RunWindow

from .conftest import example
from .stream_client import Client, new_session

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


def window(seq: int) -> dict[str, Any]:
    """A window about the size of the two-region example's (~4 KB)."""
    nodes = {f"node-{i}": {"kind": "service_pool", "arrival_rate_per_s": 100.0 + i, "errors": i, "utilization": 0.5,
                           "queue_length": 1.25, "latency_ms": {"mean": 20.0, "p50": 18.0, "p95": 40.0, "p99": 55.5}}
             for i in range(18)}
    return {"index": seq, "t_start": float(seq), "t_end": seq + 1.0, "closed_at": time.time(), "nodes": nodes,
            "events": []}


@database_sync_to_async
def finished_run(windows: int) -> tuple[str, str]:
    """A run that ended long ago with `windows` windows, written as the worker leaves them."""
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session.create()
    run = Run.objects.create(topology=example("reference"), seed=1, duration_s=float(windows), speed=0,
                             owner_key=session.session_key, status=Run.Status.DONE, attempt=1, windows=windows,
                             sim_time=float(windows), results={"requests": {"created": 1}})
    RunWindow.objects.bulk_create([RunWindow(run=run, seq=i, data=window(i)) for i in range(windows)],
                                  batch_size=500)
    return str(run.id), session.session_key


@database_sync_to_async
def running_run() -> tuple[Run, str]:
    """A run claimed by a worker that this test plays: it stores windows with the real service."""
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session.create()
    services.run_create(topology=example("reference"), duration_s=3600, speed=1, owner_key=session.session_key)
    return services.run_claim_next(worker="test-worker"), session.session_key


@database_sync_to_async
def store(run: Run, seqs: range) -> None:
    assert services.run_add_windows(run=run, windows=[window(i) for i in seqs], sim_time=float(seqs[-1] + 1))


@database_sync_to_async
def finish(run: Run) -> None:
    assert services.run_finish(run=run, results={"requests": {"created": 1}}, stopped=False)


async def windows_until_quiet(client: Client, quiet_s: float = 0.5) -> list[int]:
    seqs = []
    while not await client.quiet(quiet_s):
        frame = await client.frame()
        if frame["type"] == messages.WINDOW:
            seqs.append(frame["seq"])
        elif frame["type"] == messages.WINDOWS:
            seqs.extend(w["index"] for w in frame["windows"])
    return seqs


async def test_a_finished_run_of_3600_windows_arrives_whole_with_no_frame_over_the_limit() -> None:
    run_id, key = await finished_run(3600)
    client = await Client.open(run_id, key)
    snapshot = await client.snapshot(timeout=30)
    assert snapshot["status"] == "done" and snapshot["through"] == 3599
    assert [w["index"] for w in snapshot["windows"]] == list(range(3600))
    assert snapshot["results"] == {"requests": {"created": 1}}
    assert client.largest <= messages.MAX_FRAME
    assert client.received > 3600 * 4000 // messages.MAX_FRAME  # in pages, not one frame
    assert await client.quiet(0.3)  # and nothing after: the page does not ask again
    await client.close()


async def test_a_client_that_never_acks_gets_its_credit_then_nothing_then_the_rest_when_it_acks() -> None:
    run, key = await running_run()
    reader = await Client.open(str(run.id), key, acks=False)
    await store(run, range(0, 200))
    seqs = await windows_until_quiet(reader)
    assert 0 < reader.received <= viewers.MAX_UNACKED_FRAMES
    assert reader.unacked_bytes <= viewers.MAX_UNACKED_BYTES

    await store(run, range(200, 400))  # the run goes on
    assert await reader.quiet(0.5), "frames kept coming to a client that acknowledged nothing"

    reader.acks = True
    await reader.ack()
    seqs += await windows_until_quiet(reader)
    await finish(run)
    assert (await reader.next_of(messages.STATUS))["status"] == "done"
    assert seqs == list(range(400))  # every window once, in order: caught up from the record
    await reader.close()


async def test_a_reader_that_stalls_does_not_hold_back_another_viewer_of_the_same_run() -> None:
    run, key = await running_run()
    stalled = await Client.open(str(run.id), key, acks=False)
    reading = await Client.open(str(run.id), key)
    await store(run, range(0, 300))
    seqs = []
    while len(seqs) < 300:
        frame = await reading.frame()
        if frame["type"] == messages.WINDOW:
            seqs.append(frame["seq"])
        elif frame["type"] == messages.WINDOWS:
            seqs.extend(w["index"] for w in frame["windows"])
    assert seqs == list(range(300))
    await windows_until_quiet(stalled, 0.2)
    assert stalled.received <= viewers.MAX_UNACKED_FRAMES
    await stalled.close()
    await reading.close()


async def test_a_resync_flood_gets_at_most_one_snapshot_a_second() -> None:
    run_id, key = await finished_run(300)
    # Before connecting: the server sends the first snapshot after this, and the deferred one at
    # least MIN_SNAPSHOT_S after the first, however slowly this client reads them.
    started = time.monotonic()
    client = await Client.open(run_id, key)
    await client.snapshot()
    for _ in range(200):
        await client.send({"type": "resync"})
    headers = []
    while not await client.quiet(1.5):
        frame = await client.frame()
        if frame["type"] == messages.SNAPSHOT:
            headers.append(time.monotonic())
            assert len((await client.snapshot(frame))["windows"]) == 300
    assert len(headers) == 1, "200 requests within a second coalesce into one deferred snapshot"
    assert headers[0] - started >= viewers.MIN_SNAPSHOT_S
    await client.close()


async def test_the_publisher_reads_every_watched_run_in_a_few_queries_a_tick_and_marks_them_watched() -> None:
    claimed = [await running_run() for _ in range(12)]
    clients = [await Client.open(str(run.id), key) for run, key in claimed]
    for client in clients:
        await client.snapshot()
    for run, _ in claimed:
        await store(run, range(0, 3))

    def one_tick() -> int:
        with CaptureQueriesContext(connection) as queries:
            publisher._tick(list(publisher._runs.values()), mark_watched=True)
        return len(queries)

    assert await database_sync_to_async(one_tick)() <= 3  # mark watched, the rows, the new windows
    for client in clients:
        assert [w["index"] for w in [(await client.next_of(messages.WINDOW))["window"]]] == [0]
    watched = await database_sync_to_async(lambda: list(Run.objects.filter(
        id__in=[run.id for run, _ in claimed]).values_list("watched_at", flat=True)))()
    assert all(watched)
    for client in clients:
        await client.close()
    await asyncio.sleep(0)
    assert not publisher._runs  # the last viewer gone, nothing is polled
