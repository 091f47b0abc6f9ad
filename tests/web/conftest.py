from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "lab" / "sim" / "examples"


@pytest.fixture(autouse=True)
def no_embedded_workers(settings: Any) -> None:
    # Tests drive the executor themselves (or start a worker process explicitly).
    settings.ARCHLAB_EMBEDDED_WORKERS = 0


def example(name: str) -> dict[str, Any]:
    """An example topology with no warm-up, so tests can run it for a few seconds."""
    doc = json.loads((EXAMPLES / f"{name}.json").read_text())
    doc["settings"]["warmup_s"] = 0
    return doc
