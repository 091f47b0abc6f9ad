"""Classroom pages of assignments: setting one (the class page's form), changing one, a
student's view and its lab, the teacher's results and re-grade, and one submission.

As in views.py: a form is read by forms.py, one service is called, and whatever the user may
not see is a 404.
"""
from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from lab.lessons import selectors as lessons
from lab.views import render_lab
from lab.sim.problems import Problem

from . import forms, selectors, services
from .grading import regrade_running
from .views import class_page, confirm, count, taught_or_404, teaches


def _assignment_or_404(request: HttpRequest, assignment_id: Any) -> Any:
    assignment = selectors.assignment_get(user=request.user, assignment_id=assignment_id)
    if assignment is None:
        raise Http404("no such assignment")
    return assignment


def _set_assignment_or_404(request: HttpRequest, assignment_id: Any) -> Any:
    assignment = _assignment_or_404(request, assignment_id)
    if not teaches(request.user, assignment.classroom):
        raise Http404("no such assignment")
    return assignment


# ---- setting and changing one ----------------------------------------------------------------

@require_POST
@login_required
def assignment_create(request: HttpRequest, classroom_id: Any) -> HttpResponse:
    classroom = taught_or_404(request, classroom_id)
    typed = forms.assignment_typed(request.POST)
    args, problems = forms.assignment_arguments(typed)
    if problems:
        return class_page(request, classroom, status=400, typed=typed, assignment_problems=problems)
    try:
        assignment = services.assignment_create(classroom=classroom, by=request.user, **args)
    except services.ClassroomRefused as exc:
        return class_page(request, classroom, status=exc.status or 400, typed=typed, assignment_problems=exc.problems)
    messages.success(request, f"Assignment {assignment.title!r} set.")
    return redirect("classroom:detail", classroom.pk)


def _edit_page(request: HttpRequest, assignment: Any, typed: dict[str, Any], problems: list[Problem],
               status: int = 200) -> HttpResponse:
    context = forms.assignment_context(choices=forms.step_choices(user=request.user), typed=typed, problems=problems)
    return render(request, "classroom/assignment_edit.html", {
        "assignment": assignment, "classroom": assignment.classroom,
        "submissions": len(selectors.submissions_of(assignment=assignment)),
        "time_zone": timezone.get_current_timezone_name(), **context}, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def assignment_edit(request: HttpRequest, assignment_id: Any) -> HttpResponse:
    """Every field of the assignment form, filled with the assignment's values. Saving a change
    of what grades (the step, seeds, faults, points, late rules) with submissions made goes on
    to the re-grade's confirmation: grades already given stand until then."""
    assignment = _set_assignment_or_404(request, assignment_id)
    if request.method != "POST":
        return _edit_page(request, assignment, forms.assignment_initial(assignment), [])
    typed = forms.assignment_typed(request.POST)
    args, problems = forms.assignment_arguments(typed, current=assignment)
    if problems:
        return _edit_page(request, assignment, typed, problems, status=400)
    before = forms.grading_values(assignment)
    try:
        services.assignment_update(assignment=assignment, by=request.user, **args)
    except services.ClassroomRefused as exc:
        return _edit_page(request, assignment, typed, exc.problems, status=exc.status or 400)
    changed = forms.grading_changed(before, assignment)
    if changed and selectors.submissions_of(assignment=assignment):
        messages.success(request, "Saved. The grades already given were given before this change (of "
                         f"{', '.join(name.replace('_', ' ') for name in changed)}): re-grade to apply it.")
        return redirect("classroom:regrade", assignment.pk)
    messages.success(request, "Saved.")
    return redirect("classroom:results", assignment.pk)


# ---- a student's assignment and its lab --------------------------------------------------------

@require_safe
@login_required
def assignment_detail(request: HttpRequest, assignment_id: Any) -> HttpResponse:
    assignment = _assignment_or_404(request, assignment_id)
    if teaches(request.user, assignment.classroom):
        return redirect("classroom:results", assignment.pk)
    _refresh([s for s in selectors.ungraded(assignment=assignment) if s.student_id == request.user.pk])
    submissions = selectors.submissions_of(assignment=assignment, student=request.user)
    public = selectors.assignment_for_student(assignment=assignment)
    found = selectors.assignment_step(assignment)
    return render(request, "classroom/assignment.html", {
        "assignment": public, "classroom": assignment.classroom,
        "status": selectors.student_status(assignment, request.user),
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
    if lesson is None or step is None:
        raise Http404("the lesson step of this assignment is no longer there")
    status = selectors.student_status(assignment, request.user)
    if teaches(request.user, assignment.classroom):
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


# ---- the teacher's results and re-grade --------------------------------------------------------

@require_safe
@login_required
def assignment_results(request: HttpRequest, assignment_id: Any) -> HttpResponse:
    assignment = _set_assignment_or_404(request, assignment_id)
    anonymise = request.GET.get("anonymise") == "1"
    _refresh(selectors.ungraded(assignment=assignment))
    results = selectors.results(assignment=assignment, anonymise=anonymise)
    rows = [{**row, "cells": _cells(results["goals"], row["best"])} for row in results["rows"]]
    return render(request, "classroom/results.html", {
        "assignment": assignment, "results": {**results, "rows": rows}, "anonymise": anonymise,
        "chart": {"goals": results["goals"], "distribution": results["distribution"],
                  "plotly": static("vendor/plotly/plotly-cartesian.min.js")}})


def _cells(goals: list[selectors.ResultGoal], best: selectors.ResultEntry | None) -> list[dict[str, Any]]:
    """A row's goals in the table's order: passed (None when not graded), the goal's points
    when passed, and the value measured."""
    graded = best["goals"] if best else {}
    out: list[dict[str, Any]] = []
    for goal in goals:
        mine = graded.get(goal["id"])
        passed = mine["passed"] if mine else None
        out.append({"passed": passed, "score": (goal["points"] if passed else 0) if passed is not None else None,
                    "value": mine["value"] if mine else None, "unit": mine["unit"] if mine else ""})
    return out


def _regrade_confirm(request: HttpRequest, assignment: Any) -> HttpResponse:
    students = len({s.student_id for s in selectors.submissions_of(assignment=assignment)})
    results = reverse("classroom:results", args=[assignment.pk])
    crumbs = [(reverse("classroom:detail", args=[assignment.classroom.pk]), assignment.classroom.name),
              (results, f"Results: {assignment.title}")]
    if not students:
        sentences = ["Nobody has submitted yet: there is nothing to re-grade."]
    elif regrade_running(assignment):
        sentences = ["A re-grade of this assignment is still waiting for its runs: once it is over, you can "
                     "re-grade again."]
    else:
        sentences = [f"The latest submission of each of its {count(students, 'student', 'students')} is graded "
                     "again, with the assignment as it is now: its seeds, faults, goals, points and late rules.",
                     "Each score stays until its new grade arrives, then is replaced; the old grade stays in the "
                     "submission's history.",
                     "The runs are yours and count against no student's allowance; students' attempts are not "
                     "used up."]
        return confirm(request, heading=f"Re-grade every submission of {assignment.title}?", sentences=sentences,
                       action=request.path, button="Re-grade every submission", back=results, crumbs=crumbs)
    return confirm(request, heading=f"Re-grade {assignment.title}", sentences=sentences, action="", button="",
                   back=results, crumbs=crumbs)


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def assignment_regrade(request: HttpRequest, assignment_id: Any) -> HttpResponse:
    """GET: what a re-grade does, and the button; POST: re-grade."""
    assignment = _set_assignment_or_404(request, assignment_id)
    if request.method != "POST":
        return _regrade_confirm(request, assignment)
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
    from lab.sim.document.schema import catalogue

    attempt = submission.attempt
    return render(request, "classroom/submission.html", {
        "submission": submission, "assignment": submission.assignment, "feedback": _feedback(submission),
        "teaching": teaches(request.user, submission.assignment.classroom),
        "topology": attempt.topology if attempt is not None else {}, "catalogue": catalogue()})
