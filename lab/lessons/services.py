"""Writes for lessons: submitting a design for grading, grading it once its runs are over, and
a new account claiming what it did as a visitor. (Hints and the solution: lab/lessons/hints.py.)

A graded attempt is ordinary runs (decision 35): the step's scenario is imposed on the learner's
design (scenario.apply) and one run per seed is queued through lab.runs.services.run_create at
priority 10, under the learner's quota and the run budgets like any run. The start design runs on
the same seeds too, for relative goals and the grade's comparison; a start run is deterministic,
so one with the same design, seed and engine is reused whoever's attempt made it. Nothing waits
for the runs: the first read after they are over grades the attempt with lab.lessons.goals (the
same evaluation as the command line and the tests) and stores the grade.

A visitor (no account) takes lessons too: their attempts are theirs by browser session, their
progress lives in the browser (static/js/lesson-progress.js), the hints they asked for in their
session. On sign-up the browser sends its attempt ids and `progress_claim` gives those attempts
to the new account and replays them into its progress.
"""
from __future__ import annotations

import hashlib
import json
import uuid
from functools import lru_cache
from pathlib import Path
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone

import lab.sim
from lab.sim import load as load_topology
from lab.runs import quotas
from lab.runs import selectors as run_selectors
from lab.runs import services as run_services
from lab.runs.models import ACTIVE, Run
from lab.sim.document.types import Topology
from lab.sim.metrics.windows import RESULTS_VERSION
from lab.sim.problems import Problem, Refused, problem

from . import goals as goal_eval
from . import scenario as scenarios
from . import selectors
from .format import Lesson, Step
# The seed rule of grading.py, applied to runs made elsewhere. grading.py has no public function
# for "grade these runs" yet (grade_step runs the designs itself); until it has, this module
# uses its per-goal rule rather than a second copy of it.
from .grading import comparison_figures, grade_runs, seeds_needed
from .models import Attempt, AttemptRun, LessonProgress

GRADED_PRIORITY = 10
MAX_PREDICTION = 1e12
MAX_CLAIM = 500  # attempt ids in one claim: a long lesson series taken twice over, as a visitor


class LessonRefused(Refused):
    """A lesson request that cannot be honoured (lab.sim.problems.Refused): its own class so that
    a caller can tell what the lesson refused (the design, a hint) from what a run refused (a
    quota's 429, with its Retry-After); the API answers both alike."""


@lru_cache(maxsize=1)
def engine_version() -> dict[str, Any]:
    """What ran a grade: the engine's source fingerprint (every file of lab/sim), and the
    versions of the topology and results formats. Same fingerprint, same seed: same results."""
    root = Path(lab.sim.__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return {"sim": "sha256:" + digest.hexdigest()[:16], "topology_version": lab.sim.VERSION,
            "results_version": RESULTS_VERSION}


def _run_key(topology: Mapping[str, Any], seed: int) -> str:
    text = json.dumps([topology, seed, engine_version()["sim"]], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def progress_for(*, user: Any, lesson_id: str) -> LessonProgress:
    progress, _ = LessonProgress.objects.get_or_create(user=user, lesson=lesson_id)
    return progress


# -- submitting --------------------------------------------------------------------------------

def _in_body(problems: list[Problem]) -> list[Problem]:
    """Problems of the submitted design, under $.topology: the engine's JSON paths keep their
    place; the scenario's (which name the lesson's traffic or fault) are about the design as a whole."""
    return [problem("$.topology" + p["path"][1:] if p["path"].startswith("$") else "$.topology", p["message"],
                    p["severity"]) for p in problems]


def _locked_problems(step: Step, design: Topology, start: Topology) -> list[Problem]:
    """What the learner changed that the step locks, both sides with the scenario imposed (so the
    traffic the scenario sets is never a difference)."""
    now = {n["id"]: n for n in design["nodes"]}
    before = {n["id"]: n for n in start["nodes"]}
    problems: list[Problem] = []
    for entry in step.locked:
        node_id, _, param = entry.partition(".")
        old = before.get(node_id)
        if old is None:
            continue
        new = now.get(node_id)
        if new is None:
            problems.append(problem("$.topology.nodes", f"this step locks node {node_id!r}: keep it in your design as it was"))
        elif param:
            a, b = old["params"].get(param), new["params"].get(param)
            if a != b:
                problems.append(problem("$.topology.nodes", f"this step locks {node_id}.{param} at {json.dumps(a)}; "
                                                             f"your design changes it to {json.dumps(b)}"))
        elif old.get("kind") != new.get("kind") or old["params"] != new["params"]:
            changed = sorted(k for k in set(old["params"]) | set(new["params"]) if old["params"].get(k) != new["params"].get(k))
            what = ", ".join(changed) if changed else "its kind"
            problems.append(problem("$.topology.nodes", f"this step locks node {node_id!r}; your design changes {what}"))
    return problems


def _predictions(step: Step, guesses: Any) -> list[dict[str, Any]]:
    if guesses is None:
        return []
    if not isinstance(guesses, dict):
        raise LessonRefused([problem("$.predictions", 'predictions is an object of guesses: {"<prediction id>": number}')])
    known = {p.id: p for p in step.predictions}
    problems, chosen = [], []
    for key, value in guesses.items():
        if key not in known:
            names = ", ".join(known) or "none"
            problems.append(problem(f"$.predictions.{str(key)[:64]}", f"this step has no prediction {str(key)[:64]!r}; "
                                                                        f"its predictions are {names}"))
        elif isinstance(value, bool) or not isinstance(value, (int, float)) or abs(value) > MAX_PREDICTION:
            problems.append(problem(f"$.predictions.{key}", "a guess is a number"))
        else:
            p = known[key]
            chosen.append({"id": p.id, "guess": value, "question": p.question, "metric": p.metric, "unit": p.unit,
                           "scope": p.scope, "span": p.span, **({"cause": p.cause} if p.cause else {})})
    if problems:
        raise LessonRefused(problems)
    return chosen


def attempt_create(*, user: Any, lesson: Lesson, step_id: str, topology: Any, predictions: Any = None,
                   owner_key: str, requester: quotas.Requester | None, visitor: str = "",
                   scenario: dict[str, Any] | None = None, record_progress: bool = True) -> Attempt:
    """Queue a graded attempt of `topology` on a step, by a signed-in `user` or (user anonymous)
    by the browser session `visitor`. Raises LessonRefused (400: a design that cannot take the
    step's scenario, or changes what the step locks; 404: no such step) and lab.runs' RunRefused
    (429 over the learner's quota, 400 over a run budget). Either way nothing is stored.
    `scenario` (plain data, as scenario.as_dict gives) replaces the step's: an assignment's
    hidden seeds and faults (lab.classroom). `record_progress=False` leaves the submitter's
    lesson progress alone when submitting (a teacher's re-grade of a student's design)."""
    signed_in = bool(getattr(user, "is_authenticated", False))
    if not signed_in and not visitor:
        raise LessonRefused([problem("$", "a visitor's attempt needs a browser session (cookies)")], status=401)
    index = selectors.step_index(lesson=lesson, step_id=step_id)
    if index is None:
        raise LessonRefused([problem("$", f"lesson {lesson.id!r} has no step {step_id!r}")], status=404)
    step = lesson.steps[index]
    if not isinstance(topology, dict):
        raise LessonRefused([problem("$.topology", "send your design: a topology document (docs/topology.md)")])
    guesses = _predictions(step, predictions)
    scn = scenario if scenario is not None else scenarios.as_dict(step.scenario)
    start = selectors.step_start(lesson=lesson, index=index, user=user)
    design, problems = scenarios.apply(topology, scn, start=start)
    if design is None:
        raise LessonRefused(_in_body(problems))
    start_design, _ = scenarios.apply(start, scn)
    if start_design is not None:
        locked = _locked_problems(step, design, start_design)
        if locked:
            raise LessonRefused(locked)
    seeds = [int(s) for s in scn["seeds"]]
    with transaction.atomic():
        attempt = Attempt.objects.create(
            user=user if signed_in else None, visitor="" if signed_in else visitor, lesson=lesson.id,
            step=step.id, topology=topology, start_topology=start if start_design is not None else None,
            scenario=scn, seeds=seeds, goals=[dict(g) for g in step.goals], engine=engine_version(),
            predictions=guesses)
        for seed in seeds:
            run = run_services.run_create(topology=design, seed=seed, duration_s=scn["duration_s"], speed=0,
                                          user=user, owner_key=owner_key, requester=requester,
                                          priority=GRADED_PRIORITY)
            AttemptRun.objects.create(attempt=attempt, run=run, seed=seed, role=AttemptRun.Role.DESIGN,
                                      key=_run_key(run.topology, seed))
        if start_design is not None:
            for seed in seeds:
                _start_run(attempt, start_design, seed, scn)
        if signed_in and record_progress:
            progress = progress_for(user=user, lesson_id=lesson.id)
            _apply_submitted(progress, attempt)
            progress.save()
    return attempt


def _apply_submitted(progress: LessonProgress, attempt: Attempt) -> None:
    """What submitting an attempt does to its learner's progress."""
    progress.topologies = {**progress.topologies, attempt.step: attempt.topology}
    progress.current_step = attempt.step
    progress.attempts += 1


def _start_run(attempt: Attempt, start_design: Topology, seed: int, scn: dict[str, Any]) -> None:
    """The start design on one seed: a run with the same key when there is one, done or still
    going, whoever's attempt made it (the same design, seed and engine give the same results),
    else a new run. A new one belongs to nobody: no quota is charged for it (it is the lesson's
    comparison, not the learner's experiment; the attempt's own runs, within the quota, bound how
    many there can be: one per seed per attempt at most), nobody can pause, change or stop it,
    and the learners see its figures in their grades, not the run."""
    frozen = load_topology({**start_design, "settings": {**start_design["settings"], "seed": seed}})
    key = _run_key(frozen, seed)
    same = AttemptRun.objects.filter(role=AttemptRun.Role.START, key=key).select_related("run").order_by("-id")
    # One still going is reused only if it is nobody's: a learner could stop their own run (a
    # start run made before start runs belonged to nobody) and leave every attempt sharing it
    # without a comparison. A failed, stopped or limited one is not reused: this attempt tries again.
    earlier = (same.filter(run__status=Run.Status.DONE).first()
               or same.filter(run__status__in=ACTIVE, run__user__isnull=True, run__owner_key="").first())
    if earlier is not None:
        run = earlier.run
    else:
        run = run_services.run_create(topology=start_design, seed=seed, duration_s=scn["duration_s"], speed=0,
                                      user=None, owner_key="", requester=None, priority=GRADED_PRIORITY)
    AttemptRun.objects.create(attempt=attempt, run=run, seed=seed, role=AttemptRun.Role.START, key=key)


# -- grading -----------------------------------------------------------------------------------

def attempt_refresh(*, attempt: Attempt) -> Attempt:
    """Bring an attempt's status up to date from its runs, and grade it once they are all over.
    The grade is written once (a conditional UPDATE): of two readers racing, one grades."""
    if attempt.status == Attempt.Status.GRADED:
        return attempt
    links = list(attempt.attempt_runs.select_related("run"))
    runs = [link.run for link in links]
    if not all(run.is_over for run in runs) or not runs:
        status = Attempt.Status.RUNNING if any(r.status != Run.Status.QUEUED for r in runs) else Attempt.Status.QUEUED
        if status != attempt.status:
            Attempt.objects.filter(id=attempt.id).exclude(status=Attempt.Status.GRADED).update(status=status)
            attempt.refresh_from_db()
        return attempt
    grade = _grade(attempt, links)
    with transaction.atomic():
        won = Attempt.objects.filter(id=attempt.id).exclude(status=Attempt.Status.GRADED).update(
            status=Attempt.Status.GRADED, grade=grade, passed=grade["passed"], graded=timezone.now())
        if won:
            _record_in_progress(attempt, grade)
    attempt.refresh_from_db()
    return attempt


def _as_run(run: Run) -> dict[str, Any]:
    return {"results": run.results, "windows": [data for _, data in run_selectors.run_windows(run=run)],
            "topology": run.topology}


def _ended_sentence(run: Run | None, seed: int, what: str) -> str:
    if run is None:
        return f"the run of {what} on seed {seed} is gone; submit again"
    lines = run.error.strip().splitlines()
    why = run.reason or (lines[-1] if lines else "")
    ending = {"limited": "was stopped by its budget", "stopped": "was stopped", "failed": "failed"}.get(run.status, run.status)
    return f"the run of {what} on seed {seed} {ending}" + (f" ({why[:200]})" if why else "") + \
           "; a step is passed only by complete runs: submit again"


def _grade(attempt: Attempt, links: list[AttemptRun]) -> dict[str, Any]:
    seeds = [int(s) for s in attempt.seeds]
    needed = seeds_needed(attempt.scenario)
    mine = {link.seed: link.run for link in links if link.role == AttemptRun.Role.DESIGN}
    starts = {link.seed: link.run for link in links if link.role == AttemptRun.Role.START}
    start_done = bool(starts) and all(starts.get(s) is not None and starts[s].status == Run.Status.DONE for s in seeds)
    base = {"seeds": seeds, "seeds_needed": needed, "engine": attempt.engine}
    problems = [problem("$", _ended_sentence(mine.get(s), s, "your design")) for s in seeds
                if mine.get(s) is None or mine[s].status != Run.Status.DONE]
    # Figures of complete runs only, on every seed: a partial run's numbers are not comparable.
    # (A run that is done has its results; comparison_figures reads a missing one as nothing measured.)
    comparison = {"start": comparison_figures([starts[s].results or {} for s in seeds]) if start_done else None,
                  "design": None if problems else comparison_figures([mine[s].results or {} for s in seeds])}
    if problems:
        return {**base, "passed": False, "goals": [], "predictions": [], "problems": problems,
                "comparison": comparison}
    runs = [_as_run(mine[s]) for s in seeds]
    start_runs = [_as_run(starts[s]) for s in seeds] if start_done else None
    graded = grade_runs(attempt.goals, attempt.scenario, runs, start_runs)
    goals = [{"goal": g.goal, "text": g.text, "passed": g.passed, "seeds_passed": g.seeds_passed,
              "seeds_needed": g.seeds_needed, "sentence": g.sentence, "look_at": g.look_at,
              "measured": [{"seed": r.seed if r.seed is not None else seeds[i], "value": r.measured, "unit": r.unit,
                            "target": r.target, "baseline": r.baseline, "passed": r.passed, "sentence": r.sentence}
                           for i, r in enumerate(g.results)]}
             for g in graded]
    predictions = [{"id": p["id"], "question": p["question"], "guess": p["guess"], "unit": p["unit"],
                    "measured": [{"seed": seed, "value": _measure(p, run)} for seed, run in zip(seeds, runs)]}
                   for p in attempt.predictions]
    return {**base, "passed": all(g["passed"] for g in goals), "goals": goals, "predictions": predictions,
            "problems": [], "comparison": comparison}


def _measure(prediction: dict[str, Any], run: dict[str, Any]) -> float | None:
    spec = {k: prediction[k] for k in ("metric", "scope", "span", "cause") if k in prediction}
    value = goal_eval.measure(spec, run)[0]
    return round(value, 6) if value is not None else None


def _record_in_progress(attempt: Attempt, grade: dict[str, Any]) -> None:
    if attempt.user_id is None:
        return  # a visitor's progress is kept in their browser
    progress = LessonProgress.objects.select_for_update().filter(user_id=attempt.user_id, lesson=attempt.lesson).first()
    if progress is None:
        return
    _apply_graded(progress, attempt, grade, selectors.lesson_get(lesson_id=attempt.lesson))
    progress.save()


def _apply_graded(progress: LessonProgress, attempt: Attempt, grade: dict[str, Any], lesson: Lesson | None) -> None:
    """What a graded attempt does to its learner's progress: a pass marks the step passed and
    moves on to the next step, a failure unlocks the step's next hint, the best attempt is kept."""
    index = selectors.step_index(lesson=lesson, step_id=attempt.step) if lesson is not None else None
    step = lesson.steps[index] if lesson is not None and index is not None else None
    if grade["passed"]:
        if attempt.step not in progress.passed_steps:
            progress.passed_steps = [*progress.passed_steps, attempt.step]
        if lesson is not None and index is not None and index + 1 < len(lesson.steps):
            progress.current_step = lesson.steps[index + 1].id
    elif step is not None and step.hints:
        progress.hints = {**progress.hints, step.id: min(progress.hints.get(step.id, 0) + 1, len(step.hints))}
    summary = grade_summary(attempt, grade)
    old = progress.best.get(attempt.step)
    if old is None or (summary["passed"], summary["goals_passed"]) >= (old["passed"], old["goals_passed"]):
        progress.best = {**progress.best, attempt.step: summary}


def grade_summary(attempt: Attempt, grade: dict[str, Any]) -> dict[str, Any]:
    """A step's best attempt as progress keeps it (and the browser keeps a visitor's)."""
    return {"attempt": str(attempt.id), "passed": grade["passed"], "goals": len(grade["goals"]),
            "goals_passed": sum(g["passed"] for g in grade["goals"]),
            "measured": {g["goal"]: [m["value"] for m in g["measured"]] for g in grade["goals"]},
            "comparison": grade.get("comparison")}


# -- a visitor's attempts, claimed by their new account ------------------------------------------

def progress_claim(*, user: Any, attempt_ids: list[uuid.UUID],
                   asked: dict[str, dict[str, int]] | None = None) -> dict[str, Any]:
    """Give the visitor's attempts among `attempt_ids` to `user` and replay them into the user's
    progress as if they had been submitted signed in: the design of each step, its attempts,
    passed steps, best attempts, hints (one per failed attempt, plus those the visitor's session
    `asked` for in the same lessons) and the current step. An attempt's id is unguessable, so
    holding it is the proof that it is yours, as a share link's token is. Attempts that are
    someone's already, or unknown, are ignored; so claiming twice claims nothing the second time.
    Attempts whose runs are over are graded first, as the visitor's next read would have."""
    ids = list(dict.fromkeys(attempt_ids))
    candidates = list(Attempt.objects.filter(id__in=ids, user__isnull=True).order_by("created", "id"))
    # Graded while they are still nobody's, so grading touches no progress: the replay below does.
    candidates = [attempt_refresh(attempt=a) if a.status != Attempt.Status.GRADED else a for a in candidates]
    claimed: list[Attempt] = []
    with transaction.atomic():
        for attempt in candidates:
            # One conditional UPDATE each: of two claims racing for an attempt, one gets it.
            if Attempt.objects.filter(id=attempt.id, user__isnull=True).update(user=user):
                attempt.user = user
                claimed.append(attempt)
        # Their runs too, so the account can watch and read them (the visitor's session key
        # changed when they signed up; the runs keep counting against the visitor's quota).
        Run.objects.filter(lesson_attempt_runs__attempt__in=claimed, lesson_attempt_runs__role=AttemptRun.Role.DESIGN,
                           user__isnull=True).update(user=user)
        for lesson_id in dict.fromkeys(a.lesson for a in claimed):
            _replay(user, lesson_id, [a for a in claimed if a.lesson == lesson_id], (asked or {}).get(lesson_id))
    return {"claimed": len(claimed), "ignored": len(ids) - len(claimed), "lessons": selectors.lesson_list(user=user)}


def _replay(user: Any, lesson_id: str, attempts: list[Attempt], asked: dict[str, int] | None) -> None:
    progress = progress_for(user=user, lesson_id=lesson_id)
    progress = LessonProgress.objects.select_for_update().get(pk=progress.pk)
    lesson = selectors.lesson_get(lesson_id=lesson_id)
    for attempt in attempts:
        _apply_submitted(progress, attempt)
        if attempt.status == Attempt.Status.GRADED and attempt.grade is not None:
            _apply_graded(progress, attempt, attempt.grade, lesson)
    for step in lesson.steps if lesson is not None else ():
        more = selectors.asked_count(asked or {}, step.id)
        if more and step.hints:
            progress.hints = {**progress.hints, step.id: min(progress.hints.get(step.id, 0) + more, len(step.hints))}
    progress.save()
