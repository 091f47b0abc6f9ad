"""Budgets of many runs. A sweep or a comparison is many runs of one design, so it is checked
twice before it starts: each run against the per-run budget every run has (lab/sim/budget.py:
its events, CPU, windows, stored bytes), and the whole against totals of its own here (runs,
events, CPU). A refusal says what to lower (seeds, values, the duration) and to about what.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from ..budget import Budget, Estimate, check, estimate
from ..document.types import Topology
from ..problems import Problem, Refused, problem


@dataclass(frozen=True)
class EvidenceBudget:
    """The most one sweep, set of replications or comparison may use, over all its runs. The
    defaults allow the issue's reference sweep (20 values × 5 seeds of 60 s) many times over and
    refuse what would hold a 2-core server for more than half an hour."""

    max_runs: int = 400
    max_total_events: float = 1_000_000_000.0  # heap events over every run (budget.py's estimate)
    max_total_cpu_s: float = 3_600.0  # CPU seconds over every run (30 minutes on two cores)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def check_plan(runs: list[tuple[Topology, str]], limits: EvidenceBudget, budget: Budget, *,
               what: str, shape: str) -> None:
    """Raise `Refused` if any run would exceed the per-run budget or the runs together the
    totals. `runs` pairs each run's own (normalized) topology with what to call it in a problem
    ("app.instances=8", "B"; "" for a plain run)."""
    if len(runs) > limits.max_runs:
        raise Refused([problem("$.seeds", f"this {what} is {len(runs):,} runs ({shape}); the limit is "
                                          f"{limits.max_runs:,}: use fewer seeds")])
    estimates: dict[int, Estimate] = {}
    problems: list[Problem] = []
    total_events = total_cpu = 0.0
    for topology, name in runs:
        e = estimates.get(id(topology))
        if e is None:
            e = estimates[id(topology)] = estimate(topology)
            for p in check(e, budget):
                problems.append(problem(p["path"], f"{name}: {p['message']}") if name else p)
        total_events += e.events
        total_cpu += e.cpu_s
    if problems:
        raise Refused(problems[:10])
    duration = float(runs[0][0]["settings"]["duration_s"]) if runs else 0.0
    if total_cpu > limits.max_total_cpu_s:
        problems.append(problem("$.seeds", (
            f"this {what} ({shape}) would take about {total_cpu / 60:,.0f} minutes of CPU time over its "
            f"{len(runs)} runs; the limit is {limits.max_total_cpu_s / 60:,.0f} minutes. "
            f"{_advice(limits.max_total_cpu_s / total_cpu, len(runs), duration)}")))
    elif total_events > limits.max_total_events:
        problems.append(problem("$.seeds", (
            f"this {what} ({shape}) would process about {_count(total_events)} events over its {len(runs)} runs; "
            f"the limit is {_count(limits.max_total_events)}. "
            f"{_advice(limits.max_total_events / total_events, len(runs), duration)}")))
    if problems:
        raise Refused(problems)


def _advice(factor: float, runs: int, duration_s: float) -> str:
    fewer = max(1, math.floor(runs * factor))
    return (f"Run fewer of them (about {fewer}: fewer seeds or values) or shorten settings.duration_s to about "
            f"{max(1.0, duration_s * factor):,.0f} s")


def _count(n: float) -> str:
    for word, size in (("billion", 1e9), ("million", 1e6)):
        if n >= size:
            return f"{n / size:,.1f} {word}"
    return f"{round(n):,}"
