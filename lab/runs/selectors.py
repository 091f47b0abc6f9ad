"""Reads for runs."""
from __future__ import annotations

import uuid
from typing import Any

from django.db.models import QuerySet

from lab.designs import selectors as designs
from lab.sim.problems import Refused

from .models import Run, RunAudience, RunWindow

CONTROL_REFUSED = "only whoever started this run can control it; start your own run to experiment"


def run_get(*, run_id: Any) -> Run | None:
    try:
        return Run.objects.get(id=uuid.UUID(str(run_id)))
    except (ValueError, Run.DoesNotExist):
        return None


def run_can_view(*, run: Run, user: Any, session_key: str | None) -> bool:
    """Who may watch a run and read its results: the user who started it, the browser session
    that started it, the owner of the design it ran, and its audience (the students of the live
    session it is shown to). Everyone else is told it does not exist (a run of a private design
    shows that design)."""
    if bool(session_key) and run.owner_key == session_key:
        return True
    if getattr(user, "is_authenticated", False):
        if run.user_id == user.pk:
            return True
        revision = run.revision
        if revision is not None and revision.design.owner_id == user.pk:
            return True
        return RunAudience.objects.filter(run=run, user=user).exists()
    return False


def run_can_control(*, run: Run, user: Any, session_key: str | None) -> bool:
    """Who may pause, change or stop a run: the signed-in user who started it, from any session
    or with any of their API tokens; for a visitor's run, the browser session that started it."""
    if run.user_id is not None:
        return bool(getattr(user, "is_authenticated", False)) and run.user_id == user.pk
    return bool(session_key) and bool(run.owner_key) and run.owner_key == session_key


def run_get_visible(*, run_id: Any, user: Any, session_key: str | None) -> Run | None:
    """The run if this viewer may see it (run_can_view). None reads as "no such run" wherever it
    is asked (the API's 404, the websocket's close code 4404): a run you may not see is not there."""
    run = run_get(run_id=run_id)
    if run is None or not run_can_view(run=run, user=user, session_key=session_key):
        return None
    return run


def run_check_control(*, run: Run, user: Any, session_key: str | None) -> None:
    """Refuse (403) a command from anyone who may see the run but not control it
    (run_can_control); the API and the websocket answer with the same words."""
    if not run_can_control(run=run, user=user, session_key=session_key):
        raise Refused(CONTROL_REFUSED, status=403)


def run_revision_of(*, user: Any, design_id: Any, number: Any, token: str | None, topology: Any) -> Any:
    """The design revision a run of `topology` ran, when the lab says it is running revision
    `number` of design `design_id` and this user (or the share link `token`) may see that design;
    else None. Only a run of exactly that revision is linked to it, so its results stay
    reproducible: the run may set its own duration and seed, nothing else."""
    design = designs.design_get(user=user, design_id=design_id, token=token) if design_id else None
    revision = designs.revision_get(design=design, number=number) if design else None
    if revision is None or not isinstance(topology, dict):
        return None

    def model(doc: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in doc.items() if k != "settings"}

    return revision if model(revision.topology) == model(topology) else None


def run_window_rows(*, run: Run) -> QuerySet[RunWindow]:
    """A run's windows as a query, for pages of them (a long run has thousands)."""
    return RunWindow.objects.filter(run=run).order_by("seq")


def run_windows(*, run: Run, after_seq: int = -1, attempt: int | None = None) -> list[tuple[int, dict[str, Any]]]:
    rows = RunWindow.objects.filter(run=run, seq__gt=after_seq).order_by("seq").values_list("seq", "data")
    return list(rows)
