"""Theory beside the measurement: for each node of a run whose situation has a closed form, the
prediction next to what the run measured, which assumptions hold, and how far it departs.

    from lab.sim import Simulation, load
    from lab.sim.theory.overlay import overlay
    topology = load(text)
    sim = Simulation(topology, seed=1); sim.run(120); sim.finish()
    panels = overlay(topology, sim.results())     # {node id: NodeOverlay}

Rates and service times come from the design where it says them (a source's rate, split by a
balancer, passed on by a pool) and from the run's measured arrival rate where it cannot (below a
keyed cache, a rate limiter, a cycle). docs/theory-overlay.md lists the models, their
assumptions and references; overlay_doc.py the document's shape.
"""
from __future__ import annotations

from typing import Any, Callable

from .overlay_doc import NO_MODEL, NodeOverlay, assumption, verdict
from .overlay_inputs import faults_touching, inflows, run_facts
from .overlay_kinds_flow import api_gateway, rate_limiter, stream_processor, work_queue
from .overlay_kinds_spread import balancer, cdn, replicated_database, sharded_store
from .overlay_kinds_topic import pubsub_topic
from .overlay_models import (Around, Model, Situation, cache, database, little, load_balancer, serverless_function,
                             service_pool)

__all__ = ["overlay", "node_overlay", "NodeOverlay"]


def _database(s: Situation, around: Around) -> Model | str:
    p = s.node["params"]
    return database(s) if p["primaries"] == 1 and p["replicas"] == 0 else replicated_database(s)


def _load_balancer(s: Situation, around: Around) -> Model | str:
    if s.node["params"]["policy"] in ("round_robin", "random") and around.targets:
        return load_balancer(s, around.targets)
    return balancer(s, around)


# The one dispatch table: a kind's model (absent: "no closed form describes a <kind>").
_MODELS: dict[str, Callable[[Situation, Around], Model | str]] = {
    "service_pool": lambda s, a: service_pool(s),
    "database": _database,
    "serverless_function": lambda s, a: serverless_function(s),
    "cache": lambda s, a: cache(s, a.keys),
    "load_balancer": _load_balancer,
    "work_queue": lambda s, a: work_queue(s),
    "stream_processor": lambda s, a: stream_processor(s),
    "rate_limiter": rate_limiter,
    "api_gateway": api_gateway,
    "cdn": cdn,
    "sharded_store": sharded_store,
    "pubsub_topic": pubsub_topic,
}


def overlay(topology: dict[str, Any], results: dict[str, Any]) -> dict[str, NodeOverlay]:
    """One overlay document per node of a loaded (normalized) topology, from its run's results
    (Simulation.results(); docs/results.md). JSON-able."""
    flows = inflows(topology)
    run = run_facts(topology, results)
    measured_nodes = results["measured"]["nodes"]
    classes = topology["workload"]["classes"]
    operations = {c["name"]: c["operation"] for c in classes}
    incoming: dict[str, int] = {}
    for edge in topology["edges"]:
        incoming[edge["to"]] = incoming.get(edge["to"], 0) + 1
    out: dict[str, NodeOverlay] = {}
    nodes = {n["id"]: n for n in topology["nodes"]}
    for node in topology["nodes"]:
        node_id = node["id"]
        measured = measured_nodes.get(node_id)
        if measured is None:
            continue
        inflow = flows[node_id]
        known = sum(inflow.rates.values()) if inflow.rates is not None else 0.0
        rate, rate_from = (known, "topology") if known > 0 else (float(measured["arrival_rate_per_s"]), "measured")
        if inflow.rates and known > 0:
            weights = dict(inflow.rates)
        else:
            weights = {c["name"]: c["share"] for c in classes if c["share"] > 0}
        mine, others = faults_touching(node, topology["edges"], run)
        situation = Situation(node, inflow, rate, run, measured, mine, others, weights, operations,
                              sum(1 for e in topology["edges"] if e["from"] == node_id))
        targets = {e["to"]: (measured_nodes[e["to"]]["arrival_rate_per_s"] if incoming[e["to"]] == 1 else None)
                   for e in topology["edges"] if e["from"] == node_id and e["to"] in measured_nodes}
        around = Around(topology["workload"]["keys"], nodes, topology["edges"], measured_nodes, targets)
        out[node_id] = node_overlay(situation, around, rate_from)
    return out


def node_overlay(s: Situation, around: Around, rate_from: str) -> NodeOverlay:
    """The overlay of one node: its model's figures, or "none" and why not."""
    node, m = s.node, s.measured
    kind = node["kind"]
    base: NodeOverlay = {"node": node["id"], "kind": kind, "model": NO_MODEL, "arrival_rate_per_s": round(s.rate, 6),
                         "rate_from": rate_from, "assumptions": [], "figures": [], "verdict": ""}
    if m["arrivals"] <= 0 or s.run.span_s <= 0:
        base["verdict"] = "No request reached it in the measured span: nothing to compare."
        base["arrival_rate_per_s"] = 0.0
        return base
    found: Model | str
    try:
        if kind in _MODELS:
            found = _MODELS[kind](s, around)
        else:
            found = f"no closed form describes a {kind}"
    except ValueError as exc:  # a formula refused its inputs (lab/sim/theory raises with a sentence)
        found = str(exc)
    if isinstance(found, str):
        base["figures"] = [little(s)]
        base["assumptions"] = [assumption("has_model", False, found)]
        base["verdict"] = f"No model: {found}; Little's law still holds (L = lambda W)."
        return base
    model, assumptions, figures = found
    base.update({"model": model, "assumptions": assumptions, "figures": figures,
                 "verdict": verdict(model, assumptions, figures)})
    return base
