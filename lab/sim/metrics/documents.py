"""The documents a run produces, as types: a window (each time a window of simulated time
closes) and the results (at the end). docs/results.md explains every field; windows.py builds
them. `tests/sim/test_result_types.py` checks these keys against a real run of every example and
against the fields docs/results.md documents, so the types cannot drift from the output silently.

A node's entry has the figures every node has (`NodeView`); each kind adds its own (a cache's
`hit_ratio`, a pool's `instances`: the module docstring of each kind in lab/sim/components/ lists
them), which a type cannot name. A timeline entry is `{"t", "type", ...}` with fields by type
(docs/results.md, "Timeline entries"), so it stays a plain dict.
"""
# No `from __future__ import annotations`: the keys and NotRequired must be real at run time,
# for the test that compares them with a run's output (`__required_keys__`).
from typing import Any, Literal, NotRequired, TypedDict

TimelineEntry = dict[str, Any]


class LatencySummary(TypedDict):
    """Milliseconds, of completed requests: end to end, or time in the node."""

    mean: float
    p50: float
    p95: float
    p99: float
    max: float


class Cost(TypedDict):
    """Dollars accrued over a span, and the hourly rate they were accrued at."""

    cost_usd: float
    cost_per_hour_usd: float


class Flow(TypedDict):
    """The numbers for a stream of requests (an origin region's, and the base of the others)."""

    completions: int
    throughput_per_s: float
    errors: int
    failures: dict[str, int]  # by cause
    error_rate: float
    latency_ms: LatencySummary


class ClassFlow(Flow):
    arrivals: int


class WindowOverall(ClassFlow):
    in_flight: int
    cost_usd: float
    cost_per_hour_usd: float


class MeasuredOverall(ClassFlow):
    cost_usd: float
    cost_per_hour_usd: float
    cost_monthly_usd: float
    cost_per_million_usd: float | None  # None when nothing completed


class NodeView(TypedDict):
    """What every node reports; its kind adds figures of its own."""

    kind: str
    arrivals: int
    arrival_rate_per_s: float
    completions: int
    throughput_per_s: float
    errors: int
    failures: dict[str, int]
    latency_ms: LatencySummary
    in_node: float
    in_node_now: int
    cost_usd: float
    cost_per_hour_usd: float
    utilization: NotRequired[float]  # nodes with queues and workers
    queue_length: NotRequired[float]
    wait_ms: NotRequired[LatencySummary]  # nodes with queues: time waiting for a worker, of those served
    service_ms: NotRequired[LatencySummary]  # and their service times
    wait_probability: NotRequired[float]  # share of those served that waited more than 0


class MeasuredNode(NodeView):
    residence_ms_mean: float


class EdgePolicyWindow(TypedDict):
    """A guarded edge's policy counters in one window (lab/sim/parts/resilience.py)."""

    attempts: int
    retries: int
    timeouts: int
    late: int
    circuit_rejected: int
    bulkhead_rejected: int
    opened: int
    state: Literal["closed", "open", "half_open"]
    in_flight: int
    failures: dict[str, int]


EdgeWindow = TypedDict("EdgeWindow", {
    "from": str,
    "to": str,
    "rate_per_s": float,
    "policy": NotRequired[EdgePolicyWindow],  # a guarded edge
    "cost_usd": NotRequired[float],  # an edge whose data is billed
})


class Window(TypedDict):
    index: int
    t_start: float
    t_end: float
    measured: bool  # false inside the warm-up
    overall: WindowOverall
    classes: dict[str, ClassFlow]
    nodes: dict[str, NodeView]
    edges: dict[str, EdgeWindow]
    origins: dict[str, Flow]  # by the users' region; empty when no source is placed
    events: list[TimelineEntry]
    closed_at: NotRequired[float]  # a server's: the Unix time its worker closed it (docs/api.md)


class Hop(TypedDict):
    node: str
    arrived_s: float
    queue_ms: float
    service_ms: float
    failed: NotRequired[str]  # the cause, at the hop where it failed


Trace = TypedDict("Trace", {
    "request": int,
    "class": str,
    "source": str,
    "start_s": float,
    "latency_ms": float,
    "outcome": Literal["completed", "failed"],
    "cause": NotRequired[str],  # failed ones: cause, status, failed_at, partial
    "status": NotRequired[int],
    "failed_at": NotRequired[str],
    "partial": NotRequired[bool],
    "hops": list[Hop],
})


class Traces(TypedDict):
    sampled: list[Trace]
    failed: dict[str, list[Trace]]  # by cause


class TopologySummary(TypedDict):
    name: str
    nodes: int
    edges: int


class Ledger(TypedDict):
    """The whole run's requests: created = completed + failed + in_flight."""

    created: int
    completed: int
    failed: int
    in_flight: int


class Measured(TypedDict):
    from_s: float
    to_s: float
    span_s: float
    overall: MeasuredOverall
    classes: dict[str, ClassFlow]
    origins: dict[str, Flow]
    nodes: dict[str, MeasuredNode]


class Results(TypedDict):
    format: str  # "archlab.results"
    version: int
    topology: TopologySummary
    seed: int
    duration_s: float
    warmup_s: float
    window_s: float
    windows: int
    requests: Ledger
    measured: Measured
    timeline: list[TimelineEntry]
    traces: Traces
    limited: NotRequired[str]  # a server's: the run budget that ended the run early (docs/results.md)
