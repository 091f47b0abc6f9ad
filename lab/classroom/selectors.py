"""Reads for classes. Every read takes the acting user; what they may not see is None (the API
answers 404, so a class or an assignment cannot be found by guessing its id).

Also the results table of an assignment (results(), at the end), which the API answers as it is.

Who sees what (docs/classroom.md has the table): a class, its assignments and their results are
its teacher's; a student of the class sees the class, the assignments already open (without
their hidden seeds and faults) and their own submissions, whose grades reveal the hidden parts.
"""
from __future__ import annotations

import uuid
from typing import Any, TypedDict

from django.contrib.auth import get_user_model
from django.db.models import Count, Q
from django.utils import timezone

# The teacher role is the accounts app's; the classroom's reads answer it too (re-exported).
from lab.accounts.roles import TEACHERS as TEACHERS, is_teacher as is_teacher
from lab.lessons import selectors as lessons
from lab.lessons.format import Lesson, Step

from . import checks
from .models import Assignment, Classroom, Membership, Submission


def _uuid(value: Any) -> uuid.UUID | None:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value)[:64])
    except ValueError:
        return None


def role_in(classroom: Classroom, user: Any) -> str | None:
    if not getattr(user, "is_authenticated", False):
        return None
    if classroom.teacher_id == user.pk:
        return "teacher"
    if Membership.objects.filter(classroom=classroom, student=user).exists():
        return "student"
    return None


def classrooms_of(*, user: Any) -> list[dict[str, Any]]:
    """The classes the user teaches, then those they are a student of, newest first."""
    if not getattr(user, "is_authenticated", False):
        return []
    counted = Classroom.objects.annotate(students=Count("memberships"))
    taught = [{"classroom": c, "role": "teacher", "students": c.students} for c in counted.filter(teacher=user)]
    joined = [{"classroom": c, "role": "student", "students": c.students}
              for c in counted.filter(memberships__student=user).exclude(teacher=user)]
    return taught + joined


def classroom_get(*, user: Any, classroom_id: Any) -> Classroom | None:
    key = _uuid(classroom_id)
    classroom = Classroom.objects.filter(id=key).select_related("teacher").first() if key else None
    return classroom if classroom is not None and role_in(classroom, user) else None


def normal_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch not in " -\t")


def classroom_by_code(*, code: str) -> Classroom | None:
    return Classroom.objects.filter(join_code=normal_code(code)).first()


def student_count(*, classroom: Classroom) -> int:
    return Membership.objects.filter(classroom=classroom).count()


def members(*, classroom: Classroom) -> list[Membership]:
    found = Membership.objects.filter(classroom=classroom).select_related("student", "student__pupil_account")
    return sorted(found, key=lambda m: sort_key(m.student))


def is_open(assignment: Assignment) -> bool:
    return assignment.opens is None or assignment.opens <= timezone.now()


def assignment_step(assignment: Assignment) -> tuple[Lesson, Step] | None:
    """The lesson and step the assignment sets, while the lesson folder still has them."""
    lesson = lessons.lesson_get(lesson_id=assignment.lesson)
    index = lessons.step_index(lesson=lesson, step_id=assignment.step) if lesson is not None else None
    return (lesson, lesson.steps[index]) if lesson is not None and index is not None else None


def points_for(assignment: Assignment) -> dict[str, float]:
    """Goal id -> points, for the step's goals as they are now."""
    found = assignment_step(assignment)
    ids = [str(g.get("id")) for g in found[1].goals] if found else list(assignment.points)
    return checks.points_of(assignment.points, ids)


def student_status(assignment: Assignment, student: Any) -> dict[str, Any]:
    mine = list(Submission.objects.filter(assignment=assignment, student=student).order_by("number"))
    scores = [s.score for s in mine if s.score is not None]
    why = why_not_submit(assignment, student, len(mine))
    return {"submissions": len(mine), "best_score": max(scores) if scores else None,
            "last_submitted": mine[-1].created if mine else None, "can_submit": why is None, "why_not": why}


def why_not_submit(assignment: Assignment, student: Any, submitted: int | None = None) -> str | None:
    """Why the student cannot submit now, in a sentence; None when they can."""
    now = timezone.now()
    if assignment.classroom.archived is not None:
        return "the class is archived"
    if assignment.opens is not None and not is_open(assignment):
        return f"the assignment opens at {assignment.opens.isoformat()}"
    if submitted is None:
        submitted = Submission.objects.filter(assignment=assignment, student=student).count()
    if assignment.max_attempts is not None and submitted >= assignment.max_attempts:
        return f"you have used all {assignment.max_attempts} attempts"
    if assignment.due is not None and now > assignment.due and assignment.late_policy == "refuse":
        return f"the assignment was due at {assignment.due.isoformat()} and takes no late work"
    return None


def assignments_of(*, classroom: Classroom, user: Any) -> list[dict[str, Any]]:
    """[{"assignment", "status"}]: every assignment for the teacher (status None); for a student
    those already open, with their status."""
    items = list(Assignment.objects.filter(classroom=classroom).select_related("classroom"))
    if classroom.teacher_id == getattr(user, "pk", None):
        return [{"assignment": a, "status": None} for a in items]
    return [{"assignment": a, "status": student_status(a, user)} for a in items if is_open(a)]


def assignment_get(*, user: Any, assignment_id: Any) -> Assignment | None:
    key = _uuid(assignment_id)
    assignment = (Assignment.objects.filter(id=key).select_related("classroom").first() if key else None)
    if assignment is None:
        return None
    role = role_in(assignment.classroom, user)
    if role == "teacher" or (role == "student" and is_open(assignment)):
        return assignment
    return None


def is_teacher_of(assignment: Assignment, user: Any) -> bool:
    return assignment.classroom.teacher_id == getattr(user, "pk", None)


def assignment_for_student(*, assignment: Assignment) -> dict[str, Any]:
    """What a student sees before submitting: never the hidden seeds or faults."""
    return {"id": assignment.id, "classroom": assignment.classroom_id, "title": assignment.title,
            "lesson": assignment.lesson, "step": assignment.step, "opens": assignment.opens, "due": assignment.due,
            "max_attempts": assignment.max_attempts, "late_policy": assignment.late_policy,
            "late_penalty_pct": assignment.late_penalty_pct, "points": points_for(assignment),
            "show_hints": assignment.show_hints, "show_reference": assignment.show_reference}


def assignment_for_teacher(*, assignment: Assignment) -> dict[str, Any]:
    return {**assignment_for_student(assignment=assignment), "hidden_seeds": list(assignment.hidden_seeds),
            "hidden_faults": list(assignment.hidden_faults), "created": assignment.created,
            "updated": assignment.updated}


def submission_get(*, user: Any, submission_id: Any) -> Submission | None:
    """A submission, for its student or the class's teacher."""
    key = _uuid(submission_id)
    sub = (Submission.objects.filter(id=key).select_related("assignment__classroom", "student", "attempt").first()
           if key else None)
    if sub is None or not getattr(user, "is_authenticated", False):
        return None
    return sub if sub.student_id == user.pk or is_teacher_of(sub.assignment, user) else None


def submissions_of(*, assignment: Assignment, student: Any = None) -> list[Submission]:
    query = Submission.objects.filter(assignment=assignment).select_related("student", "student__pupil_account", "attempt")
    if student is not None:
        query = query.filter(student=student)
    return sorted(query, key=lambda sub: (sort_key(sub.student), sub.number))


def ungraded(*, assignment: Assignment) -> list[Submission]:
    """Submissions waiting for a grade or a re-grade: a results read grades those whose runs are over."""
    return list(Submission.objects.filter(assignment=assignment)
                .filter(Q(graded__isnull=True) | Q(pending_attempt__isnull=False))
                .select_related("attempt", "pending_attempt", "assignment__classroom"))


def display_name(user: Any) -> str:
    return user.get_full_name() or user.username


def is_pupil(user: Any) -> bool:
    """A class-scoped pupil account (lab/classroom/pupils.py), whose username is generated."""
    return hasattr(user, "pupil_account")


def username_shown(user: Any) -> str | None:
    """The username a teacher sees beside the name: none for a pupil, whose username is an
    internal `pupil-...` that means nothing to anyone."""
    return None if is_pupil(user) else user.username


def sort_key(user: Any) -> tuple[str, str]:
    """Students in a teacher's lists: by the name shown, whatever its case."""
    return (display_name(user).casefold(), user.username)


def withheld(*, user: Any, lesson_id: str, step_id: str) -> dict[str, bool]:
    """What a student's classes withhold on a lesson step while an assignment of it is open and
    not yet due: its hints (show_hints off) and its reference solution (show_reference off).
    The lessons API asks this before it shows either, so turning them off holds for the API
    too, not only on the page."""
    if not getattr(user, "is_authenticated", False):
        return {"hints": False, "reference": False}
    now = timezone.now()
    open_ones = Assignment.objects.filter(
        lesson=lesson_id, step=step_id, classroom__memberships__student=user, classroom__archived__isnull=True,
    ).filter(Q(opens__isnull=True) | Q(opens__lte=now)).filter(Q(due__isnull=True) | Q(due__gt=now))
    flags = list(open_ones.values_list("show_hints", "show_reference"))
    return {"hints": any(not h for h, _ in flags), "reference": any(not r for _, r in flags)}


# An assignment's results for its teacher: per student their attempts, best and last submission
# (per goal: passed, the value measured, its unit) and total; per goal how many passed and the
# values measured, for a histogram. Read only: grading happens on reads of submissions (the
# views refresh the ungraded ones first). The API answers this document as it is.

class GoalResult(TypedDict):
    passed: bool
    value: float | None  # the first failing seed's measurement, else the first seed's
    unit: str


class ResultEntry(TypedDict):
    submission: uuid.UUID
    number: int
    score: float | None
    max_score: float
    late: bool
    created: Any  # a datetime (the API and the CSV write it as ISO 8601)
    graded: Any   # a datetime, or None while it waits for its runs
    goals: dict[str, GoalResult]


class ResultStudent(TypedDict):
    id: int | None        # None when anonymised
    name: str
    username: str | None  # None when anonymised, and for a pupil


class ResultRow(TypedDict):
    student: ResultStudent
    attempts: int
    best: ResultEntry | None
    last: ResultEntry | None
    total: float | None


class ResultGoal(TypedDict):
    id: str
    text: str
    points: float


class GoalDistribution(TypedDict):
    passed: int
    failed: int
    values: list[float]


class Results(TypedDict):
    goals: list[ResultGoal]
    rows: list[ResultRow]
    distribution: dict[str, GoalDistribution]


def _goal_results(sub: Submission) -> dict[str, GoalResult]:
    """Goal id -> {passed, value, unit}: the value shown is the first failing seed's, else the first's."""
    grade = sub.attempt.grade or {}
    out: dict[str, GoalResult] = {}
    for g in grade.get("goals") or []:
        measured = g.get("measured") or []
        shown = next((m for m in measured if not m["passed"]), measured[0] if measured else {})
        out[g["goal"]] = {"passed": bool(g["passed"]), "value": shown.get("value"), "unit": shown.get("unit", "")}
    if not out and grade.get("problems"):  # a run did not complete: every goal failed
        out = {str(g.get("id")): {"passed": False, "value": None, "unit": ""} for g in sub.attempt.goals}
    return out


def _result_entry(sub: Submission | None) -> ResultEntry | None:
    if sub is None:
        return None
    return {"submission": sub.id, "number": sub.number, "score": sub.score, "max_score": sub.max_score,
            "late": sub.late, "created": sub.created, "graded": sub.graded,
            "goals": _goal_results(sub) if sub.graded is not None else {}}


def results(*, assignment: Assignment, anonymise: bool = False) -> Results:
    found = assignment_step(assignment)
    points = points_for(assignment)
    goals: list[ResultGoal] = (
        [{"id": str(g.get("id")), "text": str(g.get("text", "")), "points": points.get(str(g.get("id")), 1.0)}
         for g in found[1].goals] if found else [{"id": k, "text": "", "points": v} for k, v in points.items()])
    subs: dict[int, list[Submission]] = {}
    for sub in Submission.objects.filter(assignment=assignment).select_related("attempt").order_by("number"):
        subs.setdefault(sub.student_id, []).append(sub)
    members = Membership.objects.filter(classroom=assignment.classroom).select_related("student", "student__pupil_account")
    students: dict[int, Any] = {m.student_id: m.student for m in members}
    # Those who left the class keep their rows: their work was handed in.
    gone = set(subs) - set(students)
    students.update({u.pk: u for u in get_user_model().objects.filter(pk__in=gone).select_related("pupil_account")})
    rows: list[ResultRow] = []
    distribution: dict[str, GoalDistribution] = {g["id"]: {"passed": 0, "failed": 0, "values": []} for g in goals}
    for i, user in enumerate(sorted(students.values(), key=sort_key), start=1):
        mine = subs.get(user.pk, [])
        graded = [s for s in mine if s.graded is not None and s.score is not None]
        # The best is the highest score; of equal scores, the earliest.
        best = max(graded, key=lambda s: (s.score or 0.0, -s.number)) if graded else None
        row: ResultRow = {
            "student": {"id": None if anonymise else user.pk,
                        "name": f"Student {i}" if anonymise else display_name(user),
                        "username": None if anonymise else username_shown(user)},
            "attempts": len(mine), "best": _result_entry(best), "last": _result_entry(mine[-1] if mine else None),
            "total": best.score if best else None}
        rows.append(row)
        for goal_id, result in (row["best"]["goals"] if row["best"] else {}).items():
            if goal_id in distribution:
                distribution[goal_id]["passed" if result["passed"] else "failed"] += 1
                if result["value"] is not None:
                    distribution[goal_id]["values"].append(result["value"])
    return {"goals": goals, "rows": rows, "distribution": distribution}
