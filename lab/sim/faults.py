"""Faults: scheduled in the topology's `faults` list or injected live through `Simulation.apply`.

This issue's engine has one kind, `crash`: the node refuses every request that reaches it (cause
`fault`) and loses the requests waiting in its queues; requests already being served finish.
Load balancers in front of it notice through their health checks. The full set of fault kinds
(zone and region outages, latency, error rates, partitions) builds on the same mechanism.
"""
from __future__ import annotations

from dataclasses import dataclass
from heapq import heappush
from typing import TYPE_CHECKING, Any

from .params import Param

if TYPE_CHECKING:
    from .components.base import Component
    from .engine import Simulation

FAULT_KINDS: dict[str, dict[str, Any]] = {
    "crash": {
        "title": "Crash a node",
        "help": "The node refuses every request and loses those waiting in its queue, until the fault ends.",
        "params": (
            Param("start_s", "number", 0.0, "When the fault begins.", unit="s", minimum=0.0, maximum=1e6),
            Param("duration_s", "number", 0.0, "How long it lasts; 0 lasts until it is cleared or the run ends.",
                  unit="s", minimum=0.0, maximum=1e6),
        ),
    },
}


@dataclass
class ActiveFault:
    id: str
    kind: str
    node: str
    started: float


def schedule(sim: "Simulation", spec: dict[str, Any], now: bool = False) -> None:
    """Put a fault's start (and end, if it has a duration) on the event heap; with `now`, start
    it at once (a live injection takes effect before the command returns)."""
    start = max(sim.now, float(spec.get("start_s", 0.0)))
    if now:
        begin(sim, spec, start)
    else:
        heappush(sim.heap, (start, sim.seq(), lambda _, t: begin(sim, spec, t), None))
    duration = float(spec.get("duration_s", 0.0))
    if duration > 0:
        heappush(sim.heap, (start + duration, sim.seq(), lambda _, t: end(sim, spec["id"], t), None))


def begin(sim: "Simulation", spec: dict[str, Any], t: float) -> None:
    if spec["id"] in sim.active_faults:
        return
    node = sim.nodes[spec["node"]]
    sim.active_faults[spec["id"]] = ActiveFault(spec["id"], spec["kind"], node.id, t)
    _crash(node, t)
    sim.record({"type": "fault_started", "fault": spec["id"], "kind": spec["kind"], "node": node.id}, t)
    _tell_balancers(sim, node, healthy=False, t=t)


def end(sim: "Simulation", fault_id: str, t: float) -> None:
    fault = sim.active_faults.pop(fault_id, None)
    if fault is None:
        return
    node = sim.nodes[fault.node]
    if not any(f.node == node.id for f in sim.active_faults.values()):
        _recover(node)
        _tell_balancers(sim, node, healthy=True, t=t)
    sim.record({"type": "fault_ended", "fault": fault_id, "kind": fault.kind, "node": node.id}, t)


def _crash(node: "Component", t: float) -> None:
    node.down = True
    # Rewiring installs `refuse` as the node's receive only while the fault lasts, so healthy
    # nodes pay nothing on their hot path for the possibility of faults.
    node.sim.rewire()
    for station in _stations(node):
        station.drop_waiting(t, "fault")


def _recover(node: "Component") -> None:
    node.down = False
    node.sim.rewire()


def _stations(node: "Component") -> list[Any]:
    if hasattr(node, "instances"):
        return list(node.instances)
    if hasattr(node, "station"):
        return [node.station]
    return []


def _tell_balancers(sim: "Simulation", node: "Component", healthy: bool, t: float) -> None:
    for edge in sim.edges:
        balancer = edge.source
        if edge.target is node and hasattr(balancer, "set_target_health"):
            at = t + balancer.detection_delay()

            def check(_: Any, when: float, balancer: Any = balancer) -> None:
                # Health checks see the node as it is when they run, not as it was.
                if getattr(node, "down", False) != healthy:
                    balancer.set_target_health(node.id, healthy, when)

            heappush(sim.heap, (at, sim.seq(), check, None))
