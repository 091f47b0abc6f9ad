"""Run summaries combined: the figures of a group of runs (one sweep point, one design's seeds)
as intervals, and the parts every aggregate document shares (what was run, what was left out).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..problems import Refused
from .documents import Interval, NodeInfo, RunSummary
from .plans import Plan
from .running import METRICS, NODE_METRICS, bounds
from .statistics import interval

VERSION = 1


def usable(plan: Plan, summaries: Sequence[RunSummary], kind: str) -> list[RunSummary]:
    """The summaries aggregation counts: those of this plan that ran to the end (a run stopped by
    its budget measured a shorter span, and would bias the intervals). Refuses summaries of
    another kind of plan, or of runs the plan does not have."""
    if plan.kind != kind:
        raise Refused(f"this is a {plan.kind} plan, not a {kind}")
    planned = {(r.arm, r.point, r.seed) for r in plan.runs}
    for s in summaries:
        if (s["arm"], s["point"], s["seed"]) not in planned:
            raise Refused(f"a summary ({s['arm']}, point {s['point']}, seed {s['seed']}) is not one of this plan's runs")
    return [s for s in summaries if s["limited"] is None]


def metric_intervals(group: Sequence[RunSummary]) -> dict[str, Interval]:
    return {m: interval([s["metrics"].get(m) for s in group], bounds=bounds(m)) for m in METRICS}


def node_intervals(group: Sequence[RunSummary]) -> dict[str, dict[str, Interval]]:
    """Each node's figures over the group, those its kind reports."""
    out: dict[str, dict[str, Interval]] = {}
    for node_id in (group[0]["nodes"] if group else {}):
        names = [m for m in NODE_METRICS if m in group[0]["nodes"][node_id]]
        out[node_id] = {m: interval([s["nodes"].get(node_id, {}).get(m) for s in group], bounds=bounds(m))
                        for m in names}
    return out


def node_info(topology: Mapping[str, Any]) -> dict[str, NodeInfo]:
    return {n["id"]: {"id": n["id"], "kind": n["kind"], "label": n["label"] or n["id"]} for n in topology["nodes"]}


def header(plan: Plan, summaries: Sequence[RunSummary], used: Sequence[RunSummary], fmt: str) -> dict[str, Any]:
    """The fields every document starts with: what it is, which seeds, how many runs were
    planned, done and counted, the runs a budget stopped, their total compute and the notes."""
    limited = [{"arm": s["arm"], "point": s["point"], "seed": s["seed"], "reason": s["limited"]}
               for s in summaries if s["limited"] is not None]
    return {
        "format": fmt, "version": VERSION, "seeds": list(plan.seeds),
        "runs": {"planned": len(plan.runs), "done": len(summaries), "counted": len(used),
                 "cpu_s": round(sum(s["cpu_s"] for s in summaries), 3)},
        "limited": limited, "notes": list(plan.notes),
    }
