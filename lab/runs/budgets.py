"""Run budgets on the server: the engine estimates what a run will cost (lab.sim.budget), the
server's settings say what one run may cost, and a run over budget is refused at admission with
a sentence naming the setting to lower, or, if it gets there anyway (live changes, an estimate
that was low), ended as "limited" with its partial results by the worker (executor.py).

The limits a run was admitted with are frozen in its row (`Run.budget`), so a retry after a
crash enforces the same ones."""
from __future__ import annotations

import dataclasses
from typing import Any

from django.conf import settings

from lab.sim import budget as engine_budget
from lab.sim.document.types import Topology
from lab.sim.problems import Problem


def limits() -> engine_budget.Budget:
    """The engine's default limits, with any the operator set in the environment."""
    overrides = {field: value for field, value in (
        ("max_events", settings.ARCHLAB_RUN_MAX_EVENTS),
        ("max_windows", settings.ARCHLAB_RUN_MAX_WINDOWS),
        ("max_stored_bytes", settings.ARCHLAB_RUN_MAX_STORED_MB * 1_000_000 if settings.ARCHLAB_RUN_MAX_STORED_MB else 0),
        ("max_cpu_s", settings.ARCHLAB_RUN_MAX_CPU_S),
        ("max_heap", settings.ARCHLAB_RUN_MAX_HEAP),
    ) if value}
    return dataclasses.replace(engine_budget.Budget(), **overrides)


def admit(topology: Topology, *, speed: float) -> tuple[dict[str, Any], list[Problem]]:
    """The estimate and limits to freeze into the run, and the problems if it is over budget
    (one per setting to lower)."""
    estimate = engine_budget.estimate(topology)
    budget = dataclasses.replace(limits(), max_wall_s=float(settings.ARCHLAB_RUN_MAX_WALL_S))
    problems = engine_budget.check(estimate, budget, speed=speed or None)
    if problems:
        # Events and CPU seconds are in proportion, and so are windows and their bytes: one
        # sentence per setting to lower is enough (the first, the limit met first).
        return {}, list({p["path"]: p for p in reversed(problems)}.values())[::-1]
    duration = float(topology["settings"]["duration_s"])
    if speed > 0:
        # A paced run lasts its duration / speed on the wall clock; pauses and a busy server
        # add some, up to ARCHLAB_RUN_WALL_SLACK_S. A run as fast as possible is bounded by its
        # CPU seconds, and by the wall-clock limit.
        wall = min(budget.max_wall_s, duration / speed + settings.ARCHLAB_RUN_WALL_SLACK_S)
        budget = dataclasses.replace(budget, max_wall_s=round(wall, 3))
    return {"estimate": estimate.to_dict(), "limits": budget.to_dict()}, []


def frozen_limits(run_budget: dict[str, Any] | None) -> engine_budget.Budget:
    """The limits a run was admitted with (today's defaults for a run queued before budgets)."""
    if run_budget and run_budget.get("limits"):
        return engine_budget.Budget.from_dict(run_budget["limits"])
    return dataclasses.replace(limits(), max_wall_s=float(settings.ARCHLAB_RUN_MAX_WALL_S))
