"""The live session pages: the lab page in live mode, for the teacher (the run's controls, the
question plan) or a student (the run on their own screen, the open question), and a projector
view (large charts, no names). The panel (static/js/live-panel.js) talks to /api/v1/sessions."""
from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_POST, require_safe

from lab.classroom.errors import ClassroomRefused
from lab.classroom.selectors import classroom_get
from lab.designs import selectors as designs

from lab.views import render_lab

from . import selectors, services


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


@require_POST
@login_required
def session_start_page(request: HttpRequest, classroom_id: str) -> HttpResponse:
    """The class page's "Start a live session": one of the teacher's saved designs (its latest
    revision) or a lesson step's start design, then the live page."""
    classroom = classroom_get(user=request.user, classroom_id=classroom_id)
    if classroom is None:
        raise Http404("no such class (or you may not see it)")
    shown = request.POST.get("step", "")
    source: dict[str, Any]
    if shown.startswith("design:"):
        design = designs.design_get(user=request.user, design_id=shown.removeprefix("design:"))
        if design is None:  # missing, or another's private design: the same sentence
            messages.error(request, "Not started: there is no such design, or it is not one you may show")
            return redirect(reverse("classroom:detail", args=[classroom.id]))
        source = {"topology": designs.revision_latest(design=design).topology}
    else:
        lesson, _, step = shown.partition("/")
        source = {"lesson": lesson, "step": step}
    try:
        session = services.session_start(classroom=classroom, by=request.user, title=request.POST.get("title", ""),
                                          **source)
    except ClassroomRefused as exc:
        for problem in exc.problems:
            messages.error(request, f"Not started: {problem['message']}")
        return redirect(reverse("classroom:detail", args=[classroom.id]))
    return redirect(reverse("live", args=[session.id]))
