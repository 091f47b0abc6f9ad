import multiprocessing
import os
import tempfile

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client

from personas import make_user, signed_in

# Pages rendered in the test process name the plain static files, whether or not someone ran
# collectstatic into staticfiles/ (scripts/start.sh does); live servers collect their own
# (tests.livelab.start_lab).
settings.STATIC_ROOT = os.path.join(tempfile.gettempdir(), "archlab-tests-collect-nothing-here")

# Processes started from tests (embedded workers, Daphne) must be spawned, not forked: a fork of
# a process that has run asyncio and asgiref threads is unsafe (see STACK-NOTES, pitfall 6).
multiprocessing.set_start_method("spawn", force=True)


def pytest_collection_modifyitems(config, items):
    # Playwright's sync API keeps an event loop running in the main thread until the session
    # ends, which breaks pytest-asyncio tests that come after it: browser tests go last.
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


# The personas of tests/personas.py, for every folder that does not bring its own: alice owns
# designs, bob is another user, carol a third, `visitor` is anonymous.

@pytest.fixture
def alice(db: None) -> User:
    return make_user("alice")


@pytest.fixture
def bob(db: None) -> User:
    return make_user("bob")


@pytest.fixture
def carol(db: None) -> User:
    return make_user("carol")


@pytest.fixture
def as_alice(alice: User) -> Client:
    return signed_in(alice)


@pytest.fixture
def as_bob(bob: User) -> Client:
    return signed_in(bob)


@pytest.fixture
def visitor(db: None) -> Client:
    return Client()
