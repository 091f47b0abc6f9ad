"""Who is asking for a run, and how many runs they may have: the quota policy of a shared server.

A signed-in user is one principal whatever session or API token they use, so logging in again
or minting a token does not reset the count. A visitor is their browser session; because a
client can drop its cookies and get a new session on every request, a visitor's runs also count
against their network (the IPv4 address, or the /64 of an IPv6 address). A class behind one
school address therefore shares one network allowance: it is sized for a class
(ARCHLAB_NETWORK_RUNNING / ARCHLAB_NETWORK_QUEUED), and signed-in students never count against
it. docs/operations.md explains how to size these.

Admission (services.run_create) refuses a run when the principal or network already has its
running + queued allowance active; the claim (services.run_claim_next) never starts a run whose
principal or network already has its running allowance running.
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

from django.conf import settings


@dataclass(frozen=True)
class Caps:
    running: int
    queued: int

    @property
    def active(self) -> int:
        return self.running + self.queued


@dataclass(frozen=True)
class Requester:
    """Who starts or controls a run: `principal` is charged; `network` too, for a visitor."""

    principal: str
    network: str
    role: str  # "visitor", "user" or "staff"
    user: Any = None
    session_key: str = ""

    @property
    def caps(self) -> Caps:
        return caps_for(self.role)


def caps_for(role: str) -> Caps:
    if role == "staff":
        return Caps(settings.ARCHLAB_STAFF_RUNNING, settings.ARCHLAB_STAFF_QUEUED)
    if role == "user":
        return Caps(settings.ARCHLAB_USER_RUNNING, settings.ARCHLAB_USER_QUEUED)
    return Caps(settings.ARCHLAB_VISITOR_RUNNING, settings.ARCHLAB_VISITOR_QUEUED)


def network_caps() -> Caps:
    return Caps(settings.ARCHLAB_NETWORK_RUNNING, settings.ARCHLAB_NETWORK_QUEUED)


def network_of(address: str) -> str:
    """'ip:<address>' for IPv4, 'ip:<prefix>/64' for IPv6 (one household or school often holds a
    whole /64, and changing the low bits is free); '' when the address cannot be read."""
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return ""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return f"ip:{ip.ipv4_mapped}"
        return f"ip:{ipaddress.IPv6Network((int(ip) >> 64 << 64, 64))}"
    return f"ip:{ip}"


def client_address(meta: dict[str, Any] | None = None, *, scope_client: Any = None) -> str:
    """The client's address: REMOTE_ADDR (or the ASGI scope's client), or, behind a reverse proxy
    the operator names with ARCHLAB_PROXY_COUNT = n, the n-th address from the right of
    X-Forwarded-For (the ones the operator's own proxies appended; the left part is the client's
    word and cannot be trusted)."""
    meta = meta or {}
    remote = str(meta.get("REMOTE_ADDR") or (scope_client[0] if scope_client else "") or "")
    hops = settings.ARCHLAB_PROXY_COUNT
    if hops > 0:
        forwarded = [a.strip() for a in str(meta.get("HTTP_X_FORWARDED_FOR", "")).split(",") if a.strip()]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return remote


def requester(*, user: Any, session_key: str, address: str) -> Requester:
    if getattr(user, "is_authenticated", False):
        role = "staff" if user.is_staff else "user"
        return Requester(principal=f"user:{user.pk}", network="", role=role, user=user, session_key=session_key)
    return Requester(principal=f"visitor:{session_key}", network=network_of(address), role="visitor",
                     session_key=session_key)


def requester_of(request: Any) -> Requester:
    """The requester of an HTTP request (page views and the REST API alike)."""
    session = getattr(request, "session", None)
    key = (session.session_key or "") if session is not None else ""
    if session is not None and not key and not getattr(request.user, "is_authenticated", False):
        # An empty session would never be sent back as a cookie: mark it as a visitor's first.
        session["visitor"] = True
        session.save()
        key = session.session_key or ""
    return requester(user=request.user, session_key=key, address=client_address(request.META))
