"""Imposing a step's scenario on the learner's design: the lesson, not the learner, decides the
traffic, the faults, the duration, the windows, the prices and the request classes of a graded
run, so a goal cannot be passed by lowering the load, deleting the node a fault takes down, making
instances cheaper or responses smaller.

`scenario` is the [steps.scenario] table as a dict, or lab.lessons.format.Scenario.
"""
from __future__ import annotations

import copy
from typing import Any

from lab.sim import REGISTRY, InvalidTopology, load
from lab.sim.document.types import Topology
from lab.sim.problems import Problem, problem


def as_dict(scenario: Any) -> dict[str, Any]:
    """The scenario as plain data, from the TOML table or the loader's Scenario object."""
    if isinstance(scenario, dict):
        return scenario
    return {
        "duration_s": scenario.duration_s, "warmup_s": scenario.warmup_s, "window_s": scenario.window_s,
        "seeds": list(scenario.seeds), "seed_rule": scenario.seed_rule,
        "traffic": [{"source": t.source, "params": dict(t.params)} for t in scenario.traffic],
        "faults": [dict(f) for f in scenario.faults],
    }


def _fault(spec: dict[str, Any]) -> dict[str, Any]:
    """A scenario fault as the topology format has it (an `end_s` is turned into `duration_s`)."""
    fault = copy.deepcopy(spec)
    if "end_s" in fault:
        end = fault.pop("end_s")
        fault["duration_s"] = max(0.0, float(end) - float(fault.get("start_s", 0)))
    return fault


def _missing_target(fault: dict[str, Any], doc: dict[str, Any]) -> tuple[str, str] | None:
    """(field, sentence) when the learner's design lacks what the fault takes down."""
    nodes = [n for n in doc.get("nodes", []) if isinstance(n, dict)]
    what = f"this step's fault {fault.get('id', '')!r}".replace(" ''", "")
    if "node" in fault and fault["node"] not in {n.get("id") for n in nodes}:
        return "node", (f"{what} crashes or slows node {fault['node']!r}, but your design has no node {fault['node']!r}; "
                        "keep that node (you may change it) so the step can test what happens when it fails")
    if "edge" in fault:
        edges = {e.get("id", f"e{i + 1}") for i, e in enumerate(doc.get("edges", [])) if isinstance(e, dict)}
        if fault["edge"] not in edges:
            return "edge", f"{what} slows edge {fault['edge']!r}, but your design has no edge {fault['edge']!r}"
    for place in ("zone", "region"):
        if place in fault and fault[place] not in {n.get(place) for n in nodes}:
            return place, (f"{what} takes {place} {fault[place]!r} down, but your design has no node placed in "
                           f"{place} {fault[place]!r}")
    if "between" in fault:
        places = {n.get("zone") for n in nodes} | {n.get("region") for n in nodes}
        missing = [p for p in fault["between"] if p not in places]
        if missing:
            return "between", (f"{what} cuts the network between {fault['between'][0]!r} and {fault['between'][1]!r}, "
                               f"but your design has no node placed in {missing[0]!r}")
    return None


def _classes(doc: dict[str, Any]) -> list[dict[str, Any]]:
    workload = doc.get("workload")
    classes = workload.get("classes") if isinstance(workload, dict) else None
    return [c for c in classes if isinstance(c, dict)] if isinstance(classes, list) else []


def _impose_classes(doc: dict[str, Any], start: dict[str, Any]) -> None:
    """The start design's request classes, as the step defines them: a class of the same name
    keeps its operation, share and sizes, so shrinking the responses (or turning writes into
    reads) does not make the traffic cheaper or lighter than the step's."""
    given = {c.get("name"): c for c in _classes(start)}
    for cls in _classes(doc):
        if cls.get("name") in given:
            cls.update(copy.deepcopy(given[cls["name"]]))


def apply(learner_topology: dict[str, Any], scenario: Any,
          start: dict[str, Any] | None = None) -> tuple[Topology | None, list[Problem]]:
    """The learner's document with the scenario imposed, loaded (normalized) by lab.sim, and no
    problems; or None and every reason the design cannot take the scenario (lab.sim's
    validation problems pass through with their JSON paths). With `start`, the step's start
    design, its request classes are imposed too."""
    scenario = as_dict(scenario)
    if not isinstance(learner_topology, dict):
        return None, [problem("$", "the design must be a topology document (a JSON object)")]
    doc = copy.deepcopy(learner_topology)
    problems: list[Problem] = []
    given = doc.get("settings")
    settings = {**(given if isinstance(given, dict) else {}), "duration_s": scenario["duration_s"],
                "warmup_s": scenario.get("warmup_s", 0), "window_s": scenario.get("window_s", 1)}
    doc["settings"] = settings
    listed = doc.get("nodes")
    nodes = listed if isinstance(listed, list) else []
    by_id = {n.get("id"): n for n in nodes if isinstance(n, dict)}
    for i, traffic in enumerate(scenario.get("traffic", [])):
        source = traffic["source"]
        node = by_id.get(source)
        if node is None:
            sources = [n for n, spec in by_id.items() if spec.get("kind") == "traffic_source"]
            problems.append(problem(f"scenario.traffic[{i}].source",
                               f"this step sends its traffic through a traffic source named {source!r}, but your design "
                               f"has no node {source!r}" + (f" (its sources are {', '.join(map(str, sources))}); "
                                                            f"rename yours to {source!r}" if sources else "")))
            continue
        if node.get("kind") != "traffic_source" or node.get("kind") not in REGISTRY:
            problems.append(problem(f"scenario.traffic[{i}].source",
                               f"{source!r} must be a traffic source (this step's users arrive there), not a {node.get('kind')}"))
            continue
        node["params"] = {**(node.get("params") or {}), **copy.deepcopy(traffic["params"])}
    faults = [_fault(f) for f in scenario.get("faults", [])]
    for i, fault in enumerate(faults):
        missing = _missing_target(fault, doc)
        if missing is not None:
            problems.append(problem(f"scenario.faults[{i}].{missing[0]}", missing[1]))
    doc["faults"] = faults
    # The prices are the lab's list prices, not the learner's: a `pricing` section of the design
    # would pass a budget goal by making instances cheap instead of the design right-sized.
    doc.pop("pricing", None)
    if isinstance(start, dict):
        _impose_classes(doc, start)
    if problems:
        return None, problems
    try:
        return load(doc), []
    except InvalidTopology as exc:
        return None, list(exc.problems)
