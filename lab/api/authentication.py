"""API token authentication for scripts: `Authorization: Bearer alab_...` (or `Token alab_...`).
Tokens are made and revoked in the profile page; only their hash is stored."""
from __future__ import annotations

from typing import Any

from django.utils import timezone
from rest_framework import authentication, exceptions

from lab.accounts.models import ApiToken, hash_token


class ApiTokenAuthentication(authentication.BaseAuthentication):
    keywords = ("bearer", "token")

    def authenticate(self, request: Any) -> tuple[Any, ApiToken] | None:
        header = authentication.get_authorization_header(request).decode("latin-1").split()
        if not header or header[0].lower() not in self.keywords:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("send the token as: Authorization: Bearer <token>")
        token = ApiToken.objects.select_related("user").filter(key_hash=hash_token(header[1]), revoked__isnull=True).first()
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed("this API token is not valid (revoked, or never issued)")
        ApiToken.objects.filter(pk=token.pk).update(last_used=timezone.now())
        return token.user, token

    def authenticate_header(self, request: Any) -> str:
        return 'Bearer realm="api"'
