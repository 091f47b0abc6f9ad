"""Classroom pages: the classes of a teacher or a student, joining with a code, a class's page
(the teacher's settings, students and assignments; a student's open assignments), an
assignment (a student's view and its lab, the teacher's results) and one submission.

Rules live in selectors.py and services.py; these parse a form, call one service and render.
Every read goes through a selector that answers None for what the user may not see, and every
such denial is a 404: nobody learns that a class exists by guessing its id.
"""
from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_POST, require_safe

from lab.lessons import selectors as lessons
from lab.views import render_lab

from . import selectors, services


def _teaches(user: Any, classroom: Any) -> bool:
    return classroom.teacher_id == user.pk


def _classroom_or_404(request: HttpRequest, classroom_id: Any) -> Any:
    classroom = selectors.classroom_get(user=request.user, classroom_id=classroom_id)
    if classroom is None:
        raise Http404("no such class")
    return classroom


def _taught_or_404(request: HttpRequest, classroom_id: Any) -> Any:
    classroom = _classroom_or_404(request, classroom_id)
    if not _teaches(request.user, classroom):
        raise Http404("no such class")
    return classroom


def _assignment_or_404(request: HttpRequest, assignment_id: Any) -> Any:
    assignment = selectors.assignment_get(user=request.user, assignment_id=assignment_id)
    if assignment is None:
        raise Http404("no such assignment")
    return assignment


def _set_assignment_or_404(request: HttpRequest, assignment_id: Any) -> Any:
    assignment = _assignment_or_404(request, assignment_id)
    if not _teaches(request.user, assignment.classroom):
        raise Http404("no such assignment")
    return assignment


# ---- the classes -------------------------------------------------------------------------------

def _list(request: HttpRequest, status: int = 200, **extra: Any) -> HttpResponse:
    return render(request, "classroom/list.html", {
        "classes": selectors.classrooms_of(user=request.user),
        "is_teacher": selectors.is_teacher(request.user), **extra}, status=status)


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
        return _list(request, status=exc.status or 400, problems=exc.problems, create_form={"name": name})
    messages.success(request, "Class created: give your students its join code or its join link.")
    return redirect("classroom:detail", classroom.pk)


@require_POST
@login_required
def class_join_code(request: HttpRequest) -> HttpResponse:
    """The "Join a class" form of the classes page: the code typed in."""
    code = request.POST.get("code", "").strip()
    return _join(request, code, lambda exc: _list(request, status=exc.status or 400, join_problems=exc.problems,
                                                  join_form={"code": code}))


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

def _step_choices() -> list[dict[str, Any]]:
    """Every lesson step a teacher may set, grouped by lesson, with "lesson/step" as the value."""
    out = []
    for item in lessons.lesson_list(user=None):
        lesson = lessons.lesson_get(lesson_id=item["id"])
        if lesson is None:
            continue
        out.append({"id": lesson.id, "title": lesson.title,
                    "steps": [{"value": f"{lesson.id}/{s.id}", "title": f"{i}. {s.title}", "goals": list(s.goals)}
                              for i, s in enumerate(lesson.steps, start=1)]})
    return out


def _detail(request: HttpRequest, classroom: Any, status: int = 200, **extra: Any) -> HttpResponse:
    teaching = _teaches(request.user, classroom)
    context: dict[str, Any] = {"classroom": classroom, "teaching": teaching,
                               "assignments": selectors.assignments_of(classroom=classroom, user=request.user)}
    if teaching:
        context.update({
            "students": selectors.members(classroom=classroom), "steps": _step_choices(),
            "join_url": request.build_absolute_uri(reverse("classroom:join", args=[classroom.join_code])),
            "form": {"late_policy": "accept", "show_hints": True, "late_penalty_pct": "0"},
            "time_zone": timezone.get_current_timezone_name()})
    context.update(extra)
    return render(request, "classroom/detail.html", context, status=status)


@require_safe
@login_required
def class_detail(request: HttpRequest, classroom_id: Any) -> HttpResponse:
    return _detail(request, _classroom_or_404(request, classroom_id))


@require_POST
@login_required
def class_settings(request: HttpRequest, classroom_id: Any) -> HttpResponse:
    """Open or close joining, archive or restore: one button each, `what` says which."""
    classroom = _taught_or_404(request, classroom_id)
    what = request.POST.get("what", "")
    changes: dict[str, Any] = {
        "open": {"joining_open": True}, "close": {"joining_open": False},
        "archive": {"archived": True}, "restore": {"archived": False},
        "rename": {"name": request.POST.get("name", "")},
    }.get(what, {})
    if not changes:
        return _detail(request, classroom, status=400,
                       problems=[{"path": "what", "message": "say what to change", "severity": "error"}])
    try:
        services.classroom_update(classroom=classroom, by=request.user, **changes)
    except services.ClassroomRefused as exc:
        return _detail(request, classroom, status=exc.status or 400, problems=exc.problems)
    done = {"open": "Joining is open: the code and the link work.", "close": "Joining is closed: the code no longer works.",
            "archive": "Archived: the class is kept, read-only.", "restore": "Restored from the archive.",
            "rename": "Renamed."}
    messages.success(request, done[what])
    return redirect("classroom:detail", classroom.pk)


@require_POST
@login_required
def student_remove(request: HttpRequest, classroom_id: Any, student_id: int) -> HttpResponse:
    classroom = _taught_or_404(request, classroom_id)
    student = next((m.student for m in selectors.members(classroom=classroom) if m.student.pk == student_id), None)
    if student is None:
        raise Http404("no such student in this class")
    try:
        services.student_remove(classroom=classroom, by=request.user, student=student)
    except services.ClassroomRefused as exc:
        return _detail(request, classroom, status=exc.status or 400, problems=exc.problems)
    messages.success(request, f"Removed {student.username} from the class; their submissions are kept.")
    return redirect("classroom:detail", classroom.pk)


@require_POST
@login_required
def class_leave(request: HttpRequest, classroom_id: Any) -> HttpResponse:
    classroom = _classroom_or_404(request, classroom_id)
    try:
        services.classroom_leave(user=request.user, classroom=classroom)
    except services.ClassroomRefused as exc:
        return _detail(request, classroom, status=exc.status or 400, problems=exc.problems)
    messages.success(request, f"You left {classroom.name}.")
    return redirect("classroom:list")


def _number(text: str) -> Any:
    """A number typed in a form; text that is not one goes to the service as it is, so the
    service's problem for it is shown."""
    text = text.strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return text


def _assignment_form(post: Any) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, str]]]:
    """The form as typed (to show it again), the service's arguments, and the problems found
    while parsing (hidden faults that are not JSON). Dates go to the service as typed
    (datetime-local, the server's time zone): it says what is wrong with them."""
    form: dict[str, Any] = {k: post.get(k, "") for k in (
        "title", "step", "opens", "due", "max_attempts", "late_policy", "late_penalty_pct", "hidden_seeds",
        "hidden_faults")}
    form["show_hints"] = post.get("show_hints") == "on"
    form["show_reference"] = post.get("show_reference") == "on"
    form["points"] = {k[len("points."):]: v for k, v in post.items() if k.startswith("points.") and v.strip()}
    lesson, _, step = form["step"].partition("/")
    problems: list[dict[str, str]] = []
    faults = None
    if form["hidden_faults"].strip():
        try:
            faults = json.loads(form["hidden_faults"])
        except ValueError as exc:
            problems.append({"path": "$.hidden_faults", "message": f"hidden faults are a JSON list of faults ({exc})",
                             "severity": "error"})
    args: dict[str, Any] = {
        "title": form["title"], "lesson": lesson, "step": step,
        "opens": form["opens"].strip() or None, "due": form["due"].strip() or None,
        "max_attempts": _number(form["max_attempts"]), "late_policy": form["late_policy"] or "accept",
        "late_penalty_pct": _number(form["late_penalty_pct"]) or 0,
        "show_hints": form["show_hints"], "show_reference": form["show_reference"],
        "hidden_seeds": [_number(s) for s in form["hidden_seeds"].split(",") if s.strip()] or None,
        "hidden_faults": faults, "points": {k: _number(v) for k, v in form["points"].items()} or None,
    }
    return form, args, problems


@require_POST
@login_required
def assignment_create(request: HttpRequest, classroom_id: Any) -> HttpResponse:
    classroom = _taught_or_404(request, classroom_id)
    form, args, problems = _assignment_form(request.POST)
    if problems:
        return _detail(request, classroom, status=400, assignment_problems=problems, form=form)
    try:
        assignment = services.assignment_create(classroom=classroom, by=request.user, **args)
    except services.ClassroomRefused as exc:
        return _detail(request, classroom, status=exc.status or 400, assignment_problems=exc.problems, form=form)
    messages.success(request, f"Assignment {assignment.title!r} set.")
    return redirect("classroom:detail", classroom.pk)


# ---- one assignment ----------------------------------------------------------------------------

def _status(assignment: Any, user: Any) -> dict[str, Any]:
    """The student's status on this assignment: {submissions, best_score, last_submitted,
    can_submit, why_not}."""
    return selectors.student_status(assignment, user)


@require_safe
@login_required
def assignment_detail(request: HttpRequest, assignment_id: Any) -> HttpResponse:
    assignment = _assignment_or_404(request, assignment_id)
    if _teaches(request.user, assignment.classroom):
        return redirect("classroom:results", assignment.pk)
    _refresh([s for s in selectors.ungraded(assignment=assignment) if s.student_id == request.user.pk])
    submissions = selectors.submissions_of(assignment=assignment, student=request.user)
    public = selectors.assignment_for_student(assignment=assignment)
    found = selectors.assignment_step(assignment)
    return render(request, "classroom/assignment.html", {
        "assignment": public, "classroom": assignment.classroom, "status": _status(assignment, request.user),
        "submissions": [_feedback(s) for s in reversed(submissions)],
        "attempts_left": max(0, assignment.max_attempts - len(submissions)) if assignment.max_attempts else None,
        "lesson_title": found[0].title if found else assignment.lesson,
        "step_title": found[1].title if found else assignment.step,
        "max_score": sum(public["points"].values()),
        # That there are hidden parts is said (not what they are): the student knows to design
        # for the problem, not for the seeds they can see.
        "has_hidden": bool(assignment.hidden_seeds or assignment.hidden_faults)})


def _refresh(submissions: list[Any]) -> None:
    """Grade the submissions whose runs are over (a grade is stored on its first read)."""
    for submission in submissions:
        if submission.graded is None or submission.pending_attempt_id is not None:
            services.submission_refresh(submission=submission)


def _feedback(submission: Any) -> dict[str, Any]:
    """A submission with its grade goal by goal, and the seeds and faults it was graded on
    (revealed once submitted)."""
    attempt = submission.attempt
    grade = (attempt.grade or {}) if attempt is not None else {}
    scenario = (attempt.scenario or {}) if attempt is not None else {}
    return {"submission": submission, "status": attempt.status if attempt is not None else "",
            "goals": grade.get("goals", []), "problems": grade.get("problems", []),
            "seeds": (attempt.seeds or []) if attempt is not None else [],
            "faults": [f.get("id") or f.get("kind") for f in scenario.get("faults", []) if isinstance(f, dict)]}


@require_safe
@login_required
@ensure_csrf_cookie
def assignment_lab(request: HttpRequest, assignment_id: Any) -> HttpResponse:
    """The assignment's lesson step in the lab: the lesson panel, submitting to the assignment."""
    assignment = _assignment_or_404(request, assignment_id)
    lesson = lessons.lesson_get(lesson_id=assignment.lesson)
    step = next((s for s in lesson.steps if s.id == assignment.step), None) if lesson is not None else None
    if step is None:
        raise Http404("the lesson step of this assignment is no longer there")
    status = _status(assignment, request.user)
    if _teaches(request.user, assignment.classroom):
        status = {"can_submit": False, "why_not": "you teach this class; only its students submit"}
    return render_lab(request, lesson={
        "id": lesson.id, "title": lesson.title, "step": step.id, "steps": [{"id": step.id, "title": step.title}],
        "assignment": {
            "id": str(assignment.pk), "title": assignment.title, "classroom": assignment.classroom.name,
            "due": assignment.due.isoformat() if assignment.due else None,
            "due_text": timezone.localtime(assignment.due).strftime("%Y-%m-%d %H:%M") if assignment.due else "",
            "late_policy": assignment.late_policy, "max_attempts": assignment.max_attempts,
            "show_hints": assignment.show_hints, "show_reference": assignment.show_reference,
            # That there is more to it is said (what, once submitted): design for the problem.
            "hidden": bool(assignment.hidden_seeds or assignment.hidden_faults),
            "can_submit": status["can_submit"], "why_not": status["why_not"] or "",
            "url": reverse("classroom:assignment", args=[assignment.pk]),
        }})


@require_safe
@login_required
def assignment_results(request: HttpRequest, assignment_id: Any) -> HttpResponse:
    assignment = _set_assignment_or_404(request, assignment_id)
    anonymise = request.GET.get("anonymise") == "1"
    _refresh(selectors.ungraded(assignment=assignment))
    results = selectors.results(assignment=assignment, anonymise=anonymise)
    for row in results["rows"]:
        row["cells"] = _cells(results["goals"], row.get("best"))
    return render(request, "classroom/results.html", {
        "assignment": assignment, "results": results, "anonymise": anonymise,
        "chart": {"goals": results["goals"], "distribution": results["distribution"],
                  "plotly": static("vendor/plotly/plotly-cartesian.min.js")}})


def _cells(goals: list[dict[str, Any]], best: dict[str, Any] | None) -> list[dict[str, Any]]:
    """A row's goals in the table's order: passed (None when not graded), the goal's points
    when passed, and the value measured."""
    graded = (best or {}).get("goals") or {}
    out = []
    for goal in goals:
        mine = graded.get(goal["id"]) or {}
        passed = mine.get("passed")
        out.append({"passed": passed, "score": (goal["points"] if passed else 0) if passed is not None else None,
                    "value": mine.get("value"), "unit": mine.get("unit", "")})
    return out


@require_POST
@login_required
def assignment_regrade(request: HttpRequest, assignment_id: Any) -> HttpResponse:
    assignment = _set_assignment_or_404(request, assignment_id)
    try:
        services.assignment_regrade(assignment=assignment, by=request.user)
    except services.ClassroomRefused as exc:
        messages.error(request, "; ".join(p["message"] for p in exc.problems) or "Not re-graded.")
    else:
        messages.success(request, "Every submission is being graded again; reload to see the new scores.")
    return redirect("classroom:results", assignment.pk)


# ---- one submission ----------------------------------------------------------------------------

@require_safe
@login_required
def submission_detail(request: HttpRequest, submission_id: Any) -> HttpResponse:
    """A submission: its design read-only on a canvas and its feedback. Its student and the
    class's teacher may see it; anybody else gets a 404."""
    submission = selectors.submission_get(user=request.user, submission_id=submission_id)
    if submission is None:
        raise Http404("no such submission")
    _refresh([submission])
    from lab.sim.schema import catalogue

    attempt = submission.attempt
    return render(request, "classroom/submission.html", {
        "submission": submission, "assignment": submission.assignment, "feedback": _feedback(submission),
        "teaching": _teaches(request.user, submission.assignment.classroom),
        "topology": attempt.topology if attempt is not None else {}, "catalogue": catalogue()})
