"""Resilience policies on an edge: timeout, retries with exponential backoff and jitter, a circuit
breaker, and a bulkhead. An edge's `policy` object turns them on (docs/topology.md#resilience).

A guarded edge sends *attempts*: requests of the guard's own (`Component.spawn`'s pattern), while
the caller's request waits here. A timed-out attempt is not cancelled downstream: it goes on
loading the callee, and its late answer is thrown away. That is how a retry storm emerges: when
the callee is overloaded, attempts time out, retries add load, and more attempts time out. A
circuit breaker that opens on a high failure rate sheds that load at once (cause
`circuit_open`) until its half-open probes find the callee healthy again.
"""
from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Any

from ..components.actor import Actor
from ..params import Param
from ..kernel.request import Request

if TYPE_CHECKING:
    from ..kernel.interface import Kernel
    from ..components.base import Edge

POLICY_FIELDS = (
    Param("timeout_ms", "number", 0.0, "An attempt that has not answered after this long counts as failed (504); "
          "it goes on downstream, its late answer ignored. 0: wait for ever.", unit="ms", minimum=0.0,
          maximum=3_600_000.0),
    Param("retries", "integer", 0, "Attempts after the first one when an attempt fails or times out.",
          minimum=0, maximum=10),
    Param("backoff_ms", "number", 50.0, "Wait before the first retry.", unit="ms", minimum=0.0, maximum=600_000.0),
    Param("backoff_multiplier", "number", 2.0, "Each further retry waits this many times longer (exponential backoff).",
          minimum=1.0, maximum=10.0),
    Param("max_backoff_ms", "number", 10_000.0, "The longest wait between attempts.", unit="ms", minimum=0.0,
          maximum=3_600_000.0),
    Param("jitter", "choice", "full", "Randomize waits so clients do not retry in lockstep: full (uniform from 0 to "
          "the backoff), equal (half fixed, half random), none.", choices=("full", "equal", "none")),
    Param("circuit_breaker", "boolean", False, "Stop calling a failing callee for a while."),
    Param("failure_threshold", "number", 0.5, "The breaker opens when this share of the recent attempts failed.",
          minimum=0.01, maximum=1.0),
    Param("window_calls", "integer", 20, "How many recent attempts the breaker looks at.", minimum=1, maximum=10_000),
    Param("min_calls", "integer", 10, "The breaker does not judge fewer recent attempts than this.",
          minimum=1, maximum=10_000),
    Param("open_s", "number", 5.0, "How long the breaker stays open before it lets probes through.", unit="s",
          minimum=0.001, maximum=3600.0),
    Param("probes", "integer", 3, "Attempts let through while half open; all must succeed to close it.",
          minimum=1, maximum=1000),
    Param("bulkhead", "integer", 0, "At most this many attempts in flight on this edge; more are refused at once "
          "(503). 0: no limit.", minimum=0, maximum=1_000_000),
)
POLICY_DEFAULTS = {p.name: p.default for p in POLICY_FIELDS}


class _Attempt:
    __slots__ = ("parent", "number", "done")

    def __init__(self, parent: Request, number: int) -> None:
        self.parent = parent
        self.number = number
        self.done = False


class Guard(Actor):
    """The policy of one edge. Not a node but an actor: its attempts' frames name it, it keeps
    its counters for the edge's metrics and fails requests under the edge's id."""

    def __init__(self, sim: "Kernel", edge: "Edge", policy: dict[str, Any]) -> None:
        super().__init__(sim, edge.id)
        p = self.p = {**POLICY_DEFAULTS, **policy}
        self.edge = edge
        self.timeout = p["timeout_ms"] / 1000.0
        self.retries = p["retries"]
        self.gen = sim.streams.generator(f"edge:{edge.id}:policy")
        self.state = "closed"
        self.recent: deque[bool] = deque(maxlen=p["window_calls"])
        self.recent_failed = 0
        self.probes_left = 0
        self.in_flight = 0
        self.stats = dict.fromkeys(("attempts", "retries", "timeouts", "late", "circuit_rejected",
                                    "bulkhead_rejected", "opened"), 0)
        self._timeout_cb = self._timed_out
        self._retry_cb = self._retry

    # -- sending --------------------------------------------------------------------------------

    def send(self, req: Request, t: float) -> None:
        self._attempt(req, 1, t)

    def _attempt(self, parent: Request, number: int, t: float) -> None:
        p = self.p
        if self.state == "open":
            self.stats["circuit_rejected"] += 1
            self.fail(parent, t, "circuit_open")
            return
        if self.state == "half_open":
            if self.probes_left <= 0:
                self.stats["circuit_rejected"] += 1
                self.fail(parent, t, "circuit_open")
                return
            self.probes_left -= 1
        if p["bulkhead"] and self.in_flight >= p["bulkhead"]:
            self.stats["bulkhead_rejected"] += 1
            self.fail(parent, t, "bulkhead_full")
            return
        self.in_flight += 1
        self.stats["attempts"] += 1
        attempt = _Attempt(parent, number)
        child = Request(self.sim.child_id(), parent.cls, parent.key, parent.client, parent.t0, parent.source,
                        parent.sink)
        child.trace = parent.trace
        child.stack = [(self, attempt, 0.0)]
        if self.timeout:
            self.schedule(t + self.timeout, self._timeout_cb, attempt)
        self.edge.inner(child, t)

    # -- outcomes -------------------------------------------------------------------------------

    def resume(self, child: Request, attempt: _Attempt, t: float) -> None:
        if attempt.done:
            self.stats["late"] += 1  # it answered after its caller gave up
            return
        attempt.done = True
        self.in_flight -= 1
        self._outcome(True, t)
        self.sim.reply(attempt.parent, t)

    def abort(self, child: Request, attempt: _Attempt, t: float, cause: str) -> bool:
        if not attempt.done:
            attempt.done = True
            self.in_flight -= 1
            self._failed(attempt, t, cause)
        return True  # the attempt was the guard's; the caller's request is handled in _failed

    def _timed_out(self, attempt: _Attempt, t: float) -> None:
        if attempt.done:
            return
        attempt.done = True
        self.in_flight -= 1
        self.stats["timeouts"] += 1
        self._failed(attempt, t, "timeout")

    def _failed(self, attempt: _Attempt, t: float, cause: str) -> None:
        self._outcome(False, t)
        if attempt.number <= self.retries and cause not in ("circuit_open", "bulkhead_full"):
            self.stats["retries"] += 1
            self.schedule(t + self._backoff(attempt.number), self._retry_cb, (attempt.parent, attempt.number + 1))
        else:
            self.fail(attempt.parent, t, cause)

    def _retry(self, arg: tuple[Request, int], t: float) -> None:
        parent, number = arg
        self._attempt(parent, number, t)

    def _backoff(self, number: int) -> float:
        p = self.p
        wait = min(p["max_backoff_ms"], p["backoff_ms"] * p["backoff_multiplier"] ** (number - 1)) / 1000.0
        if p["jitter"] == "full":
            return wait * self.gen.random()
        if p["jitter"] == "equal":
            return wait / 2 + wait / 2 * self.gen.random()
        return wait

    # -- the circuit breaker --------------------------------------------------------------------

    def _outcome(self, ok: bool, t: float) -> None:
        if not self.p["circuit_breaker"]:
            return
        if self.state == "half_open":
            if not ok:
                self._open(t, "a probe failed")
            elif self.probes_left <= 0 and self.in_flight == 0:
                self.state = "closed"
                self.recent.clear()
                self.recent_failed = 0
                self.sim.record({"type": "circuit", "edge": self.id, "state": "closed", "reason": "probes succeeded"}, t)
            return
        if self.state != "closed":
            return
        recent = self.recent
        if len(recent) == recent.maxlen and not recent[0]:
            self.recent_failed -= 1
        recent.append(ok)
        if not ok:
            self.recent_failed += 1
        p = self.p
        if len(recent) >= p["min_calls"] and self.recent_failed >= p["failure_threshold"] * len(recent):
            self._open(t, f"{self.recent_failed} of the last {len(recent)} attempts failed")

    def _open(self, t: float, reason: str) -> None:
        self.state = "open"
        self.stats["opened"] += 1
        self.sim.record({"type": "circuit", "edge": self.id, "state": "open", "reason": reason}, t)
        self.schedule(t + self.p["open_s"], self._half_open, None)

    def _half_open(self, _: Any, t: float) -> None:
        self.state = "half_open"
        self.probes_left = self.p["probes"]
        self.sim.record({"type": "circuit", "edge": self.id, "state": "half_open"}, t)

    # -- metrics --------------------------------------------------------------------------------

    def window(self) -> dict[str, Any]:
        out = {**self.stats, "state": self.state, "in_flight": self.in_flight,
               "failures": dict(sorted(self.failures.items()))}
        for key in self.stats:
            self.stats[key] = 0
        self.failures = {}
        return out
