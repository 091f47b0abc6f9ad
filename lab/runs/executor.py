"""One claimed run, advanced a step at a time by the worker's host (host.py), which interleaves
many runs in one process (never in the server's event loop).

A paced run (speed > 0) steps one window when the wall clock reaches it; a run as fast as
possible steps a slice sized to take about SLICE_CPU_S of CPU, so the paced runs sharing the
process keep their deadlines. Between steps the host applies control commands, stores windows
(which the publisher streams to viewers), renews leases and enforces the run's budget."""
from __future__ import annotations

import logging
import math
import time
import traceback
from typing import Any

from lab.sim import Simulation, apply_command
from lab.sim.metrics.documents import Window
from lab.sim.problems import Problem
from lab.sim import budget as engine_budget

from . import budgets, services, signals
from .evidence import Summarizer
from .models import Run, RunCommand

log = logging.getLogger(__name__)

# Windows of a run as fast as possible are stored at least this often (fewer, larger writes).
FLUSH_S = 0.25
# CPU time one step of a run as fast as possible aims at: short enough that a paced run sharing
# the process is at most this late, long enough that the loop's overhead does not show.
SLICE_CPU_S = 0.02


class Execution:
    def __init__(self, run: Run) -> None:
        self.run = run
        self.pending: list[Window] = []
        # A study's run keeps a few figures per window and stores its summary, nothing else.
        self.summarizer = Summarizer(run.evidence) if run.evidence else None
        on_window = self.summarizer.on_window if self.summarizer else self._closed
        self.sim = Simulation(run.topology, seed=run.seed, on_window=on_window)
        self.duration = run.duration_s
        self.window = self.sim.window_s
        self.speed = run.speed
        self.paused = False
        self.stepping = False  # paused, but asked to go one window further ("step")
        self.stopped = False
        self.reason = ""       # why it stopped early (a user, or nobody watching)
        self.limited = ""      # which budget ended it
        self.over = False      # reached its end; the host writes the final state
        self.lost = False      # another worker owns it now: write nothing more
        self.last_command = 0
        self.cpu_s = 0.0
        self.started = time.monotonic()
        self.last_flush = self.started
        self.stored = 0        # windows stored so far
        self.slice_s = self.window
        self.limits = budgets.frozen_limits(run.budget)
        # Wall-clock time at which simulated time 0 would have been, at the current speed.
        self.origin = self.started

    # -- scheduling ----------------------------------------------------------------------------

    @property
    def paced(self) -> bool:
        return self.speed > 0

    def _next_boundary(self) -> float:
        return min(self.duration, (math.floor(self.sim.now / self.window + 1e-9) + 1) * self.window)

    def due(self) -> float:
        """The monotonic time at which this run next wants the CPU (inf while paused)."""
        if self.over:
            return math.inf
        if self.stepping:
            return 0.0
        if self.paused:
            return math.inf
        if not self.paced:
            return 0.0
        return self.origin + self._next_boundary() / self.speed

    def step(self) -> None:
        """Advance the simulation by one window (paced) or one CPU slice (as fast as possible)."""
        sim = self.sim
        if self.stepping:
            # One window and no further: the class sees the next window close, then discusses.
            target = self._next_boundary()
        elif self.paced:
            target = self._next_boundary()
        else:
            target = min(self.duration, sim.now + self.slice_s)
        cpu = time.thread_time()
        sim.run(target)
        spent = time.thread_time() - cpu
        self.cpu_s += spent
        if self.stepping:
            self.stepping = False
        elif not self.paced:
            # Aim the next slice at SLICE_CPU_S, changing by at most 4x a step (bursts happen).
            ratio = SLICE_CPU_S / max(spent, 1e-4)
            self.slice_s = min(max(self.slice_s * min(max(ratio, 0.25), 4.0), self.window / 1000), self.duration)
        if sim.now >= self.duration:
            self.over = True
        self._check_budget()

    def _check_budget(self) -> None:
        usage = engine_budget.Usage.of(self.sim)
        reason = engine_budget.over(usage, self.limits, cpu_s=self.cpu_s, wall_s=time.monotonic() - self.started,
                                    windows_stored=self.stored + len(self.pending))
        if reason:
            self.limit(reason)

    def limit(self, reason: str) -> None:
        self.limited = reason
        self.over = True

    def stop(self, reason: str) -> None:
        self.stopped = True
        self.reason = reason
        self.over = True

    # -- commands and storage ------------------------------------------------------------------

    def _closed(self, window: Window) -> None:
        # When the window closed on the wall clock: viewers measure how late its frame arrives.
        window["closed_at"] = round(time.time(), 4)
        self.pending.append(window)

    def apply(self, command: RunCommand) -> list[Problem]:
        self.last_command = max(self.last_command, command.id)
        body = command.command
        op = body.get("op")
        if op == "pause":
            self.paused = True
        elif op == "step":
            self.paused = True
            self.stepping = True
        elif op == "resume":
            self.paused = False
            self.rebase()
        elif op == "stop":
            self.stop(str(body.get("reason") or "stopped by the person who started it"))
        elif op == "speed":
            self.speed = float(body["value"])
            self.rebase()
        else:
            return apply_command(self.sim, body)
        self.sim.record({"type": op, **({"value": body["value"]} if op == "speed" else {})})
        return []

    def rebase(self) -> None:
        """Keep the pace continuous when the speed changes or the run resumes."""
        if self.speed > 0:
            self.origin = time.monotonic() - self.sim.now / self.speed

    def wants_flush(self, now: float) -> bool:
        return bool(self.pending) and (self.paced or self.over or now - self.last_flush >= FLUSH_S)

    def flush(self) -> None:
        self.last_flush = time.monotonic()
        if self.pending:
            if not services.run_add_windows(run=self.run, windows=self.pending, sim_time=self.sim.now):
                self.lost = True
            self.stored += len(self.pending)
            self.pending.clear()

    def finish(self) -> None:
        """The final write: the last partial window, the results, and how the run ended."""
        sim = self.sim
        sim.finish()
        self.flush()
        if self.lost:
            log.warning("run %s: lease lost, stopping without writing results", self.run.id)
            return
        results = sim.results()
        if self.summarizer is not None:
            summary = self.summarizer.summary(results, limited=self.limited, cpu_s=self.cpu_s,
                                              wall_s=time.monotonic() - self.started)
            if services.run_finish(run=self.run, results=dict(summary), stopped=self.stopped, limited=self.limited,
                                   reason=self.reason):
                _ended(self.run)
            return
        if self.limited:
            results["limited"] = self.limited
        services.run_finish(run=self.run, results=results, stopped=self.stopped, limited=self.limited,
                            reason=self.reason)

    def fail(self, exc: BaseException) -> None:
        log.error("run %s failed", self.run.id, exc_info=exc)
        failed = services.run_fail(run=self.run, error=f"{type(exc).__name__}: {exc}\n"
                                                       f"{''.join(traceback.format_exception(exc, limit=5))}")
        if failed and self.run.evidence:
            _ended(self.run)


def _ended(run: Run) -> None:
    """Tell whoever queued a study's run that it has ended (lab.studies records its summary). A
    listener that raises is logged; the run's own record is already written."""
    for receiver, result in signals.run_ended.send_robust(sender=Run, run=run):
        if isinstance(result, Exception):
            log.error("run %s: %s failed on its end", run.id, receiver, exc_info=result)
