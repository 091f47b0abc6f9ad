"""The websocket a viewer of a run talks to: thin. It parses, authorizes and calls a service;
every frame goes out through the connection's publisher.Viewer, within the client's credit."""
from __future__ import annotations

import time
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from lab.sim.problems import Refused

from . import messages, publisher, selectors, services

# Commands become database rows and reach a worker: a burst of this many, then this many a second.
COMMAND_BURST = 10
COMMANDS_PER_S = 2.0


class RunConsumer(AsyncWebsocketConsumer):
    # Frames come from this process's publisher, never through the channel layer, so the
    # consumer does not listen on it: an idle listen on Redis timed out (redis-py's read timeout
    # is shorter than channels-redis's blocking pop) and closed the websocket with 1011.
    channel_layer_alias = "none: the publisher hands frames over in-process"
    viewer: publisher.Viewer | None = None

    async def connect(self) -> None:
        self.run_id = str(self.scope["url_route"]["kwargs"]["run_id"])
        session = self.scope.get("session")
        run = await database_sync_to_async(selectors.run_get_visible)(
            run_id=self.run_id, user=self.scope.get("user"), session_key=getattr(session, "session_key", None))
        if run is None:  # missing, or not this viewer's to watch: the same answer
            await self.close(code=4404)
            return
        self.run_id = str(run.id)
        self.tokens, self.filled = float(COMMAND_BURST), time.monotonic()
        await self.accept()
        self.viewer = await publisher.watch(self.run_id, lambda text: self.send(text_data=text))
        if self.viewer is None:
            await self.close(code=4404)

    async def disconnect(self, code: int) -> None:
        if self.viewer is not None:
            publisher.unwatch(self.viewer)
            self.viewer = None

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        viewer = self.viewer
        if viewer is None:
            return
        try:
            message = messages.decode(text_data)
        except Refused as exc:
            viewer.reply(messages.error(str(exc), exc.problems))
            return
        kind = message["type"]
        if kind == messages.RECEIVED:
            problem = viewer.received(message["frames"])
            if problem:
                viewer.reply(messages.error(problem))
        elif kind == messages.RESYNC:
            viewer.resync()
        elif kind == messages.PING:
            viewer.ping()
        elif self._may_command():
            await self._control(viewer, message["command"])
        else:
            viewer.reply(messages.error(f"too many commands; at most {COMMANDS_PER_S:g} a second"))

    def _may_command(self) -> bool:
        now = time.monotonic()
        self.tokens = min(COMMAND_BURST, self.tokens + (now - self.filled) * COMMANDS_PER_S)
        self.filled = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True

    async def _control(self, viewer: publisher.Viewer, command: dict[str, Any]) -> None:
        session = self.scope.get("session")
        key = getattr(session, "session_key", None) or ""
        viewer.reply(await database_sync_to_async(_queue_command)(self.run_id, self.scope.get("user"), key, command))


def _queue_command(run_id: str, user: Any, session_key: str, command: dict[str, Any]) -> dict[str, Any]:
    run = selectors.run_get(run_id=run_id)
    if run is None:
        return messages.error("the run no longer exists")
    try:
        selectors.run_check_control(run=run, user=user, session_key=session_key)
        queued = services.run_command_add(run=run, command=command)
    except Refused as exc:
        return messages.error(str(exc), exc.problems)
    return messages.ack(queued.id, command)
