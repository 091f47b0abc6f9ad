"""A class answering at once, taken in batches: the session websocket (consumers.py) hands each
student's answer here, and every answer that arrives within BATCH_S is written by one call of
services.answers_submit, three statements for the whole batch.

Why: over HTTP each answer is a Django request of its own, and sync views run one at a time on
the server's one sync thread (~6.6 ms each here), so 100 students answering together took 1.3 s
to be counted; as websocket messages in one batch they take a few statements (bench/live_session.py,
docs/decisions.md 39). One batcher per event loop (a server process has one).
"""
from __future__ import annotations

import asyncio
import logging
import weakref
from typing import Any

from channels.db import database_sync_to_async

from lab.classroom.errors import ClassroomRefused

from . import services
from .models import Answer

log = logging.getLogger(__name__)

BATCH_S = 0.02        # wait this long for the rest of the class before writing
MAX_BATCH = 500       # answers written by one call
MAX_PENDING = 5000    # answers waiting in one process; past this one is refused ("busy"), not queued

Result = Answer | ClassroomRefused


class AnswerBatcher:
    def __init__(self) -> None:
        self.pending: list[tuple[dict[str, Any], asyncio.Future[Result]]] = []
        self.writer: asyncio.Task[None] | None = None

    async def submit(self, entry: dict[str, Any]) -> Result:
        if len(self.pending) >= MAX_PENDING:
            return ClassroomRefused("the server is busy taking answers; send yours again in a moment", status=503)
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self.pending.append((entry, future))
        if self.writer is None or self.writer.done():
            self.writer = asyncio.create_task(self._write())
        return await future

    async def _write(self) -> None:
        await asyncio.sleep(BATCH_S)
        while self.pending:
            batch, self.pending = self.pending[:MAX_BATCH], self.pending[MAX_BATCH:]
            try:
                results = await database_sync_to_async(services.answers_submit)([entry for entry, _ in batch])
            except Exception:  # noqa: BLE001 - one answer that breaks the write must not take the class's
                log.exception("answers: a batch of %d could not be written; writing them one by one", len(batch))
                results = await database_sync_to_async(_one_by_one)([entry for entry, _ in batch])
            for (_, future), result in zip(batch, results):
                if not future.done():  # its socket may have closed meanwhile
                    future.set_result(result)


def _one_by_one(entries: list[dict[str, Any]]) -> list[Result]:
    """Each answer on its own, after a batch failed: only the one that breaks is refused."""
    out: list[Result] = []
    for entry in entries:
        try:
            out.append(services.answers_submit([entry])[0])
        except Exception:  # noqa: BLE001
            log.exception("answers: an answer could not be written")
            out.append(ClassroomRefused("your answer could not be saved; send it again", status=503))
    return out


_batchers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, AnswerBatcher] = weakref.WeakKeyDictionary()


def batcher() -> AnswerBatcher:
    loop = asyncio.get_running_loop()
    if loop not in _batchers:
        _batchers[loop] = AnswerBatcher()
    return _batchers[loop]
