"""A sweep's document: each point's figures over its seeds, the knee in words (one numeric axis),
the Pareto front of cost against p99, and a grid for a heat map (two axes). Its shape, with an
example, is in docs/evidence.md.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .combine import header, metric_intervals, node_info, node_intervals, usable
from .documents import Document, Interval, RunSummary
from .knee import knee
from .pareto import pareto_front
from .plans import Plan
from .running import METRICS

KNEE_METRIC = "latency_p99_ms"
KNEE_THRESHOLD_MS = 200.0


def aggregate_sweep(plan: Plan, summaries: Sequence[RunSummary], *, knee_metric: str = KNEE_METRIC,
                    threshold: float = KNEE_THRESHOLD_MS) -> Document:
    """The sweep document from its runs' summaries (in any order; runs stopped by their budget
    are listed and left out). `knee_metric` and `threshold` choose the knee sentence's figure
    (any of running.METRICS, in its unit: ms, a share for error_rate, $)."""
    used = usable(plan, summaries, "sweep")
    topology = plan.topologies["base"]
    groups: dict[int, list[RunSummary]] = {i: [] for i in range(len(plan.points))}
    for s in sorted(used, key=lambda s: s["seed"]):
        groups[s["point"]].append(s)
    points = [{"index": i, "values": dict(plan.points[i]), "runs": len(groups[i]),
               "metrics": metric_intervals(groups[i]), "nodes": node_intervals(groups[i])}
              for i in range(len(plan.points))]
    doc: Document = {**header(plan, summaries, used, "archlab.sweep"),
                     "topology": {"name": topology["name"]}, "node_info": node_info(topology),
                     "axes": [a.to_dict() for a in plan.axes], "points": points}
    doc["pareto"] = {"x": "cost_per_hour_usd", "y": "latency_p99_ms",
                     "front": pareto_front([(_mean(p, "cost_per_hour_usd"), _mean(p, "latency_p99_ms"))
                                            for p in points])}
    if len(plan.axes) == 1 and plan.axes[0].numeric and len(points) >= 2:
        doc["knee"] = _knee(plan, points, knee_metric, threshold, doc["node_info"])
    else:
        doc["knee"] = None
    doc["grid"] = _grid(plan, points) if len(plan.axes) == 2 else None
    return doc


def _mean(point: dict[str, Any], metric: str) -> float | None:
    figure: Interval = point["metrics"][metric]
    return figure["mean"]


def _knee(plan: Plan, points: list[dict[str, Any]], metric: str, threshold: float,
          info: dict[str, Any]) -> dict[str, Any]:
    axis = plan.axes[0]
    order = sorted(range(len(points)), key=lambda i: float(points[i]["values"][axis.name]))
    xs = [float(points[i]["values"][axis.name]) for i in order]
    ys = [points[i]["metrics"][metric]["mean"] for i in order]
    nodes: dict[str, dict[str, list[float | None]]] = {}
    for node_id in info:
        for figure in ("utilization", "queue_length"):
            series = [points[i]["nodes"].get(node_id, {}).get(figure, {}).get("mean") for i in order]
            if any(v is not None for v in series):
                nodes.setdefault(node_id, {})[figure] = series
    return knee(xs, ys, metric=metric, threshold=threshold, nodes=nodes,
                labels={n: i["label"] for n, i in info.items()}, axis_param=axis.param, axis_unit=axis.unit)


def _grid(plan: Plan, points: list[dict[str, Any]]) -> dict[str, Any]:
    """Every metric's mean as rows over the second axis and columns over the first,
    `z[j][i]` at (x[i], y[j]), the layout a heat map takes."""
    x_axis, y_axis = plan.axes
    at = {(p["values"][x_axis.name], p["values"][y_axis.name]): p for p in points}
    return {"x": {"name": x_axis.name, "values": list(x_axis.values)},
            "y": {"name": y_axis.name, "values": list(y_axis.values)},
            "z": {m: [[at[(x, y)]["metrics"][m]["mean"] for x in x_axis.values] for y in y_axis.values]
                  for m in METRICS}}
