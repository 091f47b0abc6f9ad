"""Static files as WhiteNoise serves them: hashed names (so they can be cached for a year),
gzip copies, and ES module imports rewritten to the hashed names too (lab.js imports
./charts.js; without the rewrite a new charts.js would hide behind a cached lab.js)."""
from __future__ import annotations

from pathlib import Path

from django.conf import settings
from whitenoise.middleware import WhiteNoiseMiddleware
from whitenoise.storage import CompressedManifestStaticFilesStorage


class LabStaticFilesStorage(CompressedManifestStaticFilesStorage):
    support_js_module_import_aggregation = True

    def stored_name(self, name: str) -> str:
        # Before `collectstatic` has run (the test suite, a fresh checkout) there is no manifest,
        # or it lacks a file added since: name the plain file rather than fail the page. The
        # servers (scripts/start.sh, tests.livelab.start_lab) always collect first.
        try:
            return super().stored_name(name)
        except ValueError:
            return name


class StaticFilesMiddleware(WhiteNoiseMiddleware):
    """WhiteNoise, without its warning about a missing STATIC_ROOT outside production: the test
    suite runs before any collectstatic, with nothing to serve."""

    def add_files(self, root: str, prefix: str | None = None) -> None:
        if settings.PRODUCTION or Path(root).is_dir():
            super().add_files(root, prefix)
