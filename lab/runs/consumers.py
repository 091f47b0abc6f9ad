"""The websocket a viewer of a run talks to: thin. It parses, authorizes and calls a service;
frames come from the publisher."""
from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from . import messages, publisher, selectors, services


class RunConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        self.run_id = str(self.scope["url_route"]["kwargs"]["run_id"])
        self.watching = False
        session = self.scope.get("session")
        run = await database_sync_to_async(_visible_run)(self.run_id, self.scope.get("user"),
                                                          getattr(session, "session_key", None))
        if run is None:  # missing, or not this viewer's to watch: the same answer
            await self.close(code=4404)
            return
        self.run_id = str(run.id)
        await self.accept()
        await self.channel_layer.group_add(publisher.group_name(self.run_id), self.channel_name)
        last_seq = await self._send_snapshot()
        publisher.watch(self.run_id, last_seq)
        self.watching = True

    async def disconnect(self, code: int) -> None:
        if getattr(self, "watching", False):
            publisher.unwatch(self.run_id)
            await self.channel_layer.group_discard(publisher.group_name(self.run_id), self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        try:
            message = messages.decode(text_data)
        except messages.BadMessage as exc:
            await self._frame(messages.error(str(exc)))
            return
        kind = message["type"]
        if kind == messages.RESYNC:
            await self._send_snapshot()
        elif kind == messages.PING:
            run = await database_sync_to_async(selectors.run_get)(run_id=self.run_id)
            await self._frame(messages.status(run))
        else:
            await self._control(message["command"])

    async def _control(self, command: dict[str, Any]) -> None:
        session = self.scope.get("session")
        key = getattr(session, "session_key", None) or ""
        reply = await database_sync_to_async(_queue_command)(self.run_id, key, command)
        await self._frame(reply)

    async def _send_snapshot(self) -> int:
        run, windows = await database_sync_to_async(_snapshot)(self.run_id)
        await self._frame(messages.snapshot(run, [data for _, data in windows]))
        return windows[-1][0] if windows else -1

    async def _frame(self, frame: dict[str, Any]) -> None:
        await self.send(text_data=messages.encode(frame))

    async def run_frame(self, event: dict[str, Any]) -> None:
        await self.send(text_data=event["text"])


def _visible_run(run_id: str, user: Any, session_key: str | None) -> Any:
    run = selectors.run_get(run_id=run_id)
    if run is None or not selectors.run_can_view(run=run, user=user, session_key=session_key):
        return None
    return run


def _snapshot(run_id: str) -> tuple[Any, list[tuple[int, dict[str, Any]]]]:
    run = selectors.run_get(run_id=run_id)
    return run, selectors.run_windows(run=run)


def _queue_command(run_id: str, session_key: str, command: dict[str, Any]) -> dict[str, Any]:
    run = selectors.run_get(run_id=run_id)
    if run is None:
        return messages.error("the run no longer exists")
    if not run.owner_key or run.owner_key != session_key:
        return messages.error("only the browser that started this run can control it; start your own run to experiment")
    try:
        queued = services.run_command_add(run=run, command=command)
    except services.RunRefused as exc:
        return messages.error(str(exc), exc.problems)
    return {"type": messages.ACK, "id": queued.id, "command": command}
