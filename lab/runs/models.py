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
    attempt = models.PositiveIntegerField(default=0)
    worker = models.CharField(max_length=100, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    sim_time = models.FloatField(default=0.0)
    windows = models.PositiveIntegerField(default=0)
    results = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created"]

    @property
    def is_over(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.STOPPED, self.Status.FAILED)


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
