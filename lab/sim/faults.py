"""Faults: scheduled in the topology's `faults` list or injected live through `Simulation.apply`.

Each kind hits one target: a node, some of a node's instances, an edge, every node of a zone or a
region, or the network between two zones or regions. Faults change how nodes and edges are
wired (`Simulation.rewire`) only while they last, so healthy parts pay nothing on their hot path
for the possibility of faults. Every start and end goes into the run's timeline.

- crash: the node refuses every request (cause `fault`) and loses those waiting in its queues;
  requests already being served finish. Balancers and DNS routers notice through health checks.
- crash_instances: some instances of a pool (or a database's primary and replicas) stop; the
  rest carry on with less capacity.
- zone_outage / region_outage: every node placed in the zone or region crashes.
- latency: a node or an edge adds a fixed delay (a congested link, a slow disk).
- slow: a node answers late by a random extra delay (exponential), so its tail grows most.
- error_rate: a node fails that share of the requests that reach it (cause `error`).
- partition: the network between two zones or regions is cut: calls across it fail (cause
  `unreachable`), in both directions.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .document.types import FaultSpec
from .params import Param

if TYPE_CHECKING:
    from .kernel.interface import Kernel
    from .components.base import Component, Edge

_WHEN = (
    Param("start_s", "number", 0.0, "When the fault begins.", unit="s", minimum=0.0, maximum=1e6),
    Param("duration_s", "number", 0.0, "How long it lasts; 0 lasts until it is cleared or the run ends.",
          unit="s", minimum=0.0, maximum=1e6),
)

# `target` names the field that says what the fault hits: "node", "edge", "zone", "region",
# "between" (two zones or two regions), or "node_or_edge".
FAULT_KINDS: dict[str, dict[str, Any]] = {
    "crash": {
        "title": "Crash a node", "target": "node",
        "help": "The node refuses every request and loses those waiting in its queue, until the fault ends.",
        "params": _WHEN,
    },
    "crash_instances": {
        "title": "Crash some instances", "target": "node",
        "help": "That many instances of a service pool (or of a database: the primary first, then replicas) stop; "
                "the others carry the load.",
        "params": (Param("count", "integer", 1, "How many instances stop.", minimum=1, maximum=1000), *_WHEN),
    },
    "zone_outage": {
        "title": "Zone outage", "target": "zone",
        "help": "Every node placed in the zone crashes (a power or network failure of one data centre).",
        "params": _WHEN,
    },
    "region_outage": {
        "title": "Region outage", "target": "region",
        "help": "Every node placed in the region crashes.",
        "params": _WHEN,
    },
    "latency": {
        "title": "Added latency", "target": "node_or_edge",
        "help": "A node or an edge adds a fixed delay to every request that reaches it.",
        "params": (Param("added_ms", "number", 100.0, "The delay added.", unit="ms", minimum=0.0, maximum=600_000.0),
                   *_WHEN),
    },
    "slow": {
        "title": "Slow dependency", "target": "node",
        "help": "The node answers late by a random extra delay (exponential with this mean), so its tail grows most.",
        "params": (Param("added_ms", "number", 200.0, "Mean extra delay.", unit="ms", minimum=0.0, maximum=600_000.0),
                   *_WHEN),
    },
    "error_rate": {
        "title": "Error rate", "target": "node",
        "help": "The node fails this share of the requests that reach it with an error (500).",
        "params": (Param("rate", "number", 0.1, "Share of requests that fail.", minimum=0.0, maximum=1.0), *_WHEN),
    },
    "partition": {
        "title": "Network partition", "target": "between",
        "help": "Calls between the two zones or regions fail as unreachable, in both directions.",
        "params": _WHEN,
    },
}
TARGET_FIELDS = ("node", "edge", "zone", "region", "between")


@dataclass
class ActiveFault:
    id: str
    kind: str
    node: str | None
    started: float
    spec: FaultSpec
    nodes: list[str] = field(default_factory=list)  # crashed by this fault
    edges: list[str] = field(default_factory=list)


def target_of(spec: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of a fault that say what it hits, for the timeline."""
    return {k: spec[k] for k in TARGET_FIELDS if spec.get(k) is not None}


def schedule(sim: "Kernel", spec: FaultSpec, now: bool = False) -> None:
    """Put a fault's start (and end, if it has a duration) on the event heap; with `now`, start
    it at once (a live injection takes effect before the command returns)."""
    start = max(sim.now, float(spec.get("start_s", 0.0)))
    if now:
        begin(sim, spec, start)
    else:
        sim.schedule(start, lambda _, t: begin(sim, spec, t), None)
    duration = float(spec.get("duration_s", 0.0))
    if duration > 0:
        sim.schedule(start + duration, lambda _, t: end(sim, spec["id"], t), None)


def begin(sim: "Kernel", spec: FaultSpec, t: float) -> None:
    if spec["id"] in sim.active_faults:
        return
    kind = spec["kind"]
    fault = ActiveFault(spec["id"], kind, spec.get("node"), t, spec)
    sim.active_faults[spec["id"]] = fault
    if kind == "crash":
        fault.nodes = [spec["node"]]
    elif kind == "zone_outage":
        fault.nodes = [n.id for n in sim.nodes.values() if n.zone == spec["zone"] and not n.is_source]
    elif kind == "region_outage":
        fault.nodes = [n.id for n in sim.nodes.values() if n.region == spec["region"] and not n.is_source]
    elif kind == "partition":
        fault.edges = [e.id for e in sim.edges if _crosses(e, spec["between"])]
    elif kind == "latency" and spec.get("edge") is not None:
        fault.edges = [spec["edge"]]
    elif kind == "crash_instances":
        _instances(sim.nodes[spec["node"]], int(spec["count"]), t)
    for node_id in fault.nodes:
        node = sim.nodes[node_id]
        if not node.down:
            node.down = True
            node.crash(t)
    _refresh(sim)
    sim.record({"type": "fault_started", "fault": spec["id"], "kind": kind, **target_of(spec)}, t)
    for node_id in fault.nodes:
        _tell_balancers(sim, sim.nodes[node_id], healthy=False, t=t)


def end(sim: "Kernel", fault_id: str, t: float) -> None:
    fault = sim.active_faults.pop(fault_id, None)
    if fault is None:
        return
    recovered = []
    for node_id in fault.nodes:
        node = sim.nodes[node_id]
        if node.down and not any(node_id in f.nodes for f in sim.active_faults.values()):
            node.down = False
            recovered.append(node)
    if fault.kind == "crash_instances":
        _instances(sim.nodes[fault.spec["node"]], -int(fault.spec["count"]), t)
    _refresh(sim)
    for node in recovered:
        _tell_balancers(sim, node, healthy=True, t=t)
    sim.record({"type": "fault_ended", "fault": fault_id, "kind": fault.kind, **target_of(fault.spec)}, t)


def _refresh(sim: "Kernel") -> None:
    """Set every node's and edge's fault effects from the faults active now, and rewire."""
    delay: dict[str, float] = {}
    slow: dict[str, float] = {}
    ok: dict[str, float] = {}
    edge_added: dict[str, float] = {}
    cut: set[str] = set()
    for f in sim.active_faults.values():
        spec = f.spec
        if f.kind == "latency":
            if spec.get("edge") is not None:
                edge_added[spec["edge"]] = edge_added.get(spec["edge"], 0.0) + spec["added_ms"] / 1000.0
            else:
                delay[spec["node"]] = delay.get(spec["node"], 0.0) + spec["added_ms"] / 1000.0
        elif f.kind == "slow":
            slow[spec["node"]] = slow.get(spec["node"], 0.0) + spec["added_ms"] / 1000.0
        elif f.kind == "error_rate":
            ok[spec["node"]] = ok.get(spec["node"], 1.0) * (1.0 - spec["rate"])
        elif f.kind == "partition":
            cut.update(f.edges)
    for node in sim.nodes.values():
        node.fault_delay = delay.get(node.id, 0.0)
        node.fault_slow = slow.get(node.id, 0.0)
        node.fault_error = 1.0 - ok.get(node.id, 1.0)
    for edge in sim.edges:
        edge.latency = edge.base_latency + edge_added.get(edge.id, 0.0)
        edge.cut = edge.id in cut
    sim.rewire()


def supports_instance_crashes(kind: type["Component"]) -> bool:
    return kind.has_instances


def _instances(node: "Component", lost: int, t: float) -> None:
    """Stop `lost` more instances of a node (negative: bring them back)."""
    before = node.lost_instances
    node.lost_instances = max(0, before + lost)
    node.instances_changed(before, t)


def _crosses(edge: "Edge", between: list[str]) -> bool:
    a, b = between
    source, target = edge.source, edge.target

    def side(node: "Component") -> str | None:
        if node.zone in (a, b):
            return node.zone
        if node.region in (a, b):
            return node.region
        return None

    s, d = side(source), side(target)
    return s is not None and d is not None and s != d


def faulty_receive(node: "Component") -> Any:
    """The receive a node gets while latency, slowness or errors are injected into it."""
    inner = node.fast_receive if node.fast_receive is not None else type(node).receive.__get__(node)
    sim = node.sim
    gen = sim.streams.generator(f"fault:{node.id}")  # the same stream, going on, after every rewire
    error, delay, slow = node.fault_error, node.fault_delay, node.fault_slow

    def later(req: Any, t: float) -> None:
        inner(req, t)

    def receive(req: Any, t: float) -> None:
        if error and gen.random() < error:
            node.arrivals += 1
            node.fail(req, t, "error")
            return
        wait = delay + (gen.exponential(slow) if slow else 0.0)
        if wait > 0:
            # A plain push is right even while the event being handled is still the heap's
            # top: this one comes later, so the top stays where the loop will pop it.
            sim.schedule(t + wait, later, req)
        else:
            inner(req, t)

    return receive


def _tell_balancers(sim: "Kernel", node: "Component", healthy: bool, t: float) -> None:
    for edge in sim.edges:
        balancer = edge.source
        if edge.target is node and balancer.watches_health:
            at = t + balancer.detection_delay()

            def check(_: Any, when: float, balancer: Any = balancer) -> None:
                # Health checks see the node as it is when they run, not as it was.
                if node.down != healthy:
                    balancer.set_target_health(node.id, healthy, when)

            sim.schedule(at, check, None)
