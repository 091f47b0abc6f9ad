"""The part of a run a goal looks at: which windows a span covers, and one view over them.

A view has the shape of the results document's `measured` section (`span_s`, `overall`,
`classes`, `origins`, `nodes`) plus `edges`, so a metric is read the same way from the exact
measured totals and from a few windows added together.

Windows carry per-window summaries (mean, p50, p95, p99, max and counts), not histograms, so a
percentile over several windows cannot be recomputed exactly. It is approximated by pooling the
windows' distributions: each window's CDF is taken as piecewise linear through (0, 0), (p50,
0.5), (p95, 0.95), (p99, 0.99), (max, 1), the windows are mixed weighted by their completions,
and the mixture is inverted. For one window, or windows alike, this gives back the window's own
percentile; for a span whose windows differ (an outage inside it) it stays within a few percent
of the exact one (tests/lessons/test_goals.py measures it), where a mean of the windows'
percentiles would hide the bad windows and their maximum would exaggerate them.
"""
from __future__ import annotations

from typing import Any, Iterable

import numpy as np

EPS = 1e-9
_QUANTILES = (0.5, 0.95, 0.99)


def fault_interval(fault_id: str, run: dict[str, Any]) -> tuple[float, float] | None:
    """When a fault was active in this run: from its timeline entries, else from the topology's
    schedule (a fault that starts after the run ends has no interval)."""
    results = run.get("results") or {}
    timeline = results.get("timeline")
    if timeline is None:  # a live run: the timeline arrives with the windows
        timeline = [e for w in run.get("windows", []) for e in w.get("events", [])]
    end_of_run = _run_end(run)
    start = end = None
    for entry in timeline:
        if entry.get("fault") != fault_id:
            continue
        if entry.get("type") == "fault_started" and start is None:
            start = float(entry["t"])
        elif entry.get("type") == "fault_ended" and start is not None and end is None:
            end = float(entry["t"])
    if start is None:
        for spec in (run.get("topology") or {}).get("faults", []):
            if spec.get("id") == fault_id and spec.get("start_s", 0) < end_of_run:
                start = float(spec.get("start_s", 0))
                duration = float(spec.get("duration_s", 0) or 0)
                end = start + duration if duration else None
        if start is None:
            return None
    return start, end_of_run if end is None else min(end, end_of_run)


def _run_end(run: dict[str, Any]) -> float:
    windows = run.get("windows") or []
    if windows:
        return float(windows[-1]["t_end"])
    return float((run.get("results") or {}).get("duration_s", 0.0))


def windows_between(windows: Iterable[dict[str, Any]], start: float, end: float) -> list[dict[str, Any]]:
    """The windows that overlap [start, end): a fault that starts inside a window counts that
    whole window, since a window is the finest grain the run reports."""
    return [w for w in windows if w["t_end"] > start + EPS and w["t_start"] < end - EPS]


def pooled_quantiles(parts: list[tuple[int, dict[str, float]]], qs: Iterable[float] = _QUANTILES) -> list[float]:
    """Quantiles of the mixture of several windows' latency summaries (see the module docstring)."""
    parts = [(n, s) for n, s in parts if n > 0]
    if not parts:
        return [0.0 for _ in qs]
    if len(parts) == 1:
        s = parts[0][1]
        return [float(s[f"p{round(q * 100)}"]) if f"p{round(q * 100)}" in s else float(s["p50"]) for q in qs]
    curves = []
    for n, s in parts:
        xs = np.maximum.accumulate(np.array([0.0, s["p50"], s["p95"], s["p99"], s["max"]], dtype=float))
        # The largest of n values sits near the 1 - 1/(2n) quantile; a window of fewer than 100
        # requests puts its max below its p99's probability, so clamp it above 0.99.
        top = max(1.0 - 0.5 / n, 0.995)
        survival = -np.log(1.0 - np.array([0.0, 0.5, 0.95, 0.99, top]))
        curves.append((n, xs, survival))
    grid = np.unique(np.concatenate([xs for _, xs, _ in curves]))
    total = float(sum(n for n, _, _ in curves))
    cdf = np.zeros_like(grid)
    for n, xs, survival in curves:
        # Linear in log(1 - F) between the known quantiles: an exponential tail, which follows
        # a latency distribution's tail far better than a straight line does.
        inside = 1.0 - np.exp(-np.interp(grid, xs, survival))
        cdf += n * np.where(grid >= xs[-1], 1.0, inside)
    cdf /= total
    # Invert the mixture's CDF between the breakpoints, in the same log-survival terms.
    cdf = np.maximum.accumulate(cdf)
    keep = np.concatenate([[True], np.diff(cdf) > 0])
    ys = -np.log(np.maximum(1.0 - cdf[keep], 1e-12))
    return [round(float(np.interp(-np.log(1.0 - q), ys, grid[keep])), 3) for q in qs]


def _pool_flows(flows: list[dict[str, Any]], span: float) -> dict[str, Any]:
    completions = sum(f.get("completions", 0) for f in flows)
    failures: dict[str, int] = {}
    for f in flows:
        for cause, n in f.get("failures", {}).items():
            failures[cause] = failures.get(cause, 0) + n
    errors = sum(failures.values())
    done = completions + errors
    lat = [(f.get("completions", 0), f["latency_ms"]) for f in flows if f.get("latency_ms")]
    p50, p95, p99 = pooled_quantiles(lat)
    mean = sum(n * s["mean"] for n, s in lat) / completions if completions else 0.0
    out: dict[str, Any] = {
        "arrivals": sum(f.get("arrivals", 0) for f in flows),
        "completions": completions,
        "throughput_per_s": completions / span if span > 0 else 0.0,
        "errors": errors,
        "failures": failures,
        "error_rate": errors / done if done else 0.0,
        "latency_ms": {"mean": round(mean, 3), "p50": p50, "p95": p95, "p99": p99,
                       "max": max((s["max"] for n, s in lat if n), default=0.0)},
    }
    if any("cost_usd" in f for f in flows):
        cost = sum(f.get("cost_usd", 0.0) for f in flows)
        out.update(_costs(cost, span, completions))
    return out


def _costs(cost: float, span: float, completions: int) -> dict[str, Any]:
    per_hour = cost / span * 3600.0 if span > 0 else 0.0
    return {"cost_usd": cost, "cost_per_hour_usd": per_hour, "cost_monthly_usd": per_hour * 730.0,
            "cost_per_million_usd": cost / completions * 1e6 if completions else None}


def _pool_nodes(entries: list[tuple[float, dict[str, Any]]], span: float) -> dict[str, Any]:
    view = _pool_flows([e for _, e in entries], span)
    view["kind"] = entries[-1][1].get("kind")
    # Time-weighted averages of the per-window figures (capacity may change between windows
    # with autoscaling; each window's own ratio is weighted by its length).
    for key in ("utilization", "queue_length", "in_node", "instances_mean"):
        if any(key in e for _, e in entries):
            view[key] = sum(d * e.get(key, 0.0) for d, e in entries) / span if span > 0 else 0.0
    hits = sum(e.get("hits", 0) for _, e in entries)
    misses = sum(e.get("misses", 0) for _, e in entries)
    if any("hit_ratio" in e for _, e in entries):
        view["hits"], view["misses"] = hits, misses
        view["hit_ratio"] = hits / (hits + misses) if hits + misses else 0.0
    for key in ("instances", "evictions", "expired"):
        if any(key in e for _, e in entries):
            view[key] = entries[-1][1].get(key)
    return view


def window_view(windows: list[dict[str, Any]]) -> dict[str, Any]:
    """One view over consecutive windows, shaped like the results' `measured` section."""
    span = sum(w["t_end"] - w["t_start"] for w in windows)
    view: dict[str, Any] = {
        "from_s": windows[0]["t_start"] if windows else 0.0,
        "to_s": windows[-1]["t_end"] if windows else 0.0,
        "span_s": span,
        "windows": len(windows),
        "overall": _pool_flows([w["overall"] for w in windows], span),
    }
    for section in ("classes", "origins"):
        names = {n for w in windows for n in w.get(section, {})}
        view[section] = {n: _pool_flows([w[section][n] for w in windows if n in w[section]], span)
                         for n in sorted(names)}
    node_ids = {n for w in windows for n in w.get("nodes", {})}
    view["nodes"] = {n: _pool_nodes([(w["t_end"] - w["t_start"], w["nodes"][n]) for w in windows
                                     if n in w["nodes"]], span) for n in sorted(node_ids)}
    view["edges"] = edge_totals(windows)
    return view


def edge_totals(windows: list[dict[str, Any]]) -> dict[str, Any]:
    span = sum(w["t_end"] - w["t_start"] for w in windows)
    edges: dict[str, dict[str, Any]] = {}
    for w in windows:
        length = w["t_end"] - w["t_start"]
        for edge_id, e in w.get("edges", {}).items():
            into = edges.setdefault(edge_id, {"from": e["from"], "to": e["to"], "requests": 0.0, "cost_usd": 0.0})
            into["requests"] += e.get("rate_per_s", 0.0) * length
            into["cost_usd"] += e.get("cost_usd", 0.0)
    for e in edges.values():
        e["throughput_per_s"] = e["requests"] / span if span > 0 else 0.0
        e.update({k: v for k, v in _costs(e["cost_usd"], span, 0).items() if k != "cost_per_million_usd"})
    return edges


def measured_view(run: dict[str, Any]) -> dict[str, Any]:
    """The measured span: the results' exact totals where the run has ended, else the measured
    windows so far (a live checklist)."""
    windows = [w for w in run.get("windows", []) if w.get("measured")]
    results = run.get("results")
    if not results:
        return window_view(windows)
    measured = results["measured"]
    view = {**measured, "windows": len(windows), "edges": edge_totals(windows)}
    view["overall"] = {**measured["overall"]}
    return view
