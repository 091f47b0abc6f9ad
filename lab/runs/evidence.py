"""Runs of a study (a sweep, replications over seeds, an A/B comparison; lab.studies): ordinary
runs with a marker (`Run.evidence`), so they go through the same queue, claim, fair scheduling,
leases, retries and budgets as every run (docs/decisions.md, 47).

What differs is what they keep. A study aggregates a few figures of each run, not its windows and
results document (decision 46), so the worker summarizes such a run as it goes (`Summarizer`:
the figures `lab.sim.evidence.run_one` returns, from the same simulation, sliced by the host
like any run as fast as possible) and stores the summary as the run's `results`. Nothing of the
run is streamed or stored per window.

This module knows nothing of studies: lab.studies queues these runs, is told when one ends
(signals.run_ended), and cancels them.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone

from lab.sim.document.types import Topology
from lab.sim.evidence import RunSummary
from lab.sim.metrics.documents import Results, Window
from lab.sim.evidence.running import WindowRow, series_of, summarize, window_row
from lab.sim.problems import Refused

from . import budgets, signals
from .models import Run, RunCommand

# A study's runs are background work: any other run waiting is claimed first, and among the runs
# a worker steps as fast as possible, any other run gets the CPU first (host.Host._next).
PRIORITY = -1
EVIDENCE_FIELDS = ("study", "index", "arm", "point", "seed", "values", "series")


def run_queue_evidence(*, topology: Topology, evidence: dict[str, Any], principal: str, running_cap: int,
                       revision: Any = None) -> Run:
    """Queue one run of a study: `topology` is the run's own, already normalized and checked by
    the study's plan (lab.sim.evidence.plans); `evidence` says which run of the study it is.
    It is charged to `principal` in fair scheduling and counts as one of its running runs, and
    it never has more than `running_cap` of the principal's runs running when it starts (a study
    leaves its owner room for a live run). Raises Refused if the run is over the server's per-run
    budget (the plan checks the same limits, so this happens only if they changed)."""
    estimate, over_budget = budgets.admit(topology, speed=0.0)
    if over_budget:
        raise Refused(over_budget)
    missing = [k for k in EVIDENCE_FIELDS if k not in evidence]
    if missing:
        raise ValueError(f"evidence lacks {', '.join(missing)}")
    run = Run.objects.create(topology=topology, seed=int(evidence["seed"]),
                             duration_s=float(topology["settings"]["duration_s"]), speed=0.0, principal=principal,
                             revision=revision, priority=PRIORITY, evidence=evidence,
                             budget={**estimate, "running_cap": running_cap, "network_running_cap": None})
    transaction.on_commit(lambda: signals.run_queued.send(sender=Run, run=run))
    return run


def run_cancel_evidence(*, run_ids: Sequence[Any], reason: str) -> int:
    """Stop study runs: a queued one at once (it never starts), a running one by a stop command
    its worker applies within a slice. Returns how many were still going."""
    now = timezone.now()
    stopped = Run.objects.filter(id__in=list(run_ids), status=Run.Status.QUEUED, evidence__isnull=False).update(
        status=Run.Status.STOPPED, finished=now, reason=reason[:300])
    running = list(Run.objects.filter(id__in=list(run_ids), status=Run.Status.RUNNING,
                                      evidence__isnull=False).values_list("id", flat=True))
    RunCommand.objects.bulk_create([RunCommand(run_id=rid, command={"op": "stop", "reason": reason[:300]})
                                    for rid in running])
    return stopped + len(running)


class Summarizer:
    """What a worker keeps of a study's run while it steps it: the measured windows' few figures
    (when the study wants bands over windows), then the run's summary from its results. The
    figures are `lab.sim.evidence.running.run_one`'s for the same topology and seed (a test
    compares them); only `cpu_s` and `wall_s` are the worker's."""

    def __init__(self, evidence: dict[str, Any]) -> None:
        self.evidence = evidence
        self.windows: list[WindowRow] = []

    def on_window(self, window: Window) -> None:
        if self.evidence.get("series"):
            row = window_row(window)
            if row is not None:
                self.windows.append(row)

    def summary(self, results: Results, *, limited: str, cpu_s: float, wall_s: float) -> RunSummary:
        e = self.evidence
        return summarize(results, arm=str(e["arm"]), point=int(e["point"]), seed=int(e["seed"]),
                         values=dict(e["values"]), series=series_of(self.windows) if e.get("series") else None,
                         limited=limited or None, cpu_s=cpu_s, wall_s=wall_s)
