"""A watched run's state in this process, and each connection watching it: the viewer with its
bounded outbox (docs/decisions.md, 27). The client acknowledges the frames it has received, and
a viewer keeps at most MAX_UNACKED_FRAMES frames or MAX_UNACKED_BYTES bytes unacknowledged. Past
that it sends nothing; when the client acknowledges again it catches up from what is current:
recent frames the poller still holds (`RunState`'s ring), older windows read from the database
in pages, the latest status. The poller that feeds them is lab/runs/publisher.py, the one place
that publishes to websockets; this module is its connections' side.
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from typing import Any, Awaitable, Callable

from channels.db import database_sync_to_async

from . import messages
from .models import OVER, RunWindow

log = logging.getLogger(__name__)

# A client acknowledges every 8 frames or 64 KiB (static/js/run-socket.js); the credit leaves
# room for that and for one more frame of the largest size, so a reading client never stalls.
MAX_UNACKED_FRAMES = 64
MAX_UNACKED_BYTES = 512 * 1024
# Resync and reconnect storms: at most one snapshot a second per connection.
MIN_SNAPSHOT_S = 1.0
# Replies (errors, command acks) waiting for credit; older ones are dropped past this.
MAX_REPLIES = 16
# Recent window frames kept per run, so viewers a little behind need no database read.
RING_FRAMES = 32
RING_BYTES = 256 * 1024

Send = Callable[[str], Awaitable[None]]


class RunState:
    """What this process knows of one watched run, shared by its viewers."""

    def __init__(self, row: dict[str, Any], last_seq: int) -> None:
        self.run_id = str(row["id"])
        self.viewers: set[Viewer] = set()
        self.last_seq = last_seq          # the highest window seq read for this attempt
        self.ring: deque[tuple[int, str]] = deque()
        self.ring_bytes = 0
        self.version = 0                  # bumped when status or attempt changes
        self.seen: tuple[Any, ...] = ()   # the row's fields last tick: unchanged means no window query
        self.results: Any = None
        self.gone = False
        self.update(row)
        self.status_text = ""

    def update(self, row: dict[str, Any]) -> bool:
        """Take a fresh row; True when status or attempt changed."""
        changed = (row["status"], row["attempt"]) != (getattr(self, "status", None), getattr(self, "attempt", None))
        if changed and getattr(self, "attempt", row["attempt"]) != row["attempt"]:
            self.last_seq = -1  # a retry starts over; viewers see the new attempt and get a new snapshot
            self.ring.clear()
            self.ring_bytes = 0
        self.status, self.attempt, self.sim_time = row["status"], row["attempt"], row["sim_time"]
        self.error, self.reason = row["error"], row["reason"]
        self.duration_s, self.speed = row["duration_s"], row["speed"]
        if changed:
            self.version += 1
        return changed

    @property
    def over(self) -> bool:
        return self.status in OVER

    def add(self, seq: int, data: Any) -> None:
        text = messages.window(self.run_id, self.attempt, seq, messages.window_json(seq, data))
        self.ring.append((seq, text))
        self.ring_bytes += len(text)
        while len(self.ring) > RING_FRAMES or self.ring_bytes > RING_BYTES:
            self.ring_bytes -= len(self.ring.popleft()[1])
        self.last_seq = seq

    def frame_after(self, seq: int) -> str | None:
        """The ring's frame for window seq + 1, if it still holds it."""
        if not self.ring or not self.ring[0][0] <= seq + 1 <= self.ring[-1][0]:
            return None
        found, text = self.ring[seq + 1 - self.ring[0][0]]
        return text if found == seq + 1 else None


def _read_page(run_id: str, after: int, through: int, rows: int) -> list[tuple[int, str]]:
    found = RunWindow.objects.filter(run_id=run_id, seq__gt=after, seq__lte=through).order_by("seq").values_list(
        "seq", "data")[:rows]
    return [(seq, messages.window_json(seq, data)) for seq, data in found]


# Off the one thread Django's async code shares, so that a class connecting at once (a snapshot
# each) does not hold up the poller's tick and everyone's live frames behind their page reads.
_read_page_async = database_sync_to_async(_read_page, thread_sensitive=False)


class Viewer:
    """One websocket's stream of one run: a single task writes every frame, within the client's
    credit, from the shared RunState and the database, never from a backlog."""

    def __init__(self, state: RunState, send: Send) -> None:
        self.state = state
        self._send = send
        self.attempt: int | None = None
        self.seq = -1                  # the last window seq sent on this connection
        self.through = -1              # the snapshot being sent ends here
        self.status_version = -1
        self.want_snapshot = True
        self.want_status = False
        self.last_snapshot = -1e9
        self.replies: deque[str] = deque(maxlen=MAX_REPLIES)
        self.sent = self.acked = 0     # frames
        self.sent_bytes = 0
        self._ends: deque[int] = deque()  # sent_bytes after each unacknowledged frame
        self._acked_bytes = 0
        self._spare: list[tuple[int, str]] = []
        self._timer: asyncio.TimerHandle | None = None
        self._event = asyncio.Event()
        self._event.set()  # the first frames: a snapshot
        self._page_rows = 32
        self._task = asyncio.get_running_loop().create_task(self._pump())

    # What the consumer tells it.
    def wake(self) -> None:
        self._event.set()

    def received(self, frames: int) -> str | None:
        """The client has `frames` frames of this connection; a problem sentence if that cannot be."""
        if frames > self.sent:
            return f"an ack for {frames} frames, but this connection has sent {self.sent}"
        while self.acked < frames:
            self._acked_bytes = self._ends.popleft()
            self.acked += 1
        self.wake()
        return None

    def resync(self) -> None:
        self.want_snapshot = True
        self.wake()

    def ping(self) -> None:
        self.want_status = True
        self.wake()

    def reply(self, frame: dict[str, Any]) -> None:
        self.replies.append(messages.encode(frame))
        self.wake()

    def close(self) -> None:
        self._task.cancel()
        if self._timer is not None:
            self._timer.cancel()

    # The writer.
    def _room(self, size: int) -> bool:
        unacked = self.sent - self.acked
        return unacked == 0 or (unacked < MAX_UNACKED_FRAMES
                                and self.sent_bytes - self._acked_bytes + size <= MAX_UNACKED_BYTES)

    async def _write(self, text: str) -> None:
        self.sent += 1
        self.sent_bytes += len(text)  # frames are ASCII: characters are bytes
        self._ends.append(self.sent_bytes)
        await self._send(text)

    async def _pump(self) -> None:
        while True:
            await self._event.wait()
            self._event.clear()
            try:
                await self._drain()
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - one broken connection must not end the others
                log.exception("streaming run %s to a viewer failed", self.state.run_id)
                await asyncio.sleep(1.0)
                self.wake()

    async def _drain(self) -> None:
        state = self.state
        while True:
            if self.replies:
                if not self._room(len(self.replies[0])):
                    return
                await self._write(self.replies.popleft())
                continue
            if self.attempt != state.attempt and self.seq < 0 and self.through < 0 and self.attempt is not None:
                self.attempt = state.attempt  # nothing of the old attempt was sent: carry on
            if self.want_snapshot or self.attempt != state.attempt:
                wait = self.last_snapshot + MIN_SNAPSHOT_S - time.monotonic()
                if wait > 0:
                    self._later(wait)
                    if self.attempt != state.attempt:
                        return  # nothing of the old attempt is worth sending
                elif self._room(len(state.status_text) + 256):
                    self.want_snapshot = False
                    self.last_snapshot = time.monotonic()
                    self.attempt, self.seq, self.through = state.attempt, -1, state.last_seq
                    self.status_version, self._spare = state.version, []
                    await self._write(messages.snapshot(state, self.through))
                    continue
                else:
                    return
            target = max(state.last_seq, self.through)
            if self.seq < target:
                live = state.frame_after(self.seq) if self.seq >= self.through else None
                if live is not None:
                    if not self._room(len(live)):
                        return
                    await self._write(live)
                    self.seq += 1
                    continue
                if not self._room(messages.PAGE_BYTES):
                    return
                if not await self._page(target):
                    return
                continue
            if self.status_version != state.version or self.want_status:
                if not self._room(len(state.status_text)):
                    return
                self.status_version, self.want_status = state.version, False
                await self._write(state.status_text)
                continue
            return

    async def _page(self, target: int) -> bool:
        """Send the next page of windows from the database; False if there is none to send."""
        state, attempt = self.state, self.state.attempt
        rows = self._spare if self._spare and self._spare[0][0] == self.seq + 1 else []
        if not rows:
            rows = await _read_page_async(state.run_id, self.seq, target, self._page_rows)
            if state.attempt != attempt or self.attempt != attempt:
                return True  # a retry began while reading: the loop starts a new snapshot
        if not rows or rows[0][0] != self.seq + 1:
            # Not in the record (yet): the poller's next tick wakes this viewer again.
            return False
        budget = messages.PAGE_BYTES - messages.page_overhead(state.run_id)
        taken: list[tuple[int, str]] = []
        size = 0
        for seq, text in rows:
            if taken and (size + len(text) + 1 > budget or seq != taken[-1][0] + 1):
                break
            taken.append((seq, text))
            size += len(text) + 1
        self._spare = rows[len(taken):]
        # Read about one page's worth next time.
        self._page_rows = max(1, min(1000, int(len(taken) * budget / max(size, 1)) + 1))
        await self._write(messages.page(state.run_id, attempt, taken))
        self.seq = taken[-1][0]
        return True

    def _later(self, wait: float) -> None:
        if self._timer is None or self._timer.when() <= asyncio.get_running_loop().time():
            self._timer = asyncio.get_running_loop().call_later(wait, self.wake)
