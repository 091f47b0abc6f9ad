"""Writes for runs. Views, consumers and workers call these; they hold the rules.

Claims and final writes are conditional UPDATEs fenced by attempt and worker, so two workers
never run the same attempt and a worker that lost its lease (a "zombie") cannot overwrite the
retry that replaced it.
"""
from __future__ import annotations

import random
import socket
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from lab.sim import LIMITS, InvalidTopology, load
from lab.sim.control import check_command
from lab.sim.problems import Problem, Refused, problem

from . import budgets, quotas, signals
from .models import ACTIVE, QuotaKey, Run, RunCommand, RunWindow

SPEEDS = (0.0, 1.0, 10.0, 100.0)  # simulated seconds per wall second; 0 = as fast as possible
RUN_OPS = ("pause", "resume", "step", "stop", "speed")
ENGINE_OPS = ("set_param", "inject_fault", "clear_fault")
MAX_ATTEMPTS = 2


# A refused start or command is the engine's one Refused (lab.sim.problems): 400 with problems,
# or 429 over a quota with `retry_after` seconds. The old name stays for callers outside lab.runs
# (lab.classroom.grading) until they import Refused; it is the same class, not a subclass.
RunRefused = Refused


def _check_settings(seed: Any, duration_s: Any, speed: Any) -> None:
    problems = []
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**63):
        problems.append(problem("$.seed", "seed must be a whole number from 0 to 2^63 - 1"))
    if duration_s is not None and (isinstance(duration_s, bool) or not isinstance(duration_s, (int, float))
                                   or not 0 < duration_s <= settings.ARCHLAB_MAX_RUN_S):
        problems.append(problem("$.duration_s", f"duration_s must be more than 0 and at most "
                                                f"{settings.ARCHLAB_MAX_RUN_S} simulated seconds"))
    if isinstance(speed, bool) or speed not in SPEEDS:
        problems.append(problem("$.speed", "speed must be 1, 10, 100 or 0 (as fast as possible)"))
    if problems:
        raise Refused(problems)


def run_create(*, topology: Any, seed: Any = None, duration_s: Any = None, speed: Any = 1.0,
               owner_key: str = "", user: Any = None, revision: Any = None,
               requester: quotas.Requester | None = None, priority: int = 0) -> Run:
    """Validate and freeze a topology, check its budget and the requester's quota, and queue a
    run of it. Raises Refused (status 429 over a quota). Without a `requester` (the server's
    own runs, and tests) no quota is charged."""
    _check_settings(seed, duration_s, speed)
    if isinstance(topology, dict) and isinstance(topology.get("settings", {}), dict):
        overrides = {k: v for k, v in (("seed", seed), ("duration_s", duration_s)) if v is not None}
        topology = {**topology, "settings": {**topology.get("settings", {}), **overrides}}
    try:
        frozen = load(topology)
    except InvalidTopology as exc:
        raise Refused(exc.problems) from None
    duration = float(frozen["settings"]["duration_s"])
    if duration > settings.ARCHLAB_MAX_RUN_S:
        raise Refused([problem("$.settings.duration_s", f"a run in the lab lasts at most "
                                                        f"{settings.ARCHLAB_MAX_RUN_S} simulated seconds")])
    estimate, over_budget = budgets.admit(frozen, speed=float(speed))
    if over_budget:
        raise Refused(over_budget)
    signed_in = getattr(user, "is_authenticated", False)
    if requester is not None:
        principal, network = requester.principal, requester.network
        caps = requester.caps
    else:
        principal = f"user:{user.pk}" if signed_in else (f"visitor:{owner_key}" if owner_key else "")
        network, caps = "", None
    fields = dict(topology=frozen, seed=int(frozen["settings"]["seed"]), duration_s=duration, speed=float(speed),
                  owner_key=owner_key, user=user if signed_in else None, revision=revision, principal=principal,
                  network=network, priority=priority,
                  budget={**estimate, "running_cap": caps.running if caps else None,
                          "network_running_cap": quotas.network_caps().running if network else None})
    if caps is None:
        run = Run.objects.create(**fields)
    else:
        run = _create_within_quota(fields, principal, network, caps)
    transaction.on_commit(lambda: signals.run_queued.send(sender=Run, run=run))
    return run


def _create_within_quota(fields: dict[str, Any], principal: str, network: str, caps: quotas.Caps) -> Run:
    keys = sorted(k for k in (principal, network) if k)
    for key in keys:
        QuotaKey.objects.get_or_create(key=key)
    with transaction.atomic():
        # The lock is held to the end of this transaction: count and insert cannot interleave.
        list(QuotaKey.objects.select_for_update().filter(key__in=keys).order_by("key"))
        active = Run.objects.filter(status__in=ACTIVE)
        mine = active.filter(principal=principal)
        if mine.count() >= caps.active:
            raise Refused([problem("$", f"you already have {_runs(caps.active)} going or waiting (at most "
                                        f"{caps.running} at once); stop one or let it finish, then try again")],
                          status=429, retry_after=_retry_after(mine))
        if network:
            ours = active.filter(network=network)
            net = quotas.network_caps()
            if ours.count() >= net.active:
                raise Refused([problem("$", f"visitors from your network already have {_runs(net.active)} going or "
                                            "waiting; sign in to get your own allowance, or try again shortly")],
                              status=429, retry_after=_retry_after(ours))
        if active.filter(status=Run.Status.QUEUED).count() >= settings.ARCHLAB_MAX_QUEUED:
            raise Refused([problem("$", "the server's queue is full; try again in a minute")],
                          status=429, retry_after=60)
        return Run.objects.create(**fields)


def _runs(n: int) -> str:
    return "1 run" if n == 1 else f"{n} runs"


def _retry_after(runs: Any) -> int:
    """Seconds until one of these runs is likely to end: the soonest paced run's remaining wall
    time, else a short wait (a run as fast as possible usually ends in seconds)."""
    soonest = None
    for status, speed, duration, sim_time in runs.values_list("status", "speed", "duration_s", "sim_time"):
        if status == Run.Status.RUNNING and speed > 0:
            left = (duration - sim_time) / speed
            soonest = left if soonest is None else min(soonest, left)
    return int(min(max(soonest if soonest is not None else 5, 1), 600))


def run_claim_next(*, worker: str) -> Run | None:
    """Claim the next queued run for `worker`, or return None.

    Fair across principals: the highest priority first, then the principal (and, for visitors,
    the network) with the fewest runs running, then the oldest. A run whose principal or network
    already has its running allowance running waits. The conditional UPDATE makes the claim
    atomic on SQLite and PostgreSQL alike (of two workers racing, one updates 0 rows), and the
    quota lock keeps two workers from both starting a principal's last allowed run."""
    candidates = list(Run.objects.filter(status=Run.Status.QUEUED).order_by("-priority", "created")
                      .values_list("id", "principal", "network", "priority", "budget")[:500])
    if not candidates:
        return None
    running: Counter[str] = Counter()
    for principal, network in Run.objects.filter(status=Run.Status.RUNNING).values_list("principal", "network"):
        running[principal] += 1
        if network:
            running[network] += 1

    def blocked(principal: str, network: str, budget: dict[str, Any] | None) -> bool:
        budget = budget or {}
        cap, net_cap = budget.get("running_cap"), budget.get("network_running_cap")
        return bool((principal and cap is not None and running[principal] >= cap)
                    or (network and net_cap is not None and running[network] >= net_cap))

    order = sorted((c for c in candidates if not blocked(c[1], c[2], c[4])),
                   key=lambda c: (-c[3], running[c[1]] if c[1] else 0))  # stable: oldest first within
    for run_id, principal, network, _, budget in order[:5]:
        keys = sorted(k for k in (principal, network) if k)
        with transaction.atomic():
            if keys:
                list(QuotaKey.objects.select_for_update().filter(key__in=keys).order_by("key"))
                # Counted again under the lock: another worker may have started one meanwhile.
                now_running = Run.objects.filter(status=Run.Status.RUNNING)
                if principal:
                    running[principal] = now_running.filter(principal=principal).count()
                if network:
                    running[network] = now_running.filter(network=network).count()
                if blocked(principal, network, budget):
                    continue
            lease = timezone.now() + timedelta(seconds=settings.ARCHLAB_LEASE_S)
            claimed = Run.objects.filter(id=run_id, status=Run.Status.QUEUED).update(
                status=Run.Status.RUNNING, worker=worker, attempt=F("attempt") + 1, lease_until=lease,
                started=timezone.now())
        if claimed:
            return Run.objects.get(id=run_id)
    return None


def _owned(run: Run) -> Any:
    return Run.objects.filter(id=run.id, status=Run.Status.RUNNING, worker=run.worker, attempt=run.attempt)


def run_heartbeat(*, run: Run, sim_time: float) -> bool:
    """Extend the lease; False if the run is no longer this worker's (it must stop)."""
    lease = timezone.now() + timedelta(seconds=settings.ARCHLAB_LEASE_S)
    return bool(_owned(run).update(lease_until=lease, sim_time=sim_time))


def run_heartbeat_many(*, runs: list[Run]) -> set[Any]:
    """Extend the leases of a worker's runs in one statement; returns the ids it still owns
    (a run missing from the answer was reaped or re-claimed: its execution must stop)."""
    if not runs:
        return set()
    lease = timezone.now() + timedelta(seconds=settings.ARCHLAB_LEASE_S)
    worker = runs[0].worker
    attempts = {run.id: run.attempt for run in runs}
    with transaction.atomic():
        owned = {rid for rid, attempt in Run.objects.filter(id__in=list(attempts), status=Run.Status.RUNNING,
                                                             worker=worker).values_list("id", "attempt")
                 if attempts[rid] == attempt}
        Run.objects.filter(id__in=list(owned), worker=worker).update(lease_until=lease)
    return owned


def run_add_windows(*, run: Run, windows: Sequence[Mapping[str, Any]], sim_time: float) -> bool:
    """Store closed windows; False (and nothing stored) if the run is no longer this worker's."""
    with transaction.atomic():
        lease = timezone.now() + timedelta(seconds=settings.ARCHLAB_LEASE_S)
        if not _owned(run).update(lease_until=lease, sim_time=sim_time, windows=F("windows") + len(windows)):
            return False
        RunWindow.objects.bulk_create([RunWindow(run=run, seq=w["index"], data=w) for w in windows])
    return True


def run_finish(*, run: Run, results: Mapping[str, Any], stopped: bool = False, limited: str = "",
               reason: str = "") -> bool:
    """The run's final write: done, stopped (with who or why in `reason`), or limited by its
    budget (`limited` says which). Fenced: a worker that lost the run writes nothing."""
    status = Run.Status.LIMITED if limited else (Run.Status.STOPPED if stopped else Run.Status.DONE)
    return bool(_owned(run).update(status=status, results=results, finished=timezone.now(), lease_until=None,
                                   reason=(limited or reason)[:300]))


def run_fail(*, run: Run, error: str) -> bool:
    return bool(_owned(run).update(status=Run.Status.FAILED, error=error[:2000], finished=timezone.now(),
                                   lease_until=None))


def _requeue_or_fail(run_id: Any, attempt: int, why: str) -> int:
    """A run whose worker is gone: retried once from the start (same seed, so the same result),
    then failed. Fenced by attempt, so a run that moved on is left alone."""
    with transaction.atomic():
        still = Run.objects.filter(id=run_id, attempt=attempt, status=Run.Status.RUNNING)
        if attempt < MAX_ATTEMPTS:
            changed = still.update(status=Run.Status.QUEUED, worker="", lease_until=None, windows=0, sim_time=0.0)
            if changed:
                RunWindow.objects.filter(run_id=run_id).delete()
                RunCommand.objects.filter(run_id=run_id).update(applied=False)
        else:
            changed = still.update(status=Run.Status.FAILED, error=f"the simulation worker was lost twice ({why})",
                                   finished=timezone.now(), lease_until=None)
    return changed


def run_reap_expired() -> int:
    """Runs whose worker stopped renewing its lease, or whose worker process on this machine is
    gone (no need to wait for the lease: after a restart or a crash they go back to the queue at
    once). Safe to call from any process, as often as wanted."""
    now = timezone.now()
    reaped = 0
    for run_id, attempt, worker, lease in Run.objects.filter(status=Run.Status.RUNNING).values_list(
            "id", "attempt", "worker", "lease_until"):
        if lease is not None and lease < now:
            reaped += _requeue_or_fail(run_id, attempt, "its lease expired")
        elif worker_is_gone(worker):
            reaped += _requeue_or_fail(run_id, attempt, "its process ended")
    return reaped


def run_requeue_of_worker(*, worker: str) -> int:
    """A worker known to be dead (the embedded pool saw its process end): its runs at once."""
    return sum(_requeue_or_fail(run_id, attempt, "its process ended") for run_id, attempt in
               Run.objects.filter(status=Run.Status.RUNNING, worker=worker).values_list("id", "attempt"))


def run_hand_back(*, worker: str) -> int:
    """A worker shutting down cleanly (SIGTERM, its server gone) gives its runs back to the queue
    to start again elsewhere. Not a loss: the attempt it used is given back too, so a run handed
    back (perhaps more than once, by workers of a server that is going away) still has its retry."""
    handed = 0
    for run_id in Run.objects.filter(status=Run.Status.RUNNING, worker=worker).values_list("id", flat=True):
        with transaction.atomic():
            changed = Run.objects.filter(id=run_id, status=Run.Status.RUNNING, worker=worker).update(
                status=Run.Status.QUEUED, worker="", lease_until=None, windows=0, sim_time=0.0,
                attempt=F("attempt") - 1)
            if changed:
                RunWindow.objects.filter(run_id=run_id).delete()
                RunCommand.objects.filter(run_id=run_id).update(applied=False)
        handed += changed
    return handed


def worker_is_gone(worker: str) -> bool:
    """True if `worker` ("host:pid") names a process on this machine that no longer runs."""
    host, _, pid = worker.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        with open(f"/proc/{pid}/stat") as fh:
            state = fh.read().rpartition(")")[2].split()[0]
        return state in ("Z", "X")  # a zombie has ended; only its exit status is left
    except OSError:
        return True


def run_command_add(*, run: Run, command: Any) -> RunCommand:
    """Queue a control command for a run. Checks its shape here; the engine checks its meaning
    when the worker applies it (and records any problem on the command)."""
    if not isinstance(command, dict):
        raise Refused([problem("$.command", "a command must be an object with an \"op\"")])
    op = command.get("op")
    if op not in RUN_OPS + ENGINE_OPS:
        raise Refused([problem("$.command.op", f"unknown command {str(op)[:40]!r}; known: "
                                               f"{', '.join(RUN_OPS + ENGINE_OPS)}")])
    if op == "speed" and (isinstance(command.get("value"), bool) or command.get("value") not in SPEEDS):
        raise Refused([problem("$.command.value", "speed must be 1, 10, 100 or 0 (as fast as possible)")])
    if op in ENGINE_OPS and _grades_a_lesson(run):
        raise Refused([problem("$.command.op", "this run grades a lesson attempt: its design and faults are the "
                                               "step's; change your design and submit again")])
    if run.is_over:
        raise Refused([problem("$.run", f"the run is {run.status}; start a new run to change it")])
    # The engine's own check, so the user hears of a mistake at once and in its words. (The worker
    # checks again when it applies the command: which faults are active is only known there.)
    problems = check_command(run.topology, command, path="$.command") if op in ENGINE_OPS else []
    if problems:
        raise Refused(problems)
    if len(str(command)) > 20_000:
        raise Refused([problem("$.command", "the command is too large")])
    return RunCommand.objects.create(run=run, command=command)


def _grades_a_lesson(run: Run) -> bool:
    """A graded run's design and faults are what its grade says was measured, so they stay the
    step's: pausing, the speed and stopping (the attempt then cannot pass) are the learner's.
    (lab.lessons links its runs to attempts; the reverse relation is all this needs of it.)"""
    return run.lesson_attempt_runs.exists()


def run_commands_take(*, run: Run, after_id: int) -> list[RunCommand]:
    return list(RunCommand.objects.filter(run=run, id__gt=after_id).order_by("id"))


def run_command_record(*, command: RunCommand, problems: list[Problem]) -> None:
    RunCommand.objects.filter(id=command.id).update(applied=True, problems=problems)


def run_mark_watched(*, run_ids: Sequence[str | UUID]) -> int:
    """Someone is watching these runs (the publisher calls this every few seconds for the runs
    its viewers follow): a paced run nobody watches is stopped after ARCHLAB_IDLE_STOP_S."""
    if not run_ids:
        return 0
    return Run.objects.filter(id__in=run_ids, status__in=(Run.Status.QUEUED, Run.Status.RUNNING)).update(
        watched_at=timezone.now())


def queued_exist() -> bool:
    return Run.objects.filter(status=Run.Status.QUEUED).exists()


def random_seed() -> int:
    return random.SystemRandom().randrange(0, 2**31)


__all__ = ["LIMITS", "Refused", "RunRefused", "run_create", "run_claim_next", "run_heartbeat", "run_add_windows",
           "run_finish", "run_fail", "run_reap_expired", "run_command_add"]
