"""Writes for classes: teachers, classes and join codes, members, assignments, and (in
lab/classroom/grading.py, re-exported here) submissions, their grades and re-grades.

Every refusal is a ClassroomRefused with every problem ({"path", "message", "severity"}, as the
API answers them) and its HTTP status: 400 bad input, 403 not allowed, 404 not there, 409 not
now (a closed or archived class, an assignment not open, no attempts left), 429 too many tries.
"""
from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone

from lab.accounts.roles import TEACHERS, is_teacher
from lab.lessons import selectors as lessons
from lab.lessons.access import may_preview_authored
from lab.lessons.authored import is_authored_id

from . import checks
from .errors import ClassroomRefused
# The grading writes are services of the classroom too (re-exported).
from .grading import assignment_regrade as assignment_regrade
from .grading import submission_create as submission_create
from .grading import submission_refresh as submission_refresh
from .models import JOIN_ALPHABET, JOIN_CODE_LENGTH, Assignment, Classroom, Membership
from .selectors import classroom_by_code

MAX_CLASSES = 50      # per teacher
MAX_STUDENTS = 500    # per class
MAX_JOIN_FAILURES = 20  # wrong codes per user per hour: 31**8 codes cannot be tried one by one
JOIN_WINDOW_S = 3600

__all__ = ["ClassroomRefused", "grant_teacher", "classroom_create", "classroom_update", "classroom_join",
           "classroom_leave", "student_remove", "assignment_create", "assignment_update",
           "submission_create", "submission_refresh", "assignment_regrade"]


def grant_teacher(*, user: Any, revoke: bool = False) -> None:
    """Make `user` a teacher (a member of the "teachers" group), or no longer one. A former
    teacher's classes stay, read-only for them until they are a teacher again."""
    group, _ = Group.objects.get_or_create(name=TEACHERS)
    if revoke:
        user.groups.remove(group)
    else:
        user.groups.add(group)


# -- classes -----------------------------------------------------------------------------------

def _new_code() -> str:
    return "".join(secrets.choice(JOIN_ALPHABET) for _ in range(JOIN_CODE_LENGTH))


def _require_teacher_of(classroom: Classroom, by: Any) -> None:
    if classroom.teacher_id != getattr(by, "pk", None) or not is_teacher(by):
        raise ClassroomRefused("only the class's teacher can do this", status=403)


def classroom_create(*, teacher: Any, name: Any) -> Classroom:
    if not is_teacher(teacher):
        raise ClassroomRefused("only teachers create classes; an administrator makes you one (python manage.py "
                               "grant_teacher <username>)", status=403)
    problems: list[checks.Problem] = []
    clean = checks.clean_name(name, "$.name", max_length=100, what="class name", problems=problems)
    if problems or clean is None:  # no name is always a problem listed
        raise ClassroomRefused(problems)
    if Classroom.objects.filter(teacher=teacher).count() >= MAX_CLASSES:
        raise ClassroomRefused(f"a teacher has at most {MAX_CLASSES} classes; archive and delete old ones first",
                               status=409)
    for _ in range(5):  # 31**8 codes: a clash is rare, five in a row is a broken generator
        try:
            with transaction.atomic():
                return Classroom.objects.create(teacher=teacher, name=clean, join_code=_new_code())
        except IntegrityError:
            continue
    raise ClassroomRefused("no free join code could be made; try again", status=409)


def classroom_update(*, classroom: Classroom, by: Any, name: Any = None, joining_open: Any = None,
                     archived: Any = None) -> Classroom:
    """Rename, open or close joining, archive (true) or unarchive (false) a class."""
    _require_teacher_of(classroom, by)
    problems: list[checks.Problem] = []
    fields: dict[str, Any] = {}
    if name is not None:
        fields["name"] = checks.clean_name(name, "$.name", max_length=100, what="class name", problems=problems)
    if joining_open is not None:
        fields["joining_open"] = checks.boolean(joining_open, "$.joining_open", problems)
    if archived is not None and checks.boolean(archived, "$.archived", problems) is not None:
        fields["archived"] = (classroom.archived or timezone.now()) if archived else None
    if problems:
        raise ClassroomRefused(problems)
    for key, value in fields.items():
        setattr(classroom, key, value)
    if fields:
        classroom.save(update_fields=list(fields))
    return classroom


def _failures_key(user: Any) -> str:
    return f"classroom:join-failures:{user.pk}"


def classroom_join(*, user: Any, code: Any) -> Membership:
    """Join the class of `code` (any case, spaces and dashes ignored). Joining twice is joining
    once. Wrong codes are counted per user: past MAX_JOIN_FAILURES an hour, every try is a 429."""
    if not getattr(user, "is_authenticated", False):
        raise ClassroomRefused("sign in to join a class", status=401)
    key = _failures_key(user)
    if cache.get(key, 0) >= MAX_JOIN_FAILURES:
        raise ClassroomRefused(f"too many wrong join codes ({MAX_JOIN_FAILURES} in an hour); try again later, or ask "
                               "your teacher for the class's link", status=429)
    if not isinstance(code, str) or len(code) > 40:
        raise ClassroomRefused("a join code is text: the 8 letters and digits your teacher gave you",
                               status=400, path="$.code")
    classroom = classroom_by_code(code=code)
    if classroom is None:
        cache.add(key, 0, JOIN_WINDOW_S)
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, JOIN_WINDOW_S)
        raise ClassroomRefused("no class has this join code; check it with your teacher", status=404, path="$.code")
    if classroom.teacher_id == user.pk:
        raise ClassroomRefused("you teach this class; your students join it with this code", status=409, path="$.code")
    existing = Membership.objects.filter(classroom=classroom, student=user).first()
    if existing is not None:
        return existing
    if classroom.archived is not None:
        raise ClassroomRefused("this class is archived: it takes no new students", status=409, path="$.code")
    if not classroom.joining_open:
        raise ClassroomRefused("this class is closed to new students; ask your teacher to open it",
                               status=409, path="$.code")
    with transaction.atomic():
        # Locked so two joins at once cannot both take the last place.
        Classroom.objects.select_for_update().filter(pk=classroom.pk).first()
        if Membership.objects.filter(classroom=classroom).count() >= MAX_STUDENTS:
            raise ClassroomRefused(f"this class is full ({MAX_STUDENTS} students)", status=409, path="$.code")
        membership, _ = Membership.objects.get_or_create(classroom=classroom, student=user)
    return membership


def classroom_leave(*, user: Any, classroom: Classroom) -> None:
    """A student leaves a class; their submissions stay in the teacher's records. A pupil account
    belongs to its class (leaving would close it), so only the teacher removes one."""
    if hasattr(user, "pupil_account"):
        raise ClassroomRefused("a pupil account belongs to its class and cannot leave it; your teacher can remove you",
                               status=409)
    deleted, _ = Membership.objects.filter(classroom=classroom, student=user).delete()
    if not deleted:
        raise ClassroomRefused("you are not a student of this class", status=404)


def student_remove(*, classroom: Classroom, by: Any, student: Any) -> None:
    _require_teacher_of(classroom, by)
    deleted, _ = Membership.objects.filter(classroom=classroom, student_id=getattr(student, "pk", student)).delete()
    if not deleted:
        raise ClassroomRefused("no such student in this class", status=404)


# -- assignments -------------------------------------------------------------------------------

_UNSET: Any = object()
FIELDS = ("title", "lesson", "step", "opens", "due", "max_attempts", "late_policy", "late_penalty_pct",
          "show_hints", "show_reference", "hidden_seeds", "hidden_faults", "points")


def _checked(values: dict[str, Any], by: Any, kept_lesson: str | None = None) -> dict[str, Any]:
    """Every field of an assignment checked together: all problems in one answer. A teacher's own
    lesson or challenge is set by its owner (or staff) only: another teacher who learnt its key
    from an address is told there is no such lesson, as for a key that does not exist; an
    assignment keeps the one it has (`kept_lesson`) whoever edits it."""
    problems: list[checks.Problem] = []
    out: dict[str, Any] = {}
    out["title"] = checks.clean_name(values["title"], "$.title", max_length=200, what="title", problems=problems)
    lesson = step = None
    if not isinstance(values["lesson"], str) or not isinstance(values["step"], str):
        problems.append(checks.problem("$.lesson", "lesson and step are ids (text)"))
    else:
        lesson = lessons.lesson_get(lesson_id=values["lesson"][:64])
        if (lesson is not None and is_authored_id(lesson.id) and lesson.id != kept_lesson
                and not may_preview_authored(by, lesson.id)):
            lesson = None
        index = lessons.step_index(lesson=lesson, step_id=values["step"]) if lesson is not None else None
        if lesson is None:
            problems.append(checks.problem("$.lesson", f"no lesson {values['lesson'][:64]!r}"))
        elif index is None:
            problems.append(checks.problem("$.step", f"lesson {lesson.id!r} has no step {values['step'][:64]!r}; its "
                                                     f"steps are {', '.join(s.id for s in lesson.steps)}"))
        else:
            step = lesson.steps[index]
            out["lesson"], out["step"] = lesson.id, step.id
    out["opens"] = checks.as_datetime(values["opens"], "opens", problems)
    out["due"] = checks.as_datetime(values["due"], "due", problems)
    checks.check_dates(out["opens"], out["due"], problems)
    if values["max_attempts"] is not None:
        checks.whole(values["max_attempts"], "$.max_attempts", 1, 1000, problems)
    out["max_attempts"] = values["max_attempts"]
    if values["late_policy"] not in checks.LATE_POLICIES:
        problems.append(checks.problem("$.late_policy", f"late_policy is one of {', '.join(checks.LATE_POLICIES)}"))
    out["late_policy"] = values["late_policy"]
    checks.whole(values["late_penalty_pct"], "$.late_penalty_pct", 0, 100, problems)
    out["late_penalty_pct"] = values["late_penalty_pct"]
    out["show_hints"] = checks.boolean(values["show_hints"], "$.show_hints", problems)
    out["show_reference"] = checks.boolean(values["show_reference"], "$.show_reference", problems)
    out["hidden_seeds"] = checks.check_seeds(values["hidden_seeds"], problems)
    if step is not None and lesson is not None:
        duration = float(step.scenario.duration_s)
        out["hidden_faults"] = checks.check_faults(values["hidden_faults"], step, lesson, duration, problems)
        out["points"] = checks.check_points(values["points"], [str(g.get("id")) for g in step.goals], problems)
    if problems:
        raise ClassroomRefused(problems)
    return out


def assignment_create(*, classroom: Classroom, by: Any, title: Any, lesson: Any, step: Any,
                      opens: datetime | str | None = None, due: datetime | str | None = None,
                      max_attempts: int | None = None, late_policy: str = "accept", late_penalty_pct: int = 0,
                      show_hints: bool = True, show_reference: bool = False, hidden_seeds: list[int] | None = None,
                      hidden_faults: list[dict[str, Any]] | None = None,
                      points: dict[str, float] | None = None) -> Assignment:
    _require_teacher_of(classroom, by)
    if classroom.archived is not None:
        raise ClassroomRefused("this class is archived; unarchive it to set new work", status=409)
    values = _checked({k: v for k, v in locals().items() if k in FIELDS}, by)
    return Assignment.objects.create(classroom=classroom, **values)


def assignment_update(*, assignment: Assignment, by: Any, **changes: Any) -> Assignment:
    """Change any of FIELDS; the assignment is checked whole, as it would be after the change.
    Grades already given stand until the teacher re-grades (assignment_regrade)."""
    _require_teacher_of(assignment.classroom, by)
    unknown = [k for k in changes if k not in FIELDS]
    if unknown:
        raise ClassroomRefused([checks.problem(f"$.{k}", "unknown field") for k in unknown])
    values = {name: getattr(assignment, name) for name in FIELDS}
    values.update(changes)
    checked = _checked(values, by, kept_lesson=assignment.lesson)
    for key, value in checked.items():
        setattr(assignment, key, value)
    assignment.save()
    return assignment

