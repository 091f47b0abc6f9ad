"""An assignment's results for its teacher: per student their attempts, best and last
submission (per goal: passed, the value measured, its unit) and total; per goal how many
passed and the values measured, for a histogram. Read only: grading happens on reads of
submissions (the views refresh the ungraded ones first)."""
from __future__ import annotations

from typing import Any

from .models import Assignment, Membership, Submission


def _goals(sub: Submission) -> dict[str, dict[str, Any]]:
    """Goal id -> {passed, value, unit}: the value shown is the first failing seed's, else the first's."""
    grade = sub.attempt.grade or {}
    out = {}
    for g in grade.get("goals") or []:
        measured = g.get("measured") or []
        shown = next((m for m in measured if not m["passed"]), measured[0] if measured else {})
        out[g["goal"]] = {"passed": bool(g["passed"]), "value": shown.get("value"), "unit": shown.get("unit", "")}
    if not out and grade.get("problems"):  # a run did not complete: every goal failed
        out = {str(g.get("id")): {"passed": False, "value": None, "unit": ""} for g in sub.attempt.goals}
    return out


def _entry(sub: Submission | None) -> dict[str, Any] | None:
    if sub is None:
        return None
    return {"submission": sub.id, "number": sub.number, "score": sub.score, "max_score": sub.max_score,
            "late": sub.late, "created": sub.created, "graded": sub.graded,
            "goals": _goals(sub) if sub.graded is not None else {}}


def results(*, assignment: Assignment, anonymise: bool = False) -> dict[str, Any]:
    from .selectors import assignment_step, display_name, points_for, sort_key, username_shown  # noqa: PLC0415 (selectors imports this module)
    found = assignment_step(assignment)
    points = points_for(assignment)
    goals = ([{"id": str(g.get("id")), "text": str(g.get("text", "")), "points": points.get(str(g.get("id")), 1.0)}
              for g in found[1].goals] if found else [{"id": k, "text": "", "points": v} for k, v in points.items()])
    subs: dict[int, list[Submission]] = {}
    for sub in Submission.objects.filter(assignment=assignment).select_related("attempt").order_by("number"):
        subs.setdefault(sub.student_id, []).append(sub)
    members = Membership.objects.filter(classroom=assignment.classroom).select_related("student", "student__pupil_account")
    students = {m.student_id: m.student for m in members}
    # Those who left the class keep their rows: their work was handed in.
    from django.contrib.auth import get_user_model  # noqa: PLC0415
    gone = set(subs) - set(students)
    students.update({u.pk: u for u in get_user_model().objects.filter(pk__in=gone).select_related("pupil_account")})
    rows = []
    distribution: dict[str, dict[str, Any]] = {g["id"]: {"passed": 0, "failed": 0, "values": []} for g in goals}
    for i, user in enumerate(sorted(students.values(), key=sort_key), start=1):
        mine = subs.get(user.pk, [])
        graded = [s for s in mine if s.graded is not None and s.score is not None]
        # The best is the highest score; of equal scores, the earliest.
        best = max(graded, key=lambda s: (s.score, -s.number)) if graded else None
        row = {"student": {"id": None if anonymise else user.pk,
                           "name": f"Student {i}" if anonymise else display_name(user),
                           "username": None if anonymise else username_shown(user)},
               "attempts": len(mine), "best": _entry(best), "last": _entry(mine[-1] if mine else None),
               "total": best.score if best else None}
        rows.append(row)
        for goal_id, result in (row["best"] or {}).get("goals", {}).items():
            if goal_id in distribution:
                distribution[goal_id]["passed" if result["passed"] else "failed"] += 1
                if result["value"] is not None:
                    distribution[goal_id]["values"].append(result["value"])
    return {"goals": goals, "rows": rows, "distribution": distribution}
