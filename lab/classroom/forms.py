"""The classroom pages' forms: what a teacher or a student typed, the service's arguments made
of it, and each problem the service answers put beside the field its JSON path is about.

The services check every value (checks.py); a form here only turns text into the types they
take. Text it cannot read goes to the service as it is, so the service's sentence for it is the
one shown, and what was typed is shown again as typed.
"""
from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from django.utils import timezone

from lab.lessons import selectors as lessons
from lab.http import read_json
from lab.sim.problems import Problem, Refused, problem


# What a re-grade would score differently: a change of one of these leaves grades already given
# on the old rules until the teacher re-grades.
GRADING_FIELDS = ("lesson", "step", "hidden_seeds", "hidden_faults", "points", "late_policy", "late_penalty_pct")
ASSIGNMENT_TEXT = ("title", "step", "opens", "due", "max_attempts", "late_policy", "late_penalty_pct",
                   "hidden_seeds", "hidden_faults")
# The input each field is typed in (ids of templates/classroom/_assignment_form.html and the
# class page), so a problem in the summary links to its field.
INPUT_IDS = {"title": "a-title", "step": "a-step", "opens": "a-opens", "due": "a-due", "max_attempts": "a-max",
             "late_policy": "a-late", "late_penalty_pct": "a-penalty", "show_hints": "a-hints",
             "show_reference": "a-reference", "hidden_seeds": "a-seeds", "hidden_faults": "a-faults",
             "points": "a-points", "name": "class-name", "code": "join-code"}
_FIELD = re.compile(r"^\$\.([a-z_]+)(?:\.([^\[\]]+))?")


# ---- problems beside their fields --------------------------------------------------------------

def field_of(path: str) -> str:
    """The form field a problem's path is about: `$.hidden_faults[0].node` is hidden_faults,
    `$.points.p95` is points.p95, a lesson or a step is the step picked; "" for the form as a
    whole (`$`, or a field the form does not have)."""
    match = _FIELD.match(path or "")
    if match is None:
        return ""
    name, rest = match.groups()
    if name == "lesson":
        return "step"
    if name == "points" and rest:
        return f"points.{rest}"
    return name


def by_field(problems: list[Problem], fields: tuple[str, ...]) -> dict[str, list[str]]:
    """The messages of each field of `fields` (points.<goal> under "points.<goal>"), and under
    "general" those of the form as a whole."""
    out: dict[str, list[str]] = {}
    for p in problems:
        name = field_of(p.get("path", ""))
        if name.split(".")[0] not in fields:
            name = "general"
        out.setdefault(name, []).append(p.get("message", ""))
    return out


def summary(problems: list[Problem], fields: tuple[str, ...]) -> list[dict[str, str]]:
    """Every problem for the list above a form, each with the input it links to ("" if none)."""
    out = []
    for p in problems:
        name = field_of(p.get("path", "")).split(".")[0]
        out.append({"path": p["path"], "message": p["message"], "severity": p["severity"],
                    "input": INPUT_IDS.get(name, "") if name in fields else ""})
    return out


def form_problems(problems: list[Problem], fields: tuple[str, ...]) -> dict[str, Any]:
    """The context a form's template reads: `errors` by field and the `summary` above it."""
    return {"errors": by_field(problems, fields), "summary": summary(problems, fields)}


# ---- the lesson steps a teacher may set ----------------------------------------------------------

OWN_GROUP = "Your lessons and challenges"


def _step(lesson: Any, index: int, step: Any, prefix: str = "") -> dict[str, Any]:
    return {"value": f"{lesson.id}/{step.id}", "lesson": lesson.id, "step": step.id,
            "title": f"{prefix}{index}. {step.title}",
            "goals": [{"id": str(g.get("id")), "text": g.get("text") or str(g.get("id"))} for g in step.goals]}


def step_choices(*, user: Any) -> list[dict[str, Any]]:
    """Every lesson step `user` may set, as groups of the select: one per built-in lesson, then
    one of the teacher's own lessons and challenges (lab.lessons.selectors.authored_list), each
    step "<lesson>/<step>"."""
    groups = []
    seen = set()
    for item in lessons.lesson_list(user=None):
        lesson = lessons.lesson_get(lesson_id=item["id"])
        if lesson is None:
            continue
        seen.add(lesson.id)
        groups.append({"title": lesson.title, "own": False,
                       "steps": [_step(lesson, i, s) for i, s in enumerate(lesson.steps, start=1)]})
    own = [_step(lesson, i, s, prefix=f"{lesson.title} › ")
           for lesson in lessons.authored_list(owner=user) if lesson.id not in seen
           for i, s in enumerate(lesson.steps, start=1)]
    if own:
        groups.append({"title": OWN_GROUP, "own": True, "steps": own})
    return groups


def preselected(choices: list[dict[str, Any]], lesson: str, step: str) -> str:
    """The choice `?lesson=<id>&step=<id>` names ("" when it names none): a lesson alone picks
    its first step."""
    for group in choices:
        for s in group["steps"]:
            if s["lesson"] == lesson and (s["step"] == step or not step):
                return s["value"]
    return ""


# ---- an assignment ---------------------------------------------------------------------------

def _number(text: str) -> Any:
    """A number typed in a form, or the text as it is (the service says what is wrong)."""
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


def _plain(value: Any) -> str:
    """A number as a form shows it: 3, not 3.0."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def local_input(value: datetime | None) -> str:
    """A date as a datetime-local input holds it, in the server's time zone; seconds only when
    there are some."""
    if value is None:
        return ""
    local = timezone.localtime(value)
    return local.strftime("%Y-%m-%dT%H:%M:%S" if local.second else "%Y-%m-%dT%H:%M")


def _faults_text(faults: list[dict[str, Any]]) -> str:
    """Hidden faults as the form shows them: a JSON list, one fault a line."""
    if not faults:
        return ""
    return "[\n" + ",\n".join(json.dumps(f, ensure_ascii=False) for f in faults) + "\n]"


def assignment_initial(assignment: Any = None) -> dict[str, Any]:
    """The form as it first shows: an assignment's values, or a new one's defaults."""
    if assignment is None:
        return {"late_policy": "accept", "show_hints": True, "show_reference": False, "late_penalty_pct": "0",
                "points": {}}
    return {
        "title": assignment.title, "step": f"{assignment.lesson}/{assignment.step}",
        "opens": local_input(assignment.opens), "due": local_input(assignment.due),
        "max_attempts": _plain(assignment.max_attempts) if assignment.max_attempts is not None else "",
        "late_policy": assignment.late_policy, "late_penalty_pct": _plain(assignment.late_penalty_pct),
        "show_hints": assignment.show_hints, "show_reference": assignment.show_reference,
        "hidden_seeds": ", ".join(str(s) for s in assignment.hidden_seeds or []),
        "hidden_faults": _faults_text(assignment.hidden_faults),
        "points": {k: _plain(v) for k, v in (assignment.points or {}).items()},
    }


def assignment_typed(post: Any) -> dict[str, Any]:
    """The form as it was sent, to show it again."""
    typed: dict[str, Any] = {k: post.get(k, "") for k in ASSIGNMENT_TEXT}
    typed["show_hints"] = post.get("show_hints") == "on"
    typed["show_reference"] = post.get("show_reference") == "on"
    typed["points"] = {k[len("points."):]: v for k, v in post.items() if k.startswith("points.") and v.strip()}
    return typed


def assignment_arguments(typed: dict[str, Any], current: Any = None) -> tuple[dict[str, Any], list[Problem]]:
    """The service's arguments for the typed form, and the problems found reading it (hidden
    faults that are not JSON). A date left as the form showed it keeps `current`'s value to the
    second; others go to the service as typed (datetime-local, the server's time zone)."""
    problems: list[Problem] = []
    faults = None
    if typed["hidden_faults"].strip():
        try:  # the project's one strict reader: no NaN, no duplicate keys, no nesting 5,000 deep
            faults = read_json(typed["hidden_faults"], max_bytes=100_000, what="the hidden faults")
        except Refused as exc:
            problems.append(problem("$.hidden_faults", f"hidden faults are a JSON list of faults ({exc})"))
    lesson, _, step = typed["step"].partition("/")
    dates = {}
    for name in ("opens", "due"):
        text = typed[name].strip()
        kept = current is not None and text == local_input(getattr(current, name))
        dates[name] = getattr(current, name) if kept else (text or None)
    args: dict[str, Any] = {
        "title": typed["title"], "lesson": lesson, "step": step, **dates,
        "max_attempts": _number(typed["max_attempts"]), "late_policy": typed["late_policy"] or "accept",
        "late_penalty_pct": _number(typed["late_penalty_pct"]) or 0,
        "show_hints": typed["show_hints"], "show_reference": typed["show_reference"],
        "hidden_seeds": [_number(s) for s in typed["hidden_seeds"].split(",") if s.strip()] or None,
        "hidden_faults": faults, "points": {k: _number(v) for k, v in typed["points"].items()} or None,
    }
    return args, problems


def grading_changed(before: dict[str, Any], after: Any) -> list[str]:
    """The fields of GRADING_FIELDS an update changed (`before` the values it had)."""
    return [name for name in GRADING_FIELDS if before[name] != getattr(after, name)]


def grading_values(assignment: Any) -> dict[str, Any]:
    return {name: getattr(assignment, name) for name in GRADING_FIELDS}


def assignment_context(*, choices: list[dict[str, Any]], typed: dict[str, Any],
                       problems: list[Problem]) -> dict[str, Any]:
    """What templates/classroom/_assignment_form.html reads: the choices (each goal of the
    chosen step with its typed points and problems), the form, and its problems."""
    fields = (*ASSIGNMENT_TEXT, "show_hints", "show_reference", "points")
    found = form_problems(problems, fields)
    index = 0
    for group in choices:
        for s in group["steps"]:
            index += 1
            chosen = s["value"] == typed.get("step")
            s["chosen"], s["index"] = chosen, index
            for g in s["goals"]:
                g["value"] = typed.get("points", {}).get(g["id"], "") if chosen else ""
                g["problems"] = found["errors"].get(f"points.{g['id']}", []) if chosen else []
    # A points problem of a goal no step shows (the step changed under it) is the points' own.
    shown = {f"points.{g['id']}" for group in choices for s in group["steps"] if s["chosen"] for g in s["goals"]}
    for name in [k for k in found["errors"] if k.startswith("points.") and k not in shown]:
        found["errors"].setdefault("points", []).extend(found["errors"].pop(name))
    return {"steps": choices, "form": typed, "form_errors": found["errors"], "form_summary": found["summary"]}
