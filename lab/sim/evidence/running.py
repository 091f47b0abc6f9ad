"""One run of a plan, as a pure, picklable, top-level function: `run_one(run_spec)` builds the
simulation, runs it as fast as it goes (no pacing), and returns the figures aggregation needs
(`RunSummary`), not the whole results document. Any executor can call it: the command line's
process pool (executor.py), the web side's worker processes, a test in-process.

The run is checked against its per-run budget (lab/sim/budget.py `over`) between slices of
simulated time, as a server's worker checks a live run: the plan's estimate makes that rare, but an
estimate is an estimate, and one runaway run must not hold a worker for hours.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from ..budget import Usage, over
from ..metrics.documents import Results, Window
from ..simulation import Simulation
from .documents import RunSummary, Series
from .plans import RunSpec

# The measured span's headline figures, from the results document's measured.overall, in the
# order tables show them. Each is a float, or None where it does not exist.
METRICS = ("throughput_per_s", "error_rate", "latency_mean_ms", "latency_p50_ms", "latency_p95_ms",
           "latency_p99_ms", "cost_per_hour_usd", "cost_per_million_usd")
# Each node's figures, those its kind reports (a cache has no utilization).
NODE_METRICS = ("utilization", "queue_length", "instances", "arrival_rate_per_s", "latency_mean_ms", "errors")
# The limits of those figures, which their intervals never cross: none is negative, and the two
# fractions never pass 1.
FRACTIONS = {"error_rate", "utilization"}


def bounds(metric: str) -> tuple[float, float | None]:
    return (0.0, 1.0 if metric in FRACTIONS else None)
# The figures kept per window when a plan asks for series (for bands over the run).
WINDOW_METRICS = ("throughput_per_s", "error_rate", "latency_mean_ms", "latency_p95_ms", "latency_p99_ms")
NODE_WINDOW_METRICS = ("utilization", "queue_length", "instances")
SLICES = 20  # budget checks per run

# What a run keeps of one measured window: when it ends, its overall figures, its nodes' figures.
WindowRow = tuple[float, dict[str, float | None], dict[str, dict[str, float]]]


def run_one(run: RunSpec) -> RunSummary:
    """Run one planned run and summarize it. Raises InvalidTopology only if the plan was not
    made by this package's planners (they load every run's topology before returning)."""
    cpu0, wall0 = time.process_time(), time.perf_counter()
    topology = run.run_topology()
    settings = topology["settings"]
    duration = float(settings["duration_s"])
    windows: list[WindowRow] = []
    sim = Simulation(topology, seed=run.seed, on_window=keeper(windows.append) if run.series else None)
    limited: str | None = None
    step = max(float(settings["window_s"]), duration / SLICES)
    t = 0.0
    while t < duration:
        t = min(duration, t + step)
        sim.run(t)
        limited = over(Usage.of(sim), run.budget, cpu_s=time.process_time() - cpu0,
                       wall_s=time.perf_counter() - wall0, windows_stored=0)
        if limited:
            break
    sim.finish()
    return summarize(sim.results(), arm=run.arm, point=run.point, seed=run.seed,
                     values={axis.name: value for axis, value in run.values},
                     series=series_of(windows) if run.series else None, limited=limited,
                     cpu_s=time.process_time() - cpu0, wall_s=time.perf_counter() - wall0)


def summarize(results: Results, *, arm: str, point: int, seed: int, values: dict[str, Any],
              series: Series | None, limited: str | None, cpu_s: float, wall_s: float) -> RunSummary:
    """A run's summary from its results document: what `run_one` returns, and what a server's
    worker stores for a study's run it stepped itself (lab/runs/evidence.py)."""
    measured = results["measured"]
    return {
        "arm": arm, "point": point, "seed": seed, "values": values,
        "metrics": overall_figures(measured["overall"]),
        "nodes": {node_id: node_figures(n) for node_id, n in measured["nodes"].items()},
        "series": series, "cpu_s": round(cpu_s, 6), "wall_s": round(wall_s, 6), "limited": limited,
    }


def overall_figures(flow: Mapping[str, Any]) -> dict[str, float | None]:
    """The headline figures of a flow (measured.overall or a window's overall)."""
    done = flow.get("completions", 0) > 0
    latency = flow["latency_ms"]
    return {
        "throughput_per_s": float(flow["throughput_per_s"]),
        # No request ended: there is no error rate to speak of (not 0%).
        "error_rate": float(flow["error_rate"]) if done or flow.get("errors", 0) else None,
        "latency_mean_ms": float(latency["mean"]) if done else None,
        "latency_p50_ms": float(latency["p50"]) if done else None,
        "latency_p95_ms": float(latency["p95"]) if done else None,
        "latency_p99_ms": float(latency["p99"]) if done else None,
        "cost_per_hour_usd": _float(flow.get("cost_per_hour_usd")),
        "cost_per_million_usd": _float(flow.get("cost_per_million_usd")),
    }


def node_figures(node: Mapping[str, Any]) -> dict[str, float | None]:
    """The figures of a node that its kind reports. An autoscaled pool's instances are its mean
    over the span (what it was billed for), a fixed pool's its count."""
    out: dict[str, float | None] = {}
    for name in ("utilization", "queue_length"):
        if name in node:
            out[name] = float(node[name])
    instances = node.get("instances_mean", node.get("instances"))
    if instances is not None:
        out["instances"] = float(instances)
    out["arrival_rate_per_s"] = float(node["arrival_rate_per_s"])
    out["latency_mean_ms"] = float(node["latency_ms"]["mean"]) if node.get("completions", 0) else None
    out["errors"] = float(node.get("errors", 0))
    return out


def window_row(window: Window) -> WindowRow | None:
    """The few figures a band needs of one window (None for a window in the warm-up)."""
    if not window["measured"]:
        return None
    overall = overall_figures(window["overall"])
    nodes: dict[str, dict[str, float]] = {}
    for node_id, view in window["nodes"].items():
        n: Mapping[str, Any] = view  # a kind's own figures are beyond the type's keys
        figures = {k: float(n[k]) for k in NODE_WINDOW_METRICS if k in n and n[k] is not None}
        if figures:
            nodes[node_id] = figures
    return (float(window["t_end"]), {k: overall[k] for k in WINDOW_METRICS}, nodes)


def keeper(keep: Callable[[WindowRow], None]) -> Callable[[Window], None]:
    """A window callback that keeps only the measured windows' few figures a band needs, not the
    whole window (a long run's windows would fill the worker's memory and the pipe back)."""
    def on_window(window: Window) -> None:
        row = window_row(window)
        if row is not None:
            keep(row)
    return on_window


def series_of(windows: list[WindowRow]) -> Series:
    """The kept windows as series, one list per figure (the summary's `series`)."""
    overall: dict[str, list[float | None]] = {k: [w[1][k] for w in windows] for k in WINDOW_METRICS}
    nodes: dict[str, dict[str, list[float | None]]] = {}
    for node_id in (windows[0][2] if windows else {}):
        names = windows[0][2][node_id]
        nodes[node_id] = {k: [w[2].get(node_id, {}).get(k) for w in windows] for k in names}
    return {"t_end": [w[0] for w in windows], "overall": overall, "nodes": nodes}


def _float(value: Any) -> float | None:
    return None if value is None else float(value)
