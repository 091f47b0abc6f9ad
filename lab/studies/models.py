"""Studies: a sweep over a parameter, replications over seeds, or an A/B comparison of two
revisions, saved with the design it studies (docs/evidence.md, "On the server").

A study stores its plan (lab.sim.evidence's `Plan.to_dict()`: every run decided and checked
before any starts), one `StudyRun` row per planned run, and, once its runs are in, the
aggregated document. Its runs are ordinary runs (lab.runs, `Run.evidence` set), queued a few at
a time, so they go through the workers' queue, fair scheduling, quotas, leases and retries.
"""
from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models


class Study(models.Model):
    class Kind(models.TextChoices):
        SWEEP = "sweep"
        REPLICATIONS = "replications"
        COMPARISON = "comparison"

    class Status(models.TextChoices):
        QUEUED = "queued"        # planned; no run has started yet
        RUNNING = "running"      # runs going
        DONE = "done"            # every run ended; the document is stored
        CANCELLED = "cancelled"  # cancelled; the document holds what had finished
        FAILED = "failed"        # no run finished, or the document could not be stored (`error` says)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="studies")
    # Charged in quotas and fair scheduling, as the user's runs are ("user:<id>").
    principal = models.CharField(max_length=80, db_index=True)
    # The design it is saved with and the revision it ran (A's, for a comparison), and B.
    design = models.ForeignKey("designs.Design", on_delete=models.CASCADE, related_name="studies")
    revision = models.ForeignKey("designs.Revision", on_delete=models.CASCADE, related_name="studies")
    design_b = models.ForeignKey("designs.Design", on_delete=models.CASCADE, null=True, blank=True,
                                 related_name="studies_as_b")
    revision_b = models.ForeignKey("designs.Revision", on_delete=models.CASCADE, null=True, blank=True,
                                   related_name="studies_as_b")
    # What was asked, as it was checked: {"spec": the sweep spec | "seeds": ..., "duration_s", options}.
    request = models.JSONField()
    seeds = models.JSONField()
    plan = models.JSONField()
    # Runs of the study at most queued or running at once, and at most running of the owner's runs
    # when one of them starts (fixed when the study is made, from the owner's allowance).
    at_once = models.PositiveSmallIntegerField(default=1)
    running_cap = models.PositiveSmallIntegerField(default=1)
    total = models.PositiveIntegerField()
    done = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    document = models.JSONField(null=True, blank=True)
    document_bytes = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]
        indexes = [models.Index(fields=["design", "user", "created"], name="study_design_user")]

    @property
    def is_over(self) -> bool:
        return self.status in OVER

    @property
    def b_proposed(self) -> bool:
        """B of this comparison is a proposed change sent with the request (the lab's canvas as it
        was), not a saved revision: its topology is only in the plan (`plan["topologies"]["b"]`)."""
        return self.kind == Study.Kind.COMPARISON and self.revision_b_id is None

    @property
    def b_topology(self) -> dict[str, Any] | None:
        """B's topology as it ran, for a proposed change (the plan keeps it); None otherwise."""
        if not self.b_proposed or not isinstance(self.plan, dict):
            return None
        b = (self.plan.get("topologies") or {}).get("b")
        return b if isinstance(b, dict) else None


OVER = (Study.Status.DONE, Study.Status.CANCELLED, Study.Status.FAILED)
ACTIVE = (Study.Status.QUEUED, Study.Status.RUNNING)


class StudyRun(models.Model):
    """One planned run of a study (`index` in the plan's runs): waiting to be queued, queued as
    `run` (queued or running there), or ended with its summary (a lab.sim.evidence RunSummary).
    Its status moves forward once, by conditional UPDATE, so a summary is counted once however
    many workers report it."""

    class Status(models.TextChoices):
        PENDING = "pending"
        QUEUED = "queued"
        DONE = "done"
        FAILED = "failed"
        CANCELLED = "cancelled"

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="runs")
    index = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    run = models.ForeignKey("runs.Run", on_delete=models.SET_NULL, null=True, blank=True, related_name="study_runs")
    summary = models.JSONField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["study", "index"]
        constraints = [models.UniqueConstraint(fields=["study", "index"], name="one_study_run_per_index")]
        indexes = [models.Index(fields=["study", "status"], name="study_run_status")]
