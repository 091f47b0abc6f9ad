"""Many runs in one worker process.

A paced live run needs about 1% of a core, so a process that held one run for its whole
wall-clock span wasted the other 99%. The host interleaves every run it has claimed in one
thread, one step at a time (executor.py):

- the paced run whose next window is due soonest goes first once it is due (earliest deadline);
- otherwise the CPU goes to the runs as fast as possible, fairly across principals: the one
  whose principal has used the least CPU recently steps next (one user's ten runs share what
  one run of another user gets), graded runs (higher priority) first;
- control commands for all its runs are read in one query at least every COMMAND_POLL_S, so
  they reach a run within one window; leases are renewed in one statement.

A run that raises fails on its own; the host and its other runs go on.
"""
from __future__ import annotations

import logging
import math
import time
from collections import defaultdict
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from lab.sim.problems import problem

from . import services
from .executor import Execution
from .models import Run, RunCommand

log = logging.getLogger(__name__)

COMMAND_POLL_S = 0.05
HEARTBEAT_S = 2.0
IDLE_CHECK_S = 5.0
# How fast a principal's recent CPU use is forgotten (seconds for it to halve).
FAIR_HALF_LIFE_S = 5.0


class Host:
    def __init__(self, *, worker: str) -> None:
        self.worker = worker
        self.executions: dict[Any, Execution] = {}
        self.usage: dict[str, float] = defaultdict(float)  # decayed CPU seconds per principal
        self.last_decay = self.last_heartbeat = self.last_idle = time.monotonic()
        self.last_commands = 0.0  # commands queued before a run starts apply before its first step

    # -- membership ----------------------------------------------------------------------------

    def adopt(self, run: Run) -> None:
        if run.id in self.executions:
            return
        try:
            self.executions[run.id] = Execution(run)
            self.last_commands = 0.0
        except Exception as exc:  # noqa: BLE001 - a run that cannot even be set up fails alone
            log.exception("run %s could not start", run.id)
            services.run_fail(run=run, error=f"{type(exc).__name__}: {exc}")

    @property
    def load(self) -> tuple[int, int]:
        """(runs as fast as possible, paced runs) held now."""
        fast = sum(1 for ex in self.executions.values() if not ex.paced)
        return fast, len(self.executions) - fast

    def _drop(self, ex: Execution) -> None:
        self.executions.pop(ex.run.id, None)

    def _end(self, ex: Execution) -> None:
        try:
            ex.finish()
        except Exception as exc:  # noqa: BLE001
            ex.fail(exc)
        self._drop(ex)

    # -- the loop ------------------------------------------------------------------------------

    def tick(self) -> float:
        """Do the next piece of work; return how long the caller may sleep before the next."""
        now = time.monotonic()
        if now - self.last_commands >= COMMAND_POLL_S:
            self._apply_commands()
            self.last_commands = now
        if now - self.last_heartbeat >= HEARTBEAT_S:
            self._heartbeat()
            self.last_heartbeat = now
        if now - self.last_idle >= min(IDLE_CHECK_S, settings.ARCHLAB_IDLE_STOP_S / 2 or IDLE_CHECK_S):
            self._stop_unwatched()
            self.last_idle = now
        ex = self._next(now)
        if ex is not None:
            self._step(ex)
        for done in [e for e in self.executions.values() if e.over or e.lost]:
            if done.lost:
                self._drop(done)
            else:
                self._end(done)
        now = time.monotonic()
        for pending in self.executions.values():
            if pending.wants_flush(now):
                pending.flush()
        if not self.executions:
            return math.inf
        soonest = min(e.due() for e in self.executions.values())
        next_poll = self.last_commands + COMMAND_POLL_S
        return max(0.0, min(soonest, next_poll) - time.monotonic())

    def _next(self, now: float) -> Execution | None:
        paced = [e for e in self.executions.values() if e.paced and not e.over and e.due() <= now]
        if paced:
            return min(paced, key=Execution.due)
        fast = [e for e in self.executions.values()
                if not e.paced and (not e.paused or e.stepping) and not e.over]
        if not fast:
            return None
        self._decay(now)
        return min(fast, key=lambda e: (-e.run.priority, self.usage[e.run.principal], e.cpu_s))

    def _decay(self, now: float) -> None:
        elapsed = now - self.last_decay
        if elapsed >= 0.5:
            factor = 0.5 ** (elapsed / FAIR_HALF_LIFE_S)
            for key in list(self.usage):
                self.usage[key] *= factor
                if self.usage[key] < 1e-6:
                    del self.usage[key]
            self.last_decay = now

    def _step(self, ex: Execution) -> None:
        before = ex.cpu_s
        try:
            ex.step()
        except Exception as exc:  # noqa: BLE001 - the run fails, the worker and its other runs go on
            ex.fail(exc)
            self._drop(ex)
            return
        self.usage[ex.run.principal] += ex.cpu_s - before

    # -- housekeeping --------------------------------------------------------------------------

    def _apply_commands(self) -> None:
        if not self.executions:
            return
        since = min(e.last_command for e in self.executions.values())
        commands = RunCommand.objects.filter(run_id__in=list(self.executions), id__gt=since).order_by("id")
        for command in commands:
            ex = self.executions.get(command.run_id)
            if ex is None or command.id <= ex.last_command or ex.over:
                continue
            try:
                problems = ex.apply(command)
            except Exception as exc:  # noqa: BLE001 - a command the engine chokes on is refused
                problems = [problem("$.command", f"the command could not be applied: {exc}")]
            services.run_command_record(command=command, problems=problems)

    def _heartbeat(self) -> None:
        runs = [e.run for e in self.executions.values()]
        owned = services.run_heartbeat_many(runs=runs)
        for ex in list(self.executions.values()):
            if ex.run.id not in owned:
                log.warning("run %s is no longer this worker's; dropping it", ex.run.id)
                ex.lost = True
                self._drop(ex)

    def _stop_unwatched(self) -> None:
        """A paced run nobody has watched for ARCHLAB_IDLE_STOP_S is stopped: it would hold its
        owner's allowance and a slot for nothing. Runs as fast as possible finish on their own."""
        idle = settings.ARCHLAB_IDLE_STOP_S
        paced = {rid: ex for rid, ex in self.executions.items() if ex.paced and not ex.over}
        if not paced or idle <= 0:
            return
        cutoff = timezone.now() - timedelta(seconds=idle)
        for rid, watched, started in Run.objects.filter(id__in=list(paced)).values_list("id", "watched_at", "started"):
            last = max(t for t in (watched, started) if t is not None) if (watched or started) else None
            if last is not None and last < cutoff:
                paced[rid].stop(f"nobody watched it for {idle} s, so it was stopped to free the server")

    def memory_guard(self, rss_bytes: int, limit_bytes: int) -> None:
        """Over the worker's memory limit, the run holding the most events in memory is limited
        (its results so far are kept); the others go on."""
        if rss_bytes <= limit_bytes or not self.executions:
            return
        biggest = max(self.executions.values(), key=lambda e: len(e.sim.heap))
        biggest.limit(f"the simulation worker ran short of memory ({rss_bytes // 2**20} MiB used, limit "
                      f"{limit_bytes // 2**20} MiB); this run held the most events in memory")

    def release(self) -> None:
        """The worker is shutting down cleanly: its runs go back to the queue at once."""
        if self.executions:
            services.run_hand_back(worker=self.worker)
        self.executions.clear()


def execute(run: Run) -> None:
    """Run one claimed run to its end in this thread, through the same loop the workers use (the
    tests' way in)."""
    host = Host(worker=run.worker)
    host.adopt(run)
    while host.executions:
        pause = host.tick()
        if pause > 0:
            time.sleep(min(pause, 0.05))
