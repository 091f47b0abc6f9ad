"""The REST API v1 tests' setting (runs stay queued) and their helpers. The personas (alice, bob,
carol, a visitor) are tests/conftest.py's fixtures; the designs they own and the requests they
make are tests/personas.py's, named here for the tests that import them from this folder."""
from __future__ import annotations

from typing import Any

import pytest

from personas import EXAMPLES, bearer, call, design_of, example, make_user, paths, signed_in

__all__ = ["EXAMPLES", "bearer", "call", "design_of", "example", "make_user", "paths", "signed_in"]


@pytest.fixture(autouse=True)
def no_embedded_workers(settings: Any) -> None:
    # Runs stay queued; a test that needs results runs the executor itself.
    settings.ARCHLAB_EMBEDDED_WORKERS = 0
