"""Roles a user has across the site. A teacher is a member of the "teachers" group (granted in
the admin, or with python manage.py grant_teacher <username>; the group is made by a classroom
migration). The role lives here, below the apps that ask it: lessons (who may author a lesson or
challenge), classroom and live sessions."""
from __future__ import annotations

from typing import Any

TEACHERS = "teachers"


def is_teacher(user: Any) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_superuser) or user.groups.filter(name=TEACHERS).exists()
