"""The classroom's half of who may read a teacher's own lesson or challenge (the rule is
lab/lessons/access.py, re-exported here): the teacher and students of a class that has an
assignment of it (its students once the assignment is open), and how many assignments set it.
lab/classroom/apps.py registers both with the lessons app."""
from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.utils import timezone

from lab.lessons.access import assignments_using as assignments_using
from lab.lessons.access import may_preview_authored as may_preview_authored
from lab.lessons.access import may_read_authored as may_read_authored

from .models import Assignment


def in_a_class_setting(user: Any, key: str) -> bool:
    """The user teaches a class with an assignment of the lesson, or is a student of one whose
    assignment is open: before, its lesson is as hidden as the assignment."""
    opened = Q(opens__isnull=True) | Q(opens__lte=timezone.now())
    return Assignment.objects.filter(lesson=key[:64]).filter(
        Q(classroom__teacher=user) | (Q(classroom__memberships__student=user) & opened)).exists()


def assignments_setting(key: str) -> int:
    return Assignment.objects.filter(lesson=key[:64]).count()
