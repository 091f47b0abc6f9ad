"""Reads for runs."""
from __future__ import annotations

import uuid
from typing import Any

from django.db.models import QuerySet

from .models import Run, RunAudience, RunWindow


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


def run_window_rows(*, run: Run) -> QuerySet[RunWindow]:
    """A run's windows as a query, for pages of them (a long run has thousands)."""
    return RunWindow.objects.filter(run=run).order_by("seq")


def run_windows(*, run: Run, after_seq: int = -1, attempt: int | None = None) -> list[tuple[int, dict[str, Any]]]:
    rows = RunWindow.objects.filter(run=run, seq__gt=after_seq).order_by("seq").values_list("seq", "data")
    return list(rows)
