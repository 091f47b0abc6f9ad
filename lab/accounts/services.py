"""Writes on accounts: API tokens (sign-up and passwords go through Django's auth forms)."""
from __future__ import annotations

from typing import Any

from django.utils import timezone

from .models import ApiToken


def token_issue(*, user: Any, name: str) -> tuple[ApiToken, str]:
    """A new API token; the secret is returned once and never stored."""
    return ApiToken.issue(user, name.strip())


def token_revoke(*, user: Any, token_id: int) -> bool:
    """Revoke one of `user`'s tokens at once; False if they have no such live token."""
    return bool(ApiToken.objects.filter(pk=token_id, user=user, revoked__isnull=True).update(revoked=timezone.now()))
