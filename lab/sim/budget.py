"""Run budgets: what a run would cost, estimated from its topology before it starts, and the
checks that end it if it spends more while it runs.

A run's cost is its events. They follow from how many requests the sources start and how many
nodes each request visits (a 64-hop chain costs 64 times a one-hop design at the same rate), so
the estimate is

    requests = the integral of each source's rate curve over settings.duration_s
    visits   = the nodes one request visits (a walk of the graph from each source, below)
    events   = requests x visits x EVENTS_PER_VISIT + windows
    windows  = settings.duration_s / settings.window_s
    stored   = windows x window_bytes(nodes, edges, classes, origins)
    cpu_s    = events / EVENTS_PER_CPU_SECOND

The constants were measured on the shipped examples (docs/results.md#run-budgets; the
comparison is `python -m lab.sim.budget`). `check(estimate, budget)` turns every limit the
estimate exceeds into a problem that says which setting to lower and by how much; `over(usage,
budget, ...)` is what a worker asks between windows. The server's limits are a `Budget`; the
web side overrides the defaults from its settings. Nothing here imports Django.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from .components.registry import REGISTRY
from .document.types import EdgeSpec, NodeSpec, Topology
from .problems import Problem, problem

if TYPE_CHECKING:
    from .simulation import Simulation

# Heap events per node visit, measured over the examples: from 0.4 (the reference design: its
# zero-latency hops and cache hits schedule nothing) to 3.4 (a queue's hand-off and a function's
# cold start); this is their geometric mean. Zero-latency hops still cost CPU, which is why the
# estimate does not try to be lower for them.
EVENTS_PER_VISIT = 1.9
# Events one CPU second processes on the lab's 2-core server, measured over the examples: from
# 280,000 to 730,000. The low end, so the CPU estimate errs towards refusing.
EVENTS_PER_CPU_SECOND = 250_000.0
# JSON bytes of one window (json.dumps, as a JSONField stores it): a least-squares fit over the
# examples' windows and four generated designs of 30 to 200 nodes, within 10% of each. A fixed
# part, then each node (its metrics), edge (its rate), request class and origin region.
WINDOW_BYTES_BASE = 530.0
WINDOW_BYTES_PER_NODE = 440.0
WINDOW_BYTES_PER_EDGE = 70.0
WINDOW_BYTES_PER_CLASS = 200.0
WINDOW_BYTES_PER_ORIGIN = 170.0


@dataclass(frozen=True)
class Budget:
    """The most one run may use. The defaults let every shipped example through with room to
    spare and refuse runs that would hold a worker for hours; the server overrides them."""

    max_events: int = 200_000_000  # heap events (about 13 CPU minutes at the rate above)
    max_cpu_s: float = 900.0  # CPU seconds of the worker process spent on this run
    max_wall_s: float = 7_200.0  # wall-clock seconds the run may hold a worker (paced runs too)
    max_windows: int = 7_200  # metric windows (an hour in half-second windows)
    max_stored_bytes: int = 256_000_000  # JSON of the stored windows
    # The memory proxy, measured with tracemalloc: a request waiting in a queue holds about
    # 0.25 kB, a heap entry with the request it carries about 0.36 kB. A million of each (a
    # pool's largest queue) is about 0.6 GB of the worker's memory.
    max_in_flight: int = 1_000_000
    max_heap: int = 1_000_000

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Budget":
        names = cls.__dataclass_fields__
        return cls(**{k: v for k, v in data.items() if k in names})


@dataclass(frozen=True)
class Estimate:
    """What a run of a topology is expected to cost, before it starts."""

    requests: float  # started by every source over the duration
    visits: float  # nodes one request visits, on average over the sources' traffic
    events: float
    windows: int
    window_bytes: float
    stored_bytes: float
    cpu_s: float
    duration_s: float
    window_s: float
    # Expected requests of each source, largest first: the sentences name the biggest.
    sources: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def estimate(topology: Topology) -> Estimate:
    """The cost of running a normalized topology (what `lab.sim.load` returns) for its duration."""
    settings = topology["settings"]
    duration, window_s = float(settings["duration_s"]), float(settings["window_s"])
    specs = {n["id"]: n for n in topology["nodes"]}
    sources = {n["id"]: REGISTRY[n["kind"]].expected_requests(n["params"], duration)
               for n in topology["nodes"] if REGISTRY[n["kind"]].is_source}
    requests = sum(sources.values())
    walk = _Walk(topology)
    hops = sum(sources[s] * walk.from_source(specs[s]) for s in sources)
    visits = hops / requests if requests else 0.0
    windows = math.ceil(duration / window_s - 1e-9)
    events = requests * visits * EVENTS_PER_VISIT + windows
    origins = {n.get("region") for n in topology["nodes"] if REGISTRY[n["kind"]].is_source} - {None}
    per_window = window_bytes(len(topology["nodes"]), len(topology["edges"]),
                              len(topology["workload"]["classes"]), len(origins))
    return Estimate(
        requests=requests, visits=visits, events=events, windows=windows, window_bytes=per_window,
        stored_bytes=windows * per_window, cpu_s=events / EVENTS_PER_CPU_SECOND,
        duration_s=duration, window_s=window_s,
        sources=dict(sorted(sources.items(), key=lambda kv: -kv[1])),
    )


def window_bytes(nodes: int, edges: int, classes: int, origins: int) -> float:
    """The JSON size of one window, from the fit above."""
    return (WINDOW_BYTES_BASE + WINDOW_BYTES_PER_NODE * nodes + WINDOW_BYTES_PER_EDGE * edges
            + WINDOW_BYTES_PER_CLASS * classes + WINDOW_BYTES_PER_ORIGIN * origins)


class _Walk:
    """Expected node visits of one request entering a node, by request class.

    A node's visits are its own plus, for each outgoing edge it sends the request along, the
    share of requests it sends times the visits below that edge. What a kind sends where is
    the kind's own declaration (`Component.calls_made`); today:
    - a load balancer or DNS router sends each request to ONE target: the costliest one is
      counted (an upper bound; exact when the targets are alike, as they usually are);
    - a source, API gateway, CDN or rate limiter sends it along its first edge that accepts the
      class; a CDN's static classes and a rate limiter's admissions count as all forwarded (an
      upper bound: the hit ratio and the share admitted emerge from the run);
    - a cache forwards writes, and reads that miss: 1 - hit_probability in fixed mode, all of
      them when the hit ratio emerges from the keys (an upper bound);
    - a service pool, work queue or serverless function calls every dependency in turn, a
      pub/sub topic delivers to every consumer group, a stream processor copies to every edge
      (times its filter's pass share, its split, or one over its merge count), a scatter-gather
      sends `fanout` leaves along every edge, a two-phase commit calls every participant twice
      (prepare, commit) and a saga once;
    - a kind not named here is taken to call every edge that accepts the class once.
    An edge with a retry policy repeats what is below it up to 1 + retries times (the upper
    bound, when every attempt fails: a retry storm). Redeliveries and compensations, which only
    failures cause, are left out.
    """

    def __init__(self, topology: Topology) -> None:
        self.specs = {n["id"]: n for n in topology["nodes"]}
        self.out: dict[str, list[EdgeSpec]] = {n: [] for n in self.specs}
        for edge in topology["edges"]:
            self.out[edge["from"]].append(edge)
        classes = topology["workload"]["classes"]
        self.shares = {c["name"]: c["share"] for c in classes}
        self.operations = {c["name"]: c["operation"] for c in classes}
        self.memo: dict[tuple[str, str], float] = {}

    def from_source(self, spec: NodeSpec) -> float:
        """Visits per request the source starts, over its mix of classes."""
        shares = spec["params"].get("mix") or self.shares
        shares = {c: w for c, w in shares.items() if w > 0 and c in self.shares}
        total = sum(shares.values())
        if not total:
            return 0.0
        return sum(w * (self.below(spec["id"], c) - 1.0) for c, w in shares.items()) / total

    def below(self, node_id: str, cls: str) -> float:
        """Visits of one request of class `cls` that reaches `node_id`, itself included. The
        graph is acyclic (the validator refuses loops) and at most 64 hops deep."""
        key = (node_id, cls)
        if key not in self.memo:
            self.memo[key] = 1.0 + self._sent_on(node_id, cls)
        return self.memo[key]

    def _through(self, edge: EdgeSpec, cls: str) -> float:
        attempts = 1 + (edge["policy"] or {}).get("retries", 0)
        return attempts * self.below(edge["to"], cls)

    def _sent_on(self, node_id: str, cls: str) -> float:
        spec = self.specs[node_id]
        routes = [e for e in self.out[node_id] if e["classes"] is None or cls in e["classes"]]
        if not routes:
            return 0.0
        how, factor = REGISTRY[spec["kind"]].calls_made(spec["params"], cls, self.operations.get(cls))
        if how == "one_of":
            return max(self._through(e, cls) for e in routes)
        if how == "first":
            return factor * self._through(routes[0], cls)
        return factor * sum(self._through(e, cls) for e in routes)


# -- admission ------------------------------------------------------------------------------------

def check(estimate: Estimate, budget: Budget, *, speed: float | None = None) -> list[Problem]:
    """One problem for each limit the estimate exceeds, saying which setting to change and by
    how much. `speed` (times real time; None or 0 for as fast as possible) adds the wall-clock
    limit of a paced run."""
    e, b = estimate, budget
    problems = []
    duration, window_s = e.duration_s, e.window_s
    if e.events > b.max_events:
        problems.append(problem("$.settings.duration_s", (
            f"this run would process about {_count(e.events)} events ({_sig(e.requests / duration)} "
            f"requests/s × {_num(duration)} s × {_sig(e.visits)} hops × {_num(EVENTS_PER_VISIT)} events a hop); "
            f"the limit is {_count(b.max_events)}. {_shorter(e, b.max_events / e.events)}")))
    if e.cpu_s > b.max_cpu_s:
        problems.append(problem("$.settings.duration_s", (
            f"this run would take about {_duration(e.cpu_s)} of CPU time ({_count(e.events)} events at "
            f"{_count(EVENTS_PER_CPU_SECOND)} a second); the limit is {_duration(b.max_cpu_s)}. "
            f"{_shorter(e, b.max_cpu_s / e.cpu_s)}")))
    if speed and duration / speed > b.max_wall_s:
        problems.append(problem("$.settings.duration_s", (
            f"at {_num(speed)}x real time this run would take {_duration(duration / speed)}; the limit is "
            f"{_duration(b.max_wall_s)}. Lower settings.duration_s to about {_sig(b.max_wall_s * speed)} s "
            f"or run it faster")))
    if e.windows > b.max_windows:
        problems.append(problem("$.settings.window_s", (
            f"{_num(duration)} s in {_num(window_s)} s windows is {_count(e.windows)} windows; the limit is "
            f"{_count(b.max_windows)}: raise settings.window_s to at least {_sig_up(duration / b.max_windows)} s")))
    if e.stored_bytes > b.max_stored_bytes:
        problems.append(problem("$.settings.window_s", (
            f"this run's windows would take about {_bytes(e.stored_bytes)} ({_count(e.windows)} windows of "
            f"{_bytes(e.window_bytes)}); the limit is {_bytes(b.max_stored_bytes, 3)}: raise settings.window_s "
            f"to at least {_sig_up(duration * e.window_bytes / b.max_stored_bytes)} s or lower "
            f"settings.duration_s to about {_sig(b.max_stored_bytes / e.window_bytes * window_s)} s")))
    return problems


def _shorter(e: Estimate, factor: float) -> str:
    """The advice for a run that costs 1 / factor times too much: a shorter run or less traffic."""
    advice = f"Lower settings.duration_s to about {_sig(e.duration_s * factor)} s"
    busy = [name for name, n in e.sources.items() if n > 0]
    if len(busy) == 1:
        rate = e.sources[busy[0]] / e.duration_s * factor
        return f"{advice} or the traffic rate of {busy[0]!r} to about {_sig(rate)} requests/s"
    names = ", ".join(repr(n) for n in busy[:3]) + (" and others" if len(busy) > 3 else "")
    return f"{advice} or the traffic rates ({names}) to about {_sig(100 * factor)}% of what they are"


# -- while it runs --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Usage:
    """What a running simulation has used so far (cheap to read between windows)."""

    events: int
    in_flight: int
    heap: int
    windows: int
    sim_time_s: float

    @classmethod
    def of(cls, sim: "Simulation") -> "Usage":
        return cls(events=sim.events_scheduled(), in_flight=sim.in_flight(), heap=len(sim.heap),
                   windows=sim.metrics.index, sim_time_s=sim.now)


def over(usage: Usage, budget: Budget, *, cpu_s: float, wall_s: float, windows_stored: int,
         bytes_stored: float | None = None) -> str | None:
    """The budget the run has used up, as a sentence, or None while it is within all of them.
    Memory first: it is the one that can take the worker down with it."""
    u, b = usage, budget
    spent = [
        (u.in_flight >= b.max_in_flight, f"{_count(b.max_in_flight)} requests in flight"),
        (u.heap >= b.max_heap, f"{_count(b.max_heap)} events waiting on the heap"),
        (u.events >= b.max_events, f"{_count(b.max_events)} events"),
        (cpu_s >= b.max_cpu_s, f"{_duration(b.max_cpu_s)} of CPU time"),
        (wall_s >= b.max_wall_s, f"{_duration(b.max_wall_s)} of wall-clock time"),
        (windows_stored > b.max_windows, f"{_count(b.max_windows)} stored windows"),
        (bytes_stored is not None and bytes_stored >= b.max_stored_bytes, f"{_bytes(b.max_stored_bytes, 3)} of stored windows"),
    ]
    for hit, what in spent:
        if hit:
            return f"the run used its budget of {what} at simulated time {_num(round(u.sim_time_s, 1))} s"
    return None


# -- numbers in sentences -------------------------------------------------------------------------

def _sig(x: float, digits: int = 2) -> str:
    """`digits` significant digits, without an exponent: 2.1, 14, 340, 2,600."""
    if x <= 0:
        return "0"
    decimals = digits - 1 - math.floor(math.log10(x))
    if decimals > 0:
        return f"{round(x, decimals):,.{decimals}f}"
    return f"{int(round(x, decimals)):,}"


def _sig_up(x: float) -> str:
    """`x` rounded up to two significant digits: a value that is at least enough."""
    if x <= 0:
        return "0"
    step = 10.0 ** (math.floor(math.log10(x)) - 1)
    return _num(round(math.ceil(x / step - 1e-9) * step, 12))


def _num(x: float) -> str:
    return f"{int(x):,}" if float(x).is_integer() else f"{x:g}"


def _count(n: float) -> str:
    for word, size in (("billion", 1e9), ("million", 1e6)):
        if n >= size:
            return f"{_sig(n / size).removesuffix('.0')} {word}"
    return f"{round(n):,}"


def _bytes(n: float, digits: int = 2) -> str:
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= size:
            return f"{_sig(n / size, digits)} {unit}"
    return f"{round(n)} bytes"


def _duration(s: float) -> str:
    return f"{_sig(s / 3600)} hours" if s >= 7200 else f"{_sig(s)} s"
