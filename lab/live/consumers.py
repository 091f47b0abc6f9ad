"""The websocket of a live session, `/ws/sessions/<id>/`, where a student's device sends its
answers (docs/live-sessions.md, "Answering over the websocket"). Thin: it parses with the
project's one strict JSON reader, bounds what one connection may send, and hands each answer to
the batcher (answers.py), whose service holds every rule. It only ever replies; the run itself
streams on the run's own websocket (lab.runs.publisher).

Client to server:  {"type": "answer", "question": 12, "value": 140, "ref": 3}   (ref: optional, echoed)
                   {"type": "ping"}
Server to client:  {"type": "answered", "ref": 3, "question": 12, "round": 1, "value": 140.0}
                   {"type": "error", "ref": 3, "status": 409, "message": "...", "problems": [...]}
                   {"type": "pong"}
"""
from __future__ import annotations

import json
import time
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from lab.classroom.errors import ClassroomRefused
from lab.http import read_json
from lab.sim.problems import Refused, problem

from . import selectors
from .answers import batcher

MAX_MESSAGE = 2_000
# A student answers a few times a question; a burst of this many, then this many a second.
BURST = 10
PER_S = 5.0
# Every message is answered; a client that sends without ever reading would make the server
# hold its replies, so one connection gets this many replies, then it is closed (reconnecting
# is free, and no lesson or session needs a tenth of it).
MAX_REPLIES = 1_000
CLOSE_GONE = 4404
CLOSE_TOO_MANY = 4429


class SessionConsumer(AsyncWebsocketConsumer):
    channel_layer_alias = "none: nothing is pushed to this socket, it only replies"

    async def connect(self) -> None:
        self.session_id = str(self.scope["url_route"]["kwargs"]["session_id"])
        found = await database_sync_to_async(selectors.session_get)(user=self.scope.get("user"),
                                                                     session_id=self.session_id)
        if found is None:  # missing, or not in this class: the same answer
            await self.close(code=CLOSE_GONE)
            return
        self.user_id = self.scope["user"].pk
        self.tokens, self.filled, self.replies, self.warned = float(BURST), time.monotonic(), 0, 0.0
        await self.accept()

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if not self._may_send():
            now = time.monotonic()
            if now - self.warned >= 1.0:  # one refusal a second, not one per flooded message
                self.warned = now
                await self._reply({"type": "error", "ref": None, "status": 429, "problems": [],
                                   "message": f"too many messages; at most {PER_S:g} a second"})
            return
        try:
            message = read_json(text_data if text_data is not None else (bytes_data or b""), max_bytes=MAX_MESSAGE,
                                what="the message")
        except Refused as exc:
            await self._reply({"type": "error", "ref": None, "status": 400, "message": str(exc),
                               "problems": exc.problems})
            return
        ref = message.get("ref") if isinstance(message, dict) else None
        if not isinstance(ref, (int, str)) or isinstance(ref, bool) or len(str(ref)) > 40:
            ref = None
        kind = message.get("type") if isinstance(message, dict) else None
        if kind == "ping":
            await self._reply({"type": "pong"})
        elif kind == "answer":
            if set(message) - {"type", "question", "value", "ref"}:
                await self._refuse(ref, 400, "an answer has type, question, value and ref only")
                return
            result = await batcher().submit({"question": message.get("question"), "student": self.user_id,
                                             "value": message.get("value"), "session": self.session_id})
            if isinstance(result, ClassroomRefused):
                await self._reply({"type": "error", "ref": ref, "status": result.status,
                                   "message": str(result), "problems": result.problems})
            else:
                await self._reply({"type": "answered", "ref": ref, "question": result.question_id,
                                   "round": result.round, "value": result.value})
        else:
            await self._refuse(ref, 400, 'a message is {"type": "answer", "question": id, "value": number} or '
                                         '{"type": "ping"}')

    def _may_send(self) -> bool:
        now = time.monotonic()
        self.tokens = min(BURST, self.tokens + (now - self.filled) * PER_S)
        self.filled = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True

    async def _refuse(self, ref: Any, status: int, message: str) -> None:
        await self._reply({"type": "error", "ref": ref, "status": status, "message": message,
                           "problems": [problem("$", message)]})

    async def _reply(self, frame: dict[str, Any]) -> None:
        self.replies += 1
        if self.replies > MAX_REPLIES:
            await self.close(code=CLOSE_TOO_MANY)
            return
        await self.send(text_data=json.dumps(frame, ensure_ascii=True, allow_nan=False))
