"""The discrete-event core: one heap of events, the request ledger, and control between events.

Events are `(time, seq, fn, arg)` tuples on a binary heap; `seq` breaks ties in scheduling order,
which makes runs deterministic. `fn(arg, t)` is a bound method of a component, stored once so the
hot loop creates nothing but the tuple. Nothing ever scans all nodes to find the next event.

Usage from a plain script::

    from lab.sim import load, Simulation
    topology = load(open("lab/sim/examples/reference.json").read())   # raises InvalidTopology
    sim = Simulation(topology, seed=1)
    sim.run(60.0)
    print(sim.results()["measured"]["overall"]["latency_ms"])
"""
from __future__ import annotations

import itertools
import math
from heapq import heappop, heappush, heapreplace
from typing import Any, Callable

from . import faults
from .components.registry import REGISTRY
from .components.base import Component, Edge
from .cloud.geography import Geography
from .metrics.documents import Results, Window
from .metrics.windows import Metrics, edge_rule
from .cloud.pricing import prices_for
from .parts.resilience import Guard
from .kernel.interface import StreamedSource
from .kernel.randomness import Streams
from .kernel.request import Request
from .document.types import Topology

WindowCallback = Callable[[Window], None]


class _NoStream:
    """The streamed source of a run with no traffic source (validation refuses one; the run
    loop never calls `send`, since nothing is due before infinity)."""

    streamed = True
    next_at = math.inf

    def send(self, t: float) -> None:
        raise RuntimeError("this simulation has no traffic source")


class Simulation:
    def __init__(
        self,
        topology: Topology,
        *,
        seed: int | None = None,
        window_s: float | None = None,
        warmup_s: float | None = None,
        on_window: WindowCallback | None = None,
        trace_every: int = 100,
        trace_cap: int = 50,
    ) -> None:
        """`topology` must be a normalized, valid document (what `lab.sim.load` returns)."""
        settings = topology["settings"]
        self.topology = topology
        self.seed = int(settings["seed"] if seed is None else seed)
        self.window_s = float(settings["window_s"] if window_s is None else window_s)
        self.warmup_s = float(settings["warmup_s"] if warmup_s is None else warmup_s)
        self.heap: list[tuple[float, int, Callable[[Any, float], None], Any]] = []
        # True while the event being handled still sits at the top of the heap (see run).
        self.root = [False]
        self.seq = itertools.count().__next__
        self.t_start = 0.0
        self.now = 0.0
        self.streams = Streams(self.seed)
        workload = topology["workload"]
        self.operations: dict[str, str] = {c["name"]: c["operation"] for c in workload["classes"]}
        self.class_names = list(self.operations)
        self.keys = workload["keys"]
        self.prices = prices_for(topology)
        self.geo = Geography(topology)
        # Requests a node makes on its own account (fan-out leaves, retries, messages) get
        # negative ids, so they never collide with the clients' requests.
        self.child_id = itertools.count(-1, -1).__next__

        # The request ledger: every request created ends exactly once, completed or failed.
        self.created = 0
        self.completed = 0
        self.failed = 0
        # End-to-end latencies of this window by origin region ("" for unplaced sources) and class.
        self.e2e: dict[tuple[str, str], list[float]] = {}
        self.failures_by_class: dict[str, dict[str, int]] = {c: {} for c in self.class_names}
        self.origin_of = {n["id"]: n.get("region") or "" for n in topology["nodes"] if REGISTRY[n["kind"]].is_source}
        self.origins = sorted(set(self.origin_of.values()) - {""})
        self.failures_by_origin: dict[str, dict[str, int]] = {o: {} for o in self.origins}
        self.trace_every = max(1, int(trace_every))
        self.timeline: list[dict[str, Any]] = []
        self.active_faults: dict[str, faults.ActiveFault] = {}
        self.draining = False

        self.nodes: dict[str, Component] = {}
        for spec in topology["nodes"]:
            cls = REGISTRY[spec["kind"]]
            node = self.nodes[spec["id"]] = cls(self, spec["id"], spec["params"])
            node.region, node.zone = spec.get("region"), spec.get("zone")
        self.edges: list[Edge] = []
        for wire in topology["edges"]:
            source, target = self.nodes[wire["from"]], self.nodes[wire["to"]]
            only = wire["classes"]
            classes = frozenset(only) if only else None
            edge = Edge(self, wire["id"], source, target, wire["latency_ms"] / 1000.0, classes)
            policy = wire["policy"]
            if policy:
                edge.guard = Guard(self, edge, policy)
            source.out.append(edge)
            self.edges.append(edge)
        self.needs_keys = any(
            REGISTRY[s["kind"]].uses_keys_with(s["params"]) for s in topology["nodes"]
        )
        self.needs_clients = any(
            REGISTRY[s["kind"]].uses_clients_with(s["params"]) for s in topology["nodes"]
        )
        self.transfer_usd = self._transfer_prices(topology)
        incoming = {node_id: 0 for node_id in self.nodes}
        for edge in self.edges:
            incoming[edge.target.id] += 1
        for edge in self.edges:
            edge.rule = edge_rule(edge, self, incoming)
            edge.counted = edge.rule == "counted"
        for node in self.nodes.values():
            node.build()
            node.configure()
        self.rewire()
        # The first source's arrivals bypass the heap (see run), if its kind streams them.
        first = next((n for n in self.nodes.values() if n.is_source), None)
        self.stream: StreamedSource | None = first.stream() if first is not None else None
        if self.stream is not None:
            self.stream.streamed = True

        self.metrics = Metrics(self, on_window=on_window, trace_cap=trace_cap)
        self._resume_cb = self._resume
        self._started = False

    def _transfer_prices(self, topology: Topology) -> dict[str, float]:
        """USD per request on each edge whose data is billed: between zones or regions, and from
        the first hop back out to the users (internet egress). A request moves its class's
        request and response sizes; the workload's mix gives the average."""
        classes = topology["workload"]["classes"]
        total_share = sum(c["share"] for c in classes) or 1.0
        gb = sum(c["share"] * (c["request_kb"] + c["response_kb"]) for c in classes) / total_share / 1e6
        response_gb = sum(c["share"] * c["response_kb"] for c in classes) / total_share / 1e6
        specs = {n["id"]: n for n in topology["nodes"]}
        prices = self.prices
        out: dict[str, float] = {}
        for spec in topology["edges"]:
            source, target = specs[spec["from"]], specs[spec["to"]]
            if REGISTRY[source["kind"]].is_source:
                if not REGISTRY[target["kind"]].bills_user_egress:
                    out[spec["id"]] = response_gb * prices["internet_egress_gb"]
                continue
            crossing = self.geo.crosses(source, target)
            if crossing is not None:
                out[spec["id"]] = gb * prices[f"transfer_cross_{crossing}_gb"]
        return out

    def rewire(self) -> None:
        """Install each node's receive (its fast path, or `refuse` while it is down), re-bind
        the edges to them, and let nodes refresh shortcuts they took through their edges."""
        # Each node's receive is installed on the node itself, over its class's method, on
        # purpose: edges bind to it and call it with no dispatch of their own.
        for node in self.nodes.values():
            node.__dict__.pop("receive", None)
            if node.down:
                node.receive = node.refuse  # type: ignore[method-assign]  # installed per node (above)
            elif node.fault_delay or node.fault_slow or node.fault_error:
                node.receive = faults.faulty_receive(node)  # type: ignore[method-assign]  # installed per node (above)
            elif node.fast_receive is not None:
                node.receive = node.fast_receive  # type: ignore[method-assign]  # installed per node (above)
        for edge in self.edges:
            edge.bind()
        for node in self.nodes.values():
            node.wire()

    # -- running --------------------------------------------------------------------------------

    def start(self) -> None:
        if self._started:
            return
        self._started = True
        for node in self.nodes.values():
            node.start(self.t_start)
        for spec in self.topology.get("faults", []):
            faults.schedule(self, spec)
        heappush(self.heap, (self.t_start + self.window_s, self.seq(), self._close_window, None))

    def run(self, until: float) -> None:
        """Process every event up to and including simulated time `until` (seconds)."""
        self.start()
        heap = self.heap
        pop = heappop
        root = self.root
        # The first source's arrivals never go through the heap: its next arrival time is
        # compared with the heap's top, and it goes first on a tie. (Nothing inside the loop
        # changes a source's schedule except the source itself.)
        stream: StreamedSource = self.stream if self.stream is not None else _NoStream()
        send = stream.send
        due = stream.next_at
        # The next event is read in place and its handler runs while it is still on the heap;
        # the first event the handler schedules replaces it (one sift instead of a pop and a
        # push). If the handler schedules nothing, it is popped afterwards.
        while True:
            if heap:
                t, _, fn, arg = heap[0]
                if due <= t:
                    if due > until:
                        break
                    send(due)
                    due = stream.next_at
                    continue
                if t > until:
                    break
                root[0] = True
                fn(arg, t)
                if root[0]:
                    root[0] = False
                    pop(heap)
            elif due <= until:
                send(due)
                due = stream.next_at
            else:
                break
        if until > self.now:
            self.now = until

    def schedule(self, t: float, fn: Callable[[Any, float], None], arg: Any = None) -> None:
        """Call `fn(arg, t)` at simulated time `t` (never before the event being handled).

        The one way kinds and their parts put events on the heap. While the handled event still
        sits at the heap's top (see run), the first event it schedules replaces it: one sift
        instead of a pop and a push. Events run in (time, scheduling order), so which of the two
        ways an event went on the heap never changes a result."""
        root = self.root
        if root[0]:
            root[0] = False
            heapreplace(self.heap, (t, self.seq(), fn, arg))
        else:
            heappush(self.heap, (t, self.seq(), fn, arg))

    def current_time(self) -> float:
        """The time of the event being handled. The clock (`now`) only moves between windows; the
        heap's top is the current event while its handler runs (and never earlier than it
        otherwise), so a node that learns something outside its own events (it recovered) acts
        at the right moment."""
        heap = self.heap
        return max(self.now, heap[0][0]) if heap else self.now

    def finish(self) -> None:
        """Close the last, partial window so its requests are counted."""
        if self.now > self.metrics.window_start:
            self.metrics.close(self.now)

    def drain(self, limit_s: float = 3600.0) -> None:
        """Stop the sources and run until every request still in flight has ended (or `limit_s`
        more seconds pass). The contract tests use it to prove no request is lost."""
        self.start()
        self.draining = True
        for node in self.nodes.values():
            node.stop()
        # Unlike run(), the clock stops at the last event, not at the limit: a drained run
        # lasts as long as its last request.
        heap = self.heap
        limit = self.now + limit_s
        while heap and heap[0][0] <= limit:
            t, _, fn, arg = heappop(heap)
            if not heap and fn == self._close_window:
                break  # only the next window's end is left: nothing is in flight any more
            fn(arg, t)
            if t > self.now:
                self.now = t
        self.finish()

    def _close_window(self, _: Any, t: float) -> None:
        self.now = t
        self.metrics.close(t)
        if not self.draining:
            heappush(self.heap, (t + self.window_s, self.seq(), self._close_window, None))

    # -- the request ledger ---------------------------------------------------------------------

    def reply(self, req: Request, t: float) -> None:
        """The request is done at the current node: return it to its nearest waiting caller, or
        complete it if nobody waits (its response reaches the client)."""
        back = req.back
        stack = req.stack
        if stack:
            owner, state, saved_back = stack.pop()
            req.back = saved_back
            if back:
                if self.root[0]:
                    self.root[0] = False
                    heapreplace(self.heap, (t + back, self.seq(), self._resume_cb, (owner, req, state)))
                else:
                    heappush(self.heap, (t + back, self.seq(), self._resume_cb, (owner, req, state)))
            else:
                owner.resume(req, state, t)
        else:
            # The response is on its way to the client and meets nothing on the way, so its
            # arrival time is computed, not simulated: the request is counted now, with its full
            # latency. (This is _complete, inlined: it ends nearly every request.)
            # A request that reaches its client has its source's sink (a queue's jobs and a node's
            # own children end at a frame instead).
            self.completed += 1
            req.sink.append(t + back - req.t0)  # type: ignore[union-attr]  # it has one (above)
            if req.trace is not None:
                self.metrics.keep_trace(req, t + back, None, None)

    def _resume(self, arg: tuple[Component, Request, Any], t: float) -> None:
        owner, req, state = arg
        owner.resume(req, state, t)

    def _complete(self, req: Request, t: float) -> None:
        self.completed += 1
        req.sink.append(t - req.t0)  # type: ignore[union-attr]  # as in reply: it reached its client
        if req.trace is not None:
            self.metrics.keep_trace(req, t, None, None)

    def fail(self, req: Request, t: float, cause: str, node_id: str) -> None:
        """The request failed at `node_id`. Callers waiting on it release what they hold; one of
        them may take the failure over (a queue owns its jobs)."""
        stack = req.stack
        while stack:
            owner, state, _ = stack.pop()
            if owner.abort(req, state, t, cause):
                return
        self.failed += 1
        by_cause = self.failures_by_class[req.cls]
        by_cause[cause] = by_cause.get(cause, 0) + 1
        origin = self.origin_of.get(req.source)
        if origin:
            by_origin = self.failures_by_origin[origin]
            by_origin[cause] = by_origin.get(cause, 0) + 1
        self.metrics.keep_trace(req, t, cause, node_id)

    def e2e_sink(self, origin: str | None, cls: str) -> list[float]:
        """The list completed requests of one origin region and class report their latency to."""
        key = (origin or "", cls)
        sink = self.e2e.get(key)
        if sink is None:
            sink = self.e2e[key] = []
        return sink

    def in_flight(self) -> int:
        return self.created - self.completed - self.failed

    def events_scheduled(self) -> int:
        """Events put on the heap so far: the value `seq` would hand out next. Read from the
        counter without advancing it, so the hot loop pays nothing for it (run budgets,
        lab/sim/budget.py). The first source's arrivals bypass the heap and are not counted.
        A count's repr is "count(N)" (its step is 1); copying one, the older way to peek, is
        deprecated from Python 3.12 and goes in 3.14."""
        # A bound method has __self__; typeshed types `count.__next__` as a bare Callable.
        return int(repr(self.seq.__self__)[6:-1])  # type: ignore[attr-defined]  # (above)

    # -- control between events -----------------------------------------------------------------

    def record(self, entry: dict[str, Any], t: float | None = None) -> None:
        """Add an entry to the run's timeline (and to the window it happened in)."""
        entry = {"t": round(self.now if t is None else t, 6), **entry}
        self.timeline.append(entry)
        self.metrics.events.append(entry)

    def results(self) -> Results:
        return self.metrics.results()


def simulate(
    topology: Topology,
    *,
    seed: int | None = None,
    duration_s: float | None = None,
    warmup_s: float | None = None,
    window_s: float | None = None,
    on_window: WindowCallback | None = None,
) -> Results:
    """Run a normalized topology for its duration and return the results document."""
    sim = Simulation(topology, seed=seed, window_s=window_s, warmup_s=warmup_s, on_window=on_window)
    duration = float(topology["settings"]["duration_s"] if duration_s is None else duration_s)
    sim.run(duration)
    sim.finish()
    return sim.results()
