"""A run is a database row: the queue of record for the simulation workers (see
../shared/design/ARCHITECTURE.md, "Runs"). Its windows and control commands are rows too, so a
viewer that reconnects, a worker that dies, or a server that restarts loses nothing."""
from __future__ import annotations

import uuid

from django.db import models


class Run(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        DONE = "done"
        STOPPED = "stopped"
        FAILED = "failed"
        # Ended by its budget (events, wall-clock time, memory or windows); results are partial.
        LIMITED = "limited"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True)
    # A frozen, normalized copy of the topology: later edits to a design never change a run.
    topology = models.JSONField()
    seed = models.BigIntegerField()
    duration_s = models.FloatField()
    # Simulated seconds per wall second; 0 runs as fast as possible.
    speed = models.FloatField(default=1.0)
    # The browser session that started it: only it may control the run (accounts arrive later).
    owner_key = models.CharField(max_length=64, blank=True)
    # The signed-in user who started it (None for a visitor) and the design revision it ran, so
    # results stay reproducible and a profile lists its runs.
    user = models.ForeignKey("auth.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="runs")
    revision = models.ForeignKey("designs.Revision", on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="runs")
    # Who is charged for the run in quotas and fair scheduling: "user:<id>" for a signed-in user
    # (whatever session or API token started it), "visitor:<session key>" for a visitor. A
    # visitor's runs also count against their network ("ip:<address>", IPv6 by /64), so a client
    # that drops its cookies does not get a new allowance each time (docs/operations.md).
    principal = models.CharField(max_length=80, blank=True, db_index=True)
    network = models.CharField(max_length=64, blank=True, db_index=True)
    # Higher runs first (graded runs of lessons and assignments); equal priorities share fairly.
    priority = models.SmallIntegerField(default=0)
    # The admission estimate and the limits the worker enforces (lab.sim.budget).
    budget = models.JSONField(null=True, blank=True)
    # Last time someone watched a live run (a websocket viewer, or a status read): a paced run
    # nobody watches is stopped after ARCHLAB_IDLE_STOP_S.
    watched_at = models.DateTimeField(null=True, blank=True)
    # Why a run ended other than by reaching its duration: stopped by whom, or which budget.
    reason = models.CharField(max_length=300, blank=True)
    attempt = models.PositiveIntegerField(default=0)
    worker = models.CharField(max_length=100, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    sim_time = models.FloatField(default=0.0)
    windows = models.PositiveIntegerField(default=0)
    results = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)
    # One run of a study (a sweep, replications or a comparison; lab.studies): which of the
    # study's runs it is ({"study", "index", "arm", "point", "seed", "values", "series"}). The
    # worker then keeps only the figures the study aggregates and stores them as `results` (a
    # lab.sim.evidence RunSummary) instead of windows and a results document (evidence.py).
    # None for every other run.
    evidence = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["created"]
        indexes = [models.Index(fields=["status", "priority", "created"], name="run_queue")]

    @property
    def is_over(self) -> bool:
        return self.status in OVER


OVER = (Run.Status.DONE, Run.Status.STOPPED, Run.Status.FAILED, Run.Status.LIMITED)
ACTIVE = (Run.Status.QUEUED, Run.Status.RUNNING)


class QuotaKey(models.Model):
    """One row per principal or network that has started a run: starting a run locks its rows
    (SELECT ... FOR UPDATE on PostgreSQL; SQLite transactions already take the write lock when
    they begin), so counting a quota and queueing the run cannot interleave with another start."""

    key = models.CharField(max_length=80, unique=True)


class RunWindow(models.Model):
    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="window_rows")
    seq = models.PositiveIntegerField()
    data = models.JSONField()

    class Meta:
        ordering = ["run", "seq"]
        constraints = [models.UniqueConstraint(fields=["run", "seq"], name="one_window_per_seq")]


class RunCommand(models.Model):
    """A control message for a running simulation: pause, resume, speed, stop, or an engine
    command (set_param, inject_fault, clear_fault). The worker applies commands in order between
    windows and records the outcome."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="commands")
    created = models.DateTimeField(auto_now_add=True)
    command = models.JSONField()
    applied = models.BooleanField(default=False)
    problems = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["run", "id"]


class RunAudience(models.Model):
    """Someone else who may watch a run (never control it): the students of a live class session
    watch the teacher's run. Granted by the feature that shares the run (lab.live), so this app
    needs to know nothing about classes."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="audience")
    user = models.ForeignKey("auth.User", on_delete=models.CASCADE, related_name="runs_watched")
    added = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "user"], name="one_audience_row_per_user")]
