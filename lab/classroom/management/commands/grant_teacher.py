"""python manage.py grant_teacher <username> [--revoke]: make a user a teacher, or no longer one."""
from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from lab.classroom import services


class Command(BaseCommand):
    help = "Make a user a teacher (the 'teachers' group), or with --revoke no longer one."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--revoke", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        user = get_user_model().objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"no user {options['username']!r}")
        services.grant_teacher(user=user, revoke=options["revoke"])
        what = "is no longer a teacher" if options["revoke"] else "is a teacher"
        self.stdout.write(f"{user.username} {what}")
