"""Capture goals from a run: instead of typing thresholds blind, a teacher runs the reference
design and picks goals from what it measured, with a margin. Each suggestion is a goal in the
lesson goal vocabulary (goals.py: metric, scope, span, compare, value, unit), measured by the
same code that grades (goals.measure), so the run's own design passes every suggestion.

The value is the measured one moved by the margin in the goal's favour and rounded outward to
a readable number (two or three significant digits, in steps of 5 at the last): a p95 of 84 ms
with a 25% margin is "p95 <= 105 ms"; a throughput of 197 /s is ">= 145 /s". Framework-free:
who may read the run is the caller's to check (lab.runs.selectors.run_can_view).
"""
from __future__ import annotations

import math
from typing import Any

from .goals import METRICS, evaluate, fmt, measure
from .challenge import goal_text

DEFAULT_MARGIN = 0.25
MAX_MARGIN = 2.0
# The margin of nothing is nothing: a run without errors suggests this much, not "at most 0%".
ERROR_FLOOR_PCT = 0.5


def readable(value: float, *, up: bool) -> float:
    """`value` rounded outward (up, or down) to a step of 5 in its second significant digit
    (105, 0.37 -> 0.37, 4,830 -> 4,850)."""
    if value == 0 or not math.isfinite(value):
        return 0.0
    exponent = math.floor(math.log10(abs(value)))
    step = 10.0 ** (exponent - 1) / 2
    n = value / step
    n = math.ceil(n - 1e-9) if up else math.floor(n + 1e-9)
    result = round(n * step, max(0, 2 - exponent))
    return int(result) if result == int(result) else result


def suggest(spec: dict[str, Any], run: dict[str, Any], margin: float) -> dict[str, Any] | None:
    value, _, _, _ = measure(spec, run)
    if value is None:
        return None
    metric = METRICS[spec["metric"]]
    up = spec["compare"] in ("<=", "<")
    target = value * (1 + margin) if up else value * (1 - margin)
    if spec["metric"] == "error_rate_pct":
        target = max(target, ERROR_FLOOR_PCT)
    if spec["metric"] in ("utilization_pct", "hit_ratio_pct") and (target >= 100 or target <= 0):
        return None  # "at most 100% busy" or "at least 0% hits" says nothing
    target = readable(target, up=up)
    if not up and target <= 0:
        return None
    goal = {**spec, "value": target, "unit": metric.unit}
    goal["text"] = goal_text(goal)
    # Measured by the grading's own code: the run's design passes it, or it is not suggested.
    if not evaluate(goal, run).passed:
        return None
    return {**goal, "measured": round(value, 6), "measured_text": fmt(value, metric.unit), "margin": margin}


def _candidates(run: dict[str, Any]) -> list[dict[str, Any]]:
    overall = {"overall": True}
    out: list[dict[str, Any]] = [
        {"id": "p95", "metric": "latency_p95_ms", "scope": overall, "span": "measured", "compare": "<="},
        {"id": "p99", "metric": "latency_p99_ms", "scope": overall, "span": "measured", "compare": "<="},
        {"id": "mean-latency", "metric": "latency_mean_ms", "scope": overall, "span": "measured", "compare": "<="},
        {"id": "errors", "metric": "error_rate_pct", "scope": overall, "span": "measured", "compare": "<="},
        {"id": "throughput", "metric": "throughput_per_s", "scope": overall, "span": "measured", "compare": ">="},
        {"id": "monthly-cost", "metric": "cost_monthly_usd", "scope": overall, "span": "measured", "compare": "<="},
    ]
    topology = run.get("topology") or {}
    for i, fault in enumerate(topology.get("faults") or []):
        fault_id = fault.get("id", f"f{i + 1}") if isinstance(fault, dict) else None
        if isinstance(fault_id, str):
            out.append({"id": f"errors-during-{fault_id}", "metric": "error_rate_pct", "scope": overall,
                        "span": {"fault": fault_id}, "compare": "<="})
            out.append({"id": f"p95-during-{fault_id}", "metric": "latency_p95_ms", "scope": overall,
                        "span": {"fault": fault_id}, "compare": "<="})
    for node in topology.get("nodes") or []:
        if not isinstance(node, dict) or not isinstance(node.get("id"), str):
            continue
        if node.get("kind") != "traffic_source":  # a kind without a utilization is not measured, so left out
            out.append({"id": f"busy-{node['id']}", "metric": "utilization_pct", "scope": {"node": node["id"]},
                        "span": "measured", "compare": "<="})
        if node.get("kind") in ("cache", "cdn"):
            out.append({"id": f"hits-{node['id']}", "metric": "hit_ratio_pct", "scope": {"node": node["id"]},
                        "span": "measured", "compare": ">="})
    return out


def suggestions(run: dict[str, Any], *, margin: float = DEFAULT_MARGIN) -> list[dict[str, Any]]:
    """Goal suggestions from a finished run ({"results", "windows", "topology"}): each a goal
    (id, text, metric, scope, span, compare, value, unit) with `measured` (the run's number),
    `measured_text` and `margin` beside it. Metrics the run cannot measure are left out."""
    if not 0 <= margin <= MAX_MARGIN:
        raise ValueError(f"the margin is a fraction from 0 to {MAX_MARGIN:g} (0.25 for 25%)")
    found = (suggest(spec, run, margin) for spec in _candidates(run))
    return [s for s in found if s is not None]
