"""Classes, their students, assignments of a lesson step, submissions and their grade history
(docs/classroom.md).

A submission is a lab.lessons Attempt made with the assignment's scenario (the step's, with the
assignment's hidden seeds and extra faults), so it is graded by the lessons' own grading. Its
score is stored when the attempt is first read graded; every grade it ever had is a GradeRecord,
so a re-grade replaces the score and keeps the old one.
"""
from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models.signals import post_delete, pre_delete
from django.dispatch import receiver

from lab.lessons.models import Attempt

from .errors import ClassroomRefused

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

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self._state.adding:
            _refuse_pupil_elsewhere(self)
        super().save(*args, **kwargs)


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


PUPIL_NAME_LENGTH = 50


class PupilAccount(models.Model):
    """A class-scoped account for a school pupil (lab/classroom/pupils.py, docs/pupil-accounts.md):
    a Django user with a generated username that is never shown, no e-mail address and a hashed
    password, who signs in with the class's join code, a display name and that password. The
    pupil is a Membership of the class like any student, so grading, results and CSV need nothing
    of their own; the display name is mirrored into the user's first_name, which is what those
    paths show. The account belongs to this one class: it cannot join another (Membership.save)."""
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="pupil_account")
    classroom = models.ForeignKey(Classroom, on_delete=models.CASCADE, related_name="pupils")
    display_name = models.CharField(max_length=PUPIL_NAME_LENGTH)
    # NFKC then casefold: "Anna", "ANNA" and a full-width "Ａｎｎａ" are one name in a class.
    # Casefolding can lengthen a name ("ß" is "ss"), hence the room.
    name_key = models.CharField(max_length=4 * PUPIL_NAME_LENGTH)
    # Set by a teacher's reset: the one-time password only lets the pupil choose a new one.
    must_change_password = models.BooleanField(default=False)
    reset_at = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["classroom", "name_key"]
        constraints = [models.UniqueConstraint(fields=["classroom", "name_key"], name="one_pupil_name_per_class")]

    def __str__(self) -> str:
        return f"{self.display_name} in {self.classroom_id}"


def _refuse_pupil_elsewhere(membership: Membership) -> None:
    """A pupil account joins no class but its own. Checked where every membership is written,
    so the join page, the join API and any later path all refuse it with the same sentence."""
    pupil = PupilAccount.objects.filter(user_id=membership.student_id).only("classroom_id").first()
    if pupil is not None and pupil.classroom_id != membership.classroom_id:
        raise ClassroomRefused("a pupil account belongs to its own class and cannot join another; to join this class "
                               "too, make a pupil account here or sign up for a full account", status=409, path="$.code")


@receiver(post_delete, sender=Membership)
def _pupil_removed(sender: Any, instance: Membership, **kwargs: Any) -> None:
    """A pupil removed from its class (services.student_remove, or leaving it) can no longer sign
    in: its account exists for this class only. Its sessions end too (Django signs out an
    inactive user). Its submissions stay, like any student's. A signal rather than a line in
    student_remove, because a membership is deleted in more than one place."""
    from django.contrib.auth import get_user_model  # noqa: PLC0415
    get_user_model().objects.filter(pk=instance.student_id, pupil_account__classroom_id=instance.classroom_id) \
        .update(is_active=False)


@receiver(pre_delete, sender=Classroom)
def _class_deleted(sender: Any, instance: Classroom, **kwargs: Any) -> None:
    """A class deleted (in the admin, or with its teacher's account) takes its pupil accounts'
    rows with it before its memberships' signal could see them; their users are closed first, so
    none outlives its class as an ordinary account that could join others."""
    from django.contrib.auth import get_user_model  # noqa: PLC0415
    get_user_model().objects.filter(pupil_account__classroom=instance).update(is_active=False)

