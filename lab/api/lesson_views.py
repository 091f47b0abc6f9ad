"""Lessons through the API: the index with your progress, a lesson's steps, graded attempts,
hints and the solution. Reads are open to anyone; writes need a sign-in or a token (a visitor's
progress is kept in the browser, a later step). An attempt is its submitter's: anyone else gets
404. The rules are in lab/lessons/services.py and selectors.py."""
from __future__ import annotations

from typing import Any
from uuid import UUID

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from lab.lessons import selectors, services
from lab.lessons.format import Lesson, Step
from lab.runs import quotas

from . import lesson_serializers as s
from .errors import Refused
from .permissions import not_found, require_user, run_owner_key
from .schema import TOPOLOGY_EXAMPLE
from .views import ApiListView, ApiView, body, errors

TAGS = ["lessons"]


def _lesson(lesson_id: str) -> Lesson:
    """A lesson learners may see (a broken one is not there, for anyone)."""
    lesson = selectors.lesson_get(lesson_id=lesson_id)
    if lesson is None:
        raise not_found("lesson")
    return lesson


def _step(lesson: Lesson, step_id: str) -> Step:
    index = selectors.step_index(lesson=lesson, step_id=step_id)
    if index is None:
        raise not_found("step")
    return lesson.steps[index]


def _refused(exc: services.LessonRefused) -> Refused:
    return Refused(exc.problems, status=exc.status)


def _attempt(request: Request, attempt: Any, status: int = 200) -> Response:
    runs = selectors.attempt_runs(attempt=attempt)
    data = s.AttemptSerializer(attempt, context={"runs": runs}).data
    headers = {"Location": data["url"]} if status == 202 else None
    return Response(data, status=status, headers=headers)


class LessonListView(ApiListView):
    serializer_class = s.LessonSerializer

    @extend_schema(tags=TAGS, summary="The lessons, in order, with your progress",
                   description="Open to anyone (progress is null for a visitor). A lesson folder that does not load "
                               "is hidden from learners; staff see it with `broken: true` and its problems.",
                   responses={200: s.LessonSerializer(many=True), **errors(401, 404)})
    def get(self, request: Request) -> Response:
        return self.paginated(selectors.lesson_list(user=request.user))


class LessonView(ApiView):
    @extend_schema(tags=TAGS, summary="A lesson's steps: narrative, goals, scenario, palette, hints you unlocked",
                   responses={200: s.LessonDetailSerializer, **errors(401, 404)})
    def get(self, request: Request, lesson_id: str) -> Response:
        lesson = _lesson(lesson_id)
        return Response(s.LessonDetailSerializer(selectors.lesson_detail(lesson=lesson, user=request.user)).data)


class AttemptListView(ApiView):
    @extend_schema(
        tags=TAGS, summary="Submit your design for grading on a step",
        description="The step's scenario (traffic, faults, duration, seeds) is imposed on the design and one run "
                    "per seed is queued at a high priority, under your run allowance (429 past it). Follow the "
                    "attempt at its `url` (or its runs' websockets): it is graded once every run is over. A design "
                    "that cannot take the scenario, or changes what the step locks, is refused with a 400.",
        request=s.AttemptCreateRequest,
        examples=[OpenApiExample("a design and a guess", request_only=True,
                                 value={"topology": TOPOLOGY_EXAMPLE, "predictions": {"guess-p95": 120}})],
        responses={202: s.AttemptSerializer, **errors(400, 401, 404, 413, 415, 429)})
    def post(self, request: Request, lesson_id: str, step_id: str) -> Response:
        lesson = _lesson(lesson_id)
        _step(lesson, step_id)
        require_user(request)
        data = body(request, ("topology", "predictions"))
        try:
            attempt = services.attempt_create(user=request.user, lesson=lesson, step_id=step_id,
                                              topology=data.get("topology"), predictions=data.get("predictions"),
                                              owner_key=run_owner_key(request),
                                              requester=quotas.requester_of(request))
        except services.LessonRefused as exc:
            raise _refused(exc) from None
        return _attempt(request, attempt, status=202)


class AttemptView(ApiView):
    @extend_schema(tags=TAGS, summary="A graded attempt: queued, running, or graded with every goal's measure",
                   responses={200: s.AttemptSerializer, **errors(401, 404)})
    def get(self, request: Request, lesson_id: str, attempt_id: UUID) -> Response:
        attempt = selectors.attempt_get(user=request.user, lesson_id=lesson_id, attempt_id=attempt_id)
        if attempt is None:
            raise not_found("attempt")
        return _attempt(request, services.attempt_refresh(attempt=attempt))


class HintView(ApiView):
    @extend_schema(tags=TAGS, summary="Unlock the step's next hint", request=None,
                   description="Hints unlock one at a time: on request, and after each failed attempt.",
                   responses={200: s.LessonStepHintsSerializer, **errors(400, 401, 404)})
    def post(self, request: Request, lesson_id: str, step_id: str) -> Response:
        lesson = _lesson(lesson_id)
        step = _step(lesson, step_id)
        require_user(request)
        try:
            progress = services.hint_unlock(user=request.user, lesson=lesson, step=step)
        except services.LessonRefused as exc:
            raise _refused(exc) from None
        return Response(selectors.hints_of(step=step, progress=progress))


class SolutionView(ApiView):
    @extend_schema(tags=TAGS, summary="The step's reference solution, as a diff in words against your design",
                   responses={200: s.SolutionSerializer, **errors(401, 404)})
    def get(self, request: Request, lesson_id: str, step_id: str) -> Response:
        lesson = _lesson(lesson_id)
        step = _step(lesson, step_id)
        return Response(s.SolutionSerializer(services.solution_show(user=request.user, lesson=lesson, step=step)).data)
