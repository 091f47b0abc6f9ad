"""An assignment's results and submissions as CSV for a spreadsheet (docs/classroom.md has
the columns): UTF-8 with a byte order mark, so Excel reads accents right, and every cell that
a spreadsheet would take for a formula (= + - @, and tab or carriage return before one) starts
with a quote, so a student named "=HYPERLINK(...)" is text, not a link."""
from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

from .models import Submission
from .selectors import Results, display_name, username_shown

BOM = "\ufeff"
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, float):
        text = f"{value:g}"
        return text  # a number, even a negative one, stays a number
    if isinstance(value, int):
        return str(value)
    text = str(value)
    return "'" + text if text.startswith(_FORMULA) else text


def _write(header: list[str], rows: list[list[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([cell(h) for h in header])
    writer.writerows([[cell(v) for v in row] for row in rows])
    return BOM + out.getvalue()


def results_csv(results: Results) -> str:
    """One row per student: the points scored on each goal by their best submission, the total."""
    goal_ids = [g["id"] for g in results["goals"]]
    points = {g["id"]: g["points"] for g in results["goals"]}
    header = ["student", "username", "attempts", *goal_ids, "total", "best_submitted", "last_submitted", "late"]
    rows = []
    for row in results["rows"]:
        best, last = row["best"], row["last"]
        goals = best["goals"] if best else {}
        scored = [float(points[g]) if g in goals and goals[g]["passed"] else (0.0 if best else None) for g in goal_ids]
        rows.append([row["student"]["name"], row["student"]["username"], row["attempts"], *scored, row["total"],
                     best["created"] if best else None, last["created"] if last else None,
                     best["late"] if best else None])
    return _write(header, rows)


def submissions_csv(submissions: list[Submission], goal_ids: list[str], anonymise: bool = False) -> str:
    """One row per submission: who, when, late, status, score, and each goal passed or not."""
    header = ["student", "username", "number", "submitted", "late", "status", "score", "max_score", *goal_ids]
    names: dict[int, str] = {}
    rows = []
    for sub in submissions:
        names.setdefault(sub.student_id, f"Student {len(names) + 1}")
        name = names[sub.student_id] if anonymise else display_name(sub.student)
        passed = {g["goal"]: g["passed"] for g in (sub.attempt.grade or {}).get("goals") or []}
        status = "graded" if sub.graded is not None else sub.attempt.status
        rows.append([name, None if anonymise else username_shown(sub.student), sub.number, sub.created, sub.late, status,
                     sub.score, sub.max_score, *[passed.get(g) if sub.graded else None for g in goal_ids]])
    return _write(header, rows)
