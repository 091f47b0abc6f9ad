"""The one module that publishes to websockets.

One poller per server process reads, for every run someone here watches, new windows and status
changes in two queries a tick, encodes each frame once, and wakes the run's viewers. The
database is the record (workers may be in other processes or on other machines), so the poller
does not need the channel layer: it delivers to this process's connections directly.

Each connection is a `Viewer` with a bounded outbox (lab/runs/viewers.py; docs/decisions.md,
27): a client that never reads costs the server its credit and a few counters, however long the
run goes on.
"""
from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Callable

from channels.db import database_sync_to_async
from django.db.models import Max, Q

from . import messages, services
from .models import OVER, Run, RunWindow
from .viewers import RunState, Send, Viewer

log = logging.getLogger(__name__)
POLL_S = 0.05
# The worker stops paced runs nobody watches (ARCHLAB_IDLE_STOP_S); tell it which runs have
# viewers here this often.
WATCHED_EVERY_S = 5.0
# Windows read in one tick for all runs (a run as fast as possible writes hundreds a second).
MAX_ROWS_PER_TICK = 2000



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
