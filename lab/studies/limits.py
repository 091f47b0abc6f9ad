"""What a study may use on a shared server, from the settings (docs/operations.md, "Studies")."""
from __future__ import annotations

import dataclasses

from django.conf import settings

from lab.runs import budgets, quotas
from lab.sim.budget import Budget
from lab.sim.evidence import EvidenceBudget


def evidence_budget() -> EvidenceBudget:
    """The most one study may plan over all its runs."""
    return EvidenceBudget(max_runs=settings.ARCHLAB_STUDY_MAX_RUNS,
                          max_total_events=float(settings.ARCHLAB_STUDY_MAX_EVENTS),
                          max_total_cpu_s=float(settings.ARCHLAB_STUDY_MAX_CPU_S))


def run_budget() -> Budget:
    """Each run's budget: a run's as fast as possible on this server (lab.runs.budgets)."""
    return dataclasses.replace(budgets.limits(), max_wall_s=float(settings.ARCHLAB_RUN_MAX_WALL_S))


def studies_allowed(role: str) -> int:
    return settings.ARCHLAB_STAFF_STUDIES if role == "staff" else settings.ARCHLAB_USER_STUDIES


def running_cap(role: str) -> int:
    """A study's run starts only while its owner has fewer runs than this running: their running
    allowance less one, so a study never holds the slot their next live run needs."""
    return max(1, quotas.caps_for(role).running - 1)


def at_once(role: str) -> int:
    """A study's runs queued or running at once: few, so a long study never fills the queue or
    its owner's allowance of waiting runs."""
    return max(1, min(settings.ARCHLAB_STUDY_RUNS_AT_ONCE, running_cap(role)))


def max_document_bytes() -> int:
    return settings.ARCHLAB_STUDY_MAX_DOCUMENT_KB * 1024
