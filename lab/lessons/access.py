"""Who may read a teacher's own lesson or challenge (lab/lessons/authored.py), and what keeps
one from being deleted. Everyone else is told it does not exist (404), like a class found by
guessing its id.

This app knows an authored lesson's owner and staff. Who else reads it (the teacher and students
of a class that sets it as an assignment) and how many assignments set it is the classroom's
knowledge, and the classroom sits above the lessons: it registers its answers here when Django
starts (lab/classroom/apps.py), so the imports point down and no rule is written twice.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from .models import AuthoredLesson


@dataclass(frozen=True)
class Assignments:
    """What the app that sets lessons as assignments answers about an authored lesson's key."""

    may_read: Callable[[Any, str], bool]  # the user is in a class that sets it (a student once it is open)
    using: Callable[[str], int]           # how many assignments set it


_NONE = Assignments(may_read=lambda user, key: False, using=lambda key: 0)
_assignments = _NONE


def register_assignments(assignments: Assignments) -> None:
    """Called once by the classroom app's ready(); without it no assignment sets any lesson."""
    global _assignments
    _assignments = assignments


def _owner_id(key: str) -> int | None:
    return AuthoredLesson.objects.filter(key=key[:32]).values_list("owner_id", flat=True).first()


def may_preview_authored(user: Any, key: str) -> bool:
    """The lesson page itself (/lessons/<key>/): its owner and staff; students take it through
    their assignment's page."""
    if not getattr(user, "is_authenticated", False):
        return False
    owner = _owner_id(key)
    return owner is not None and (owner == user.pk or bool(user.is_staff))


def may_read_authored(user: Any, key: str) -> bool:
    """Its owner, staff, and the teacher and students of a class that has an assignment of it
    (its students once the assignment is open)."""
    if not getattr(user, "is_authenticated", False):
        return False
    owner = _owner_id(key)
    if owner is None:
        return False
    if owner == user.pk or user.is_staff:
        return True
    return _assignments.may_read(user, key)


def assignments_using(key: str) -> int:
    """How many assignments set the authored lesson: while any does, it cannot be deleted."""
    return _assignments.using(key)
