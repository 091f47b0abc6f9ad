"""Reads on designs, with who may see what in one place.

| who             | private | unlisted           | public |
|-----------------|---------|--------------------|--------|
| owner           | all     | all                | all    |
| anyone else     | -       | view, run, fork with the link token | view, run, fork; listed in the gallery |

Only the owner edits, shares, restores or deletes. Every denial looks like "not found" (404).
"""
from __future__ import annotations

import hmac
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet

from lab.sim.strict_json import scrub

from .models import Design, Revision


def _is_owner(user: Any, design: Design) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and design.owner_id == user.pk


def token_matches(design: Design, token: str | None) -> bool:
    return (isinstance(token, str) and token.isascii() and bool(token) and bool(design.share_token)
            and hmac.compare_digest(design.share_token, token))


def can_view(user: Any, design: Design, token: str | None = None) -> bool:
    if _is_owner(user, design) or design.visibility == Design.Visibility.PUBLIC:
        return True
    return design.visibility == Design.Visibility.UNLISTED and token_matches(design, token)


def can_edit(user: Any, design: Design) -> bool:
    return _is_owner(user, design)


def design_get(*, user: Any, design_id: Any, token: str | None = None) -> Design | None:
    """The design if `user` (with the link `token`, if any) may view it; else None (answer 404)."""
    try:
        design = Design.objects.select_related("owner", "forked_from").get(pk=design_id)
    except (Design.DoesNotExist, ValueError, TypeError, ValidationError):  # a malformed id is "not found" too
        return None
    return design if can_view(user, design, token) else None


def design_by_token(*, token: str) -> Design | None:
    """The design a share link points at, if the link is still valid (not revoked, not private)."""
    if not token or len(token) > 64:
        return None
    design = Design.objects.select_related("owner").filter(share_token=token).first()
    if design is None or design.visibility == Design.Visibility.PRIVATE or not token_matches(design, token):
        return None
    return design


def designs_of(*, user: Any) -> QuerySet[Design]:
    if not getattr(user, "is_authenticated", False):
        return Design.objects.none()
    return Design.objects.filter(owner=user)


def gallery(*, search: str = "", tag: str = "", sort: str = "recent") -> QuerySet[Design]:
    designs = Design.objects.filter(visibility=Design.Visibility.PUBLIC).select_related("owner")
    if search:
        designs = designs.filter(Q(name__icontains=search) | Q(description__icontains=search))
    if tag:
        designs = designs.filter(tags_text__contains=f" {tag.strip().lower()} ")
    return designs.order_by("-fork_count", "-updated") if sort == "forks" else designs.order_by("-updated")


def revisions_of(*, design: Design) -> QuerySet[Revision]:
    return design.revisions.all()


def revision_get(*, design: Design, number: Any) -> Revision | None:
    """A revision to show, run or export. Its topology is scrubbed: one stored before the strict
    reader refused lone surrogates has U+FFFD in their place, so every page and API answer
    made from it can be encoded as UTF-8 (the reads of a document all come through here)."""
    try:
        revision = design.revisions.get(number=int(number))
    except (Revision.DoesNotExist, ValueError, TypeError, OverflowError):
        return None
    revision.topology = scrub(revision.topology)
    return revision


def revision_latest(*, design: Design) -> Revision:
    revision = revision_get(design=design, number=design.latest_revision)
    if revision is None:  # every design is created with its first revision, in one transaction
        raise Revision.DoesNotExist(f"design {design.pk} has no revision {design.latest_revision}")
    return revision
