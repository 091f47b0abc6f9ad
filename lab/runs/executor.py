"""Executes one claimed run, window by window, in a simulation worker process (never in the
server's event loop). Between windows it applies control commands, paces the run to its speed,
stores the windows (which the publisher streams to viewers) and renews its lease."""
from __future__ import annotations

import logging
import time
import traceback
from typing import Any

from lab.sim import Simulation

from . import services
from .models import Run, RunCommand

log = logging.getLogger(__name__)

# While paused, or waiting for the wall clock, the worker still looks for commands this often.
POLL_S = 0.05
# Windows are stored at least this often when running as fast as possible (fewer, larger writes).
FLUSH_S = 0.25


class Execution:
    def __init__(self, run: Run) -> None:
        self.run = run
        self.pending: list[dict[str, Any]] = []
        self.sim = Simulation(run.topology, seed=run.seed, on_window=self._closed)
        self.speed = run.speed
        self.paused = False
        self.stopped = False
        self.last_command = 0
        self.lost = False
        # Wall-clock time at which simulated time 0 would have been, at the current speed.
        self.origin = time.monotonic()

    def _closed(self, window: dict[str, Any]) -> None:
        # When the window closed on the wall clock: viewers measure how late its frame arrives.
        window["closed_at"] = round(time.time(), 4)
        self.pending.append(window)

    def apply_commands(self) -> None:
        for command in services.run_commands_take(run=self.run, after_id=self.last_command):
            self.last_command = command.id
            problems = self.apply(command)
            services.run_command_record(command=command, problems=problems)

    def apply(self, command: RunCommand) -> list[dict[str, str]]:
        body = command.command
        op = body.get("op")
        sim = self.sim
        if op == "pause":
            self.paused = True
        elif op == "resume":
            self.paused = False
            self.rebase()
        elif op == "stop":
            self.stopped = True
        elif op == "speed":
            self.speed = float(body["value"])
            self.rebase()
        else:
            return sim.apply(body)
        sim.record({"type": op, **({"value": body["value"]} if op == "speed" else {})})
        return []

    def rebase(self) -> None:
        """Keep the pace continuous when the speed changes or the run resumes."""
        if self.speed > 0:
            self.origin = time.monotonic() - self.sim.now / self.speed

    def flush(self) -> None:
        if self.pending:
            if not services.run_add_windows(run=self.run, windows=self.pending, sim_time=self.sim.now):
                self.lost = True
            self.pending.clear()
        elif not services.run_heartbeat(run=self.run, sim_time=self.sim.now):
            self.lost = True

    def execute(self) -> None:
        sim = self.sim
        duration = self.run.duration_s
        window = sim.window_s
        last_flush = time.monotonic()
        self.rebase()
        while sim.now < duration and not self.stopped and not self.lost:
            self.apply_commands()
            if self.stopped:
                break
            if self.paused:
                self.flush()
                time.sleep(POLL_S)
                continue
            if self.speed > 0:
                due = self.origin + (sim.now + window) / self.speed
                wait = due - time.monotonic()
                if wait > 0:
                    time.sleep(min(wait, POLL_S))
                    if wait > POLL_S:
                        continue  # look at commands again before the window is due
            sim.run(min(duration, sim.now + window))
            if self.speed > 0 or time.monotonic() - last_flush >= FLUSH_S:
                self.flush()
                last_flush = time.monotonic()
        if self.lost:
            log.warning("run %s: lease lost, stopping without writing results", self.run.id)
            return
        sim.finish()
        self.flush()
        services.run_finish(run=self.run, results=sim.results(), stopped=self.stopped)


def execute(run: Run) -> None:
    """Run a claimed run to its end; a crash of the simulation marks it failed, never silently."""
    try:
        Execution(run).execute()
    except Exception as exc:  # noqa: BLE001 - whatever happened, the run must end with a status
        log.exception("run %s failed", run.id)
        services.run_fail(run=run, error=f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=5)}")
