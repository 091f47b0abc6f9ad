"""mypy over lab/ (its settings are [tool.mypy] in pyproject.toml, with Django's and DRF's stubs),
run by the test suite so CI checks types without a step of its own (docs/decisions.md)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_mypy_finds_no_type_error_in_lab() -> None:
    # The cache (.mypy_cache, git-ignored) makes a second run a few seconds; a fresh clone
    # builds it in the first.
    out = subprocess.run([sys.executable, "-m", "mypy", "--no-color-output", "--no-error-summary"],
                         cwd=REPO, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, f"mypy found type errors:\n{out.stdout}{out.stderr}"
