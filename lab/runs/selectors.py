"""Reads for runs."""
from __future__ import annotations

import uuid
from typing import Any

from .models import Run, RunWindow


def run_get(*, run_id: Any) -> Run | None:
    try:
        return Run.objects.get(id=uuid.UUID(str(run_id)))
    except (ValueError, Run.DoesNotExist):
        return None


def run_windows(*, run: Run, after_seq: int = -1, attempt: int | None = None) -> list[tuple[int, dict[str, Any]]]:
    rows = RunWindow.objects.filter(run=run, seq__gt=after_seq).order_by("seq").values_list("seq", "data")
    return list(rows)
