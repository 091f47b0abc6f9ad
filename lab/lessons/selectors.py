"""Reads for lessons: the lesson index (read from ARCHLAB_LESSONS_DIR once per process), a
lesson's steps as a learner sees them (a signed-in learner's progress, or a visitor's hints),
attempts with their live goals, and the solution as a diff in words."""
from __future__ import annotations

import json
import time
import uuid
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import cache

from lab.designs.diff import topology_diff
from lab.runs import selectors as run_selectors
from lab.runs.models import Run

from . import render
from . import scenario as scenarios
from .authored import LessonCache, is_authored_id
from .format import START_PREVIOUS, STARTS, InvalidLesson, Lesson, Step
from .grading import live_goals
from .loader import BrokenLesson, LessonIndex, load_all
from .models import Attempt, AttemptRun, AuthoredLesson, LessonProgress


@lru_cache(maxsize=4)
def _index(root: str) -> LessonIndex:
    return load_all(Path(root))


def lesson_index() -> LessonIndex:
    """Every lesson folder, loaded once per process (a changed lesson shows after a restart;
    `lesson_index_reload` for tests and the authors' tools)."""
    return _index(str(settings.ARCHLAB_LESSONS_DIR))


def lesson_index_reload() -> None:
    _index.cache_clear()


# Authored lessons loaded in this process (lab/lessons/authored.py): their files come from the
# database once, then from this process's cache directory (ARCHLAB_AUTHORED_CACHE_DIR, else a
# temporary directory of its own).
_authored = LessonCache(Path(settings.ARCHLAB_AUTHORED_CACHE_DIR) if settings.ARCHLAB_AUTHORED_CACHE_DIR else None)


def lesson_get(*, lesson_id: str) -> Lesson | None:
    """A built-in lesson, or (for an id with the authored prefix) a teacher's own lesson or
    challenge while its row exists. Who may read an authored one is the caller's to check
    (lab/lessons/access.py)."""
    if is_authored_id(lesson_id):
        return authored_lesson(key=lesson_id)
    return lesson_index().get(lesson_id)


def authored_lesson(*, key: str) -> Lesson | None:
    # The row is asked for each time (without its files): a lesson deleted on another server is
    # gone here too. Its files are read only when this process has not loaded it yet.
    if not AuthoredLesson.objects.filter(key=key[:32]).exists():
        return None
    lesson = _authored.get(key)
    if lesson is not None:
        return lesson
    files = AuthoredLesson.objects.filter(key=key).values_list("files", flat=True).first()
    if files is None:
        return None
    try:
        return _authored.load(key, bytes(files))
    except (InvalidLesson, ValueError):
        return None  # checked when it was saved; a later change of the format may break it


def authored_forget(*, key: str) -> None:
    _authored.forget(key)


def authored_rows(*, owner: Any) -> list[AuthoredLesson]:
    """The owner's authored lessons' rows, newest first, without their files."""
    if not _signed_in(owner):
        return []
    return list(AuthoredLesson.objects.filter(owner=owner).defer("files"))


def authored_row(*, key: str) -> AuthoredLesson | None:
    return AuthoredLesson.objects.filter(key=key[:32]).defer("files").first() if is_authored_id(key) else None


def authored_list(*, owner: Any) -> list[Lesson]:
    """The lessons and challenges `owner` wrote or uploaded (newest first), for the assignment
    form's list of lessons beside the built-in ones."""
    found = (authored_lesson(key=row.key) for row in authored_rows(owner=owner))
    return [lesson for lesson in found if lesson is not None]


def step_index(*, lesson: Lesson, step_id: str) -> int | None:
    return next((i for i, s in enumerate(lesson.steps) if s.id == step_id), None)


def _signed_in(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False))


def progress_get(*, user: Any, lesson_id: str) -> LessonProgress | None:
    if not _signed_in(user):
        return None
    return LessonProgress.objects.filter(user=user, lesson=lesson_id).first()


def progress_summary(progress: LessonProgress | None, lesson: Lesson) -> dict[str, Any] | None:
    if progress is None:
        return None
    ids = [s.id for s in lesson.steps]
    return {"current_step": progress.current_step or ids[0],
            "passed_steps": [s for s in ids if s in progress.passed_steps],
            "steps": len(ids), "attempts": progress.attempts, "best": progress.best,
            "updated": progress.updated}


def lesson_list(*, user: Any) -> list[dict[str, Any]]:
    """The lesson index in order, with the caller's progress. Broken lessons are hidden from
    learners; staff see them listed (`broken`, with every problem) so an author can fix them."""
    index = lesson_index()
    mine = ({p.lesson: p for p in LessonProgress.objects.filter(user=user)} if _signed_in(user) else {})
    items: list[dict[str, Any]] = [
        {"id": lesson.id, "title": lesson.title, "summary": lesson.summary, "minutes": lesson.minutes,
         "teaches": list(lesson.teaches), "steps": len(lesson.steps), "broken": False, "problems": [],
         "progress": progress_summary(mine.get(lesson.id), lesson)}
        for lesson in index.lessons]
    if getattr(user, "is_staff", False):
        items += [_broken(b) for b in index.broken]
    return items


def _broken(lesson: BrokenLesson) -> dict[str, Any]:
    return {"id": lesson.id, "title": lesson.id, "summary": "", "minutes": 0, "teaches": [], "steps": 0,
            "broken": True, "problems": list(lesson.problems), "progress": None}


# -- a lesson's steps --------------------------------------------------------------------------

@lru_cache(maxsize=512)
def _html(folder: str, source: str, text: str, prefix: str) -> str:
    return render.render(text, folder=Path(folder), source=source, image_prefix=prefix)


def image_prefix(lesson: Lesson) -> str:
    return f"/lessons/{lesson.id}/files/"


def step_start(*, lesson: Lesson, index: int, user: Any) -> dict[str, Any]:
    """The design the caller starts step `index` from: its file; for "previous", the design
    with which they passed the previous step (its reference if they did not pass it); for
    "previous-reference", the previous step's reference."""
    step = lesson.steps[index]
    if step.start == START_PREVIOUS and _signed_in(user):
        passed = (Attempt.objects.filter(user=user, lesson=lesson.id, step=lesson.steps[index - 1].id, passed=True)
                  .order_by("-created").values_list("topology", flat=True).first())
        if passed is not None:
            return passed
    return lesson.start_design(index)


def scenario_summary(step: Step) -> dict[str, Any]:
    scn = scenarios.as_dict(step.scenario)
    rule = "every seed must pass" if scn["seed_rule"] == "all" else \
        f"{scn['seed_rule']['at_least']} of {len(scn['seeds'])} seeds must pass"
    parts = [f"{scn['duration_s']:g} simulated seconds ({scn['warmup_s']:g} s warm-up) on "
             f"{len(scn['seeds'])} seed{'s' if len(scn['seeds']) != 1 else ''}; {rule}"]
    parts += [f"traffic through {t['source']!r}: " + ", ".join(f"{k} = {json.dumps(v)}" for k, v in t["params"].items())
              for t in scn["traffic"]]
    parts += [f"fault {f['id']!r}: {f.get('kind')}" + (f" from {f['start_s']:g} s" if "start_s" in f else "")
              for f in scn["faults"]]
    return {**scn, "text": "; ".join(parts) + "."}


def _goal(goal: dict[str, Any]) -> dict[str, Any]:
    return {"id": goal.get("id", ""), "text": goal.get("text", ""), "spec": dict(goal)}


def asked_count(asked: Any, step_id: str) -> int:
    """Hints a visitor's session asked for on a step (`asked`: step id -> count), whatever the
    session holds."""
    value = asked.get(step_id) if isinstance(asked, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def visitor_hints(*, lesson: Lesson, session_key: str, asked: Any) -> dict[str, int]:
    """Step id -> hints unlocked for a visitor: those their session asked for (`asked`: lesson id
    -> step id -> count), and one per failed attempt of that session, as for a signed-in learner."""
    mine = asked.get(lesson.id) if isinstance(asked, dict) else None
    failed: dict[str, int] = {}
    if session_key:
        for step_id in Attempt.objects.filter(user__isnull=True, visitor=session_key, lesson=lesson.id,
                                              passed=False).values_list("step", flat=True):
            failed[step_id] = failed.get(step_id, 0) + 1
    return {s.id: min(len(s.hints), asked_count(mine or {}, s.id) + failed.get(s.id, 0)) for s in lesson.steps}


def _start_from(step: Step) -> str:
    return step.start if step.start in STARTS else "file"


def lesson_detail(*, lesson: Lesson, user: Any, session_key: str = "", asked: Any = None) -> dict[str, Any]:
    """The lesson as the caller sees it: every step with its rendered narrative, goals (text and
    spec), scenario, palette, locks, predictions, the hints they unlocked, and their progress.
    A step's debrief is shown once they passed it. A visitor's progress is in their browser: for
    them the hints come from their session (`session_key`, and `asked`, what it keeps)."""
    progress = progress_get(user=user, lesson_id=lesson.id)
    passed = set(progress.passed_steps) if progress else set()
    if _signed_in(user):
        mine = Attempt.objects.filter(user=user, lesson=lesson.id)
        hints = progress.hints if progress is not None else {}
    else:
        mine = (Attempt.objects.filter(user__isnull=True, visitor=session_key, lesson=lesson.id) if session_key
                else Attempt.objects.none())
        hints = visitor_hints(lesson=lesson, session_key=session_key, asked=asked)
    counts: dict[str, int] = {}
    for step_id in mine.values_list("step", flat=True):
        counts[step_id] = counts.get(step_id, 0) + 1
    prefix = image_prefix(lesson)
    steps = []
    for i, step in enumerate(lesson.steps):
        unlocked = hints.get(step.id, 0)
        steps.append({
            "id": step.id, "title": step.title,
            "narrative_html": _html(str(lesson.folder), step.narrative, step.narrative_markdown, prefix),
            "debrief_html": (_html(str(lesson.folder), step.debrief, step.debrief_markdown, prefix)
                             if step.debrief and step.debrief_markdown is not None and step.id in passed else None),
            "goals": [_goal(g) for g in step.goals],
            "scenario": scenario_summary(step),
            "palette": list(step.palette) if step.palette is not None else None,
            "locked": list(step.locked),
            "predictions": [{"id": p.id, "question": p.question, "metric": p.metric, "unit": p.unit}
                            for p in step.predictions],
            "hints": {"total": len(step.hints), "unlocked": [h.text for h in step.hints[:unlocked]]},
            "start": step_start(lesson=lesson, index=i, user=user),
            "start_from": _start_from(step),
            "topology": progress.topologies.get(step.id) if progress else None,
            "passed": step.id in passed, "attempts": counts.get(step.id, 0),
            "best": progress.best.get(step.id) if progress else None,
        })
    return {"id": lesson.id, "title": lesson.title, "summary": lesson.summary, "minutes": lesson.minutes,
            "teaches": list(lesson.teaches), "steps": steps, "progress": progress_summary(progress, lesson)}


def hints_of(*, step: Step, progress: LessonProgress | None = None, unlocked: int | None = None) -> dict[str, Any]:
    if unlocked is None:
        unlocked = progress.hints.get(step.id, 0) if progress else 0
    return {"step": step.id, "total": len(step.hints), "unlocked": [h.text for h in step.hints[:unlocked]]}


# -- attempts ----------------------------------------------------------------------------------

def attempt_get(*, user: Any, lesson_id: str, attempt_id: Any, session_key: str = "") -> Attempt | None:
    """The caller's own attempt: a signed-in learner's, or a visitor's from the browser session
    that submitted it. Anyone else's is not there (the API answers 404)."""
    try:
        key = uuid.UUID(str(attempt_id))
    except ValueError:
        return None
    if _signed_in(user):
        return Attempt.objects.filter(id=key, user=user, lesson=lesson_id).first()
    if not session_key:
        return None
    return Attempt.objects.filter(id=key, user__isnull=True, visitor=session_key, lesson=lesson_id).first()


def attempt_runs(*, attempt: Attempt) -> list[AttemptRun]:
    return list(attempt.attempt_runs.select_related("run").order_by("role", "seed"))


def attempt_debrief(*, attempt: Attempt) -> str | None:
    """The step's debrief, once this attempt passed it."""
    lesson = lesson_get(lesson_id=attempt.lesson) if attempt.passed else None
    index = step_index(lesson=lesson, step_id=attempt.step) if lesson is not None else None
    step = lesson.steps[index] if lesson is not None and index is not None else None
    if lesson is None or step is None or not step.debrief or step.debrief_markdown is None:
        return None
    return _html(str(lesson.folder), step.debrief, step.debrief_markdown, image_prefix(lesson))


# The live goals are evaluated at most once a second per attempt (per server process): a page
# polling every half second, or ten tabs, cost one evaluation a second, not one per read.
LIVE_EVERY_S = 1.0


def attempt_live(*, attempt: Attempt, links: list[AttemptRun]) -> list[dict[str, Any]]:
    """Each goal of the attempt's step as the learner's checklist: while its runs go, evaluated
    on the windows so far of the first seed's run of their design (grading.live_goals); once it
    is graded, the grade's goals in the same shape."""
    if attempt.status == Attempt.Status.GRADED and attempt.grade is not None:
        return graded_live(attempt)
    seed = int(attempt.seeds[0])
    design = next((link.run for link in links if link.role == AttemptRun.Role.DESIGN and link.seed == seed), None)
    start = next((link.run for link in links if link.role == AttemptRun.Role.START and link.seed == seed), None)
    if design is None:
        return []
    key = f"lessons:live:{attempt.id}"
    cached = cache.get(key)
    now = time.time()  # wall clock: a cache shared by several processes compares their times
    # Same windows (and start run) as last time, or asked again within the second: the last
    # evaluation stands.
    seen = (design.windows, start.status if start is not None else None)
    if cached is not None and (cached["seen"] == seen or now - cached["at"] < LIVE_EVERY_S):
        return cached["live"]
    run = {"results": None, "topology": design.topology,
           "windows": [data for _, data in run_selectors.run_windows(run=design)]}
    start_run = None
    if start is not None and start.status == Run.Status.DONE:
        start_run = {"results": start.results, "topology": start.topology,
                     "windows": [data for _, data in run_selectors.run_windows(run=start)]}
    live = live_goals(attempt.goals, run, start_run)
    cache.set(key, {"seen": seen, "at": now, "live": live}, timeout=60)
    return live


def graded_live(attempt: Attempt) -> list[dict[str, Any]]:
    """The grade in the live goals' shape: per goal the seed its sentence is about (the first
    that failed, else the first)."""
    grade = attempt.grade or {}
    if not grade.get("goals"):
        # Not graded goal by goal: a run did not complete. Every goal fails for that reason.
        why = "; ".join(p["message"] for p in grade.get("problems") or []) or "the attempt could not be graded"
        return [{"goal": str(g.get("id", "")), "text": str(g.get("text", "")), "state": "failing", "value": None,
                 "unit": "", "target": None, "sentence": why[0].upper() + why[1:] + ("" if why.endswith(".") else "."),
                 "look_at": ""} for g in attempt.goals]
    out = []
    for g in grade["goals"]:
        measured = g.get("measured") or []
        shown = next((m for m in measured if not m["passed"]), measured[0] if measured else {})
        out.append({"goal": g["goal"], "text": g["text"], "state": "passing" if g["passed"] else "failing",
                    "value": shown.get("value"), "unit": shown.get("unit", ""), "target": shown.get("target"),
                    "sentence": g["sentence"], "look_at": "" if g["passed"] else g["look_at"]})
    return out


# -- the solution ------------------------------------------------------------------------------

def _value(value: Any) -> str:
    return "(none)" if value is None else json.dumps(value, ensure_ascii=False)


def diff_words(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """What to do to `old` to get `new`, one sentence per change (lab/designs/diff.py finds the
    changes; moves on the canvas are left out). The scenario's sections (settings, faults) are
    imposed by the step, so they are not changes the learner has to make."""
    diff = topology_diff(old, new)
    before = {str(n.get("id")): n for n in old.get("nodes") or [] if isinstance(n, dict)}
    after = {str(n.get("id")): n for n in new.get("nodes") or [] if isinstance(n, dict)}

    def field(node: dict[str, Any], name: str) -> Any:
        return (node.get("params") or {}).get(name[7:]) if name.startswith("params.") else node.get(name)

    words = [f"Add {after[n].get('kind', 'a node')} {n!r}." for n in diff["nodes"]["added"]]
    words += [f"Remove {before[n].get('kind', 'node')} {n!r}." for n in diff["nodes"]["removed"]]
    for change in diff["nodes"]["changed"]:
        parts = [f"{f.removeprefix('params.')} from {_value(field(before[change['id']], f))} to "
                 f"{_value(field(after[change['id']], f))}" for f in change["fields"] if f != "position"]
        if parts:
            words.append(f"Change {change['id']!r}: " + "; ".join(parts) + ".")
    words += [f"Connect {e.replace(' -> ', ' to ')}." for e in diff["edges"]["added"]]
    words += [f"Disconnect {e.replace(' -> ', ' from ')}." for e in diff["edges"]["removed"]]
    words += [f"Change the edge {c['id']}: {', '.join(c['fields'])}." for c in diff["edges"]["changed"]]
    words += [f"Change the {s} (compare it with the reference)." for s in diff["sections"]
              if s in ("workload", "regions", "latency", "pricing")]
    return words or ["Your design already matches the reference."]


def solution_get(*, lesson: Lesson, step: Step, user: Any) -> dict[str, Any]:
    """The reference against the caller's latest design for the step (or, before they submit
    one, the design they start the step from)."""
    progress = progress_get(user=user, lesson_id=lesson.id)
    mine = progress.topologies.get(step.id) if progress else None
    index = step_index(lesson=lesson, step_id=step.id)
    against = mine if isinstance(mine, dict) else step_start(lesson=lesson, index=index or 0, user=user)
    reference = lesson.design(step.reference)
    return {"step": step.id, "against": "your latest design" if isinstance(mine, dict) else "the start design",
            "words": diff_words(against, reference), "diff": topology_diff(against, reference),
            "reference": reference}
