"""Who may open which design page, for the page views: every denial is a 404, and a share link
opened in this browser (remembered in its session) counts as the link's token, for the pages and
for the API a signed-in page calls (lab.api.permissions)."""
from __future__ import annotations

from typing import Any

from django.contrib.sessions.backends.base import SessionBase
from django.http import Http404, HttpRequest

from . import selectors
from .models import Design, Revision

LINKS = "design_links"  # session: {design id: share token} of the links this browser opened
MAX_LINKS = 50


def remember_link(request: HttpRequest, design: Design) -> None:
    links = {k: v for k, v in request.session.get(LINKS, {}).items() if k != str(design.pk)}
    links[str(design.pk)] = design.share_token
    request.session[LINKS] = dict(list(links.items())[-MAX_LINKS:])


def remembered_token(session: SessionBase, design_id: Any) -> str | None:
    """The share token of the design's link, if the browser of this session opened it."""
    token = session.get(LINKS, {}).get(str(design_id))
    return token if isinstance(token, str) else None


def find(request: HttpRequest, design_id: Any) -> Design | None:
    token = remembered_token(request.session, design_id)
    return selectors.design_get(user=request.user, design_id=design_id, token=token)


def viewable_or_404(request: HttpRequest, design_id: Any) -> Design:
    design = find(request, design_id)
    if design is None:
        raise Http404("no such design")
    return design


def owned_or_404(request: HttpRequest, design_id: Any) -> Design:
    design = viewable_or_404(request, design_id)
    if not selectors.can_edit(request.user, design):
        raise Http404("no such design")  # not 403: others must not learn what exists
    return design


def revision_or_404(design: Design, number: Any) -> Revision:
    revision = selectors.revision_get(design=design, number=number)
    if revision is None:
        raise Http404("no such revision")
    return revision
