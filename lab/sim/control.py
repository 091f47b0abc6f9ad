"""Commands that change a running simulation between events, each recorded in its timeline.

    {"op": "set_param", "node": "app", "param": "instances", "value": 6}
    {"op": "inject_fault", "fault": {"kind": "crash", "node": "app", "duration_s": 30}}
    {"op": "clear_fault", "id": "live-1"}

`check_command` is the one check of a command, for the engine and the web side alike;
`apply_command` checks first and changes nothing when there is a problem.
"""
from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Any, cast

from . import faults
from .components.registry import REGISTRY
from .problems import Problem, problem
from .document.types import FaultSpec
from .document.validation import Checker, show, suggest, validate_fault

if TYPE_CHECKING:
    from .simulation import Simulation

OPS = ("set_param", "inject_fault", "clear_fault")


def check_command(topology: Mapping[str, Any], command: Any, *, path: str = "$",
                  current: dict[str, dict[str, Any]] | None = None, active_faults: Collection[str] | None = None,
                  fault_id: str = "live") -> list[Problem]:
    """Every problem of a live command against a normalized topology, changing nothing. The one
    check of commands: the engine runs it before it applies one, the web side when a command
    arrives, so a user hears of a mistake at once and in the same words.

    `current` holds each node's parameters in force now (a running simulation's, after earlier
    changes; default: the document's); `active_faults` the ids of the faults active now (only a
    running simulation knows them: without it, clear_fault's id is only checked for its shape);
    `fault_id` is the id an injected fault without one will get."""
    if not isinstance(command, dict):
        return [problem(path, "a command must be an object with an \"op\"")]
    op = command.get("op")
    if op == "set_param":
        return _check_set_param(topology, command, path, current)
    if op == "inject_fault":
        return _check_fault(topology, command, path, active_faults or (), fault_id)
    if op == "clear_fault":
        fault = command.get("id")
        if not isinstance(fault, str) or (active_faults is not None and fault not in active_faults):
            active = ", ".join(active_faults or ()) or "none"
            return [problem(f"{path}.id", f"no active fault has the id {show(fault)} (active: {active})")]
        return []
    return [problem(f"{path}.op", f"unknown command {show(op)}{suggest(op, list(OPS))}; known: {', '.join(OPS)}")]


def apply_command(sim: "Simulation", command: Any) -> list[Problem]:
    """Check a command (`check_command`) and, when it has no problem, apply it at the current
    simulated time and record it in the timeline."""
    live_id = f"live-{sum(1 for e in sim.timeline if e['type'] == 'fault_injected') + 1}"
    problems = check_command(sim.topology, command, current={i: n.p for i, n in sim.nodes.items()},
                             active_faults=list(sim.active_faults), fault_id=live_id)
    if problems:
        return problems
    op = command["op"]
    if op == "set_param":
        _set_param(sim, command)
    elif op == "inject_fault":
        _inject_fault(sim, command, live_id)
    else:
        faults.end(sim, command["id"], sim.now)
    return []


def _check_set_param(topology: Mapping[str, Any], command: dict[str, Any], path: str,
                     current: dict[str, dict[str, Any]] | None) -> list[Problem]:
    specs = {n["id"]: n for n in topology["nodes"]}
    node_id = command.get("node")
    if not isinstance(node_id, str) or node_id not in specs:
        return [problem(f"{path}.node", f"there is no node {show(node_id)}{suggest(node_id, list(specs))}")]
    spec = specs[node_id]
    kind = REGISTRY[spec["kind"]]
    name = command.get("param")
    declared = {p.name: p for p in kind.params}
    if not isinstance(name, str) or name not in declared:
        return [problem(f"{path}.param", f"{kind.title.lower()} {node_id!r} has no parameter {show(name)}"
                                         f"{suggest(name, list(declared))}")]
    param = declared[name]
    if not param.live:
        return [problem(f"{path}.param", f"{name} of {node_id!r} cannot change during a run; change it and start "
                                         "a new run")]
    if "value" not in command:
        return [problem(f"{path}.value", "the command has no value")]
    value = command["value"]
    reason = param.check(value)
    if reason:
        return [problem(f"{path}.value", f"{name} {reason}")]
    operations = {c["name"] for c in topology["workload"]["classes"]}
    if name in ("mix",) or name.endswith("_by_class"):
        unknown = [c for c in value if c not in operations]
        if unknown:
            return [problem(f"{path}.value", f"{name} names request class {unknown[0]!r}, which the workload does "
                                             "not define")]
    params = current[node_id] if current is not None else spec["params"]
    callees = sum(1 for e in topology["edges"] if e["from"] == node_id)
    for _, message in kind.check({**params, name: value}, callees):
        return [problem(f"{path}.value", f"{node_id!r}: {message}")]
    return []


def _check_fault(topology: Mapping[str, Any], command: dict[str, Any], path: str, active: Collection[str],
                 fault_id: str) -> list[Problem]:
    checker = Checker()
    taken = {f["id"] for f in topology.get("faults", [])} | set(active)
    nodes = {n["id"]: {"kind": n["kind"]} for n in topology["nodes"]}
    places = {"zone": {n["zone"] for n in topology["nodes"] if n.get("zone")},
              "region": {n["region"] for n in topology["nodes"] if n.get("region")}}
    validate_fault(command.get("fault"), nodes, f"{path}.fault", checker, taken, default_id=fault_id,
                   edge_ids={e["id"] for e in topology["edges"]}, places=places)
    return checker.problems


def _set_param(sim: "Simulation", command: dict[str, Any]) -> None:
    node_id, name, value = command["node"], command["param"], command["value"]
    node = sim.nodes[node_id]
    old = node.p.get(name)
    node.set_param(name, value, sim.now)
    sim.rewire()
    sim.record({"type": "set_param", "node": node_id, "param": name, "value": value, "old": old})


def _inject_fault(sim: "Simulation", command: dict[str, Any], live_id: str) -> None:
    given = {"id": live_id, **command["fault"], "start_s": sim.now}
    given.setdefault("duration_s", 0.0)
    defaults = {p.name: p.default for p in faults.FAULT_KINDS[given["kind"]]["params"]}
    # check_command validated the fault, so with its defaults it is a whole FaultSpec.
    spec = cast(FaultSpec, {**defaults, **given})
    sim.record({"type": "fault_injected", "fault": spec["id"], "kind": spec["kind"], **faults.target_of(spec),
                "duration_s": spec["duration_s"]})
    faults.schedule(sim, spec, now=True)
