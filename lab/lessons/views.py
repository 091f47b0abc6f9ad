"""The lesson pages: the index (what each lesson teaches, how long it takes, your progress), a
lesson in the lab (the lab page with a lesson panel; the panel talks to /api/v1/lessons), and the
pictures of a lesson's folder. Rules live in selectors.py and services.py; these only render."""
from __future__ import annotations

import mimetypes
from pathlib import Path

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_safe

from lab.views import render_lab

from . import selectors
from .access import may_preview_authored, may_read_authored
from .authored import is_authored_id
from .render import IMAGE_SUFFIXES

# A picture of a lesson is the author's file, served as a picture and nothing else: an SVG can
# carry script, so it is sandboxed (no script, no fetches, no forms) and never sniffed as HTML.
PICTURE_POLICY = "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; sandbox"
MAX_PICTURE_BYTES = 5 * 1024 * 1024


@require_safe
def lesson_index(request: HttpRequest) -> HttpResponse:
    lessons = selectors.lesson_list(user=request.user)
    return render(request, "lessons/index.html", {"lessons": lessons})


@require_safe
@ensure_csrf_cookie
def lesson_page(request: HttpRequest, lesson_id: str, step_id: str | None = None) -> HttpResponse:
    # A teacher's own lesson or challenge opens here as a preview for its owner and staff; its
    # students take it through their assignment's page.
    if is_authored_id(lesson_id) and not may_preview_authored(request.user, lesson_id):
        raise Http404("no such lesson")
    lesson = selectors.lesson_get(lesson_id=lesson_id)
    if lesson is None:
        raise Http404("no such lesson")
    if step_id is not None and selectors.step_index(lesson=lesson, step_id=step_id) is None:
        raise Http404("no such step in this lesson")
    return render_lab(request, lesson={"id": lesson.id, "title": lesson.title, "step": step_id,
                                       "steps": [{"id": s.id, "title": s.title} for s in lesson.steps]})


@require_safe
def lesson_file(request: HttpRequest, lesson_id: str, path: str) -> FileResponse:
    """A picture from the lesson's folder (its Markdown names it; render.py rewrote the link).
    An authored lesson's pictures are for those who may read it (its students too)."""
    if is_authored_id(lesson_id) and not may_read_authored(request.user, lesson_id):
        raise Http404("no such lesson")
    lesson = selectors.lesson_get(lesson_id=lesson_id)
    if lesson is None:
        raise Http404("no such lesson")
    folder = Path(lesson.folder).resolve()
    try:
        target = (folder / path).resolve()
        # Inside the folder (no "..", no link that leads out), a picture, a file, not huge.
        found = (target.is_relative_to(folder) and target.suffix.lower() in IMAGE_SUFFIXES
                 and target.is_file() and target.stat().st_size <= MAX_PICTURE_BYTES)
    except (OSError, ValueError):  # a NUL or an overlong name in the address: no such file
        found = False
    if not found:
        raise Http404("no such picture in this lesson")
    kind = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
    response = FileResponse(target.open("rb"), content_type=kind)
    response["Content-Security-Policy"] = PICTURE_POLICY
    response["X-Content-Type-Options"] = "nosniff"
    # A teacher's own lesson is for its class only: no shared cache keeps its pictures.
    response["Cache-Control"] = "private, max-age=3600" if is_authored_id(lesson_id) else "public, max-age=3600"
    return response
