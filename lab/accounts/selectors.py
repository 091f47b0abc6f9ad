"""Reads for the profile page: a user's address, designs, runs and API tokens."""
from __future__ import annotations

from typing import Any

from django.db.models import Count, QuerySet

from lab.designs.models import Design
from lab.designs.selectors import can_view, designs_of
from lab.runs.models import Run

from .models import ApiToken, ClaimedAddress


def shown_address(*, user: Any) -> str:
    """The address the profile shows: the account's, or the one typed at sign-up when another
    account had it (shown alike, so the page does not tell which; see ClaimedAddress)."""
    if user.email:
        return user.email
    claim = ClaimedAddress.objects.filter(user=user).first()
    return claim.email if claim else ""


def profile_designs(*, user: Any) -> QuerySet[Design]:
    return designs_of(user=user).annotate(revision_count=Count("revisions")).order_by("-updated")


def recent_runs(*, user: Any, limit: int = 20) -> list[dict[str, Any]]:
    """The user's latest runs, each with the design it ran when the user may still see it (a
    design can become private or be deleted after the run)."""
    runs = Run.objects.filter(user=user).select_related("revision__design").order_by("-created")[:limit]
    out = []
    for run in runs:
        design = run.revision.design if run.revision else None
        out.append({"run": run, "design": design if design and can_view(user, design) else None,
                    "revision": run.revision.number if run.revision else None})
    return out


def live_tokens(*, user: Any) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user, revoked__isnull=True).order_by("-created")


def public_name(user: Any) -> str:
    """The name others see: the username, or for a class's pupil account (lab/classroom/pupils.py)
    its display name, since its username is an internal `pupil-...` that must not be shown (it is
    no secret, but it names nobody)."""
    if user is None:
        return ""
    pupil = getattr(user, "pupil_account", None)  # its "does not exist" is an AttributeError
    return pupil.display_name if pupil is not None else user.username

