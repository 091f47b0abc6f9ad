"""Checking what a teacher sends for a class or an assignment: every problem at once, each with
its JSON path and a sentence, never an exception a view would turn into a 500."""
from __future__ import annotations

import copy
import re
import unicodedata
from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from lab.lessons import scenario as scenarios
from lab.lessons.format import Lesson, Step
from lab.sim.problems import Problem, problem


MAX_SEEDS = 10
MAX_FAULTS = 20
MAX_SEED = 2**31 - 1
MAX_POINTS = 1000
LATE_POLICIES = ("accept", "penalty", "refuse")
# Bidirectional overrides and isolates: a name holding one can show as another (an RTL
# override makes "gpj.exe" read "exe.jpg"), in the teacher's list and in a spreadsheet.
_BIDI = {"\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069",
         "\u200e", "\u200f", "\u061c"}
_FAULT_INDEX = re.compile(r"faults\[(\d+)\]")


def clean_name(value: Any, path: str, *, max_length: int, what: str, problems: list[Problem]) -> str | None:
    """A name or title: text of 1 to `max_length` characters once trimmed, with no control
    characters and no bidirectional overrides."""
    if not isinstance(value, str):
        problems.append(problem(path, f"the {what} must be text"))
        return None
    text = value.strip()
    if not text:
        problems.append(problem(path, f"the {what} cannot be empty"))
    elif len(text) > max_length:
        problems.append(problem(path, f"the {what} is at most {max_length} characters, not {len(text):,}"))
    elif any(unicodedata.category(ch) == "Cc" for ch in text):
        problems.append(problem(path, f"the {what} cannot hold control characters (a tab, a new line, NUL...)"))
    elif any(ch in _BIDI for ch in text):
        problems.append(problem(path, f"the {what} cannot hold right-to-left or left-to-right override marks"))
    else:
        return text
    return None


def boolean(value: Any, path: str, problems: list[Problem]) -> bool | None:
    if not isinstance(value, bool):
        problems.append(problem(path, "must be true or false"))
        return None
    return value


def whole(value: Any, path: str, low: int, high: int, problems: list[Problem]) -> bool:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        problems.append(problem(path, f"must be a whole number from {low} to {high:,}"))
        return False
    return True


def points_of(points: dict[str, Any], goal_ids: list[str]) -> dict[str, float]:
    """What each goal is worth: as the assignment says, 1 for a goal it does not name."""
    return {g: float(points.get(g, 1)) for g in goal_ids}


def assignment_scenario(step: Step, hidden_seeds: list[int], hidden_faults: list[dict[str, Any]]) -> dict[str, Any]:
    """The step's scenario with the assignment's seeds instead of the step's (when it has some)
    and its faults after the step's. A seed rule "at least k" keeps k, but never more than the
    seeds there are."""
    scn = copy.deepcopy(scenarios.as_dict(step.scenario))
    if hidden_seeds:
        scn["seeds"] = [int(s) for s in hidden_seeds]
        rule = scn.get("seed_rule", "all")
        if isinstance(rule, dict):
            scn["seed_rule"] = {"at_least": min(int(rule["at_least"]), len(scn["seeds"]))}
    scn["faults"] = [*scn.get("faults", []), *copy.deepcopy(hidden_faults)]
    return scn


def check_seeds(value: Any, problems: list[Problem]) -> list[int] | None:
    if value is None:
        return []
    if not isinstance(value, list):
        problems.append(problem("$.hidden_seeds", "hidden_seeds is a list of whole numbers (seeds), or empty"))
        return None
    if len(value) > MAX_SEEDS:
        problems.append(problem("$.hidden_seeds", f"at most {MAX_SEEDS} seeds, not {len(value)}"))
        return None
    ok = [whole(seed, f"$.hidden_seeds[{i}]", 0, MAX_SEED, problems) for i, seed in enumerate(value)]
    if all(ok) and len(set(value)) != len(value):
        problems.append(problem("$.hidden_seeds", "a seed is named twice"))
        return None
    return list(value) if all(ok) else None


def check_faults(value: Any, step: Step, lesson: Lesson, duration_s: float,
                 problems: list[Problem]) -> list[dict[str, Any]] | None:
    """Faults in the lesson scenario format, added to the step's: each an object with an id of
    its own, starting before the run ends, and every one taking hold on the step's reference
    design (lab.sim's own fault check, through scenario.apply), the design that must pass."""
    if value is None:
        return []
    if not isinstance(value, list):
        problems.append(problem("$.hidden_faults", "hidden_faults is a list of faults (docs/lessons.md, scenario faults)"))
        return None
    if len(value) > MAX_FAULTS:
        problems.append(problem("$.hidden_faults", f"at most {MAX_FAULTS} faults, not {len(value)}"))
        return None
    taken = {f.get("id") for f in scenarios.as_dict(step.scenario).get("faults", [])}
    before = len(problems)
    for i, fault in enumerate(value):
        where = f"$.hidden_faults[{i}]"
        if not isinstance(fault, dict):
            problems.append(problem(where, "a fault is an object: {\"id\", \"kind\", a target, \"start_s\", ...}"))
        elif not isinstance(fault.get("id"), str) or not fault["id"]:
            problems.append(problem(f"{where}.id", "a fault needs an id (text), so its grade can name it"))
        elif fault["id"] in taken:
            problems.append(problem(f"{where}.id", f"the step has a fault {fault['id']!r} already, or another hidden "
                                                   "fault has this id: give it another"))
        elif isinstance(fault.get("start_s"), (int, float)) and not isinstance(fault["start_s"], bool) \
                and fault["start_s"] >= duration_s:
            problems.append(problem(f"{where}.start_s", f"the fault starts at {fault['start_s']:g} s, after the run "
                                                        f"ends ({duration_s:g} s)"))
        else:
            taken.add(fault["id"])
    if len(problems) > before:
        return None
    scn = assignment_scenario(step, [], value)
    reference = lesson.design(step.reference)
    _, found = scenarios.apply(reference, scn, start=reference)
    offset = len(scn["faults"]) - len(value)
    for p in found:
        match = _FAULT_INDEX.search(p["path"])
        if match is not None and int(match.group(1)) >= offset:
            index = int(match.group(1)) - offset
            rest = p["path"][match.end():]
            problems.append(problem(f"$.hidden_faults[{index}]{rest}",
                                    p["message"].replace("your design", "the step's reference design")))
        else:
            problems.append(problem("$.hidden_faults", "with these faults the step's reference design cannot run: "
                                                       + p["message"]))
    return list(value) if len(problems) == before else None


def check_points(value: Any, goal_ids: list[str], problems: list[Problem]) -> dict[str, float] | None:
    if value is None:
        return {}
    if not isinstance(value, dict):
        problems.append(problem("$.points", 'points is an object: {"<goal id>": points}'))
        return None
    ok = True
    for key, pts in value.items():
        if key not in goal_ids:
            problems.append(problem(f"$.points.{str(key)[:64]}", f"the step has no goal {str(key)[:64]!r}; its goals "
                                                                 f"are {', '.join(goal_ids) or 'none'}"))
            ok = False
        elif isinstance(pts, bool) or not isinstance(pts, (int, float)) or not 0 <= pts <= MAX_POINTS:
            problems.append(problem(f"$.points.{key}", f"points are a number from 0 to {MAX_POINTS}"))
            ok = False
    return dict(value) if ok else None


def as_datetime(value: Any, name: str, problems: list[Problem]) -> datetime | None:
    """A date and time: a datetime, or ISO 8601 text (without a time zone: the server's)."""
    if value is None or isinstance(value, datetime):
        return value
    parsed = None
    if isinstance(value, str) and len(value) <= 40:
        try:
            parsed = parse_datetime(value.strip())
        except ValueError:
            parsed = None
    if parsed is None:
        problems.append(problem(f"$.{name}", f"{name} is a date and time (ISO 8601, e.g. 2025-03-01T09:00:00Z), "
                                             "or null"))
        return None
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)


def check_dates(opens: datetime | None, due: datetime | None, problems: list[Problem]) -> None:
    if isinstance(opens, datetime) and isinstance(due, datetime) and due <= opens:
        problems.append(problem("$.due", "the due date must be after the assignment opens"))
