"""An A/B comparison's document: for each headline figure, A's and B's intervals, the paired
difference over the seeds (statistics.paired_difference: common random numbers make each seed's
pair see the same traffic), and a verdict in plain words:

    "B's p95 latency is 31% lower (27% to 35%)"
    "p99 latency: no difference we can see with 10 seeds"

A difference is called one when its 95% t-interval leaves out zero: of figures that do not differ,
about 1 in 20 is called different by chance (the test's stated error rate, checked by
tests/sim/evidence/test_comparison.py over many A/A comparisons).
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .combine import header, metric_intervals, node_info, node_intervals, usable
from .documents import Document, PairedDifference, RunSummary
from .plans import Plan
from .replications import window_bands
from .running import METRICS
from .statistics import paired_difference
from .wording import METRIC_INFO, amount, percent, sig


def aggregate_comparison(plan: Plan, summaries: Sequence[RunSummary]) -> Document:
    """The comparison document from the runs' summaries; a seed counts when both its runs ran
    to the end."""
    used = usable(plan, summaries, "comparison")
    by_arm: dict[str, dict[int, RunSummary]] = {"a": {}, "b": {}}
    for s in used:
        by_arm[s["arm"]][s["seed"]] = s
    seeds = sorted(set(by_arm["a"]) & set(by_arm["b"]))
    a = [by_arm["a"][seed] for seed in seeds]
    b = [by_arm["b"][seed] for seed in seeds]
    metrics: dict[str, Any] = {}
    for m in METRICS:
        paired = paired_difference([s["metrics"].get(m) for s in a], [s["metrics"].get(m) for s in b])
        metrics[m] = {**_judge(m, paired), "a": metric_intervals(a)[m], "b": metric_intervals(b)[m],
                      "difference": paired["difference"], "relative": paired["relative"]}
    doc: Document = {**header(plan, summaries, used, "archlab.comparison"), "pairs": len(seeds),
                     "a": _side(plan, "a", a), "b": _side(plan, "b", b), "metrics": metrics,
                     "verdicts": [metrics[m]["verdict"] for m in METRICS]}
    return doc


def _side(plan: Plan, arm: str, runs: list[RunSummary]) -> dict[str, Any]:
    topology = plan.topologies[arm]
    return {"name": topology["name"], "node_info": node_info(topology), "nodes": node_intervals(runs),
            "windows": window_bands(runs)}


def verdict(metric: str, paired: PairedDifference) -> str:
    """The plain sentence for one figure's paired difference (see the module docstring)."""
    return str(_judge(metric, paired)["verdict"])


def _judge(metric: str, paired: PairedDifference) -> dict[str, Any]:
    info = METRIC_INFO[metric]
    d, rel, n = paired["difference"], paired["relative"], paired["n"]
    seeds = f"{n} seed{'s' if n != 1 else ''}"
    out: dict[str, Any] = {"significant": False, "better": None, "verdict": ""}
    if n == 0 or d["mean"] is None:
        out["verdict"] = f"{info.label}: not measured in both designs"
        return out
    if n == 1 or d["low"] is None or d["high"] is None:
        out["verdict"] = f"{info.label}: one seed cannot tell a difference from noise; run at least 2"
        return out
    if d["sd"] == 0 and d["mean"] == 0:
        out["verdict"] = f"{info.label}: the same in A and B on every seed"
        return out
    if d["low"] <= 0 <= d["high"]:
        out["verdict"] = f"{info.label}: no difference we can see with {seeds}"
        return out
    lower = d["mean"] < 0
    out["significant"] = True
    out["better"] = "b" if lower == info.lower_is_better else "a"
    way = "lower" if lower else "higher"
    if info.unit == "%" or rel is None or rel["low"] is None or rel["high"] is None:
        # A share (an error rate) changes by points, not by a share of itself: from 0.1% to 0.2% is
        # "0.1 percentage points", which a "100% higher" would hide. So does a figure A has at 0.
        size, lo, hi = abs(d["mean"]), abs(d["low"]), abs(d["high"])
        lo, hi = min(lo, hi), max(lo, hi)
        if info.unit == "%":
            words = f"{sig(size * 100, 2)} percentage points {way} ({sig(lo * 100, 2)} to {sig(hi * 100, 2)})"
        else:
            words = f"{amount(size, info.unit)} {way} ({amount(lo, info.unit)} to {amount(hi, info.unit)})"
        if d["sd"] == 0:
            words = words.split(" (")[0] + " on every seed"
    else:
        lo, hi = sorted((abs(rel["low"]), abs(rel["high"])))
        if (rel["low"] < 0) != (rel["high"] < 0):
            # The difference is clear but its size relative to A is not: say both ends.
            words = f"{percent(rel['mean'])} {way} ({_signed(rel['low'])} to {_signed(rel['high'])})"
        elif d["sd"] == 0:
            words = f"{percent(rel['mean'])} {way} on every seed"
        else:
            words = f"{percent(rel['mean'])} {way} ({percent(lo)} to {percent(hi)})"
    out["verdict"] = f"B's {info.label} is {words}"
    return out


def _signed(x: float) -> str:
    return f"{percent(x)} {'lower' if x < 0 else 'higher'}"
