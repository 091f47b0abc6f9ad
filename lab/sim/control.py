"""Commands that change a running simulation between events, each recorded in its timeline.

    {"op": "set_param", "node": "app", "param": "instances", "value": 6}
    {"op": "inject_fault", "fault": {"kind": "crash", "node": "app", "duration_s": 30}}
    {"op": "clear_fault", "id": "live-1"}

`apply_command` validates first and changes nothing when there is a problem.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import faults
from .topology import problem
from .validation import _Checker, _show, _suggest, validate_fault

if TYPE_CHECKING:
    from .engine import Simulation

OPS = ("set_param", "inject_fault", "clear_fault")


def apply_command(sim: "Simulation", command: Any) -> list[dict[str, str]]:
    if not isinstance(command, dict):
        return [problem("$", "a command must be an object with an \"op\"")]
    op = command.get("op")
    if op == "set_param":
        return _set_param(sim, command)
    if op == "inject_fault":
        return _inject_fault(sim, command)
    if op == "clear_fault":
        return _clear_fault(sim, command)
    return [problem("$.op", f"unknown command {_show(op)}{_suggest(op, list(OPS))}; known: {', '.join(OPS)}")]


def _set_param(sim: "Simulation", command: dict[str, Any]) -> list[dict[str, str]]:
    node_id = command.get("node")
    node = sim.nodes.get(node_id) if isinstance(node_id, str) else None
    if node is None:
        return [problem("$.node", f"there is no node {_show(node_id)}{_suggest(node_id, list(sim.nodes))}")]
    name = command.get("param")
    declared = {p.name: p for p in node.params}
    param = declared.get(name) if isinstance(name, str) else None
    if param is None:
        return [problem("$.param", f"{node.title.lower()} {node_id!r} has no parameter {_show(name)}"
                                   f"{_suggest(name, list(declared))}")]
    if not param.live:
        return [problem("$.param", f"{name} of {node_id!r} cannot change during a run; change it and start a new run")]
    if "value" not in command:
        return [problem("$.value", "the command has no value")]
    value = command["value"]
    reason = param.check(value)
    if reason:
        return [problem("$.value", f"{name} {reason}")]
    if name in ("mix",) or name.endswith("_by_class"):
        unknown = [c for c in value if c not in sim.operations]
        if unknown:
            return [problem("$.value", f"{name} names request class {unknown[0]!r}, which the workload does not define")]
    combined = {**node.p, name: value}
    for pname, message in type(node).check(combined, len(node.out)):
        return [problem("$.value", f"{node_id!r}: {message}")]
    old = node.p.get(name)
    node.set_param(name, value, sim.now)
    sim.rewire()
    sim.record({"type": "set_param", "node": node_id, "param": name, "value": value, "old": old})
    return []


def _inject_fault(sim: "Simulation", command: dict[str, Any]) -> list[dict[str, str]]:
    spec = command.get("fault")
    checker = _Checker()
    live_id = f"live-{sum(1 for e in sim.timeline if e['type'] == 'fault_injected') + 1}"
    taken = {f["id"] for f in sim.topology.get("faults", [])} | set(sim.active_faults)
    nodes = {node_id: {"kind": node.kind} for node_id, node in sim.nodes.items()}
    places = {"zone": {n.zone for n in sim.nodes.values() if n.zone}, "region": {n.region for n in sim.nodes.values() if n.region}}
    validate_fault(spec, nodes, "$.fault", checker, taken, default_id=live_id,
                   edge_ids={e.id for e in sim.edges}, places=places)
    if checker.problems:
        return checker.problems
    spec = {"id": live_id, **spec, "start_s": sim.now}
    spec.setdefault("duration_s", 0.0)
    defaults = {p.name: p.default for p in faults.FAULT_KINDS[spec["kind"]]["params"]}
    spec = {**defaults, **spec}
    sim.record({"type": "fault_injected", "fault": spec["id"], "kind": spec["kind"], **faults.target_of(spec),
                "duration_s": spec["duration_s"]})
    faults.schedule(sim, spec, now=True)
    return []


def _clear_fault(sim: "Simulation", command: dict[str, Any]) -> list[dict[str, str]]:
    fault_id = command.get("id")
    if not isinstance(fault_id, str) or fault_id not in sim.active_faults:
        active = ", ".join(sim.active_faults) or "none"
        return [problem("$.id", f"no active fault has the id {_show(fault_id)} (active: {active})")]
    faults.end(sim, fault_id, sim.now)
    return []
