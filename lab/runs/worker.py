"""The simulation worker loop: claim queued runs while there is room, step every run it holds
(host.py), reap lost runs, repeat. It runs in `manage.py runsimworker` processes (scale-out)
or in processes the server starts (embedded, see embedded.py). It polls, so a lost wake-up hint
only delays a run by CLAIM_POLL_S."""
from __future__ import annotations

import logging
import os
import select
import signal
import socket
import time
from typing import Any

from django.conf import settings

log = logging.getLogger(__name__)
CLAIM_POLL_S = 0.2
REAP_S = 2.0
MEMORY_CHECK_S = 1.0


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def rss_bytes() -> int:
    """This process's resident memory (Linux /proc; 0 where it cannot be read)."""
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


class Doorbell:
    """The read end of a pipe from the server: a byte means "a run was queued", end of file means
    "stop" (the server closed it, or died: the kernel closes a dead process's pipes). A pipe,
    not a multiprocessing Event: an Event is a lock shared by every worker, and a worker
    SIGKILLed while holding it would leave every other worker stuck on it for good."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection  # kept so the descriptor stays open
        self.fd = connection.fileno()
        self.closed = False

    def wait(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return False
        if not os.read(self.fd, 4096):
            self.closed = True
        return True


def housekeep(name: str) -> None:
    """What other apps do every REAP_S in every worker (lab.studies: study runs to queue, studies
    to finish); one that raises is logged, and the worker goes on."""
    from .signals import housekeeping

    for receiver, result in housekeeping.send_robust(sender=None, worker=name):
        if isinstance(result, Exception):
            log.error("housekeeping by %s failed", receiver, exc_info=result)


def serve(*, bell: Doorbell | None = None, once: bool = False, parent: int | None = None) -> None:
    """Loop until the doorbell's pipe closes, SIGTERM arrives, or the process that started this
    one (`parent`) is gone: an embedded worker never outlives its server. A ring of the `bell`
    cuts the wait short when a run is queued. `once`: execute the runs of one claim, then return
    (tests and debugging)."""
    from . import services, signals
    from .host import Host

    # A worker queues runs too (a study's next runs, lab.studies): they must not start an
    # embedded pool inside it. Its peers find them by polling.
    signals.run_queued.disconnect(dispatch_uid="archlab-embedded-wake")
    name = worker_name()
    host = Host(worker=name)
    capacity = settings.ARCHLAB_RUNS_PER_WORKER
    terminating = []
    signal.signal(signal.SIGTERM, lambda *_: terminating.append(True))
    log.info("simulation worker %s ready (up to %d runs at once)", name, capacity)
    next_claim = next_reap = next_memory = 0.0
    claimed_any = False
    while not terminating and not (bell is not None and bell.closed):
        if parent is not None and os.getppid() != parent:
            log.warning("worker %s: the server that started it is gone; exiting", name)
            break
        now = time.monotonic()
        if now >= next_reap:
            services.run_reap_expired()
            housekeep(name)
            next_reap = now + REAP_S
        if now >= next_memory:
            host.memory_guard(rss_bytes(), settings.ARCHLAB_WORKER_MEMORY_MB * 2**20)
            next_memory = now + MEMORY_CHECK_S
        # (Checked again right before claiming: a worker whose server just died claims nothing.)
        orphaned = parent is not None and os.getppid() != parent
        if not orphaned and now >= next_claim and len(host.executions) < capacity and not (once and claimed_any):
            run = services.run_claim_next(worker=name)
            fast, paced = host.load
            if run is not None:
                log.info("worker %s runs %s (attempt %s)", name, run.id, run.attempt)
                host.adopt(run)
                claimed_any = True
                # More may be waiting. Runs as fast as possible each want a core: after one, a
                # worker waits a poll per such run it holds, so an idle worker takes the next;
                # paced runs are cheap, and a class's burst of them is claimed at once.
                fast, paced = host.load
                next_claim = now + (CLAIM_POLL_S * fast if run.speed == 0 else 0.02) + 0.002 * paced
                continue
            # A busy worker looks later than an idle one, so new runs go to the idle worker.
            next_claim = now + CLAIM_POLL_S * (1 + fast) + 0.004 * paced
        if once and claimed_any and not host.executions:
            return
        if once and not claimed_any and not host.executions:
            return
        pause = min(host.tick(), max(0.0, next_claim - time.monotonic()), REAP_S)
        if pause > 0:
            if bell is not None:
                if bell.wait(pause):
                    # Rung: a run was queued. An idle worker claims at once, a busy one a little
                    # later, so runs spread over the pool.
                    fast, paced = host.load
                    next_claim = min(next_claim, time.monotonic() + 0.1 * fast + 0.004 * paced)
            else:
                time.sleep(pause)
    host.release()


def serve_in_child(bell: Any, parent: int) -> None:
    """Entry point of a spawned embedded worker: a fresh interpreter that sets Django up itself."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lab.settings")
    import django

    django.setup()
    try:
        serve(bell=Doorbell(bell), parent=parent)
    except KeyboardInterrupt:
        pass
