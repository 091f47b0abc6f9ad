"""Writes for live class sessions: start one, show a run to the class, ask a question, take the
answers, reveal, end. Refusals are the classroom's (lab.classroom.errors.ClassroomRefused): a
problem list and an HTTP status, as everywhere in the API.

Only the class's teacher runs a session; its students watch and answer. The run is the teacher's
own (lab.runs.services.run_create), so the teacher pauses, speeds up, steps, changes and faults it
with the run's commands, and the students, granted as its audience, can watch but not control it.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Any, TypeGuard

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from lab.classroom import checks
from lab.classroom.authored_access import may_preview_authored
from lab.classroom.errors import ClassroomRefused
from lab.classroom.models import Classroom, Membership
from lab.classroom.selectors import is_teacher
from lab.lessons import goals
from lab.lessons.authored import is_authored_id
from lab.lessons import selectors as lessons
from lab.runs import services as runs
from lab.runs.models import Run, RunAudience, RunWindow
from lab.sim import check as check_topology

from .models import Answer, LiveSession, Question

MAX_QUESTIONS = 50
MAX_CHOICES = 10
TIME_LIMITS = (5, 600)
# One student may change their answer to one question at most this often (a flood is refused,
# not counted: the count the teacher sees is of students, not of requests).
ANSWERS_PER_MINUTE = 20
MAX_ANSWER = 1e12
MAX_MEASURED_WINDOWS = 600  # read at most this many of the run's last windows for a measure


def _teacher_of(classroom: Classroom, by: Any) -> None:
    if classroom.teacher_id != getattr(by, "pk", None) or not is_teacher(by):
        raise ClassroomRefused("only the class's teacher runs its live sessions", status=403)


def _open(session: LiveSession) -> None:
    if session.ended is not None:
        raise ClassroomRefused("this session has ended", status=409)


# -- the session and its run -------------------------------------------------------------------

def session_start(*, classroom: Classroom, by: Any, title: Any, topology: Any = None,
                  lesson: Any = None, step: Any = None) -> LiveSession:
    """A session of `classroom` showing `topology`, or a lesson step's start design. A class has
    one session going at a time (end it to start another)."""
    _teacher_of(classroom, by)
    if classroom.archived is not None:
        raise ClassroomRefused("this class is archived", status=409)
    problems: list[checks.Problem] = []
    clean = checks.clean_name(title, "$.title", max_length=200, what="session title", problems=problems)
    design = topology
    if lesson is not None or step is not None:
        found = lessons.lesson_get(lesson_id=str(lesson)[:64]) if isinstance(lesson, str) else None
        if found is not None and is_authored_id(found.id) and not may_preview_authored(by, found.id):
            found = None  # another teacher's own lesson: as if there were none (as for assignments)
        index = lessons.step_index(lesson=found, step_id=str(step)[:64]) if found is not None and isinstance(step, str) else None
        if found is None or index is None:
            problems.append(checks.problem("$.step", "no such lesson step; name a lesson id and one of its step ids"))
        elif design is None:
            design = found.start_design(index)
    if not isinstance(design, dict):
        problems.append(checks.problem("$.topology", "send the design to show (a topology document) or a lesson step"))
    else:
        problems += [checks.problem("$.topology" + p["path"][1:], p["message"]) for p in check_topology(design)
                     if p["severity"] == "error"]
    if problems or clean is None:  # no title is always a problem listed
        raise ClassroomRefused(problems)
    if LiveSession.objects.filter(classroom=classroom, ended__isnull=True).exists():
        raise ClassroomRefused("this class already has a live session going; end it first", status=409)
    return LiveSession.objects.create(classroom=classroom, title=clean, topology=design,
                                      lesson=lesson if isinstance(lesson, str) else "",
                                      step=step if isinstance(step, str) else "")


def _grant(run: Run, users: list[Any]) -> None:
    RunAudience.objects.bulk_create([RunAudience(run=run, user=u) for u in users], ignore_conflicts=True)


def session_run(*, session: LiveSession, by: Any, owner_key: str, requester: Any = None, seed: Any = 1,
                duration_s: Any = None, speed: Any = 1, topology: Any = None) -> Run:
    """Start the run the whole class watches (the session's design, or a changed one), replacing
    the one on their screens. It is the teacher's run, under the teacher's allowance (`requester`,
    lab.runs.quotas); refusals are lab.runs' RunRefused."""
    _teacher_of(session.classroom, by)
    _open(session)
    design = topology if topology is not None else session.topology
    settings = design.get("settings", {}) if isinstance(design, dict) else {}
    run = runs.run_create(topology=design, seed=seed, duration_s=duration_s if duration_s is not None else settings.get("duration_s", 300),
                          speed=speed, user=by, owner_key=owner_key, requester=requester)
    students = [m.student for m in Membership.objects.filter(classroom=session.classroom).select_related("student")]
    previous = session.run
    if previous is not None and not previous.is_over:  # one run on the class's screens, one running
        runs.run_command_add(run=previous, command={"op": "stop"})
    with transaction.atomic():
        _grant(run, students)
        if topology is not None:
            session.topology = topology
        session.run = run
        session.save(update_fields=["run", "topology"])
        session.runs.add(run)
    return run


def session_join(*, session: LiveSession, user: Any) -> None:
    """A student opening the session: they may watch its current run (and the next ones, which are
    granted to every member when they start)."""
    if not Membership.objects.filter(classroom=session.classroom, student=user).exists():
        raise ClassroomRefused("join the class first", status=403)
    _open(session)
    if session.run is not None:
        _grant(session.run, [user])


def session_end(*, session: LiveSession, by: Any) -> LiveSession:
    _teacher_of(session.classroom, by)
    if session.ended is None:
        if session.run is not None and not session.run.is_over:
            runs.run_command_add(run=session.run, command={"op": "stop"})
        session.ended = timezone.now()
        Question.objects.filter(session=session, state=Question.State.OPEN).update(state=Question.State.CLOSED)
        session.save(update_fields=["ended"])
    return session


# -- questions ---------------------------------------------------------------------------------

def _checked_measure(measure: Any, session: LiveSession, kind: Any, problems: list[checks.Problem]) -> dict[str, Any]:
    """What the lab measures on the run at the reveal: a metric and a scope of the goal
    vocabulary (lab/lessons/goals.py), checked against the session's design."""
    if measure in (None, {}):
        return {}
    if kind != "number":
        problems.append(checks.problem("$.measure", "only a number question has a measure"))
        return {}
    if not isinstance(measure, dict) or set(measure) - {"metric", "scope", "cause"}:
        problems.append(checks.problem("$.measure", 'a measure is {"metric": ..., "scope": {...}}, e.g. '
                                                    '{"metric": "latency_p99_ms", "scope": {"overall": true}}'))
        return {}
    found = goals.check_measure(measure, step_context=goals.step_context_for(session.topology))
    problems += [checks.problem(f"$.measure.{p['path']}", p["message"]) for p in found]
    return dict(measure) if not found else {}


def question_add(*, session: LiveSession, by: Any, text: Any, kind: Any = "number", choices: Any = None,
                 unit: Any = "", time_limit_s: Any = 60, measure: Any = None) -> Question:
    """A question for the plan (asked later with question_open). With a `measure`, the lab
    measures the answer on the run at the reveal (the teacher may still type it)."""
    _teacher_of(session.classroom, by)
    _open(session)
    problems: list[checks.Problem] = []
    clean = checks.clean_name(text, "$.text", max_length=500, what="question", problems=problems)
    if kind not in Question.Kind.values:
        problems.append(checks.problem("$.kind", 'kind is "number" or "choice"'))
    options: list[str] = []
    if kind == "choice":
        if not isinstance(choices, list) or not 2 <= len(choices) <= MAX_CHOICES:
            problems.append(checks.problem("$.choices", f"a choice question has 2 to {MAX_CHOICES} choices"))
        else:
            for i, choice in enumerate(choices):
                options.append(checks.clean_name(choice, f"$.choices[{i}]", max_length=100, what="choice",
                                                 problems=problems) or "")
    elif choices not in (None, []):
        problems.append(checks.problem("$.choices", "only a choice question has choices"))
    clean_unit = ""
    if unit not in (None, ""):
        clean_unit = checks.clean_name(unit, "$.unit", max_length=20, what="unit", problems=problems) or ""
    low, high = TIME_LIMITS
    if isinstance(time_limit_s, bool) or not isinstance(time_limit_s, int) or not low <= time_limit_s <= high:
        problems.append(checks.problem("$.time_limit_s", f"time_limit_s is a whole number of seconds from {low} to {high}"))
    checked_measure = _checked_measure(measure, session, kind, problems)
    if checked_measure and not clean_unit:
        clean_unit = goals.METRICS[checked_measure["metric"]].unit
    if problems or clean is None:  # no question text is always a problem listed
        raise ClassroomRefused(problems)
    if session.questions.count() >= MAX_QUESTIONS:
        raise ClassroomRefused(f"a session has at most {MAX_QUESTIONS} questions", status=409)
    return Question.objects.create(session=session, order=session.questions.count(), text=clean, kind=kind,
                                   choices=options, unit=clean_unit, time_limit_s=time_limit_s,
                                   measure=checked_measure)


def _question_of_teacher(question: Question, by: Any) -> None:
    _teacher_of(question.session.classroom, by)
    _open(question.session)


def question_open(*, question: Question, by: Any) -> Question:
    """Ask it (again: after a discussion the class votes in a new round, and the earlier round's
    answers are kept). Opening one closes any other open question of the session."""
    _question_of_teacher(question, by)
    with transaction.atomic():
        Question.objects.filter(session=question.session, state=Question.State.OPEN).exclude(pk=question.pk).update(
            state=Question.State.CLOSED)
        question.round += 1
        question.state = Question.State.OPEN
        question.asked_at = timezone.now()
        question.closes_at = question.asked_at + timedelta(seconds=question.time_limit_s)
        question.save(update_fields=["round", "state", "closes_at", "asked_at"])
    return question


def question_close(*, question: Question, by: Any) -> Question:
    _question_of_teacher(question, by)
    if question.state == Question.State.OPEN:
        question.state = Question.State.CLOSED
        question.closes_at = min(question.closes_at or timezone.now(), timezone.now())
        question.save(update_fields=["state", "closes_at"])
    return question


def question_reveal(*, question: Question, by: Any, measured: Any = None) -> Question:
    """Show the class's answers to everyone, with what the run measured when the teacher gives it."""
    _question_of_teacher(question, by)
    if question.round == 0:
        raise ClassroomRefused("ask the question before revealing its answers", status=409)
    if measured is not None and (isinstance(measured, bool) or not isinstance(measured, (int, float))
                                 or abs(measured) > MAX_ANSWER):
        raise ClassroomRefused("measured is a number", status=400, path="$.measured")
    question.state = Question.State.REVEALED
    question.closes_at = min(question.closes_at or timezone.now(), timezone.now())
    if measured is not None:
        question.measured, question.measured_note = float(measured), ""
    elif question.measure:
        question.measured, question.measured_note = _measure_on_run(question)
    question.save(update_fields=["state", "closes_at", "measured", "measured_note"])
    return question


# The lab measures a question's answer on the run's latest windows: what the class sees now,
# after the change the question was about, never before the question was asked.
MEASURE_S = 10.0


def _measure_on_run(question: Question) -> tuple[float | None, str]:
    run = question.session.run
    metric = goals.METRICS[question.measure["metric"]]
    if run is None:
        return None, "no run was shown, so nothing was measured"
    since = question.asked_at.timestamp() if question.asked_at else 0.0
    rows = RunWindow.objects.filter(run=run).order_by("-seq").values_list("data", flat=True)[:MAX_MEASURED_WINDOWS]
    windows = [w for w in reversed(list(rows)) if isinstance(w, dict) and w.get("closed_at", 0) >= since]
    if windows:
        end = windows[-1]["t_end"]
        windows = [w for w in windows if w["t_start"] >= end - MEASURE_S - 1e-9]
    value, unit, why = goals.measure_windows(question.measure, windows)
    if value is None:
        return None, why
    span = f"t = {windows[0]['t_start']:g}-{windows[-1]['t_end']:g} s"
    return value, f"{metric.label}{goals.scope_words(question.measure.get('scope', {'overall': True}))}, " \
                  f"measured by the lab over {span} of the run"


def answer_submit(*, question: Question, student: Any, value: Any) -> Answer:
    """A student's answer to the open round; answering again before it closes changes it."""
    result = answers_submit([{"question": question.pk, "student": student.pk, "value": value}])[0]
    if isinstance(result, ClassroomRefused):
        raise result
    return result


def _rate_ok(session_id: Any, question_id: int, student_id: int) -> bool:
    key = f"live:answers:{session_id}:{question_id}:{student_id}"
    cache.add(key, 0, 60)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, 60)
        count = 1
    return count <= ANSWERS_PER_MINUTE


def _answer_problem(question: Question, value: Any) -> ClassroomRefused | None:
    if question.state != Question.State.OPEN or question.closes_at is None or timezone.now() >= question.closes_at:
        return ClassroomRefused("this question is not open for answers now", status=409)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or abs(value) > MAX_ANSWER or value != value:
        return ClassroomRefused("an answer is a number" + (" (the index of a choice)" if question.kind == "choice" else ""),
                                status=400, path="$.value")
    if question.kind == "choice" and (int(value) != value or not 0 <= value < len(question.choices)):
        return ClassroomRefused(f"choose one of the {len(question.choices)} choices (0 to {len(question.choices) - 1})",
                                status=400, path="$.value")
    return None


def _is_id(value: Any) -> TypeGuard[int]:
    """A question id the database can hold: an id past 2**63 raised in SQLite's driver and failed
    every answer of the batch it came in (one student's message, a whole class's answers)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**31


def answers_submit(entries: list[dict[str, Any]]) -> list[Answer | ClassroomRefused]:
    """Many students' answers at once, each {"question": id, "student": user id, "value": number}
    and, from a session's websocket, "session" (the question must be that session's). Each gets
    its Answer or its refusal, in order. A class answering together arrives as one batch
    (lab.live.answers), so this is three statements however many answered: the questions, the
    memberships, and one INSERT ... ON CONFLICT UPDATE of every answer (two tabs of one student
    cannot race into a duplicate; the later answer in a batch wins)."""
    ids = {e["question"] for e in entries if _is_id(e.get("question"))}
    questions = {q.pk: q for q in Question.objects.filter(pk__in=ids).select_related("session")}
    classes = {q.session.classroom_id for q in questions.values()}
    students = {e.get("student") for e in entries}
    members = set(Membership.objects.filter(classroom_id__in=classes, student_id__in=students)
                  .values_list("classroom_id", "student_id"))
    results: list[Answer | ClassroomRefused] = []
    chosen: dict[tuple[int, int, int], Answer] = {}
    for entry in entries:
        qid = entry.get("question")
        question = questions.get(qid) if _is_id(qid) else None
        if question is None or ("session" in entry and str(question.session_id) != str(entry["session"])):
            results.append(ClassroomRefused("no such question in this session", status=404, path="$.question"))
            continue
        if (question.session.classroom_id, entry.get("student")) not in members:
            results.append(ClassroomRefused("only the class's students answer", status=403))
            continue
        refused = _answer_problem(question, entry.get("value"))
        if refused is None and not _rate_ok(question.session_id, question.pk, entry["student"]):
            refused = ClassroomRefused("too many answers; yours is counted once, as you last gave it", status=429)
        if refused is not None:
            results.append(refused)
            continue
        answer = Answer(question=question, student_id=entry["student"], round=question.round, value=float(entry["value"]))
        chosen[(question.pk, entry["student"], question.round)] = answer
        results.append(answer)
    if chosen:
        Answer.objects.bulk_create(list(chosen.values()), update_conflicts=True,
                                   unique_fields=["question", "student", "round"], update_fields=["value", "updated"])
    return results
