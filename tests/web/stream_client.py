"""A websocket viewer of a run for the tests, through Channels' communicator in-process: it
counts frames, acknowledges them as the page's run-socket.js does (or not, to play a client that
never reads), and reassembles paged snapshots."""
from __future__ import annotations

import json
from typing import Any

from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from lab.asgi import application
from lab.runs import messages

HEADERS = [(b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1")]
ACK_EVERY_FRAMES = 8
ACK_EVERY_BYTES = 64 * 1024


@database_sync_to_async
def new_session() -> str:
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session["visitor"] = True
    session.create()
    return session.session_key


class Client:
    def __init__(self, communicator: WebsocketCommunicator, acks: bool) -> None:
        self.ws = communicator
        self.acks = acks
        self.received = 0
        self.acked = 0
        self.unacked_bytes = 0
        self.largest = 0

    @classmethod
    async def open(cls, run_id: str, session_key: str, acks: bool = True) -> Client:
        communicator = WebsocketCommunicator(application, f"/ws/runs/{run_id}/",
                                             headers=HEADERS + [(b"cookie", f"sessionid={session_key}".encode())])
        connected, code = await communicator.connect()
        assert connected, code
        return cls(communicator, acks)

    async def frame(self, timeout: float = 5.0) -> dict[str, Any]:
        text = await self.ws.receive_from(timeout)
        self.received += 1
        self.unacked_bytes += len(text)
        self.largest = max(self.largest, len(text.encode()))
        if self.acks and (self.received - self.acked >= ACK_EVERY_FRAMES or self.unacked_bytes >= ACK_EVERY_BYTES):
            await self.ack()
        return json.loads(text)

    async def ack(self) -> None:
        await self.send({"type": "ack", "frames": self.received})
        self.acked, self.unacked_bytes = self.received, 0

    async def send(self, message: dict[str, Any]) -> None:
        await self.ws.send_to(text_data=json.dumps(message))

    async def next_of(self, kind: str, timeout: float = 10.0) -> dict[str, Any]:
        while True:
            frame = await self.frame(timeout)
            if frame["type"] == kind:
                return frame

    async def snapshot(self, header: dict[str, Any] | None = None, timeout: float = 10.0) -> dict[str, Any]:
        """The next snapshot, reassembled: its header with every window of its pages."""
        header = header or await self.next_of(messages.SNAPSHOT, timeout)
        windows: list[dict[str, Any]] = []
        while len(windows) <= header["through"]:
            page = await self.frame(timeout)
            assert page["type"] == messages.WINDOWS, page["type"]
            assert page["attempt"] == header["attempt"] and page["first"] == len(windows)
            windows.extend(page["windows"])
            assert page["last"] == len(windows) - 1
        return {**header, "windows": windows}

    async def quiet(self, seconds: float = 0.5) -> bool:
        return await self.ws.receive_nothing(seconds)

    async def close(self) -> None:
        await self.ws.disconnect()
