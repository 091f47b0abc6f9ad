"""The websocket of a study, `/ws/studies/<id>/`: its progress, as the study's API answer has it,
sent on connect and whenever it changes (lab.runs.publisher's study feed, the one module that
publishes to websockets). Thin: it checks who may see the study, as its API does, and follows.

Server to client:  {"type": "study", "study": id, "status": "running", "done": 12, "failed": 0, "total": 40}
                   {"type": "error", "message": ..., "problems": [...]}  (a message it cannot use)
Client to server:  {"type": "ping"} or {"type": "resync"}: the progress frame again.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from lab.designs.access import LINKS
from lab.runs import messages, publisher
from lab.sim.problems import Refused

from . import selectors

CLOSE_GONE = 4404


def _visible(study_id: str, user: Any, token: str | None, links: Any) -> str | None:
    study = selectors.study_get_visible(study_id=study_id, user=user, token=token,
                                        links=links if isinstance(links, dict) else None)
    return str(study.id) if study is not None else None


class StudyConsumer(AsyncWebsocketConsumer):
    channel_layer_alias = "none: the publisher hands frames over in-process"
    follower: publisher.Follower | None = None

    async def connect(self) -> None:
        study_id = str(self.scope["url_route"]["kwargs"]["study_id"])
        query = parse_qs(self.scope.get("query_string", b"").decode("ascii", "replace"))
        token = (query.get("token") or [None])[0]
        session = self.scope.get("session")
        links = session.get(LINKS, {}) if session is not None else {}
        found = await database_sync_to_async(_visible)(study_id, self.scope.get("user"), token, links)
        if found is None:  # missing, or not this viewer's to see: the same answer
            await self.close(code=CLOSE_GONE)
            return
        await self.accept()
        self.follower = await publisher.follow("study", found, lambda text: self.send(text_data=text))
        if self.follower is None:
            await self.close(code=CLOSE_GONE)

    async def disconnect(self, code: int) -> None:
        if self.follower is not None:
            publisher.unfollow(self.follower)
            self.follower = None

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        follower = self.follower
        if follower is None:
            return
        try:
            message = messages.decode(text_data)
        except Refused as exc:
            follower.reply(messages.error(str(exc), exc.problems))
            return
        if message["type"] in (messages.PING, messages.RESYNC):
            follower.again()
        elif message["type"] != messages.RECEIVED:  # acks are harmless here: nothing is held for them
            follower.reply(messages.error("a study's websocket takes only {\"type\": \"ping\"}"))
