"""Classroom pages of classes: the classes of a teacher or a student, joining with a code, a
class's page (the teacher's settings, students and the assignment form; a student's open
assignments), and the confirmations of what cannot be undone in a click (removing a student,
leaving, archiving). The assignments' pages are in assignment_views.py, the forms in forms.py.

Rules live in selectors.py and services.py; these read a form, call one service and render.
Every read goes through a selector that answers None for what the user may not see, and every
such denial is a 404: nobody learns that a class exists by guessing its id. A confirmation is a
page of its own (GET) with the button that does it (POST): it works without JavaScript.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from lab.sim.problems import Problem, problem

from . import forms, selectors, services


def teaches(user: Any, classroom: Any) -> bool:
    return classroom.teacher_id == user.pk


def classroom_or_404(request: HttpRequest, classroom_id: Any) -> Any:
    classroom = selectors.classroom_get(user=request.user, classroom_id=classroom_id)
    if classroom is None:
        raise Http404("no such class")
    return classroom


def taught_or_404(request: HttpRequest, classroom_id: Any) -> Any:
    classroom = classroom_or_404(request, classroom_id)
    if not teaches(request.user, classroom):
        raise Http404("no such class")
    return classroom


def confirm(request: HttpRequest, *, heading: str, sentences: list[str], action: str, button: str,
            back: str, crumbs: list[tuple[str, str]], fields: dict[str, str] | None = None) -> HttpResponse:
    """A confirmation page: what will happen, in sentences, and one button that does it."""
    return render(request, "classroom/confirm.html", {
        "heading": heading, "sentences": sentences, "action": action, "button": button, "back": back,
        "crumbs": crumbs, "fields": fields or {}})


def count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


# ---- the classes -------------------------------------------------------------------------------

def _list(request: HttpRequest, status: int = 200, **extra: Any) -> HttpResponse:
    """The classes. With ?lesson=&step= (where the challenge builder sends a teacher who has
    none in mind) each class taught links to its assignment form with that step chosen."""
    pick = {k: request.GET[k][:64] for k in ("lesson", "step") if request.GET.get(k)}
    return render(request, "classroom/list.html", {
        "classes": selectors.classrooms_of(user=request.user), "is_teacher": selectors.is_teacher(request.user),
        "pick_query": urlencode(pick) if "lesson" in pick else "", **extra}, status=status)


@require_safe
@login_required
def class_list(request: HttpRequest) -> HttpResponse:
    return _list(request)


@require_POST
@login_required
def class_create(request: HttpRequest) -> HttpResponse:
    name = request.POST.get("name", "")
    try:
        classroom = services.classroom_create(teacher=request.user, name=name)
    except services.ClassroomRefused as exc:
        return _list(request, status=exc.status or 400, create_form={"name": name},
                     create=forms.form_problems(exc.problems, ("name",)))
    messages.success(request, "Class created: give your students its join code or its join link.")
    return redirect("classroom:detail", classroom.pk)


@require_POST
@login_required
def class_join_code(request: HttpRequest) -> HttpResponse:
    """The "Join a class" form of the classes page: the code typed in."""
    code = request.POST.get("code", "").strip()
    return _join(request, code, lambda exc: _list(request, status=exc.status or 400, join_form={"code": code},
                                                  join=forms.form_problems(exc.problems, ("code",))))


def _join(request: HttpRequest, code: str, refused: Any) -> HttpResponse:
    try:
        classroom = services.classroom_join(user=request.user, code=code).classroom
    except services.ClassroomRefused as exc:
        return refused(exc)
    messages.success(request, f"You joined {classroom.name}.")
    return redirect("classroom:detail", classroom.pk)


@ensure_csrf_cookie
def class_join(request: HttpRequest, code: str) -> HttpResponse:
    """A join link: the class and its teacher, and a Join button. A visitor signs up or logs
    in first and comes back here. An unknown code is a 404 like any page that is not there."""
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponse(status=405)
    classroom = selectors.classroom_by_code(code=code)
    if classroom is None or classroom.archived is not None:
        raise Http404("this join link does not work")
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect_to_login(request.path)
        return _join(request, code, lambda exc: render(request, "classroom/join.html", {
            "classroom": classroom, "code": code, "problems": exc.problems}, status=exc.status or 400))
    member = request.user.is_authenticated and selectors.classroom_get(user=request.user, classroom_id=classroom.pk)
    return render(request, "classroom/join.html", {"classroom": classroom, "code": code, "member": bool(member)})


# ---- one class ---------------------------------------------------------------------------------

def class_page(request: HttpRequest, classroom: Any, status: int = 200, *, typed: dict[str, Any] | None = None,
               assignment_problems: list[Problem] | None = None, **extra: Any) -> HttpResponse:
    """The class's page; for its teacher with the assignment form (`typed` as sent, else new and
    preselected from ?lesson=&step=) and its problems."""
    teaching = teaches(request.user, classroom)
    context: dict[str, Any] = {"classroom": classroom, "teaching": teaching,
                               "assignments": selectors.assignments_of(classroom=classroom, user=request.user)}
    if teaching:
        choices = forms.step_choices(user=request.user)
        if typed is None:
            typed = forms.assignment_initial()
            typed["step"] = forms.preselected(choices, request.GET.get("lesson", ""), request.GET.get("step", ""))
        context.update({
            "students": selectors.members(classroom=classroom),
            "join_url": request.build_absolute_uri(reverse("classroom:join", args=[classroom.join_code])),
            "time_zone": timezone.get_current_timezone_name(),
            "rename_form": {"name": classroom.name}, "rename": forms.form_problems([], ("name",)),
            **forms.assignment_context(choices=choices, typed=typed, problems=assignment_problems or [])})
    context.update(extra)
    return render(request, "classroom/detail.html", context, status=status)


@require_safe
@login_required
def class_detail(request: HttpRequest, classroom_id: Any) -> HttpResponse:
    return class_page(request, classroom_or_404(request, classroom_id))


SETTINGS_DONE = {"open": "Joining is open: the code and the link work.",
                 "close": "Joining is closed: the code no longer works.",
                 "archive": "Archived: the class is kept, read-only.", "restore": "Restored from the archive.",
                 "rename": "Renamed."}


@require_POST
@login_required
def class_settings(request: HttpRequest, classroom_id: Any) -> HttpResponse:
    """Rename, open or close joining, archive or restore: `what` says which."""
    classroom = taught_or_404(request, classroom_id)
    what = request.POST.get("what", "")
    name = request.POST.get("name", "")
    choices: dict[str, dict[str, Any]] = {
        "open": {"joining_open": True}, "close": {"joining_open": False},
        "archive": {"archived": True}, "restore": {"archived": False}, "rename": {"name": name},
    }
    changes = choices.get(what, {})
    if not changes:
        return class_page(request, classroom, status=400,
                          problems=[problem("what", "say what to change")])
    before = classroom.name
    try:
        services.classroom_update(classroom=classroom, by=request.user, **changes)
    except services.ClassroomRefused as exc:
        if what != "rename":
            return class_page(request, classroom, status=exc.status or 400, problems=exc.problems)
        classroom.name = before  # the page's title stays the class's name, the field what was typed
        return class_page(request, classroom, status=exc.status or 400, rename_form={"name": name},
                          rename=forms.form_problems(exc.problems, ("name",)))
    messages.success(request, SETTINGS_DONE[what])
    return redirect("classroom:detail", classroom.pk)


@require_safe
@login_required
def class_archive(request: HttpRequest, classroom_id: Any) -> HttpResponse:
    """The confirmation of archiving; its button posts to class_settings."""
    classroom = taught_or_404(request, classroom_id)
    if classroom.archived is not None:
        return redirect("classroom:detail", classroom.pk)
    students = selectors.student_count(classroom=classroom)
    return confirm(
        request, heading=f"Archive {classroom.name}?",
        sentences=["The class is kept, read-only: nobody can join it, no assignment can be set in it"
                   + (f", and its {count(students, 'student', 'students')} can no longer submit." if students else "."),
                   "Its assignments, results and CSV files can still be read and downloaded.",
                   "You can restore it from the archive at any time."],
        action=reverse("classroom:settings", args=[classroom.pk]), fields={"what": "archive"},
        button="Archive the class", back=reverse("classroom:detail", args=[classroom.pk]),
        crumbs=[(reverse("classroom:detail", args=[classroom.pk]), classroom.name)])


def _submission_count(classroom: Any, student: Any) -> int:
    return sum(len(selectors.submissions_of(assignment=item["assignment"], student=student))
               for item in selectors.assignments_of(classroom=classroom, user=classroom.teacher))


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def student_remove(request: HttpRequest, classroom_id: Any, student_id: int) -> HttpResponse:
    """GET: what removing the student does, and the button; POST: remove them."""
    classroom = taught_or_404(request, classroom_id)
    student = next((m.student for m in selectors.members(classroom=classroom) if m.student.pk == student_id), None)
    if student is None:
        raise Http404("no such student in this class")
    name = selectors.display_name(student)
    if request.method != "POST":
        n = _submission_count(classroom, student)
        return confirm(
            request, heading=f"Remove {name} from {classroom.name}?",
            sentences=[f"{name}'s {count(n, 'submission', 'submissions')} {'stays' if n == 1 else 'stay'} in the "
                       "results and the CSV files." if n else f"{name} has no submission in this class.",
                       f"{name} can no longer submit to its assignments or see them.",
                       f"{name} has a pupil account of this class: removing them also closes it, and it can no "
                       "longer sign in." if selectors.is_pupil(student) else
                       "To come back, they join again with the class's code or link while joining is open."],
            action=request.path, button=f"Remove {name}", back=reverse("classroom:detail", args=[classroom.pk]),
            crumbs=[(reverse("classroom:detail", args=[classroom.pk]), classroom.name)])
    try:
        services.student_remove(classroom=classroom, by=request.user, student=student)
    except services.ClassroomRefused as exc:
        return class_page(request, classroom, status=exc.status or 400, problems=exc.problems)
    messages.success(request, f"Removed {name} from the class; their submissions are kept.")
    return redirect("classroom:detail", classroom.pk)


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def class_leave(request: HttpRequest, classroom_id: Any) -> HttpResponse:
    """GET: what leaving does, and the button; POST: leave."""
    classroom = classroom_or_404(request, classroom_id)
    if request.method != "POST":
        if teaches(request.user, classroom) or selectors.is_pupil(request.user):
            raise Http404("a teacher does not leave their class, nor a pupil account the class it belongs to")
        n = _submission_count(classroom, request.user)
        return confirm(
            request, heading=f"Leave {classroom.name}?",
            sentences=[f"Your {count(n, 'submission', 'submissions')} {'stays' if n == 1 else 'stay'} with your "
                       "teacher, in the class's results." if n else "You have no submission in this class.",
                       "You can no longer submit to its assignments or see them.",
                       "To come back, you join again with the class's code or link, while joining is open."],
            action=request.path, button="Leave the class", back=reverse("classroom:detail", args=[classroom.pk]),
            crumbs=[(reverse("classroom:detail", args=[classroom.pk]), classroom.name)])
    try:
        services.classroom_leave(user=request.user, classroom=classroom)
    except services.ClassroomRefused as exc:
        return class_page(request, classroom, status=exc.status or 400, problems=exc.problems)
    messages.success(request, f"You left {classroom.name}.")
    return redirect("classroom:list")
