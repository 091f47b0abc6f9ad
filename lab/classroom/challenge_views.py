"""Teachers' pages for their own lessons and challenges: the challenge builder (its form is
filled and checked in static/js/challenge-builder.js against /api/v1/lessons/authored), the
upload of a lesson folder as a zip (a plain form: every problem listed with its path), and the
list of their lessons and challenges with delete. Rules in lab/lessons/authored_services.py."""
from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_http_methods, require_safe

from lab.designs import selectors as designs
from lab.lessons import authored, authored_services, challenge
from lab.lessons import selectors as lessons
from lab.lessons.access import assignments_using
from lab.lessons.format import COMPARES, NAMED_SPANS
from lab.lessons.goals import METRICS
from lab.lessons.models import AuthoredLesson
from lab.sim.document.schema import catalogue
from lab.sim.problems import Problem, problem

from . import selectors
from .views import confirm

ONLY_TEACHERS = ("Only teachers build challenges and upload lessons; an administrator makes you one "
                 "(python manage.py grant_teacher <username>).")


def _teacher_or_403(request: HttpRequest) -> HttpResponse | None:
    if selectors.is_teacher(request.user):
        return None
    return render(request, "classroom/challenge_list.html", {"refused": ONLY_TEACHERS}, status=403)


def vocabulary() -> dict[str, Any]:
    """The goal vocabulary the builder's form offers: read from lab/lessons/goals.py, never
    repeated in the script."""
    faults = catalogue()["faults"]
    return {
        "metrics": [{"name": m.name, "unit": m.unit, "label": m.label, "scopes": list(m.scopes), "help": m.help}
                    for m in METRICS.values() if m.name != "errors_by_cause_pct"],
        "compares": list(COMPARES), "spans": list(NAMED_SPANS),
        "faults": [{"kind": f["kind"], "title": f["title"], "target": f["target"]} for f in faults],
        "step": challenge.STEP_ID,
    }


def _class_for(request: HttpRequest, classroom_id: Any) -> Any:
    if not classroom_id:
        return None
    classroom = selectors.classroom_get(user=request.user, classroom_id=classroom_id)
    if classroom is None or classroom.teacher_id != request.user.pk:
        raise Http404("no such class")
    return classroom


def _document_from(request: HttpRequest) -> dict[str, Any] | None:
    """?from=<key>: one of the teacher's challenges, to edit as a new one."""
    key = request.GET.get("from", "")[:32]
    if not key:
        return None
    row = lessons.authored_row(key=key)
    if row is None or row.owner_id != request.user.pk or row.document is None:
        raise Http404("no such challenge of yours")
    return row.document


@require_safe
@login_required
@ensure_csrf_cookie
def challenge_new(request: HttpRequest, classroom_id: Any = None) -> HttpResponse:
    refused = _teacher_or_403(request)
    if refused:
        return refused
    classroom = _class_for(request, classroom_id or request.GET.get("class", "")[:64])
    assign = (reverse("classroom:detail", args=[classroom.pk]) if classroom is not None
              else reverse("classroom:list"))
    mine = [{"id": str(d.pk), "name": d.name} for d in designs.designs_of(user=request.user).order_by("name")[:200]]
    return render(request, "classroom/challenge_builder.html", {
        "classroom": classroom,
        "builder": {"vocabulary": vocabulary(), "designs": mine, "document": _document_from(request),
                    "assign": assign, "classroom": str(classroom.pk) if classroom is not None else None}})


@require_safe
@login_required
def challenge_list(request: HttpRequest) -> HttpResponse:
    refused = _teacher_or_403(request)
    if refused:
        return refused
    rows = [{"row": row, "assignments": assignments_using(row.key), "step": challenge.STEP_ID}
            for row in lessons.authored_rows(owner=request.user)]
    return render(request, "classroom/challenge_list.html", {"rows": rows})


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def challenge_upload(request: HttpRequest) -> HttpResponse:
    refused = _teacher_or_403(request)
    if refused:
        return refused
    if request.method != "POST":
        return render(request, "classroom/challenge_upload.html", {"limits": _limits()})
    upload = request.FILES.get("file")
    problems: list[Problem]
    if upload is None:
        problems = [problem("file", "choose the lesson's zip file")]
    elif (upload.size or 0) > authored.MAX_ZIP_BYTES:
        problems = [problem(authored.ZIP, f"the zip is {upload.size:,} bytes; at most "
                                          f"{authored.MAX_ZIP_BYTES:,} are allowed")]
    else:
        try:
            row, warnings = authored_services.authored_upload(owner=request.user, data=upload.read())
        except authored_services.AuthoredRefused as exc:
            problems = exc.problems
        else:
            messages.success(request, f"Lesson uploaded: {row.title}. Set it in a class's assignment form.")
            for w in warnings:
                messages.warning(request, f"{w['path']}: {w['message']}")
            return redirect("challenges:list")
    return render(request, "classroom/challenge_upload.html", {"limits": _limits(), "problems": problems},
                  status=400)


def _limits() -> dict[str, Any]:
    return {"zip_mb": authored.MAX_ZIP_BYTES // (1024 * 1024), "files": authored.MAX_FILES,
            "unpacked_mb": authored.MAX_UNCOMPRESSED_BYTES // (1024 * 1024)}


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def challenge_delete(request: HttpRequest, key: str) -> HttpResponse:
    row = lessons.authored_row(key=key)
    if row is None or row.owner_id != request.user.pk:
        raise Http404("no such lesson of yours")
    what = "challenge" if row.source == AuthoredLesson.Source.CHALLENGE else "lesson"
    if request.method == "POST":
        try:
            authored_services.authored_delete(row=row, by=request.user)
        except authored_services.AuthoredRefused as exc:
            for p in exc.problems:
                messages.error(request, p["message"][0].upper() + p["message"][1:] + ".")
            return redirect("challenges:list")
        messages.success(request, f"Deleted the {what} {row.title}.")
        return redirect("challenges:list")
    used = assignments_using(row.key)
    back = reverse("challenges:list")
    if used:
        return confirm(request, heading=f"Delete {row.title}?", back=back, crumbs=[(back, "Lessons and challenges")],
                       sentences=[f"{used} assignment{'s use' if used != 1 else ' uses'} this {what}: it cannot be "
                                  "deleted while an assignment sets it."], action="", button="")
    return confirm(request, heading=f"Delete {row.title}?", back=back, crumbs=[(back, "Lessons and challenges")],
                   sentences=[f"The {what} is deleted for good; no assignment uses it."],
                   action=reverse("challenges:delete", args=[row.key]), button=f"Delete the {what}")
