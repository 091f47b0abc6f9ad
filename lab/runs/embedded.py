"""Embedded mode: the server process owns a small pool of simulation worker processes, and keeps
it whole.

The pool starts when the server boots (`boot`, called by the embedded server's entry point
lab/asgi_static.py), so runs left queued by a restart start without anyone posting a new one;
`wake` also starts it lazily in any other server (runserver). Workers are started with `spawn`
(a fork of a process running Daphne's event loop and threads is unsafe).

A supervisor thread checks the pool every SUPERVISE_S: a worker that died is replaced, and its
runs go back to the queue at once (they do not wait for their lease to expire); lost runs are
reaped on a timer whatever the workers are doing. Each worker watches its parent and exits when
the server is gone, so a SIGKILLed server leaves no orphan running old code.
With ARCHLAB_EMBEDDED_WORKERS=0 nothing is started and `manage.py runsimworker` processes do
the work (scale-out mode).
"""
from __future__ import annotations

import atexit
import logging
import multiprocessing
import os
import socket
import threading
from typing import Any

from django.conf import settings

log = logging.getLogger(__name__)
SUPERVISE_S = 0.5
_lock = threading.Lock()
_pool: dict[str, Any] = {}


def boot() -> None:
    """Start the pool now (the embedded server calls this at start)."""
    if settings.ARCHLAB_EMBEDDED_WORKERS > 0:
        with _lock:
            if not _pool:
                _start(settings.ARCHLAB_EMBEDDED_WORKERS)


def wake() -> None:
    """A run was queued: start the pool if this process owns one, and wake the workers."""
    count = settings.ARCHLAB_EMBEDDED_WORKERS
    if count <= 0:
        return
    with _lock:
        if not _pool:
            _start(count)
        _ring()


def on_run_queued(**_: Any) -> None:
    wake()


def _ring() -> None:
    """Wake every worker: one byte down each doorbell pipe, never blocking (a full pipe already
    says "wake up"). Called with _lock held."""
    for bell in _pool.get("bells", []):
        try:
            os.write(bell.fileno(), b"!")
        except (BlockingIOError, OSError):
            pass


def _spawn(index: int) -> tuple[Any, Any]:
    from .worker import serve_in_child

    ctx = _pool["ctx"]
    reader, writer = ctx.Pipe(duplex=False)
    os.set_blocking(writer.fileno(), False)
    proc = ctx.Process(target=serve_in_child, args=(reader, os.getpid()), name=f"archlab-sim-{index}", daemon=True)
    proc.start()
    reader.close()  # the child has its own copy; the server keeps only the writing end
    return proc, writer


def _start(count: int) -> None:
    ctx = multiprocessing.get_context("spawn")
    _pool.update(ctx=ctx, processes=[], bells=[], halt=threading.Event())
    for i in range(count):
        proc, bell = _spawn(i)
        _pool["processes"].append(proc)
        _pool["bells"].append(bell)
    supervisor = threading.Thread(target=_supervise, args=(_pool["halt"],), name="archlab-sim-supervisor",
                                  daemon=True)
    _pool["supervisor"] = supervisor
    supervisor.start()
    atexit.register(shutdown)
    log.info("started %d embedded simulation workers", count)


def _supervise(halt: threading.Event) -> None:
    from django.db import close_old_connections

    from . import services

    host = socket.gethostname()
    ticks = 0
    while not halt.wait(SUPERVISE_S):
        try:
            with _lock:
                processes = _pool.get("processes", [])
                for i, proc in enumerate(processes):
                    if halt.is_set() or proc.is_alive():
                        continue
                    log.warning("simulation worker %s (pid %s) ended with %s; replacing it", proc.name, proc.pid,
                                proc.exitcode)
                    services.run_requeue_of_worker(worker=f"{host}:{proc.pid}")
                    proc.join(0)
                    _pool["bells"][i].close()
                    processes[i], _pool["bells"][i] = _spawn(i)
                    _ring()
                    _pool["replaced"] = _pool.get("replaced", 0) + 1
            ticks += 1
            if ticks % 4 == 0:  # every ~2 s: expired leases, and runs of processes gone since a restart
                services.run_reap_expired()
                if services.queued_exist():
                    with _lock:
                        _ring()
        except Exception:  # noqa: BLE001 - the supervisor must outlive a database hiccup
            log.exception("the simulation pool supervisor hit an error; going on")
        finally:
            close_old_connections()


def pids() -> list[int]:
    """The pool's worker pids (for tests and the operations page)."""
    with _lock:
        return [p.pid for p in _pool.get("processes", []) if p.is_alive()]


def shutdown(timeout: float = 5.0) -> None:
    with _lock:
        if not _pool:
            return
        _pool["halt"].set()
        for bell in _pool["bells"]:
            bell.close()  # end of file: the worker stops
        for proc in _pool["processes"]:
            proc.join(timeout)
            if proc.is_alive():
                proc.terminate()
        _pool.clear()
