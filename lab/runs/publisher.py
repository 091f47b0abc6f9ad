"""The one module that publishes to websockets.

One poller per server process reads, for every run someone here watches, new windows and status
changes in two queries a tick, encodes each frame once, and wakes the run's viewers. The
database is the record (workers may be in other processes or on other machines), so the poller
does not need the channel layer: it delivers to this process's connections directly.

Each connection is a `Viewer` with a bounded outbox (docs/decisions.md, 27): the client
acknowledges the frames it has received, and a viewer keeps at most MAX_UNACKED_FRAMES frames or
MAX_UNACKED_BYTES bytes unacknowledged. Past that it sends nothing; when the client acknowledges
again it catches up from what is current: recent frames the poller still holds, older windows
read from the database in pages, the latest status. A client that never reads costs the server
its credit and a few counters, however long the run goes on.
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from typing import Any, Awaitable, Callable

from channels.db import database_sync_to_async
from django.db.models import Max, Q

from . import messages, services
from .models import OVER, Run, RunWindow

log = logging.getLogger(__name__)
POLL_S = 0.05
# The worker stops paced runs nobody watches (ARCHLAB_IDLE_STOP_S); tell it which runs have
# viewers here this often.
WATCHED_EVERY_S = 5.0
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
# Windows read in one tick for all runs (a run as fast as possible writes hundreds a second).
MAX_ROWS_PER_TICK = 2000

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


_runs: dict[str, RunState] = {}
_poller: asyncio.Task[None] | None = None

_FIELDS = ("id", "status", "attempt", "sim_time", "error", "reason", "duration_s", "speed", "windows")


def _first_read(run_id: str) -> tuple[dict[str, Any], int, Any] | None:
    row = Run.objects.filter(id=run_id).values(*_FIELDS).first()
    if row is None:
        return None
    last = RunWindow.objects.filter(run_id=run_id).aggregate(m=Max("seq"))["m"]
    results = Run.objects.filter(id=run_id).values_list("results", flat=True)[0] if row["status"] in OVER else None
    return row, -1 if last is None else last, results


async def watch(run_id: str, send: Send) -> Viewer | None:
    """Start streaming a run to a connection; None if the run is gone. The viewer's first frames
    are a snapshot."""
    global _poller
    loop = asyncio.get_running_loop()
    _forget_other_loops(loop)
    state = _runs.get(run_id)
    if state is None:
        read = await database_sync_to_async(_first_read)(run_id)
        if read is None:
            return None
        state = _runs.get(run_id)  # another viewer may have arrived while this one read
        if state is None:
            row, last_seq, results = read
            state = _runs[run_id] = RunState(row, last_seq)
            state.results = results
            state.status_text = messages.status(state)
    viewer = Viewer(state, send)
    state.viewers.add(viewer)
    _start_poller(loop)
    return viewer


def _forget_other_loops(loop: asyncio.AbstractEventLoop) -> None:
    global _poller
    if _poller is not None and _poller.get_loop() is not loop:
        _runs.clear()  # left by an event loop that has ended (tests start one per test)
        _follows.clear()
        _poller = None


def _start_poller(loop: asyncio.AbstractEventLoop) -> None:
    global _poller
    if _poller is None or _poller.done():
        _poller = loop.create_task(_poll())


def unwatch(viewer: Viewer) -> None:
    viewer.close()
    state = viewer.state
    state.viewers.discard(viewer)
    if not state.viewers and _runs.get(state.run_id) is state:
        del _runs[state.run_id]


# -- the poller: one per process --------------------------------------------------------------

def _tick(states: list[RunState], mark_watched: bool) -> list[tuple[RunState, dict[str, Any] | None, list[tuple[int, Any]], Any]]:
    """One database read for every watched run that is not over: the rows, then the new windows
    of the runs whose row changed, then the results of runs that just ended."""
    live = [s for s in states if not s.over and not s.gone]
    if mark_watched and live:
        services.run_mark_watched(run_ids=[s.run_id for s in live])
    rows = {str(r["id"]): r for r in Run.objects.filter(id__in=[s.run_id for s in live]).values(*_FIELDS)}
    wanted = Q()
    cursors: dict[str, int] = {}
    for s in live:
        row = rows.get(s.run_id)
        if row is None:
            continue
        fields = tuple(row[f] for f in _FIELDS)
        if fields != s.seen:
            cursors[s.run_id] = -1 if row["attempt"] != s.attempt else s.last_seq
            wanted |= Q(run_id=s.run_id, seq__gt=cursors[s.run_id])
    new: dict[str, list[tuple[int, Any]]] = {}
    if cursors:
        for run_id, seq, data in RunWindow.objects.filter(wanted).order_by("run_id", "seq").values_list(
                "run_id", "seq", "data")[:MAX_ROWS_PER_TICK]:
            new.setdefault(str(run_id), []).append((seq, data))
    ended = [r for r in rows if rows[r]["status"] in OVER]
    # Keyed by the id as text, as the viewers' states hold it.
    results: dict[str, Any] = ({str(k): v for k, v in Run.objects.filter(id__in=ended).values_list("id", "results")}
                               if ended else {})
    out = []
    for s in live:
        row = rows.get(s.run_id)
        out.append((s, row, new.get(s.run_id, []), results.get(s.run_id)))
    return out


async def _poll() -> None:
    # Off the one thread Django's async code shares too (as the page reads below): a class
    # connecting at once queues its session, user and run reads there, and every live frame of the
    # process would wait behind them. One tick at a time still (each is awaited).
    tick = database_sync_to_async(_tick, thread_sensitive=False)
    read_feeds = database_sync_to_async(_read_feeds, thread_sensitive=False)
    next_mark = next_feed = 0.0
    while _runs or _follows:
        started = time.monotonic()
        try:
            mark = started >= next_mark
            if mark:
                next_mark = started + WATCHED_EVERY_S
            if _runs:
                for state, row, windows, results in await tick(list(_runs.values()), mark):
                    _apply(state, row, windows, results)
            if _follows and started >= next_feed:
                next_feed = started + FEED_POLL_S
                for followed, text in (await read_feeds(list(_follows))).items():
                    for follower in list(_follows.get(followed, ())):
                        follower.offer(text)
        except Exception:  # noqa: BLE001 - a failed tick must not stop every stream in the process
            log.exception("the publisher's poll failed; trying again")
            await asyncio.sleep(1.0)
        await asyncio.sleep(max(0.0, POLL_S - (time.monotonic() - started)))


def _apply(state: RunState, row: dict[str, Any] | None, windows: list[tuple[int, Any]], results: Any) -> None:
    if row is None:
        state.gone = True
        return
    attempt_changed = row["attempt"] != state.attempt
    changed = state.update(row)
    # Only windows that continue this attempt's sequence (a tick cut short by MAX_ROWS_PER_TICK
    # or a retry between the two queries is read again next tick).
    got_all = True
    for seq, data in windows:
        if seq != state.last_seq + 1:
            got_all = False
            break
        state.add(seq, data)
    if got_all and len(windows) < MAX_ROWS_PER_TICK:
        state.seen = tuple(row[f] for f in _FIELDS)
    if state.over:
        state.results = results
    if changed or state.over:
        state.status_text = messages.status(state)
    if changed or windows or attempt_changed:
        for viewer in state.viewers:
            viewer.wake()


# -- one connection ---------------------------------------------------------------------------

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


# -- feeds: progress other apps stream through here (a study's, lab.studies) ------------------
#
# A feed is a reader registered by the app that owns the thing followed: given the keys followed
# in this process, it answers each one's progress in one query (a key that is gone is left out),
# and an encoder makes its frame (messages.py). The poller reads every feed each FEED_POLL_S and
# offers each follower the latest frame. A progress frame replaces the one before, so a follower
# holds at most one frame not yet sent: a client that never reads costs one frame, not a backlog.

FeedReader = Callable[[list[str]], dict[str, dict[str, Any]]]
FeedEncoder = Callable[[dict[str, Any]], str]
FEED_POLL_S = 0.25
_feeds: dict[str, tuple[FeedReader, FeedEncoder]] = {}
_follows: dict[tuple[str, str], set[Follower]] = {}


def register_feed(kind: str, reader: FeedReader, encoder: FeedEncoder) -> None:
    """Stream `kind`'s progress through this module (an app calls this from its ready())."""
    _feeds[kind] = (reader, encoder)


def _read_feeds(followed: list[tuple[str, str]]) -> dict[tuple[str, str], str]:
    out: dict[tuple[str, str], str] = {}
    for kind in {k for k, _ in followed}:
        reader, encoder = _feeds[kind]
        for key, progress in reader([key for k, key in followed if k == kind]).items():
            out[(kind, key)] = encoder(progress)
    return out


async def follow(kind: str, key: str, send: Send) -> Follower | None:
    """Start sending `kind` `key`'s progress to a connection: now, and whenever it changes. None
    if there is nothing to follow (gone, or no such feed)."""
    if kind not in _feeds:
        return None
    loop = asyncio.get_running_loop()
    _forget_other_loops(loop)
    first = (await database_sync_to_async(_read_feeds, thread_sensitive=False)([(kind, key)])).get((kind, key))
    if first is None:
        return None
    follower = Follower(kind, key, send)
    follower.offer(first)
    _follows.setdefault((kind, key), set()).add(follower)
    _start_poller(loop)
    return follower


def unfollow(follower: Follower) -> None:
    follower.close()
    followers = _follows.get((follower.kind, follower.key))
    if followers is not None:
        followers.discard(follower)
        if not followers:
            del _follows[(follower.kind, follower.key)]


class Follower:
    """One connection following one feed's key: a single task sends the latest frame, once."""

    def __init__(self, kind: str, key: str, send: Send) -> None:
        self.kind, self.key = kind, key
        self._send = send
        self.latest: str | None = None
        self.sent: str | None = None
        self.answer: str | None = None  # a reply to the client's last message (only the last is kept)
        self._event = asyncio.Event()
        self._task = asyncio.get_running_loop().create_task(self._pump())

    def offer(self, text: str) -> None:
        if text != self.latest:
            self.latest = text
            self._event.set()

    def again(self) -> None:
        """Send the latest frame again (the client asked)."""
        self.sent = None
        self._event.set()

    def reply(self, frame: dict[str, Any]) -> None:
        self.answer = messages.encode(frame)
        self._event.set()

    def close(self) -> None:
        self._task.cancel()

    async def _pump(self) -> None:
        while True:
            await self._event.wait()
            self._event.clear()
            answer, self.answer = self.answer, None
            text = self.latest
            try:
                if answer is not None:
                    await self._send(answer)
                if text is None or text == self.sent:
                    continue
                await self._send(text)
                self.sent = text
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - one broken connection must not end the others
                log.exception("streaming %s %s to a follower failed", self.kind, self.key)
                await asyncio.sleep(1.0)
