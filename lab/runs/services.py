"""Writes for runs. Views, consumers and workers call these; they hold the rules.

Claims and final writes are conditional UPDATEs fenced by attempt and worker, so two workers
never run the same attempt and a worker that lost its lease (a "zombie") cannot overwrite the
retry that replaced it.
"""
from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from lab.sim import LIMITS, REGISTRY, InvalidTopology, load
from lab.sim.validation import _Checker, validate_fault

from .models import Run, RunCommand, RunWindow

SPEEDS = (0.0, 1.0, 10.0, 100.0)  # simulated seconds per wall second; 0 = as fast as possible
RUN_OPS = ("pause", "resume", "stop", "speed")
ENGINE_OPS = ("set_param", "inject_fault", "clear_fault")
MAX_ATTEMPTS = 2


class RunRefused(ValueError):
    """The request to start or control a run cannot be honoured; `problems` say why."""

    def __init__(self, problems: list[dict[str, str]]) -> None:
        self.problems = problems
        super().__init__(problems[0]["message"] if problems else "refused")


def _problem(path: str, message: str) -> dict[str, str]:
    return {"path": path, "message": message, "severity": "error"}


def run_create(*, topology: Any, seed: Any = None, duration_s: Any = None, speed: Any = 1.0,
               owner_key: str = "", user: Any = None, revision: Any = None) -> Run:
    """Validate and freeze a topology and queue a run of it. Raises RunRefused."""
    problems = []
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**63):
        problems.append(_problem("$.seed", "seed must be a whole number from 0 to 2^63 - 1"))
    if duration_s is not None and (isinstance(duration_s, bool) or not isinstance(duration_s, (int, float))
                                   or not 0 < duration_s <= settings.ARCHLAB_MAX_RUN_S):
        problems.append(_problem("$.duration_s", f"duration_s must be more than 0 and at most "
                                                 f"{settings.ARCHLAB_MAX_RUN_S} simulated seconds"))
    if isinstance(speed, bool) or speed not in SPEEDS:
        problems.append(_problem("$.speed", "speed must be 1, 10, 100 or 0 (as fast as possible)"))
    if problems:
        raise RunRefused(problems)
    if isinstance(topology, dict) and isinstance(topology.get("settings", {}), dict):
        overrides = {k: v for k, v in (("seed", seed), ("duration_s", duration_s)) if v is not None}
        topology = {**topology, "settings": {**topology.get("settings", {}), **overrides}}
    try:
        frozen = load(topology)
    except InvalidTopology as exc:
        raise RunRefused(exc.problems) from None
    if owner_key and Run.objects.filter(owner_key=owner_key, status__in=(Run.Status.QUEUED, Run.Status.RUNNING)).count() \
            >= settings.ARCHLAB_MAX_ACTIVE_RUNS:
        raise RunRefused([_problem("$", f"you already have {settings.ARCHLAB_MAX_ACTIVE_RUNS} runs going; "
                                        "stop one or let it finish first")])
    duration = float(frozen["settings"]["duration_s"])
    if duration > settings.ARCHLAB_MAX_RUN_S:
        raise RunRefused([_problem("$.settings.duration_s", f"a run in the lab lasts at most "
                                                            f"{settings.ARCHLAB_MAX_RUN_S} simulated seconds")])
    run = Run.objects.create(topology=frozen, seed=int(frozen["settings"]["seed"]), duration_s=duration,
                             speed=float(speed), owner_key=owner_key,
                             user=user if getattr(user, "is_authenticated", False) else None, revision=revision)
    transaction.on_commit(_wake_workers)
    return run


def _wake_workers() -> None:
    from . import embedded

    embedded.wake()


def run_claim_next(*, worker: str) -> Run | None:
    """Claim the oldest queued run for `worker`, or return None. The conditional UPDATE makes the
    claim atomic on SQLite and PostgreSQL alike: of two workers racing, one updates 0 rows."""
    lease = timezone.now() + timedelta(seconds=settings.ARCHLAB_LEASE_S)
    for run_id in Run.objects.filter(status=Run.Status.QUEUED).order_by("created").values_list("id", flat=True)[:5]:
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


def run_add_windows(*, run: Run, windows: list[dict[str, Any]], sim_time: float) -> bool:
    """Store closed windows; False (and nothing stored) if the run is no longer this worker's."""
    with transaction.atomic():
        lease = timezone.now() + timedelta(seconds=settings.ARCHLAB_LEASE_S)
        if not _owned(run).update(lease_until=lease, sim_time=sim_time, windows=F("windows") + len(windows)):
            return False
        RunWindow.objects.bulk_create([RunWindow(run=run, seq=w["index"], data=w) for w in windows])
    return True


def run_finish(*, run: Run, results: dict[str, Any], stopped: bool) -> bool:
    status = Run.Status.STOPPED if stopped else Run.Status.DONE
    return bool(_owned(run).update(status=status, results=results, finished=timezone.now(), lease_until=None))


def run_fail(*, run: Run, error: str) -> bool:
    return bool(_owned(run).update(status=Run.Status.FAILED, error=error[:2000], finished=timezone.now(),
                                   lease_until=None))


def run_reap_expired() -> int:
    """Runs whose worker stopped renewing its lease: retried once from the start, then failed."""
    now = timezone.now()
    reaped = 0
    for run in Run.objects.filter(status=Run.Status.RUNNING, lease_until__lt=now):
        with transaction.atomic():
            if run.attempt < MAX_ATTEMPTS:
                changed = Run.objects.filter(id=run.id, attempt=run.attempt, status=Run.Status.RUNNING).update(
                    status=Run.Status.QUEUED, worker="", lease_until=None, windows=0, sim_time=0.0)
                if changed:
                    RunWindow.objects.filter(run=run).delete()
                    RunCommand.objects.filter(run=run).update(applied=False)
            else:
                changed = Run.objects.filter(id=run.id, attempt=run.attempt, status=Run.Status.RUNNING).update(
                    status=Run.Status.FAILED, error="the simulation worker was lost twice", finished=now,
                    lease_until=None)
            reaped += changed
    return reaped


def run_command_add(*, run: Run, command: Any) -> RunCommand:
    """Queue a control command for a run. Checks its shape here; the engine checks its meaning
    when the worker applies it (and records any problem on the command)."""
    if not isinstance(command, dict):
        raise RunRefused([_problem("$.command", "a command must be an object with an \"op\"")])
    op = command.get("op")
    if op not in RUN_OPS + ENGINE_OPS:
        raise RunRefused([_problem("$.command.op", f"unknown command {str(op)[:40]!r}; known: "
                                                   f"{', '.join(RUN_OPS + ENGINE_OPS)}")])
    if op == "speed" and (isinstance(command.get("value"), bool) or command.get("value") not in SPEEDS):
        raise RunRefused([_problem("$.command.value", "speed must be 1, 10, 100 or 0 (as fast as possible)")])
    if run.is_over:
        raise RunRefused([_problem("$.run", f"the run is {run.status}; start a new run to change it")])
    problems = _check_engine_command(run, command)
    if problems:
        raise RunRefused(problems)
    if len(str(command)) > 20_000:
        raise RunRefused([_problem("$.command", "the command is too large")])
    return RunCommand.objects.create(run=run, command=command)


def _check_engine_command(run: Run, command: dict[str, Any]) -> list[dict[str, str]]:
    """What the engine would refuse, found now so the user hears about it at once. (The worker
    checks again when it applies the command; a fault id, for one, is only known there.)"""
    nodes = {n["id"]: n for n in run.topology["nodes"]}
    op = command["op"]
    if op == "set_param":
        node = nodes.get(command.get("node")) if isinstance(command.get("node"), str) else None
        if node is None:
            return [_problem("$.command.node", f"there is no node {str(command.get('node'))[:40]!r}")]
        declared = {p.name: p for p in REGISTRY[node["kind"]].params}
        param = declared.get(command.get("param")) if isinstance(command.get("param"), str) else None
        if param is None:
            return [_problem("$.command.param", f"{node['id']!r} has no parameter {str(command.get('param'))[:40]!r}")]
        if not param.live:
            return [_problem("$.command.param", f"{param.name} cannot change during a run")]
        reason = param.check(command.get("value"))
        if reason:
            return [_problem("$.command.value", f"{param.name} {reason}")]
    elif op == "inject_fault":
        checker = _Checker()
        validate_fault(command.get("fault"), {k: {"kind": v["kind"]} for k, v in nodes.items()}, "$.command.fault",
                       checker, set(), default_id="live")
        return checker.problems
    return []


def run_commands_take(*, run: Run, after_id: int) -> list[RunCommand]:
    return list(RunCommand.objects.filter(run=run, id__gt=after_id).order_by("id"))


def run_command_record(*, command: RunCommand, problems: list[dict[str, str]]) -> None:
    RunCommand.objects.filter(id=command.id).update(applied=True, problems=problems)


def run_mark_watched(*, run_ids: list[str]) -> int:
    """Someone is watching these runs (the publisher calls this every few seconds for the runs
    its viewers follow): a paced run nobody watches is stopped after ARCHLAB_IDLE_STOP_S."""
    if not run_ids:
        return 0
    return Run.objects.filter(id__in=run_ids, status__in=(Run.Status.QUEUED, Run.Status.RUNNING)).update(
        watched_at=timezone.now())


def random_seed() -> int:
    return random.SystemRandom().randrange(0, 2**31)


__all__ = ["LIMITS", "RunRefused", "run_create", "run_claim_next", "run_heartbeat", "run_add_windows",
           "run_finish", "run_fail", "run_reap_expired", "run_command_add"]
