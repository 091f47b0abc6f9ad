"""Who may do what through the API, on top of the design selectors' rules.

Designs (lab/designs/selectors.py has the table): a read the caller may not make answers 404,
never 403, so a private design cannot be discovered. A link holder sends the link's token; a
browser that opened the link (/s/<token>/) need not, as on the design pages (lab.designs.access). A write is checked in this order: a caller
who cannot view the design gets 404; an anonymous caller who can view it gets 401 (sign in or
send a token); a signed-in viewer who is not the owner gets 403.

Runs: the user who started a run, the browser session that started it, and the owner of the
design it ran may read it; anyone else gets 404.
"""
from __future__ import annotations

from typing import Any

from rest_framework import exceptions, permissions
from rest_framework.authentication import SessionAuthentication
from rest_framework.request import Request

from lab.designs import selectors as designs
from lab.designs.access import remembered_token
from lab.designs.models import Design
from lab.runs import selectors as run_selectors
from lab.runs.models import Run

from lab.sim.problems import Refused, problem

# Revision numbers and other ids are looked up in integer columns; anything larger is simply
# not there (and would overflow SQLite's 64-bit integers instead of answering 404).
MAX_ID = 2**31 - 1


def share_token(request: Request, body_token: Any = None) -> str | None:
    """The share link token a link holder sends: `?token=`, the X-Share-Token header, or (for a
    run) the body's `token`. Anything that cannot be a token is treated as no token."""
    for candidate in (body_token, request.query_params.get("token"), request.headers.get("X-Share-Token")):
        if isinstance(candidate, str) and candidate and len(candidate) <= 64 and candidate.isascii():
            return candidate
    return None


def not_found(what: str = "design", path: str = "$") -> Refused:
    return Refused([problem(path, f"no such {what} (or you may not see it)")], status=404)


def design_for_read(request: Request, design_id: Any, token: Any = None) -> Design:
    token = share_token(request, token)
    if token is None and hasattr(request, "session"):  # (a request made without the middleware has none)
        token = remembered_token(request.session, design_id)
    design = designs.design_get(user=request.user, design_id=design_id, token=token)
    if design is None:
        raise not_found()
    return design


def require_user(request: Request) -> None:
    if not request.user.is_authenticated:
        raise exceptions.NotAuthenticated("sign in, or send an API token: Authorization: Bearer <token>")


def visitor_session(request: Request) -> str:
    """The browser session a visitor writes as, with the CSRF check a signed-in session gets
    (DRF checks CSRF only once someone is signed in): another site's page cannot make a visitor's
    browser spend their run allowance. A session is started for a first-time visitor."""
    SessionAuthentication().enforce_csrf(request)
    session = request.session
    if not session.session_key:
        session["visitor"] = True
        session.save()
    return session.session_key or ""


def design_for_write(request: Request, design_id: Any) -> Design:
    design = design_for_read(request, design_id)
    require_user(request)
    if not designs.can_edit(request.user, design):
        raise exceptions.PermissionDenied("only the design's owner can change it; fork it to make your own copy")
    return design


def can_read_run(request: Request, run: Run) -> bool:
    session_key = request.session.session_key if hasattr(request, "session") else None
    return run_selectors.run_can_view(run=run, user=request.user, session_key=session_key)


def run_owner_key(request: Request) -> str:
    """Who the run's active-run limit counts against: the browser session for a signed-in page
    (which also lets that page control the run over its websocket), else `user:<id>` for a
    script with a token. A session key never has a colon, so no browser can control the latter."""
    if request.auth is None and not request.user.is_authenticated and not request.session.session_key:
        # A visitor's first write: without a saved session the run would be "user:None"'s.
        request.session["visitor"] = True
        request.session.save()
    if request.auth is None and request.session.session_key:
        return request.session.session_key
    return f"user:{request.user.pk}"


def positive_id(value: Any, path: str, *, text: bool = False) -> int:
    """A whole number from 1 to MAX_ID: a JSON number in a body, or digits in a query (`text`)."""
    if text and isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 20:
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ID:
        raise Refused([problem(path, "must be a whole number from 1")])
    return value


class SessionOnly(permissions.BasePermission):
    """API tokens are made and revoked from a signed-in browser session, not with a token, so a
    leaked token cannot mint more tokens or revoke the owner's others."""

    message = "API tokens are managed from a signed-in browser session, not with an API token"

    def has_permission(self, request: Request, view: Any) -> bool:
        if not request.user.is_authenticated:
            raise exceptions.NotAuthenticated("sign in to manage API tokens")
        return request.auth is None
