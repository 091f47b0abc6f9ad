"""Rate limiter: lets at most `rate_per_s` requests a second through, with bursts up to `burst`,
and turns the rest away with 429 (`rate_limited`) before they cost the service anything.

Both algorithms admit exactly the same requests. The bucket is kept as the generic cell rate
algorithm (GCRA) keeps it: one number per bucket, the time `tat` by which what it has let
through so far has drained at `rate_per_s` (when its tokens are all back). A request that takes
`c` tokens is admitted when `tat - now + c / rate <= burst / rate` (the bucket has room for it)
and pushes `tat` on by `c / rate`. That is a token bucket holding `burst` tokens refilled at
`rate_per_s`, with no timer to refill it and no per-request work beyond a comparison. Seen as a
queue, the bucket's level is the unfinished work of an M/D/1/K queue with K = burst, which is
what the tests check the share admitted against.

- Token bucket: an admitted request passes at once, so a full bucket lets a burst through.
- Leaky bucket (as a queue, like nginx's `limit_req` without `nodelay`): an admitted request
  waits in the bucket until its turn, so requests leave evenly spaced, 1 / rate apart, and a
  burst becomes a short queue instead of a spike downstream.

With scope `per_client` each client (the source's client id) has its own bucket, so one heavy
client is limited while light ones pass. Classes can take more or fewer tokens than 1, or none
(exempt), through `tokens_by_class`. A crash loses the requests waiting in a leaky bucket and the
buckets' state (an in-memory limiter restarts full).
"""
from __future__ import annotations

from typing import Any

from ..params import Param
from ..cloud.pricing import per_million
from ..kernel.request import Request
from ..metrics.declared import count, level, per
from .base import Component

ALGORITHMS = ("token_bucket", "leaky_bucket")
SCOPES = ("global", "per_client")
# Slack in the admission test, in seconds, so that arrivals exactly on the refill schedule
# (a constant-rate load generator) are not turned away by rounding.
_EPS = 1e-9


class _WaitingRoom:
    """The requests waiting in leaky buckets, in the order they arrived. It is what a crash
    empties (`RateLimiter.crash`)."""

    __slots__ = ("owner", "waiting")

    def __init__(self, owner: "RateLimiter") -> None:
        self.owner = owner
        # A dict rather than a set: it keeps arrival order, so a crash fails them reproducibly.
        self.waiting: dict[Request, None] = {}

    def drop_waiting(self, t: float, cause: str) -> None:
        owner = self.owner
        waiting, self.waiting = self.waiting, {}
        for req in waiting:
            owner.mark(t)
            owner.n -= 1
            owner.dropped_time += t - req.t_node
            owner.fail(req, t, cause)
        owner.reset_buckets()


class RateLimiter(Component):
    kind = "rate_limiter"
    title = "Rate limiter"
    group = "edge"
    icon = "gauge"
    summary = "Lets a set rate of requests through, with bursts up to a bucket size; the rest get 429."
    min_callees = 1
    max_callees = 1
    params = (
        Param("algorithm", "choice", "token_bucket",
              "Token bucket: a request that finds a token passes at once, so a full bucket lets a burst through. "
              "Leaky bucket: it waits in the bucket for its turn, so requests leave evenly spaced at the rate. "
              "Both admit the same requests; a full bucket rejects with 429.",
              choices=ALGORITHMS),
        Param("scope", "choice", "global",
              "Global: one bucket shared by everyone. Per client: a bucket for each client (API key, user, IP), "
              "so one heavy client is limited while the others pass.",
              choices=SCOPES, live=False),
        Param("rate_per_s", "number", 100.0, "Requests let through per second in the long run (tokens added per second).",
              unit="requests/s", minimum=0.01, maximum=1_000_000.0),
        Param("burst", "integer", 20,
              "Bucket size: how many requests a full bucket lets through at once (token bucket) or holds "
              "(leaky bucket: one leaves at once, the others wait their turn).",
              minimum=1, maximum=10_000_000),
        Param("tokens_by_class", "weights", {},
              "Tokens one request of a class takes where it is not 1, e.g. {\"search\": 5, \"health\": 0}; "
              "0 exempts the class from the limit.",
              minimum=0.0, maximum=1_000_000.0),
        Param("latency_ms", "number", 0.0, "Time to check the limit (a lookup in a shared store such as Redis takes about 0.5 ms).",
              unit="ms", minimum=0.0, maximum=10_000.0),
    )

    @classmethod
    def uses_clients_with(cls, values: dict[str, Any]) -> bool:
        return values["scope"] == "per_client"

    @classmethod
    def check(cls, values: dict[str, Any], callees: int) -> list[tuple[str, str]]:
        problems = []
        for name, tokens in sorted(values["tokens_by_class"].items()):
            if tokens > values["burst"]:
                problems.append(("tokens_by_class",
                                 f"a {name!r} request takes {tokens:g} tokens but the bucket holds only "
                                 f"{values['burst']} (burst), so every one would be rejected"))
        return problems

    metrics = (
        count("accepted"), count("rejected"), per("rejected_ratio", "rejected", ("accepted", "rejected")),
        level("tokens", zero=0.0, digits=3), level("waiting"), level("active_buckets"),
    )

    @classmethod
    def calls_made(cls, values: dict[str, Any], request_class: str, operation: str | None) -> tuple[str, float]:
        return ("first", 1.0)  # along its first route (all of it: an upper bound, the share admitted emerges from the run)

    def build(self) -> None:
        p = self.p
        self.waiting_room = _WaitingRoom(self)
        self.accepted = self.rejected = 0
        self.waiting = self.active_buckets = 0  # as of the last window (`measure`)
        self.tokens = 0.0
        self._tat = 0.0  # global bucket: when it would be full again (empty of water)
        self._buckets: dict[int, float] = {}  # per client: the same, by client id
        self._checked_cb = self._checked
        self._depart_cb = self._depart
        self._scope = p["scope"]

    def configure(self) -> None:
        p = self.p
        rate = p["rate_per_s"]
        self._rate = rate
        self._burst = p["burst"]
        self._tau = p["burst"] / rate + _EPS
        tokens = p["tokens_by_class"]
        # Seconds of the bucket's drain one request of each class takes.
        self._steps = {c: tokens.get(c, 1.0) / rate for c in self.sim.class_names}
        self._leaky = p["algorithm"] == "leaky_bucket"
        self._per_client = self._scope == "per_client"
        self._delay = p["latency_ms"] / 1000.0

    def wire(self) -> None:
        self._next = self.out[0].deliver

    def reset_buckets(self) -> None:
        self._tat = 0.0
        self._buckets.clear()

    # -- admission ------------------------------------------------------------------------------

    def receive(self, req: Request, t: float) -> None:
        self.arrivals += 1
        delay = self._delay
        if delay:
            self.mark(t)
            self.n += 1
            req.t_node = t
            if req.trace is not None:
                req.trace.append((self.id, t, 0.0, delay, None))
            self.schedule(t + delay, self._checked_cb, req)
        else:
            self._decide(req, t, False)

    def _checked(self, req: Request, t: float) -> None:
        self._decide(req, t, True)

    def _decide(self, req: Request, t: float, held: bool) -> None:
        """Admit or reject `req` at `t`; `held` says it is already counted in the node (it spent
        the check's latency here)."""
        step = self._steps[req.cls]
        if self._per_client:
            tat = self._buckets.get(req.client, t)
        else:
            tat = self._tat
        if tat < t:
            tat = t
        end = tat + step
        if end - t > self._tau:
            self.rejected += 1
            if held:
                self.mark(t)
                self.n -= 1
                self.dropped_time += t - req.t_node
            self.fail(req, t, "rate_limited")
            return
        if self._per_client:
            self._buckets[req.client] = end
        else:
            self._tat = end
        self.accepted += 1
        if self._leaky and tat > t and step:
            # Its turn comes when the bucket has drained the requests admitted before it.
            if not held:
                self.mark(t)
                self.n += 1
                req.t_node = t
            self.waiting_room.waiting[req] = None
            if req.trace is not None:
                req.trace.append((self.id, t, tat - t, 0.0, None))
            self.schedule(tat, self._depart_cb, req)
            return
        if held:
            self.mark(t)
            self.n -= 1
            self.lat.append(t - req.t_node)
        else:
            self.lat.append(0.0)
        self.completions += 1
        self._next(req, t)

    def _depart(self, req: Request, t: float) -> None:
        waiting = self.waiting_room.waiting
        if req not in waiting:
            return  # lost in a crash and failed then
        del waiting[req]
        self.mark(t)
        self.n -= 1
        self.lat.append(t - req.t_node)
        self.completions += 1
        self._next(req, t)

    # -- metrics --------------------------------------------------------------------------------

    def crash(self, t: float) -> None:
        self.waiting_room.drop_waiting(t, "fault")  # the requests its buckets hold back are lost

    def measure(self, t: float) -> None:
        buckets = self._buckets
        if self._per_client:
            # A full bucket is the same as none: forget it, so memory follows active clients.
            for client in [c for c, tat in buckets.items() if tat <= t]:
                del buckets[client]
            # The emptiest client's bucket: the one closest to being limited.
            fullest_water = max(buckets.values(), default=t) - t
        else:
            fullest_water = max(0.0, self._tat - t)
        self.waiting = len(self.waiting_room.waiting)
        self.tokens = max(0.0, self._burst - fullest_water * self._rate)
        self.active_buckets = len(buckets) if self._per_client else int(fullest_water > 0)

    def accrue_cost(self, raw: dict[str, Any], span: float) -> float:
        return per_million(self.sim.prices["rate_limiter_million"], raw["arrivals"])
