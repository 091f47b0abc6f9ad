"""Running a plan's runs in parallel on this machine, for the command line and the benchmark.
The web side runs the same `run_one` in its own worker processes instead (each run a job row).

Runs go to a process pool (one process per core: a simulation is pure Python, so threads would
share one core), the costliest first, so that a long run does not start last and leave the
other cores idle at the end (longest-processing-time-first scheduling). Results come back in
the plan's order whatever order they finish in.
"""
from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait

from ..budget import estimate
from .documents import RunSummary
from .plans import RunSpec
from .running import run_one

ProgressCallback = Callable[[int, int], None]
POLL_S = 0.1  # how often a waiting loop looks at the cancel event


class Cancelled(Exception):
    """The runs were cancelled. `finished` holds the summaries of the runs that had ended, in
    the plan's order."""

    def __init__(self, finished: list[RunSummary]) -> None:
        super().__init__(f"cancelled after {len(finished)} runs")
        self.finished = finished


def run_plans(runs: Sequence[RunSpec], workers: int | None = None, on_progress: ProgressCallback | None = None,
              cancel: threading.Event | None = None) -> list[RunSummary]:
    """Every run's summary, in the order of `runs`. `workers` processes (default: one per core;
    1 runs in this process, no pool). `on_progress(done, total)` is called after each run ends;
    setting `cancel` stops the runs not yet started (those running finish their run) and raises
    `Cancelled`. A run that raises stops the rest and the exception propagates."""
    total = len(runs)
    workers = max(1, min(workers or os.cpu_count() or 1, total or 1))
    done: dict[int, RunSummary] = {}
    if workers == 1:
        for i, run in enumerate(runs):
            if cancel is not None and cancel.is_set():
                raise Cancelled([done[k] for k in sorted(done)])
            done[i] = run_one(run)
            if on_progress:
                on_progress(len(done), total)
        return [done[i] for i in range(total)]
    order = _costliest_first(runs)
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures: dict[Future[RunSummary], int] = {pool.submit(run_one, runs[i]): i for i in order}
        pending = set(futures)
        try:
            while pending:
                finished, pending = wait(pending, timeout=POLL_S, return_when=FIRST_COMPLETED)
                for future in finished:
                    done[futures[future]] = future.result()
                    if on_progress:
                        on_progress(len(done), total)
                if cancel is not None and cancel.is_set():
                    raise Cancelled([done[k] for k in sorted(done)])
        except BaseException:
            # Cancelled, a run's exception or Ctrl-C: drop the runs not started, let the
            # running ones end (a process cannot be stopped mid-run without losing the pool).
            for future in pending:
                future.cancel()
            pool.shutdown(wait=True, cancel_futures=True)
            raise
    return [done[i] for i in range(total)]


def _costliest_first(runs: Sequence[RunSpec]) -> list[int]:
    """Run indices by their estimated events, largest first (the estimate is read once per
    distinct topology and point)."""
    cost: dict[tuple[int, int], float] = {}
    keys = []
    for run in runs:
        key = (id(run.topology), run.point)
        if key not in cost:
            try:
                cost[key] = estimate(run.run_topology()).events
            except Exception:  # noqa: BLE001  -- ordering is only a hint; run_one will report it
                cost[key] = 0.0
        keys.append(key)
    return sorted(range(len(runs)), key=lambda i: -cost[keys[i]])
