"""Writes for a learner's help on a step: unlocking its next hint (a signed-in learner's in their
progress, a visitor's in their browser session) and showing its solution. Submitting and grading
are lab/lessons/services.py; a failed attempt unlocks a hint there too."""
from __future__ import annotations

from typing import Any

from django.db import transaction

from lab.sim.problems import problem

from . import selectors
from .format import Lesson, Step
from .models import LessonProgress
from .services import LessonRefused, progress_for


def _check_a_hint_is_left(step: Step, shown: int) -> None:
    if not step.hints:
        raise LessonRefused([problem("$", "this step has no hints")])
    if shown >= len(step.hints):
        raise LessonRefused([problem("$", f"all {len(step.hints)} hints of this step are already shown")])


def hint_unlock(*, user: Any, lesson: Lesson, step: Step) -> LessonProgress:
    """Unlock the step's next hint. LessonRefused when it has none left."""
    with transaction.atomic():
        progress = progress_for(user=user, lesson_id=lesson.id)
        progress = LessonProgress.objects.select_for_update().get(pk=progress.pk)
        shown = progress.hints.get(step.id, 0)
        _check_a_hint_is_left(step, shown)
        progress.hints = {**progress.hints, step.id: shown + 1}
        progress.save()
    return progress


def visitor_hint_unlock(*, lesson: Lesson, step: Step, session_key: str,
                        asked: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
    """Unlock a visitor's next hint: `asked` is what their session keeps (lesson id -> step id ->
    hints asked for); the answer is the new value to keep. Their failed attempts unlock hints
    too (selectors.visitor_hints), so the two together never pass the step's hints."""
    shown = selectors.visitor_hints(lesson=lesson, session_key=session_key, asked=asked).get(step.id, 0)
    _check_a_hint_is_left(step, shown)
    mine = dict(asked.get(lesson.id) or {})
    mine[step.id] = selectors.asked_count(mine, step.id) + 1
    return {**asked, lesson.id: mine}


def solution_show(*, user: Any, lesson: Lesson, step: Step) -> dict[str, Any]:
    """The step's reference as a diff against the learner's design; a signed-in learner's
    progress records that they saw it."""
    if getattr(user, "is_authenticated", False):
        progress = progress_for(user=user, lesson_id=lesson.id)
        if step.id not in progress.solutions_shown:
            progress.solutions_shown = [*progress.solutions_shown, step.id]
            progress.save(update_fields=["solutions_shown", "updated"])
    return selectors.solution_get(lesson=lesson, step=step, user=user)
