"""The simulation worker loop: reap lost runs, claim the next queued one, execute it, repeat.
It runs in `manage.py runsimworker` processes (scale-out) or in processes the server starts
(embedded, see embedded.py). It polls, so a lost wake-up hint only delays a run."""
from __future__ import annotations

import logging
import os
import socket
import time
from typing import Any

log = logging.getLogger(__name__)
IDLE_POLL_S = 0.2


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def serve(*, stop: Any = None, wake: Any = None, once: bool = False) -> None:
    """Loop until `stop` (a multiprocessing Event) is set. `wake` (an Event) cuts the idle wait
    short when a run is queued."""
    from . import executor, services

    name = worker_name()
    log.info("simulation worker %s ready", name)
    while stop is None or not stop.is_set():
        services.run_reap_expired()
        run = services.run_claim_next(worker=name)
        if run is not None:
            log.info("worker %s runs %s (attempt %s)", name, run.id, run.attempt)
            executor.execute(run)
            if once:
                return
            continue
        if once:
            return
        if wake is not None:
            if wake.wait(IDLE_POLL_S):
                wake.clear()
        else:
            time.sleep(IDLE_POLL_S)


def serve_in_child(stop: Any, wake: Any) -> None:
    """Entry point of a spawned embedded worker: a fresh interpreter that sets Django up itself."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lab.settings")
    import django

    django.setup()
    try:
        serve(stop=stop, wake=wake)
    except KeyboardInterrupt:
        pass
