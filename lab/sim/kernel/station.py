"""A FIFO queue in front of a group of identical workers: the heart of every kind that computes.

Service pools, database instances and worker pools are all stations. A station keeps its own
counters (its owner adds them up when a window closes, so a database with replicas reports as
one node) and two time integrals: busy workers (utilization) and requests present, waiting or
held by a worker (time-average queue length, and L in Little's law).

This is the hottest code in the engine: attributes are read into locals and the integrals are
updated inline rather than through a method call.
"""
from __future__ import annotations

from collections import deque
from heapq import heappush, heapreplace
from typing import TYPE_CHECKING, Any, Callable

from .randomness import Distribution
from .request import Request

if TYPE_CHECKING:
    from .interface import Node


class Station:
    """The time integrals (busy workers, waiting requests) are kept as sums of the times at
    which the counts go up and down: over a window [t0, t1],
    integral of n(t) dt = sum(times n went down) - sum(times n went up) + n(t1) t1 - n(t0) t0.
    That is exact, and costs one addition per change instead of a multiply-and-mark. Requests
    present (L in Little's law) are the waiting ones plus those holding a worker."""

    __slots__ = (
        "owner", "heap", "root", "seq", "workers", "queue_limit", "queue", "busy", "pop", "refill",
        "by_class", "done", "timeout", "hold", "_finish_cb", "refused", "dropped", "lat", "_timer_at", "_expire_cb",
        "dropped_time", "s_qin", "s_qout", "s_up", "s_down", "q_open", "busy_open", "t_open",
        "cap_area", "cap_mark", "svc", "waits",
    )

    def __init__(
        self,
        owner: "Node",
        workers: int,
        queue_limit: int | None,
        distribution: Distribution,
        done: Callable[[Request, float], None],
        *,
        by_class: dict[str, Distribution] | None = None,
        timeout_s: float = 0.0,
        hold: bool = False,
    ) -> None:
        self.owner = owner
        # The queue is the hottest code of a run: it keeps the kernel's heap at hand and schedules
        # its service completions inline (see Simulation.schedule), which the benchmark shows pays.
        self.heap = owner.sim.heap
        self.root = owner.sim.root
        self.seq = owner.sim.seq
        self.workers = workers
        # How many may wait (not counting those in service); None means no limit.
        self.queue_limit = queue_limit
        self.queue: deque[Request] = deque()
        self.busy = 0
        self.set_distribution(distribution, by_class)
        # What happens to a request once served: usually the owner's next step, or, when the
        # owner has nothing to decide, the next node's receive directly.
        self.done = done
        self.timeout = timeout_s
        # At most one timer per station, for the request at the head of the queue: the queue is
        # FIFO, so the head is always the next to expire.
        self._timer_at: float | None = None
        self._expire_cb = self._expire
        # In `hold` mode a worker stays busy after its own service until the owner calls
        # `release` (a thread-per-request server waiting on its database).
        self.hold = hold
        self._finish_cb = self._finish
        self.refused = 0  # turned away: the queue was full
        self.dropped = 0  # left the queue without being served (timeout, crash)
        self.lat: list[float] = []
        # The split of time in the node: the service time of every request that started service
        # in the window, and the wait of those that started from the queue (the others waited
        # 0, so only the queue's paths pay for a second append). `take_split` hands them over.
        self.svc: list[float] = []
        self.waits: list[float] = []
        self.dropped_time = 0.0
        self.s_qin = self.s_qout = self.s_up = self.s_down = 0.0
        t0 = owner.sim.t_start
        self.q_open = self.busy_open = 0
        self.t_open = t0
        self.cap_area = 0.0
        self.cap_mark = t0

    def set_distribution(self, distribution: Distribution, by_class: dict[str, Distribution] | None = None) -> None:
        self.pop = distribution.buf.pop
        self.refill = distribution.refill
        self.by_class = by_class or None

    def _service(self, req: Request) -> float:
        if self.by_class is not None:
            dist = self.by_class.get(req.cls)
            if dist is not None:
                return dist.sample()
        try:
            return self.pop()
        except IndexError:
            return self.refill()

    def arrive(self, req: Request, t: float) -> None:
        # Arrivals are not counted here: `harvest` derives them (every arrival was refused,
        # served, dropped, or is still here), which keeps a counter off the hot path.
        busy = self.busy
        if busy < self.workers:
            self.busy = busy + 1
            self.s_up += t
            req.t_node = t
            if self.by_class is None:
                try:
                    svc = self.pop()
                except IndexError:
                    svc = self.refill()
            else:
                svc = self._service(req)
            self.svc.append(svc)
            if req.trace is not None:
                req.trace.append((self.owner.id, t, 0.0, svc, None))
            root = self.root
            if root[0]:
                root[0] = False
                heapreplace(self.heap, (t + svc, self.seq(), self._finish_cb, req))
            else:
                heappush(self.heap, (t + svc, self.seq(), self._finish_cb, req))
        elif self.queue_limit is None or len(self.queue) < self.queue_limit:
            self.s_qin += t
            req.t_node = t
            self.queue.append(req)
            if self.timeout and self._timer_at is None:
                self._arm(t)
        else:
            self.refused += 1
            self.owner.fail(req, t, "overloaded")

    def _finish(self, req: Request, t: float) -> None:
        if self.hold:
            self.done(req, t)  # the owner calls release() when the request lets go of the worker
            return
        self.lat.append(t - req.t_node)
        queue = self.queue
        if queue and self.busy <= self.workers:
            if self.timeout or self.by_class is not None:
                self._start_next(t)
            else:
                # _start_next's common case, inlined: the freed worker takes the next request.
                nxt = queue.popleft()
                self.s_qout += t
                try:
                    svc = self.pop()
                except IndexError:
                    svc = self.refill()
                self.svc.append(svc)
                wait = t - nxt.t_node
                self.waits.append(wait)
                if nxt.trace is not None:
                    nxt.trace.append((self.owner.id, nxt.t_node, wait, svc, None))
                root = self.root
                if root[0]:
                    root[0] = False
                    heapreplace(self.heap, (t + svc, self.seq(), self._finish_cb, nxt))
                else:
                    heappush(self.heap, (t + svc, self.seq(), self._finish_cb, nxt))
        else:
            if self.busy > self.workers:
                self._capacity_changes(t)  # a retiring worker leaves
            self.busy -= 1
            self.s_down += t
        self.done(req, t)

    def release(self, arrived: float, t: float) -> None:
        """In hold mode: a request that arrived at `arrived` is done with its worker. (The
        owner keeps that time in its call frame: the request's own `t_node` is overwritten by
        every node it visits while it holds the worker.)"""
        self.lat.append(t - arrived)
        if self.queue and self.busy <= self.workers:
            self._start_next(t)
        else:
            if self.busy > self.workers:
                self._capacity_changes(t)
            self.busy -= 1
            self.s_down += t

    def _start_next(self, t: float) -> None:
        """Hand a busy-counted worker the next waiting request, or let it go idle."""
        queue = self.queue
        timeout = self.timeout
        while queue:
            req = queue.popleft()
            self.s_qout += t
            wait = t - req.t_node
            if timeout and wait >= timeout:
                # Its timer is due at this very moment: the caller gives up rather than being
                # served.
                self.dropped += 1
                self.dropped_time += wait
                self.owner.fail(req, t, "timeout")
                continue
            svc = self._service(req)
            self.svc.append(svc)
            self.waits.append(wait)
            if req.trace is not None:
                req.trace.append((self.owner.id, req.t_node, wait, svc, None))
            if self.root[0]:
                self.root[0] = False
                heapreplace(self.heap, (t + svc, self.seq(), self._finish_cb, req))
            else:
                heappush(self.heap, (t + svc, self.seq(), self._finish_cb, req))
            return
        self.busy -= 1
        self.s_down += t

    def set_timeout(self, timeout_s: float, t: float) -> None:
        self.timeout = timeout_s
        if timeout_s and self.queue and self._timer_at is None:
            self._arm(t)

    def _arm(self, t: float) -> None:
        """Set the timer for the head of the queue's expiry."""
        at = self.queue[0].t_node + self.timeout
        self._timer_at = at
        heappush(self.heap, (max(at, t), self.seq(), self._expire_cb, None))

    def _expire(self, _: Any, t: float) -> None:
        """Fail the requests that have waited `timeout` (504) at the moment it expires: their
        callers give up now, not when a worker would have come free."""
        self._timer_at = None
        queue = self.queue
        timeout = self.timeout
        while queue and timeout and t - queue[0].t_node >= timeout - 1e-12:
            req = queue.popleft()
            self.s_qout += t
            self.dropped += 1
            self.dropped_time += t - req.t_node
            self.owner.fail(req, t, "timeout")
        if queue and timeout:
            self._arm(t)

    def _capacity_changes(self, t: float) -> None:
        """Close the capacity integral up to `t`. Capacity is the workers in service, counting
        those that are retiring after a scale-down until their request is done, so busy time
        never exceeds it."""
        self.cap_area += max(self.workers, self.busy) * (t - self.cap_mark)
        self.cap_mark = t

    def resize(self, workers: int, t: float) -> None:
        """Change the number of workers; new ones start on the queue at once. Busy workers
        beyond a smaller number finish their request and then retire."""
        self._capacity_changes(t)
        self.workers = workers
        while self.busy < self.workers and self.queue:
            self.busy += 1
            self.s_up += t
            self._start_next(t)

    def drop_waiting(self, t: float, cause: str) -> None:
        """Fail every waiting request (a crash loses its queue)."""
        while self.queue:
            req = self.queue.popleft()
            self.s_qout += t
            self.dropped += 1
            self.dropped_time += t - req.t_node
            self.owner.fail(req, t, cause)

    @property
    def arrivals(self) -> int:
        """Arrivals in the current window: refused, served, dropped, or still here."""
        present = self.busy + len(self.queue)
        return len(self.lat) + self.dropped + self.refused + present - (self.busy_open + self.q_open)

    def take_split(self) -> tuple[list[float], list[float]]:
        """The service times and queue waits recorded since the last call (see `svc`); resets
        them. The metrics take them as a window closes, beside `harvest`."""
        svc, waits = self.svc, self.waits
        self.svc = []
        self.waits = []
        return svc, waits

    def harvest(self, t: float) -> dict[str, Any]:
        """This window's counters and integrals; resets them."""
        busy = self.busy
        waiting = len(self.queue)
        t_open = self.t_open
        area_busy = self.s_down - self.s_up + busy * t - self.busy_open * t_open
        area_queue = self.s_qout - self.s_qin + waiting * t - self.q_open * t_open
        out = {
            "arrivals": self.arrivals,
            "completions": len(self.lat),  # every request that left a worker left its time in `lat`
            "lat": self.lat,
            "area_n": area_queue + area_busy, "area_busy": area_busy,
            "area_cap": self.cap_area + max(self.workers, busy) * (t - self.cap_mark),
            "dropped_time": self.dropped_time, "in_node_now": busy + waiting, "queue_now": waiting,
        }
        self.refused = self.dropped = 0
        self.lat = []
        self.dropped_time = 0.0
        self.s_qin = self.s_qout = self.s_up = self.s_down = 0.0
        self.q_open, self.busy_open, self.t_open = waiting, busy, t
        self.cap_area = 0.0
        self.cap_mark = t
        return out
