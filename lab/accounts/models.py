"""API tokens: a user creates named tokens for scripts in their profile and revokes them there.
Only a hash of the token is stored; the token itself is shown once, when it is made."""
from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models

PREFIX = "alab_"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class ApiToken(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    key_hash = models.CharField(max_length=64, unique=True)
    # The first characters, so a user can tell tokens apart without the secret.
    hint = models.CharField(max_length=16)
    created = models.DateTimeField(auto_now_add=True)
    last_used = models.DateTimeField(null=True, blank=True)
    revoked = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]

    @classmethod
    def issue(cls, user: object, name: str) -> tuple["ApiToken", str]:
        """A new token for `user`; returns the row and the secret (shown once, never stored)."""
        secret = PREFIX + secrets.token_urlsafe(32)
        row = cls.objects.create(user=user, name=name[:100], key_hash=hash_token(secret), hint=secret[:12])
        return row, secret
