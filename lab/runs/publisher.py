"""The one module that publishes to websockets.

For each run that someone in this server process is watching, one task polls the database for
new windows and status changes and sends them, encoded once, to the run's group in this process.
The database is the record (a worker may be in another process or on another machine); the
channel layer only carries frames, best effort, and a client that sees a gap asks for a snapshot.
"""
from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer

from . import messages, selectors

log = logging.getLogger(__name__)
POLL_S = 0.05
# Each server process polls for its own viewers and sends to its own group, so with several
# servers on one Redis a frame is not delivered twice.
PROCESS = uuid.uuid4().hex[:12]
_watchers: dict[str, int] = {}
_tasks: dict[str, asyncio.Task[None]] = {}


def group_name(run_id: str) -> str:
    return f"run-{run_id}-{PROCESS}"


def watch(run_id: str, after_seq: int) -> None:
    _watchers[run_id] = _watchers.get(run_id, 0) + 1
    task = _tasks.get(run_id)
    if task is None or task.done():
        _tasks[run_id] = asyncio.get_running_loop().create_task(_poll(run_id, after_seq))


def unwatch(run_id: str) -> None:
    left = _watchers.get(run_id, 0) - 1
    if left > 0:
        _watchers[run_id] = left
        return
    _watchers.pop(run_id, None)
    task = _tasks.pop(run_id, None)
    if task is not None:
        task.cancel()


async def _send(run_id: str, frame: dict[str, Any]) -> None:
    await get_channel_layer().group_send(group_name(run_id), {"type": "run.frame", "text": messages.encode(frame)})


async def _poll(run_id: str, after_seq: int) -> None:
    get_run = database_sync_to_async(selectors.run_get)
    get_windows = database_sync_to_async(selectors.run_windows)
    last_seq, last_state = after_seq, None
    try:
        while True:
            run = await get_run(run_id=run_id)
            if run is None:
                return
            state = (run.status, run.attempt)
            if last_state is not None and state[1] != last_state[1]:
                last_seq = -1  # a retry starts over; clients see the new attempt and resync
            for seq, data in await get_windows(run=run, after_seq=last_seq):
                await _send(run_id, messages.window(run_id, run.attempt, seq, data))
                last_seq = seq
            if state != last_state:
                await _send(run_id, messages.status(run))
                last_state = state
            if run.is_over:
                return
            await asyncio.sleep(POLL_S)
    except asyncio.CancelledError:
        raise
    except Exception:  # noqa: BLE001 - a broken poller must not take the server down
        log.exception("publisher for run %s stopped", run_id)
