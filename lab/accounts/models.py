"""API tokens: a user creates named tokens for scripts in their profile and revokes them there.
Only a hash of the token is stored; the token itself is shown once, when it is made. And the
address typed at a sign-up that another account already had (ClaimedAddress)."""
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


class ClaimedAddress(models.Model):
    """The address typed at sign-up when another account already had it. The account is made all
    the same and its profile shows this address as any profile does, so a sign-up tells nobody
    which addresses are registered (docs/decisions.md). No mail ever goes to it: the address
    belongs to the other account, whose owner was told of the attempt."""
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="claimed_address")
    email = models.EmailField()
    created = models.DateTimeField(auto_now_add=True)
