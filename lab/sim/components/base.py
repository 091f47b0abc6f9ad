"""What every component kind shares: its declaration, its edges, and the moves a request can make.

A kind is one subclass in one file. It declares what it is (`kind`, `title`, `group`, `params`,
how many callees it needs) and implements `receive`; if it calls a dependency and has work left
afterwards it implements `resume`, and if it holds something while waiting it implements `abort`
to give it back when the request fails downstream.

Its life cycle: `build` once, when all edges exist (what lives for the whole run: queues, random
streams, stores, counters), then `configure` at once and again after every live parameter change
(read `self.p` into fast attributes and apply it to what `build` made), then `wire` whenever
edges are re-bound, and `start` when the run starts.
"""
from __future__ import annotations

from heapq import heappush, heapreplace
from typing import Any, ClassVar, Sequence

from ..kernel.interface import Kernel, StreamedSource
from .actor import Actor
from ..metrics.declared import LAST, Metric, Reading, combine_rules, level, read, reading, show, shown
from ..params import Param
from ..kernel.request import Request

GROUPS = ("edge", "compute", "data", "messaging", "external")

# How the figures every node's window has combine over a run: the common counters add up, except
# the requests in the node now; so do a queue's (kernel/station.py), except its length now.
QUEUE_METRICS = (level("queue_now", provided=True, shown=None),)
_COMMON_RULES = {"in_node_now": LAST}


class Edge:
    """A call path from one node to another, with its one-way network latency.

    `deliver(req, t)` hands a request to the target: the target's own `receive` when the edge has
    no latency (no extra call on the hot path), otherwise a method that schedules the arrival.
    `bind` sets it; the simulation re-binds after anything that changes a node's `receive`.
    """

    __slots__ = ("id", "source", "target", "latency", "classes", "heap", "root", "seq", "deliver", "sent",
                 "counted", "passed", "rule", "base_latency", "cut", "guard", "inner")

    def __init__(self, sim: "Kernel", eid: str, source: "Component", target: "Component",
                 latency_s: float, classes: frozenset[str] | None) -> None:
        self.id = eid
        self.source = source
        self.target = target
        self.latency = self.base_latency = latency_s
        self.cut = False  # a network partition separates its ends (lab/sim/faults.py)
        self.guard: Any = None  # its resilience policy (lab/sim/parts/resilience.py), if it has one
        self.classes = classes
        self.heap = sim.heap
        self.root = sim.root
        self.seq = sim.seq
        self.sent = 0  # kept by a balancer, which counts what it sends anyway
        # Edges whose rate the nodes cannot tell, and billed edges (across zones), count what passes.
        self.counted = False
        self.passed = 0
        self.rule = "counted"  # how its rate is known: see metrics.edge_rule
        self.bind()

    def bind(self) -> None:
        if self.cut:
            inner = self._unreachable
        elif self.latency:
            inner = self._delayed_counted if self.counted else self._delayed
        else:
            inner = self._counted if self.counted else self.target.receive
        self.inner = inner
        # A guarded edge hands the caller's request to its policy, which sends attempts inward.
        self.deliver = self.guard.send if self.guard is not None else inner

    def _unreachable(self, req: Request, t: float) -> None:
        # The call fails at the target, as if refused: the caller has counted it as passed on.
        target = self.target
        target.arrivals += 1
        target.fail(req, t, "unreachable")

    def _counted(self, req: Request, t: float) -> None:
        self.passed += 1
        self.target.receive(req, t)

    def _delayed_counted(self, req: Request, t: float) -> None:
        self.passed += 1
        self._delayed(req, t)

    def _delayed(self, req: Request, t: float) -> None:
        latency = self.latency
        # The response pays it again on the way back, settled when it returns (Simulation.reply).
        req.back += latency
        if self.root[0]:
            self.root[0] = False
            heapreplace(self.heap, (t + latency, self.seq(), self._arrive, req))
        else:
            heappush(self.heap, (t + latency, self.seq(), self._arrive, req))

    def _arrive(self, req: Request, t: float) -> None:
        self.target.receive(req, t)

    def accepts(self, cls: str) -> bool:
        return self.classes is None or cls in self.classes


class Component(Actor):
    """A node of the topology: one component kind is one subclass (see the module's docstring)."""

    kind: ClassVar[str] = ""
    title: ClassVar[str] = ""
    group: ClassVar[str] = ""
    icon: ClassVar[str] = ""
    summary: ClassVar[str] = ""
    params: ClassVar[tuple[Param, ...]] = ()
    # How many outgoing edges (callees) the kind needs and allows; None means no upper limit.
    min_callees: ClassVar[int] = 0
    max_callees: ClassVar[int | None] = None
    is_source: ClassVar[bool] = False  # sources start requests and cannot be called
    # What the kind reads from a request, so the source only draws keys or clients when needed.
    uses_keys: ClassVar[bool] = False
    # A kind that bills its own egress to users (a CDN): the users' edge into it is not billed too.
    bills_user_egress: ClassVar[bool] = False
    uses_clients: ClassVar[bool] = False
    # A node whose `receive` can skip a step (a pool's goes straight to its queue) sets
    # `fast_receive` in build or configure; `Simulation.rewire` installs it, or `refuse` while the node is down.
    fast_receive: Any = None
    down = False
    # Effects of active faults (lab/sim/faults.py), installed by `Simulation.rewire`.
    fault_delay = 0.0
    fault_slow = 0.0
    fault_error = 0.0
    lost_instances = 0
    # The kind's own window figures (lab/sim/metrics/declared.py): `harvest` reads and resets them
    # (`_reading`, made once), `present` shows them (`_shown`), totals combine them by their rule.
    metrics: ClassVar[tuple[Metric, ...]] = ()
    _reading: ClassVar[tuple[Reading, ...]] = ()
    _shown: ClassVar[tuple[Metric, ...]] = ()
    region: str | None = None  # placement: the node's region and zone (None when not placed)
    zone: str | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._reading = reading(cls.metrics)
        cls._shown = shown(cls.metrics)

    def __init__(self, sim: "Kernel", node_id: str, values: dict[str, Any]) -> None:
        super().__init__(sim, node_id)
        self.p = dict(values)
        self.out: list[Edge] = []
        # Window counters (and `failures`, by cause); areas are time integrals (Little's law).
        self.arrivals = 0
        self.completions = 0
        self.lat: list[float] = []
        self.n = 0
        self.area_n = 0.0
        self.t_mark = 0.0
        self.dropped_time = 0.0
        self.t_cost = 0.0  # cost is accrued up to here

    # -- life cycle -----------------------------------------------------------------------------

    def build(self) -> None:
        """Make what lives for the whole run: queues, random streams (`self.sim.streams`), stores,
        counters, bound callbacks. Called once, when all edges exist, node by node in the order
        of the topology; `configure` follows at once. Sizes a structure needs to exist (its
        workers, its instances) come from `self.p`; everything that may change while the run goes
        on is left to `configure`. Nothing by default."""

    def configure(self) -> None:
        """Read `self.p` into fast attributes and apply it to what `build` made (resize a queue,
        swap a distribution, restart an autoscaler). Called right after `build` and again after
        every live parameter change (`set_param`), so it must work on a node that is running:
        it changes what `build` made, never makes it again. Nothing by default."""

    def wire(self) -> None:
        """Take shortcuts through the outgoing edges (e.g. a pool whose every request goes to
        one dependency hands it straight to that edge). Called after the nodes are built and
        configured, after every live change, and whenever edges are re-bound, so shortcuts never
        go stale."""

    def stations(self) -> Sequence[Any]:
        """The queues this node serves from, whose counters its windows add up."""
        return []

    # -- what a kind may provide for faults, health checks, draining and metrics ----------------
    # Every hook has a default here: faults, the simulation and the metrics never probe attributes.

    # crash_instances applies to the kind: its instances stop one at a time (`instances_changed`).
    has_instances: ClassVar[bool] = False
    # Routes by its callees' health (a balancer): told by `set_target_health` after `detection_delay()`.
    watches_health: ClassVar[bool] = False
    # The kind counts what it sends on each edge (`edge.sent`): those edges need no counter.
    counts_sent: ClassVar[bool] = False

    def crash(self, t: float) -> None:
        """The node went down: the requests waiting in it are lost, those in service finish
        (docs/decisions.md 10). By default each of its queues drops what waits."""
        for station in self.stations():
            station.drop_waiting(t, "fault")

    def instances_changed(self, before: int, t: float) -> None:
        """`lost_instances` went from `before` to its current value (a crash_instances fault
        began or ended): stop or restart instances. Kinds with `has_instances` implement it."""
        raise NotImplementedError(f"{self.kind} has no instances to crash")

    def detection_delay(self) -> float:
        """Seconds from a callee's change of health to this node acting on it (`watches_health`)."""
        return 0.0

    def set_target_health(self, target_id: str, healthy: bool, t: float) -> None:
        """A callee was found down (or up again), as health checks see it (`watches_health`)."""

    def stop(self) -> None:
        """Start nothing more of its own (a source stops arriving): the run is draining."""

    def stream(self) -> StreamedSource | None:
        """A source whose arrivals the run loop takes without the heap (Simulation.run), or None."""
        return None

    def forwarded_counters(self) -> tuple[str, ...]:
        """When every request this node takes in leaves on its one outgoing edge, the raw counters
        of its window that count them (their sum is the edge's count: a source's arrivals, a
        pool's completions), so the edge's rate is known without a counter on the edge
        (metrics.windows.edge_rule). Empty, the default: the edge counts, if it must."""
        return ()

    @classmethod
    def peak_rate(cls, values: dict[str, Any]) -> float:
        """The highest rate, in requests/s, at which a node with these parameters starts requests
        of its own (a traffic source); 0 for a kind that only answers. Validation and run
        budgets bound a run by it."""
        return 0.0

    @classmethod
    def calls_made(cls, values: dict[str, Any], request_class: str, operation: str | None) -> tuple[str, float]:
        """How a request of `request_class` (its `operation`: "read" or "write") that reaches a
        node with these parameters goes on along the node's edges that accept the class, for the
        run budgets' expected visits (lab/sim/budget.py): ("one_of", 1.0) when it goes to one of
        them (a balancer; the costliest is counted), ("first", f) when f requests go along the
        first, ("each", f) when f go along every one. Upper bounds where the share emerges from
        the run (hit ratios, admissions). Default: once along every one."""
        return ("each", 1.0)

    @classmethod
    def expected_requests(cls, values: dict[str, Any], duration_s: float) -> float:
        """Requests a node with these parameters starts in `duration_s` seconds (a source)."""
        return 0.0

    def start(self, t: float) -> None:
        """Called when the run starts (sources schedule their first arrival here)."""

    def set_param(self, name: str, value: Any, t: float) -> None:
        self.mark(t)
        self.p[name] = value
        self.configure()

    @classmethod
    def uses_keys_with(cls, values: dict[str, Any]) -> bool:
        return cls.uses_keys

    @classmethod
    def uses_clients_with(cls, values: dict[str, Any]) -> bool:
        return cls.uses_clients

    @classmethod
    def check(cls, values: dict[str, Any], callees: int) -> list[tuple[str, str]]:
        """Problems that involve several parameters at once, as (param name or "", sentence)."""
        return []

    # -- request moves --------------------------------------------------------------------------

    def receive(self, req: Request, t: float) -> None:
        raise NotImplementedError

    def refuse(self, req: Request, t: float) -> None:
        """`receive` while the node is down (crashed)."""
        self.arrivals += 1
        self.fail(req, t, "fault")

    def call(self, req: Request, edge: Edge, t: float, state: Any = None) -> None:
        """Send the request along `edge` and come back to `resume` when it returns."""
        stack = req.stack
        if stack is None:
            stack = req.stack = []
        stack.append((self, state, req.back))
        req.back = 0.0
        edge.deliver(req, t)

    def reply(self, req: Request, t: float) -> None:
        self.sim.reply(req, t)

    def spawn(self, parent: Request, edge: Edge, t: float, state: Any, cls: str | None = None) -> Request:
        """Send a child request along `edge` on `parent`'s behalf (a fan-out leaf, a retry, a
        published message). It is this node's, not the client's: when it returns, `resume(child,
        state, t)` runs; when it fails, `abort(child, state, t, cause)` runs and must return True.
        It shares the parent's trace, so a traced request shows every leaf it waited on."""
        child = Request(self.sim.child_id(), cls or parent.cls, parent.key, parent.client, parent.t0,
                        parent.source, parent.sink)
        child.trace = parent.trace
        child.stack = [(self, state, 0.0)]
        edge.deliver(child, t)
        return child

    def edges_for(self, cls: str) -> list[Edge]:
        return [e for e in self.out if e.classes is None or cls in e.classes]

    # -- metrics --------------------------------------------------------------------------------

    def mark(self, t: float) -> None:
        """Bring the time integrals up to `t`. Called before any change of state they track."""
        dt = t - self.t_mark
        if dt > 0:
            self.area_n += self.n * dt
            self.t_mark = t

    def measure(self, t: float) -> None:
        """Bring figures that are computed rather than counted (a backlog summed over groups, the
        items of several stores) into the attributes the declared `metrics` read. Called as the
        window closes, before they are read. Nothing by default."""

    def harvest(self, t: float) -> dict[str, Any]:
        """This window's raw counters; resets them for the next window."""
        self.mark(t)
        raw = {
            "arrivals": self.arrivals,
            "completions": self.completions,
            "failures": self.failures,
            "lat": self.lat,
            "area_n": self.area_n,
            "dropped_time": self.dropped_time,
            "in_node_now": self.n,
        }
        for station in self.stations():
            for key, value in station.harvest(t).items():
                if key == "lat":
                    raw["lat"] = raw["lat"] + value if raw["lat"] else value
                else:
                    raw[key] = raw.get(key, 0) + value
        self.measure(t)
        read(self, self._reading, raw)
        raw.update(self.harvest_extra(t))
        span = t - self.t_cost
        self.t_cost = t
        raw["cost_usd"] = self.accrue_cost(raw, span) if span > 0 else 0.0
        self.arrivals = self.completions = 0
        self.failures = {}
        self.lat = []
        self.area_n = 0.0
        self.dropped_time = 0.0
        return raw

    def harvest_extra(self, t: float) -> dict[str, Any]:
        """Raw figures `metrics` cannot read from an attribute: a part's own harvest (a fleet's,
        declared in `metrics` with provided=True) and counters under names known only once the
        run is built (one per region, one per shard), which add up across windows."""
        return {}

    def accrue_cost(self, raw: dict[str, Any], span: float) -> float:
        """Dollars this node cost over the last `span` seconds, from `self.sim.prices` (see
        lab/sim/cloud/pricing.py) and this window's raw counters. Free unless the kind says otherwise."""
        return 0.0

    @classmethod
    def present(cls, raw: dict[str, Any], span: float) -> dict[str, Any]:
        """The kind's own figures as a user reads them: the declared `metrics`, then
        `present_extra`."""
        out = show(cls._shown, raw)
        out.update(cls.present_extra(raw, span))
        return out

    @staticmethod
    def present_extra(raw: dict[str, Any], span: float) -> dict[str, Any]:
        """Figures a declaration cannot say: structured ones (per region, per shard) and those
        computed from several counters in a way of their own."""
        return {}

    @classmethod
    def combine_rules(cls) -> dict[str, str]:
        """How each raw figure of the kind's windows combines into the run's totals (metrics.
        declared: "sum", "max" or "last"); a figure not named here adds up."""
        return {**_COMMON_RULES, **combine_rules(QUEUE_METRICS), **combine_rules(cls.metrics)}

    # -- description ----------------------------------------------------------------------------

    @classmethod
    def describe(cls) -> dict[str, Any]:
        return {
            "kind": cls.kind,
            "title": cls.title,
            "group": cls.group,
            "icon": cls.icon,
            "summary": cls.summary,
            "min_callees": cls.min_callees,
            "max_callees": cls.max_callees,
            "is_source": cls.is_source,
            "params": [p.describe() for p in cls.params],
        }

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        return {p.name: p.default for p in cls.params}
