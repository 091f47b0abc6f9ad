"""Designs: a user's topology with its whole version history, its visibility and its forks.

Every save is a new `Revision`; nothing is overwritten, so a run can point at exactly what it
ran and a student can go back to any earlier state. Ids are random UUIDs and a denied read
answers 404, so private designs cannot be found by guessing.
"""
from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class Design(models.Model):
    class Visibility(models.TextChoices):
        PRIVATE = "private", "Private: only you"
        UNLISTED = "unlisted", "Unlisted: anyone with the link can view, run and fork it"
        PUBLIC = "public", "Public: listed in the gallery"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="designs")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, max_length=5000)
    tags = models.JSONField(default=list, blank=True)
    # " tag1 tag2 ": the tags as text, so the gallery filters with one portable LIKE.
    tags_text = models.CharField(max_length=400, blank=True, db_index=True)
    visibility = models.CharField(max_length=10, choices=Visibility.choices, default=Visibility.PRIVATE,
                                  db_index=True)
    # The secret in a share link (256 random bits); empty when there is no link.
    share_token = models.CharField(max_length=64, blank=True, db_index=True)
    forked_from = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="forks")
    forked_from_revision = models.PositiveIntegerField(null=True, blank=True)
    fork_count = models.PositiveIntegerField(default=0, db_index=True)
    latest_revision = models.PositiveIntegerField(default=0)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["-updated"]

    def __str__(self) -> str:
        return self.name

    def latest(self) -> "Revision":
        return self.revisions.get(number=self.latest_revision)


class Revision(models.Model):
    design = models.ForeignKey(Design, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    topology = models.JSONField()
    message = models.CharField(max_length=200, blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-number"]
        constraints = [models.UniqueConstraint(fields=["design", "number"], name="one_revision_number_per_design")]

    def __str__(self) -> str:
        return f"{self.design_id} r{self.number}"
