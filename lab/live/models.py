"""Live class sessions (docs/classroom.md, "Live sessions"): a teacher shows one run to the whole
class, every student watching it on their own screen, and asks the class to predict what happens
next before revealing it.

The run is an ordinary run of the teacher's (lab.runs): the teacher controls it with the run's own
commands, and the students are its audience (lab.runs.models.RunAudience), so they may watch it
and never control it. Everything said in a session (questions, every round of answers, the
measured value revealed) is kept, for the teacher to look back at and export.
"""
from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from lab.classroom.models import Classroom
from lab.runs.models import Run


class LiveSession(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    classroom = models.ForeignKey(Classroom, on_delete=models.CASCADE, related_name="live_sessions")
    title = models.CharField(max_length=200)
    # The design shown (a copy: the session is a record of what the class saw), and where it came
    # from when it was a lesson step.
    topology = models.JSONField()
    lesson = models.CharField(max_length=64, blank=True)
    step = models.CharField(max_length=64, blank=True)
    # The run on every screen now (the teacher may start another one); every run shown is kept.
    run = models.ForeignKey(Run, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    runs = models.ManyToManyField(Run, blank=True, related_name="live_sessions")
    created = models.DateTimeField(auto_now_add=True)
    ended = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return self.title


class Question(models.Model):
    class Kind(models.TextChoices):
        NUMBER = "number"
        CHOICE = "choice"

    class State(models.TextChoices):
        DRAFT = "draft"        # prepared in the plan, not asked yet
        OPEN = "open"          # students answer until closes_at
        CLOSED = "closed"      # answers are in; the teacher sees how many, not what
        REVEALED = "revealed"  # the distribution (and the measured value) is shown to everyone

    session = models.ForeignKey(LiveSession, on_delete=models.CASCADE, related_name="questions")
    order = models.PositiveIntegerField(default=0)
    text = models.CharField(max_length=500)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.NUMBER)
    choices = models.JSONField(default=list, blank=True)
    unit = models.CharField(max_length=20, blank=True)
    time_limit_s = models.PositiveIntegerField(default=60)
    state = models.CharField(max_length=10, choices=State.choices, default=State.DRAFT)
    # Asking again after a discussion is a new round; every round's answers are kept.
    round = models.PositiveIntegerField(default=0)
    closes_at = models.DateTimeField(null=True, blank=True)
    # What the run measured, shown beside the class's answers once revealed: typed by the teacher,
    # or measured by the lab on the run when the question names a measure (goal vocabulary:
    # {"metric", "scope"?}); `measured_note` says what was measured, or why nothing could be.
    measured = models.FloatField(null=True, blank=True)
    measure = models.JSONField(default=dict, blank=True)
    measured_note = models.CharField(max_length=300, blank=True)
    # When the current round was asked: the lab measures only what the run did since.
    asked_at = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["session", "order", "id"]


class Answer(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="answers")
    student = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="live_answers")
    round = models.PositiveIntegerField()
    # A number, or the index of the choice.
    value = models.FloatField()
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["question", "student", "round"], name="one_answer_per_round")]
