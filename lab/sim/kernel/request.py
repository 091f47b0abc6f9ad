"""A request moving through the topology, and the ways it can end."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# One hop of a traced request: (node id, arrived at, queue wait, service time, failure cause or None).
Hop = tuple[str, float, float, float, str | None]


@dataclass(frozen=True)
class Cause:
    """Why a request failed: a stable code for machines, an HTTP status and words for people."""

    code: str
    status: int
    text: str


CAUSES: dict[str, Cause] = {
    c.code: c
    for c in (
        Cause("rate_limited", 429, "rejected by a rate limit"),
        Cause("overloaded", 503, "rejected because a queue or connection limit was full"),
        Cause("timeout", 504, "gave up after waiting longer than the timeout"),
        Cause("dependency", 502, "a dependency it called failed"),
        Cause("fault", 503, "dropped by an injected fault"),
        Cause("throttled", 429, "refused because a concurrency limit was reached"),
        Cause("error", 500, "a component answered with an error"),
        Cause("unreachable", 503, "could not reach its destination (a network partition or outage)"),
        Cause("circuit_open", 503, "refused at once by an open circuit breaker"),
        Cause("bulkhead_full", 503, "refused because the call's bulkhead was full"),
        Cause("aborted", 409, "a distributed transaction was aborted"),
    )
}


class Request:
    """One request. Kept small and slot-based: a run creates millions of them.

    `stack` holds the frames of callers waiting for this request to come back to them (a service
    that calls two dependencies in turn, a cache that must fill itself on a miss). A node that
    has nothing left to do after a call passes the request on without a frame (a tail call), so
    the common path allocates nothing. `back` is the network latency still to be paid on the way
    back to the nearest waiting caller.
    """

    __slots__ = ("id", "cls", "key", "client", "t0", "stack", "back", "trace", "source", "t_node", "sink")

    # When it reached its current node: set by each node on arrival (not here), so it is unset
    # until the first node takes it in.
    t_node: float

    def __init__(self, rid: int, cls: str, key: int, client: int, t0: float, source: str,
                 sink: list[float] | None = None) -> None:
        self.id = rid
        self.cls = cls
        self.key = key
        self.client = client
        self.t0 = t0
        self.stack: list[tuple[Any, Any, float]] | None = None  # (owner, state, back) per waiting caller
        self.back = 0.0
        self.trace: list[Hop] | None = None
        self.source = source
        # The list its end-to-end latency goes to when it completes: one per origin region and
        # class, chosen once by the source (no lookup when it completes).
        self.sink = sink
