import multiprocessing

# Processes started from tests (embedded workers, Daphne) must be spawned, not forked: a fork of
# a process that has run asyncio and asgiref threads is unsafe (see STACK-NOTES, pitfall 6).
multiprocessing.set_start_method("spawn", force=True)


def pytest_collection_modifyitems(config, items):
    # Playwright's sync API keeps an event loop running in the main thread until the session
    # ends, which breaks pytest-asyncio tests that come after it: browser tests go last.
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)
