"""The live session pages: the lab page in live mode, for the teacher (the run's controls, the
question plan) or a student (the run on their own screen, the open question), and a projector
view (large charts, no names). The panel (static/js/live-panel.js) talks to /api/v1/sessions."""
from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_safe

from lab.views import render_lab

from . import selectors


def _page(request: HttpRequest, session_id: str, projector: bool) -> HttpResponse:
    found = selectors.session_get(user=request.user, session_id=session_id)
    if found is None or (projector and found[1] != "teacher"):
        raise Http404("no such live session (or you may not see it)")
    session, role = found
    return render_lab(request, live={"id": str(session.id), "title": session.title, "role": role,
                                     "classroom": session.classroom.name, "projector": projector})


@require_safe
@login_required
@ensure_csrf_cookie
def live_page(request: HttpRequest, session_id: str) -> HttpResponse:
    return _page(request, session_id, projector=False)


@require_safe
@login_required
@ensure_csrf_cookie
def projector_page(request: HttpRequest, session_id: str) -> HttpResponse:
    return _page(request, session_id, projector=True)
