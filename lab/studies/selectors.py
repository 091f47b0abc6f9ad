"""Reads on studies, with who may see what: a study is shared as its design is.

| who                        | a study of a design they may view | of a design they may not |
|----------------------------|-----------------------------------|--------------------------|
| its owner (who ran it)     | read, cancel, download            | read, cancel, download   |
| anyone else                | read, download                    | 404                      |

"May view" is the design's rule (lab.designs.selectors: the owner, a share link's token, public).
A comparison shows both designs, so a study whose B the viewer may not view is not found either
(B counts when it is public, or theirs; a link's token opens only the design it was made for).
Every denial is "not found".
"""
from __future__ import annotations

import uuid
from typing import Any

from django.db.models import QuerySet

from lab.designs import selectors as designs
from lab.designs.models import Design

from lab.sim.problems import Refused

from . import documents, limits
from .models import Study, StudyRun


PROPOSED = "proposed change (unsaved)"


def side_name(study: Study, side: str) -> str:
    """How pages and the API name A or B of a study: "Shop, revision 2", or, for B sent as a
    proposed change, "proposed change (unsaved)"."""
    if side == "a":
        return f"{study.design.name}, revision {study.revision.number}"
    if study.b_proposed:
        return PROPOSED
    if study.design_b is None or study.revision_b is None:
        return ""
    return f"{study.design_b.name}, revision {study.revision_b.number}"


def _b_visible(study: Study, user: Any) -> bool:
    b = study.design_b
    return b is None or b.pk == study.design_id or designs.can_view(user, b)


def study_get_visible(*, study_id: Any, user: Any, token: str | None = None,
                      links: dict[str, Any] | None = None) -> Study | None:
    """The study if this viewer may see it; None reads as "no such study" (404). `token` is a
    share link's token sent with the request; `links`, the links this browser opened (a session's
    lab.designs.access.LINKS), used when no token is sent."""
    try:
        study = Study.objects.select_related("design", "design__owner", "revision", "design_b", "revision_b",
                                             "user").get(id=uuid.UUID(str(study_id)))
    except (ValueError, TypeError, Study.DoesNotExist):
        return None
    if getattr(user, "is_authenticated", False) and study.user_id == user.pk:
        # Whoever ran it keeps it, as a run's starter keeps a run, even if the design (or B) has
        # gone private since: else they could neither read nor cancel it, and a study still going
        # would hold their allowance of studies at once.
        return study
    if token is None and links:
        remembered = links.get(str(study.design_id))
        token = remembered if isinstance(remembered, str) else None
    if designs.design_get(user=user, design_id=study.design_id, token=token) is None:
        return None
    return study if _b_visible(study, user) else None


def study_can_cancel(*, study: Study, user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and study.user_id == user.pk


def studies_of_design(*, design: Design, user: Any) -> QuerySet[Study]:
    """The studies saved with a design the caller may view (checked by the caller), newest first,
    without those whose B the caller may not view."""
    studies = Study.objects.filter(design=design).select_related("design", "revision", "design_b", "revision_b",
                                                                 "user").defer("plan", "document")
    hidden = [s.pk for s in studies.filter(design_b__isnull=False).exclude(design_b=design) if not _b_visible(s, user)]
    return studies.exclude(pk__in=hidden) if hidden else studies


def study_summaries(*, study: Study) -> list[Any]:
    """The summaries of the study's runs that finished, in the plan's order."""
    return list(StudyRun.objects.filter(study=study, status=StudyRun.Status.DONE).order_by("index")
                .values_list("summary", flat=True))


def study_document_so_far(*, study: Study) -> dict[str, Any] | None:
    """The document of the runs finished so far (None before the first): what a page draws while
    the study goes. Aggregated afresh on each call, within the stored size, never stored."""
    summaries = study_summaries(study=study)
    if not summaries:
        return None
    try:
        return documents.bounded(documents.aggregate(study, summaries), limits.max_document_bytes())[0]
    except Refused:
        return None  # too large to send until it is done; the final document says why


def study_progress(study: Study) -> dict[str, Any]:
    return {"study": str(study.id), "status": study.status, "done": study.done, "failed": study.failed,
            "total": study.total}


def study_progress_many(ids: list[str]) -> dict[str, dict[str, Any]]:
    """Progress of the studies followed on websockets (lab.runs.publisher's study feed): one query."""
    keys = []
    for i in ids:
        try:
            keys.append(uuid.UUID(i))
        except ValueError:
            continue
    rows = Study.objects.filter(id__in=keys).values("id", "status", "done", "failed", "total")
    return {str(r["id"]): {**r, "study": str(r["id"])} for r in rows}
