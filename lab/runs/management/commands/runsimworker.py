from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from lab.runs.worker import serve


class Command(BaseCommand):
    help = "Run a simulation worker: claim queued runs from the database and execute them (scale-out mode)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--once", action="store_true", help="execute at most one run, then exit")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            serve(once=options["once"])
        except KeyboardInterrupt:
            pass
