"""A learner's progress through a lesson, and graded attempts (docs/api.md, "Lessons").

A graded attempt is ordinary runs (lab.runs), one per seed of the step's scenario, plus the
start design's runs on the same seeds, which every attempt is compared with (decision 35). It is
a signed-in learner's, or a visitor's: then `visitor` holds the browser session that submitted it
and the visitor's progress lives in their browser until they sign up and claim it. The attempt keeps
what makes its grade reproducible: the design as submitted, the scenario, the seeds and the
engine's fingerprint. It is graded once, on the first read after its runs are over, and the
grade is stored. Lessons themselves are files (lab/lessons/content/), so rows name them by id.
"""
from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from lab.runs.models import Run


class LessonProgress(models.Model):
    """Where a signed-in learner is in one lesson, so they can leave and resume."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lesson_progress")
    lesson = models.CharField(max_length=64)
    current_step = models.CharField(max_length=64, blank=True)
    passed_steps = models.JSONField(default=list, blank=True)
    # step id -> the learner's latest topology for that step (what they submitted last).
    topologies = models.JSONField(default=dict, blank=True)
    # step id -> how many of the step's hints are unlocked.
    hints = models.JSONField(default=dict, blank=True)
    # step id -> the best graded attempt so far:
    # {"attempt", "passed", "goals_passed", "goals", "measured", "comparison"}.
    best = models.JSONField(default=dict, blank=True)
    # Steps whose reference solution the learner asked to see (a teacher may want to know).
    solutions_shown = models.JSONField(default=list, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "lesson"], name="one_progress_per_user_and_lesson")]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.lesson}"


class Attempt(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued"    # no run has started
        RUNNING = "running"  # some runs started, not all are over
        GRADED = "graded"    # every run is over and `grade` is stored

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Null for a visitor's attempt (until a signed-in learner claims it with its id).
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lesson_attempts",
                             null=True, blank=True)
    # The browser session a visitor submitted it from: only that session may read it. Kept after
    # a claim, as a record of where it came from.
    visitor = models.CharField(max_length=40, blank=True, db_index=True)
    lesson = models.CharField(max_length=64)
    step = models.CharField(max_length=64)
    created = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    # The design as the learner submitted it, and the start design it is compared with (relative
    # goals, and the grade's comparison; null in attempts made before every attempt had one).
    topology = models.JSONField()
    start_topology = models.JSONField(null=True, blank=True)
    # The scenario imposed (as plain data), its seeds, the goals graded, and the engine that ran
    # it: the grade does not depend on the lesson file still being the same when it is read.
    scenario = models.JSONField()
    seeds = models.JSONField()
    goals = models.JSONField()
    engine = models.JSONField()
    # The learner's guesses: [{"id", "guess", and the prediction's metric, scope, span, unit, question}].
    predictions = models.JSONField(default=list, blank=True)
    grade = models.JSONField(null=True, blank=True)
    passed = models.BooleanField(null=True, blank=True)
    graded = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]
        indexes = [models.Index(fields=["user", "lesson", "step", "created"], name="attempts_of_a_step")]

    def __str__(self) -> str:
        return f"{self.lesson}/{self.step} by {self.user_id or 'a visitor'}"


class AttemptRun(models.Model):
    """One run of an attempt: the learner's design (`design`) or the start design (`start`) on one seed."""

    class Role(models.TextChoices):
        DESIGN = "design"
        START = "start"

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="attempt_runs")
    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="lesson_attempt_runs")
    seed = models.BigIntegerField()
    role = models.CharField(max_length=10, choices=Role.choices)
    # What the run computes: a hash of the frozen topology, seed and engine. A start run with the
    # same key gives the same results, so any later attempt, whoever makes it, reuses it.
    key = models.CharField(max_length=64, db_index=True)

    class Meta:
        ordering = ["attempt", "role", "seed"]


class AuthoredLesson(models.Model):
    """A teacher's own lesson: a lesson folder they uploaded, or a challenge built in the browser
    (a one-step lesson in the same format, lab/lessons/authored.py). Learners' URLs name it by
    `key` ("t-" and 16 random characters, a prefix no built-in lesson may take).

    The folder's files are kept here, in the database, as a zip: in scale-out mode two servers
    share the database, not a disk; each materialises the files into its own cache directory
    the first time it needs them. An authored lesson never changes (grades name it by key):
    editing a challenge saves a new one."""

    class Source(models.TextChoices):
        UPLOAD = "upload"
        CHALLENGE = "challenge"

    key = models.CharField(max_length=32, unique=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="authored_lessons")
    title = models.CharField(max_length=200)
    source = models.CharField(max_length=10, choices=Source.choices)
    # The lesson folder as a zip (at most lab.lessons.authored.MAX_ZIP_BYTES).
    files = models.BinaryField()
    # The challenge builder's document, to open it again as a new version (null for an upload).
    document = models.JSONField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return f"{self.key} ({self.source}) by {self.owner_id}"
