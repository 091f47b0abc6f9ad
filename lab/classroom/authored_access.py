"""Who may read a teacher's own lesson or challenge (lab/lessons/authored.py), which is classroom
knowledge: its owner, staff, and the teacher and students of a class that has an assignment of
it (its students once the assignment is open). Everyone else is told it does not exist (404), like a class found by guessing its id."""
from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.utils import timezone

from lab.lessons.models import AuthoredLesson

from .models import Assignment


def may_read_authored(user: Any, key: str) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    owner = AuthoredLesson.objects.filter(key=key[:32]).values_list("owner_id", flat=True).first()
    if owner is None:
        return False
    if owner == user.pk or user.is_staff:
        return True
    # A student, once the assignment is open: before, its lesson is as hidden as the assignment.
    opened = Q(opens__isnull=True) | Q(opens__lte=timezone.now())
    return Assignment.objects.filter(lesson=key[:64]).filter(
        Q(classroom__teacher=user) | (Q(classroom__memberships__student=user) & opened)).exists()


def may_preview_authored(user: Any, key: str) -> bool:
    """The lesson page itself (/lessons/<key>/): its owner and staff; students take it through
    their assignment's page."""
    if not getattr(user, "is_authenticated", False):
        return False
    owner = AuthoredLesson.objects.filter(key=key[:32]).values_list("owner_id", flat=True).first()
    return owner is not None and (owner == user.pk or bool(user.is_staff))


def assignments_using(key: str) -> int:
    """How many assignments set the authored lesson: while any does, it cannot be deleted."""
    return Assignment.objects.filter(lesson=key[:64]).count()
