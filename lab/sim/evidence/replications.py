"""The document of one design run with many seeds: every headline figure with its interval and
the seeds that figure would need for a target precision, and each window's median and 95% band
for the charts. Its shape, with an example, is in docs/evidence.md.
"""
from __future__ import annotations

from collections.abc import Sequence

from .combine import header, metric_intervals, node_info, node_intervals, usable
from .documents import Band, Document, RunSummary
from .plans import Plan
from .running import METRICS
from .statistics import CONFIDENCE, band, seeds_needed
from .wording import METRIC_INFO, percent

RELATIVE_PRECISION = 0.05


def aggregate_replications(plan: Plan, summaries: Sequence[RunSummary], *,
                           relative_precision: float = RELATIVE_PRECISION) -> Document:
    """The replications document. `relative_precision` (0.05: ±5% of the mean) is the target the
    suggested numbers of seeds are for."""
    used = sorted(usable(plan, summaries, "replications"), key=lambda s: s["seed"])
    topology = plan.topologies["base"]
    needed = {m: seeds_needed([s["metrics"].get(m) for s in used], relative_precision) for m in METRICS}
    advice = []
    for m in ("latency_p99_ms", "latency_p95_ms", "throughput_per_s"):
        n = needed[m]
        if n is not None:
            advice.append(f"{METRIC_INFO[m].label} within ±{percent(relative_precision)} of its mean "
                          f"({CONFIDENCE:.0%} confidence) needs about {n} seeds; {len(used)} were run")
    return {**header(plan, summaries, used, "archlab.replications"),
            "topology": {"name": topology["name"]}, "node_info": node_info(topology),
            "metrics": metric_intervals(used), "nodes": node_intervals(used),
            "precision": {"relative": relative_precision, "confidence": CONFIDENCE, "seeds_needed": needed,
                          "advice": advice},
            "windows": window_bands(used)}


def window_bands(used: Sequence[RunSummary]) -> dict[str, object]:
    """Each window's median and 2.5-97.5 percentile band over the runs, overall and per node."""
    series = [s["series"] for s in used if s["series"] is not None]
    if not series:
        return {"t_end": [], "overall": {}, "nodes": {}}
    longest = max(series, key=lambda x: len(x["t_end"]))
    overall: dict[str, Band] = {m: band([x["overall"][m] for x in series]) for m in longest["overall"]}
    nodes: dict[str, dict[str, Band]] = {}
    for node_id, figures in longest["nodes"].items():
        nodes[node_id] = {m: band([x["nodes"].get(node_id, {}).get(m, []) for x in series]) for m in figures}
    return {"t_end": longest["t_end"], "overall": overall, "nodes": nodes}
