"""Classes, their students, assignments of a lesson step, submissions and their grade history
(docs/classroom.md).

A submission is a lab.lessons Attempt made with the assignment's scenario (the step's, with the
assignment's hidden seeds and extra faults), so it is graded by the lessons' own grading. Its
score is stored when the attempt is first read graded; every grade it ever had is a GradeRecord,
so a re-grade replaces the score and keeps the old one.
"""
from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from lab.lessons.models import Attempt

# No 0/O, 1/I/L: a code read aloud or copied from a projector is typed right.
JOIN_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
JOIN_CODE_LENGTH = 8


class Classroom(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=100)
    teacher = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="classrooms_taught")
    join_code = models.CharField(max_length=JOIN_CODE_LENGTH, unique=True)
    joining_open = models.BooleanField(default=True)
    # Set when the teacher archives the class: it is read-only from then (no joins, no submissions).
    archived = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    classroom = models.ForeignKey(Classroom, on_delete=models.CASCADE, related_name="memberships")
    student = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="class_memberships")
    joined = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["classroom", "student"], name="one_membership_per_student")]

    def __str__(self) -> str:
        return f"{self.student_id} in {self.classroom_id}"


class Assignment(models.Model):
    class LatePolicy(models.TextChoices):
        ACCEPT = "accept"    # a late submission counts in full (and is marked late)
        PENALTY = "penalty"  # its score is reduced by late_penalty_pct
        REFUSE = "refuse"    # none is taken after the due date

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    classroom = models.ForeignKey(Classroom, on_delete=models.CASCADE, related_name="assignments")
    title = models.CharField(max_length=200)
    # Lessons are files, so a lesson and its step are named by id.
    lesson = models.CharField(max_length=64)
    step = models.CharField(max_length=64)
    opens = models.DateTimeField(null=True, blank=True)
    due = models.DateTimeField(null=True, blank=True)
    max_attempts = models.PositiveIntegerField(null=True, blank=True)  # null: unlimited
    late_policy = models.CharField(max_length=10, choices=LatePolicy.choices, default=LatePolicy.ACCEPT)
    late_penalty_pct = models.PositiveSmallIntegerField(default=0)
    show_hints = models.BooleanField(default=True)
    show_reference = models.BooleanField(default=False)
    # Kept from students until they submit: a design tuned to the seeds or faults it will be
    # graded on is tuned to the test, not to the problem. Empty seeds: the step's own.
    hidden_seeds = models.JSONField(default=list, blank=True)
    hidden_faults = models.JSONField(default=list, blank=True)
    # goal id -> points; empty: 1 point per goal of the step.
    points = models.JSONField(default=dict, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created"]

    def __str__(self) -> str:
        return self.title


class Submission(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="submissions")
    student = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="class_submissions")
    # The attempt whose grade the score is: the first, or the latest re-grade's once it is graded.
    attempt = models.ForeignKey(Attempt, on_delete=models.PROTECT, related_name="submissions")
    # A re-grade waiting for its runs; the score stays the previous attempt's until it is graded.
    pending_attempt = models.ForeignKey(Attempt, on_delete=models.SET_NULL, null=True, blank=True,
                                        related_name="pending_submissions")
    number = models.PositiveIntegerField()
    late = models.BooleanField(default=False)
    created = models.DateTimeField(auto_now_add=True)
    score = models.FloatField(null=True, blank=True)
    max_score = models.FloatField(default=0)
    graded = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["assignment", "student", "number"]
        constraints = [models.UniqueConstraint(fields=["assignment", "student", "number"],
                                               name="one_submission_number_per_student")]

    def __str__(self) -> str:
        return f"{self.assignment_id} #{self.number} by {self.student_id}"


class GradeRecord(models.Model):
    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="grades")
    attempt = models.ForeignKey(Attempt, on_delete=models.PROTECT, related_name="grade_records")
    score = models.FloatField(null=True, blank=True)
    max_score = models.FloatField(default=0)
    reason = models.CharField(max_length=200)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["submission", "created", "id"]
