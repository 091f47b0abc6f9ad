"""Embedded mode: the server process owns a small pool of simulation worker processes.

They are started with `spawn` (a fork of a process running Daphne's event loop and threads is
unsafe) the first time a run is queued, and stopped when the server exits. With
ARCHLAB_EMBEDDED_WORKERS=0 nothing is started and `manage.py runsimworker` processes do the work.
"""
from __future__ import annotations

import atexit
import logging
import multiprocessing
import threading
from typing import Any

from django.conf import settings

log = logging.getLogger(__name__)
_lock = threading.Lock()
_pool: dict[str, Any] = {}


def wake() -> None:
    """A run was queued: start the pool if this process owns one, and wake an idle worker."""
    count = settings.ARCHLAB_EMBEDDED_WORKERS
    if count <= 0:
        return
    with _lock:
        if not _pool:
            _start(count)
        _pool["wake"].set()


def _start(count: int) -> None:
    from .worker import serve_in_child

    ctx = multiprocessing.get_context("spawn")
    stop, wake_event = ctx.Event(), ctx.Event()
    processes = []
    for i in range(count):
        proc = ctx.Process(target=serve_in_child, args=(stop, wake_event), name=f"archlab-sim-{i}", daemon=True)
        proc.start()
        processes.append(proc)
    _pool.update(stop=stop, wake=wake_event, processes=processes)
    atexit.register(shutdown)
    log.info("started %d embedded simulation workers", count)


def shutdown(timeout: float = 5.0) -> None:
    with _lock:
        if not _pool:
            return
        _pool["stop"].set()
        _pool["wake"].set()
        for proc in _pool["processes"]:
            proc.join(timeout)
            if proc.is_alive():
                proc.terminate()
        _pool.clear()
