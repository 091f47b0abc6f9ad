"""The address django-axes counts failed logins against (AXES_CLIENT_IP_CALLABLE): the same one
the run quotas use, so a lab behind a reverse proxy (ARCHLAB_PROXY_COUNT) counts each client,
not the proxy."""
from __future__ import annotations

from django.http import HttpRequest

from lab.runs.quotas import client_address as _client_address


def client_address(request: HttpRequest) -> str:
    return _client_address(request.META)
