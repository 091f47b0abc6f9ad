"""Structural goals: what the learner's design must contain, whatever its measurements.

    structure = { kind = "cache", at_least = 1 }     # or at_most
    structure = { instances_at_most = 6 }            # instances the design pays for
    structure = { monthly_cost_usd_at_most = 900 }   # the measured monthly cost (per seed)

An instance is what a design rents by the instance-hour: a service pool's or a work queue's
instances (their `max_instances` when they autoscale: the bill the design allows), a stream
processor's instances, a database's primary and replicas, a sharded store's shards. Managed
kinds (functions, gateways, storage, third-party APIs...) count none.
"""
from __future__ import annotations

import math
from typing import Any

from lab.sim import REGISTRY
from lab.sim.problems import Problem, problem

STRUCTURES = ("kind", "instances_at_most", "monthly_cost_usd_at_most")


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and v >= 0


def check_structure(spec: Any, ctx: dict[str, Any]) -> list[Problem]:
    if not isinstance(spec, dict):
        return [problem("structure", "structure is a table, e.g. { kind = \"cache\", at_least = 1 }")]
    if "kind" in spec:
        problems = []
        if spec["kind"] not in REGISTRY:
            problems.append(problem("structure.kind",
                                    f"unknown component kind {spec['kind']!r}; the kinds are {', '.join(REGISTRY)}"))
        bounds = [k for k in ("at_least", "at_most") if k in spec]
        if not bounds or set(spec) - {"kind", "at_least", "at_most"} or not all(
                isinstance(spec[k], int) and not isinstance(spec[k], bool) and spec[k] >= 0 for k in bounds):
            problems.append(problem("structure", "a kind goal says how many: { kind = \"cache\", at_least = 1 } (or at_most = n)"))
        return problems
    if len(spec) == 1 and next(iter(spec)) in STRUCTURES[1:] and _number(next(iter(spec.values()))):
        return []
    return [problem("structure", "structure is { kind = \"...\", at_least = n }, { instances_at_most = n } "
                            "or { monthly_cost_usd_at_most = x }")]


def instances(topology: dict[str, Any]) -> int:
    total = 0
    for node in topology.get("nodes", []):
        p, kind = node.get("params", {}), node.get("kind")
        if kind in ("service_pool", "work_queue"):
            if p.get("autoscale"):
                total += int(p.get("max_instances", 10))
            elif kind == "service_pool":
                total += int(p.get("instances", 2))
            else:
                total += math.ceil(p.get("workers", 4) / max(1, p.get("workers_per_instance", 4)))
        elif kind == "stream_processor":
            total += int(p.get("instances", 1))
        elif kind == "database":
            total += 1 + int(p.get("replicas", 0))
        elif kind == "sharded_store":
            total += int(p.get("shards", 4))
    return total


def evaluate_structure(spec: dict[str, Any], run: dict[str, Any]) -> tuple[bool, float | None, str, str]:
    """(passed, value, unit, sentence) on the design that ran (run["topology"])."""
    topology = run.get("topology") or {}
    if "kind" in spec:
        kind = spec["kind"]
        found = [n["id"] for n in topology.get("nodes", []) if n.get("kind") == kind]
        low, high = spec.get("at_least", 0), spec.get("at_most", math.inf)
        passed = low <= len(found) <= high
        have = f"your design has {len(found)} {kind} node{'s' if len(found) != 1 else ''}"
        have += f" ({', '.join(found)})" if found else ""
        want = f"at least {low}" if "at_least" in spec else ""
        want += (" and " if want and "at_most" in spec else "") + (f"at most {high}" if "at_most" in spec else "")
        return passed, float(len(found)), "count", f"{have[0].upper()}{have[1:]}; the goal is {want}."
    if "instances_at_most" in spec:
        n, limit = instances(topology), spec["instances_at_most"]
        return (n <= limit, float(n), "count",
                f"Your design pays for {n} instance{'s' if n != 1 else ''}; the goal is at most {limit:g}.")
    limit = float(spec["monthly_cost_usd_at_most"])
    results = run.get("results") or {}
    monthly = results.get("measured", {}).get("overall", {}).get("cost_monthly_usd")
    if monthly is None:
        return False, None, "USD/month", f"The monthly cost is known once the run ends; the goal is at most ${limit:,.0f} a month."
    return (monthly <= limit + 1e-9, float(monthly), "USD/month",
            f"Your design costs ${monthly:,.0f} a month; the goal is at most ${limit:,.0f} a month.")
