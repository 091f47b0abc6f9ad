from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

import pytest

from livelab import CHROMIUM, CHROMIUM_ARGS, free_port, start_lab

if TYPE_CHECKING:
    from django.contrib.auth.models import User

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


# Browser tests: one live server and one Chromium per test module.

@pytest.fixture(scope="module")
def live_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`scripts/start.sh`'s server: Daphne on a free loopback port, a fresh SQLite file, two
    embedded workers."""
    port = free_port()
    try:
        server = start_lab(port, tmp_path_factory.mktemp("lab") / "lab.sqlite3")
    except RuntimeError as exc:
        pytest.fail(str(exc))
    yield f"http://127.0.0.1:{port}"
    server.terminate()
    server.wait(10)


@pytest.fixture(scope="module")
def live_lab_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """live_lab, and the path of its database, for tests that set things up with manage.py."""
    port = free_port()
    db = tmp_path_factory.mktemp("lab") / "lab.sqlite3"
    try:
        server = start_lab(port, db)
    except RuntimeError as exc:
        pytest.fail(str(exc))
    yield f"http://127.0.0.1:{port}", db
    server.terminate()
    server.wait(10)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: scripts/setup.sh installs Debian's chromium package")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


PASSWORD = "x-Secret-123"


@pytest.fixture
def alice() -> User:
    """A signed-up user who owns designs in the design and account tests."""
    from django.contrib.auth.models import User

    return User.objects.create_user("alice", email="alice@example.org", password=PASSWORD)


@pytest.fixture
def bob() -> User:
    """Another signed-up user."""
    from django.contrib.auth.models import User

    return User.objects.create_user("bob", email="bob@example.org", password=PASSWORD)
