"""Scatter-gather: a root that fans each request out to many leaves (index shards, partitions,
replicas of a recommender) and answers once enough of them have answered.

Waiting for all N leaves makes the slowest leaf set the pace: the root's latency is the maximum
of N leaf latencies, so a tail that is rare for one leaf (its p99) is met by most requests once
N is large, and one leaf in a hundred failing fails most requests. Waiting for k of N, or
answering with what has arrived when a timeout expires, cuts both. The leaves that are still
running when the root has answered finish anyway, ignored (stragglers): their work still loads
the leaf tier.

Leaves are requests the root makes on its own account (`spawn`): `fanout` of them along each
outgoing edge, so one edge to a pool standing for the whole leaf tier with `fanout` 20 is twenty
shards, and twenty edges with `fanout` 1 are twenty distinct ones.
"""
from __future__ import annotations

from typing import Any

from ..params import Param
from ..kernel.request import Request
from ..metrics.declared import count, per
from .base import Component

MAX_LEAVES = 10_000


class _Gather:
    """One request's fan-out: how many leaves it needs, and how many answered or failed."""

    __slots__ = ("req", "need", "total", "answered", "failed", "done", "arrived")

    def __init__(self, req: Request, need: int, total: int, arrived: float) -> None:
        self.req = req
        self.need = need
        self.total = total
        self.answered = 0
        self.failed = 0
        self.done = False  # the root has answered or failed the request: later leaves are stragglers
        self.arrived = arrived


class ScatterGather(Component):
    kind = "scatter_gather"
    title = "Scatter-gather"
    group = "compute"
    icon = "fan-out"
    summary = ("Fans each request out to many leaves (shards) and answers when all of them, k of them, "
               "or a timeout says so.")
    min_callees = 1
    params = (
        Param("fanout", "integer", 1,
              "Leaf requests sent along each outgoing edge. With one edge to a pool that stands for the whole "
              "leaf tier, this is the number of shards; with one edge per shard, leave it at 1.",
              minimum=1, maximum=MAX_LEAVES),
        Param("k", "integer", 0,
              "Leaf answers the root waits for before it answers; the others become stragglers. "
              "0: all of them.", minimum=0, maximum=MAX_LEAVES),
        Param("timeout_ms", "number", 0.0,
              "Longest the root waits for its k answers. 0: no timeout.", unit="ms", minimum=0.0,
              maximum=3_600_000.0),
        Param("on_timeout", "choice", "partial",
              "When the timeout expires first. Partial: answer with the leaves that have answered (a degraded "
              "but successful answer; 504 if none has). Fail: the request fails with 504.",
              choices=("partial", "fail")),
        Param("merge_ms", "number", 1.0,
              "The root's own work once it has its answers (merging and ranking them).", unit="ms",
              minimum=0.0, maximum=600_000.0),
    )

    @classmethod
    def check(cls, values: dict[str, Any], callees: int) -> list[tuple[str, str]]:
        leaves = callees * values["fanout"]
        if callees and leaves > MAX_LEAVES:
            return [("fanout", f"{callees} edge(s) x fanout {values['fanout']} = {leaves} leaves per request; "
                               f"the limit is {MAX_LEAVES}")]
        if callees and values["k"] > leaves:
            return [("k", f"k is {values['k']}, but each request goes to only {leaves} leaves "
                          f"({callees} edge(s) x fanout {values['fanout']}): it could never gather that many")]
        return []

    @classmethod
    def calls_made(cls, values: dict[str, Any], request_class: str, operation: str | None) -> tuple[str, float]:
        return ("each", values["fanout"])  # `fanout` leaves along every edge

    metrics = (
        count("gathers_started", attr="started", shown=None), count("gathered", shown=None),
        per("fanout", "leaves_sent", "gathers_started", digits=3),
        count("leaves_sent"), count("leaves_failed"), count("leaves_waited", shown=None),
        count("partial_answers", attr="partial"), count("stragglers_ignored", attr="stragglers"),
        per("leaves_waited_mean", "leaves_waited", "gathered", digits=3),
    )

    def build(self) -> None:
        self._answer_cb = self._answer
        self._expire_cb = self._expire
        self.started = self.gathered = 0
        self.leaves_sent = self.leaves_failed = self.leaves_waited = 0
        self.partial = self.stragglers = 0

    def configure(self) -> None:
        p = self.p
        self._fanout = p["fanout"]
        self._k = p["k"]
        self._timeout = p["timeout_ms"] / 1000.0
        self._partial_ok = p["on_timeout"] == "partial"
        self._merge = p["merge_ms"] / 1000.0
        self._routes = {c: self.edges_for(c) for c in self.sim.class_names}

    # -- scatter --------------------------------------------------------------------------------

    def receive(self, req: Request, t: float) -> None:
        self.arrivals += 1
        routes = self._routes[req.cls]
        if not routes:
            self.fail(req, t, "dependency")  # no leaf takes this class
            return
        fanout = self._fanout
        total = len(routes) * fanout
        k = self._k
        # `check` keeps k within the leaves; a class that class-filtered edges send to fewer
        # leaves waits for all of its own.
        need = total if k == 0 or k > total else k
        self.mark(t)
        self.n += 1
        req.t_node = t
        g = _Gather(req, need, total, t)
        self.started += 1
        self.leaves_sent += total
        if req.trace is not None:
            req.trace.append((self.id, t, 0.0, 0.0, None))
        if self._timeout:
            self._push(t + self._timeout, self._expire_cb, g)
        # A leaf may answer or fail before the loop ends (a crashed leaf refuses at once); the
        # rest are still sent, as a real root sends them all before hearing back.
        spawn = self.spawn
        for edge in routes:
            for _ in range(fanout):
                spawn(req, edge, t, g)

    def _push(self, at: float, fn: Any, arg: Any) -> None:
        self.schedule(at, fn, arg)

    # -- gather ---------------------------------------------------------------------------------

    def resume(self, leaf: Request, g: _Gather, t: float) -> None:
        if g.done:
            self.stragglers += 1
            return
        g.answered += 1
        if g.answered >= g.need:
            self._gathered(g, t)

    def abort(self, leaf: Request, g: _Gather, t: float, cause: str) -> bool:
        self.leaves_failed += 1
        if g.done:
            self.stragglers += 1
        else:
            g.failed += 1
            if g.total - g.failed < g.need:
                self._give_up(g, t, "dependency")  # too few leaves left to reach k
        return True  # the leaf was the root's own request

    def _expire(self, g: _Gather, t: float) -> None:
        if g.done:
            return  # the timer of a request that has already been answered (timers are not cancelled)
        if self._partial_ok and g.answered:
            self.partial += 1
            self._gathered(g, t)
        else:
            self._give_up(g, t, "timeout")

    def _gathered(self, g: _Gather, t: float) -> None:
        g.done = True
        self.gathered += 1
        self.leaves_waited += g.answered
        merge = self._merge
        if g.req.trace is not None:
            g.req.trace.append((self.id, t, 0.0, merge, None))
        if merge:
            self._push(t + merge, self._answer_cb, g)
        else:
            self._answer(g, t)

    def _answer(self, g: _Gather, t: float) -> None:
        self.mark(t)
        self.n -= 1
        self.completions += 1
        self.lat.append(t - g.arrived)
        self.sim.reply(g.req, t)

    def _give_up(self, g: _Gather, t: float, cause: str) -> None:
        g.done = True
        self.mark(t)
        self.n -= 1
        self.dropped_time += t - g.arrived  # its time here counts in Little's law
        self.fail(g.req, t, cause)
