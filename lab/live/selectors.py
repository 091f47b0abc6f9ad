"""Reads for live class sessions: who may see a session, and each question as the asker sees it.

While a question is open the teacher sees how many students answered, not what (so the class's
guesses are not steered); once revealed everyone sees the distribution beside the measured value.
A student sees their own answer, and never another student's name.
"""
from __future__ import annotations

import statistics
import uuid
from typing import Any

from django.utils import timezone

from lab.classroom.selectors import role_in

from .models import Answer, LiveSession, Question

BINS = 10


def session_get(*, user: Any, session_id: Any) -> tuple[LiveSession, str] | None:
    """The session and the caller's role in its class ("teacher" or "student"), or None."""
    try:
        key = uuid.UUID(str(session_id)[:64])
    except ValueError:
        return None
    session = LiveSession.objects.filter(id=key).select_related("classroom", "run").first()
    if session is None:
        return None
    role = role_in(session.classroom, user)
    return (session, role) if role else None


def question_get(*, user: Any, question_id: Any) -> tuple[Question, str] | None:
    if isinstance(question_id, bool) or not isinstance(question_id, int) or not 0 < question_id < 2**31:
        return None
    question = Question.objects.filter(pk=question_id).select_related("session__classroom").first()
    if question is None:
        return None
    role = role_in(question.session.classroom, user)
    return (question, role) if role else None


def sessions_of(*, classroom: Any) -> list[LiveSession]:
    return list(LiveSession.objects.filter(classroom=classroom))


def _still_open(question: Question) -> bool:
    return question.state == Question.State.OPEN and question.closes_at is not None and timezone.now() < question.closes_at


def distribution(question: Question, round_: int) -> dict[str, Any]:
    values = list(Answer.objects.filter(question=question, round=round_).values_list("value", flat=True))
    out: dict[str, Any] = {"answers": len(values)}
    if question.kind == Question.Kind.CHOICE:
        out["counts"] = [sum(1 for v in values if int(v) == i) for i in range(len(question.choices))]
    elif values:
        low, high = min(values), max(values)
        width = (high - low) / BINS or 1.0
        counts = [0] * BINS
        for v in values:
            counts[min(BINS - 1, int((v - low) / width))] += 1
        out.update({"median": statistics.median(values), "min": low, "max": high,
                    "bins": [{"from": low + i * width, "to": low + (i + 1) * width, "count": c} for i, c in enumerate(counts)]})
    return out


def question_view(question: Question, *, role: str, user: Any) -> dict[str, Any]:
    state = question.state
    if state == Question.State.OPEN and not _still_open(question):
        state = Question.State.CLOSED  # its time is up; it is closed for everyone
    view: dict[str, Any] = {
        "id": question.pk, "text": question.text, "kind": question.kind, "choices": list(question.choices),
        "unit": question.unit, "time_limit_s": question.time_limit_s, "state": state, "round": question.round,
        "measure": question.measure or None,
        "closes_at": question.closes_at if state == Question.State.OPEN else None,
        "answered": Answer.objects.filter(question=question, round=question.round).count() if question.round else 0,
    }
    if role == "student":
        mine = Answer.objects.filter(question=question, round=question.round, student=user).first()
        view["my_answer"] = mine.value if mine else None
        if state == Question.State.DRAFT:
            return {"id": question.pk, "state": state}  # not asked yet: nothing to read ahead
    if state == Question.State.REVEALED:
        view["rounds"] = [distribution(question, r) for r in range(1, question.round + 1)]
        view["measured"] = question.measured
        view["measured_note"] = question.measured_note
    return view


def session_view(session: LiveSession, *, role: str, user: Any) -> dict[str, Any]:
    run = session.run
    questions = [question_view(q, role=role, user=user) for q in session.questions.all()]
    if role == "student":
        questions = [q for q in questions if q["state"] != Question.State.DRAFT]
    return {
        "id": str(session.id), "classroom": str(session.classroom_id), "title": session.title, "role": role,
        "topology": session.topology, "lesson": session.lesson or None, "step": session.step or None,
        "run": None if run is None else {"id": str(run.id), "status": run.status, "url": f"/api/v1/runs/{run.id}",
                                         "websocket": f"/ws/runs/{run.id}/", "can_control": role == "teacher"},
        "questions": questions, "created": session.created, "ended": session.ended,
        "url": f"/api/v1/sessions/{session.id}",
    }


def session_export(session: LiveSession, *, anonymise: bool = False) -> dict[str, Any]:
    """Everything said in a session, for the teacher after class: every question, every round's
    answers (by student, or "Student n" when anonymised) and the runs shown."""
    names: dict[int, str] = {}
    questions = []
    for question in session.questions.all():
        answers = []
        for a in Answer.objects.filter(question=question).select_related("student").order_by("round", "created"):
            name = names.setdefault(a.student_id, f"Student {len(names) + 1}" if anonymise else a.student.username)
            answers.append({"round": a.round, "student": name, "value": a.value, "at": a.created})
        questions.append({"text": question.text, "kind": question.kind, "choices": list(question.choices),
                          "unit": question.unit, "rounds": question.round, "measured": question.measured,
                          "measure": question.measure or None, "measured_note": question.measured_note,
                          "state": question.state, "answers": answers})
    return {"title": session.title, "classroom": session.classroom.name, "created": session.created,
            "ended": session.ended, "topology": session.topology,
            "runs": [{"id": str(r.id), "status": r.status, "created": r.created} for r in session.runs.order_by("created")],
            "questions": questions}
