"""Lessons through the API: the index with your progress, a lesson's steps, graded attempts,
hints, the solution, and claiming a visitor's attempts after sign-up. Anyone may take a lesson:
a visitor's attempts and hints go by their browser session (with its CSRF token, as the pages
send it), their progress is kept in the browser. An attempt is its submitter's (a user, or a
visitor's session): anyone else gets 404. The rules are in lab/lessons/services.py, hints.py
and selectors.py."""
from __future__ import annotations

from typing import Any
from uuid import UUID

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from lab.classroom import selectors as classes
from lab.classroom.authored_access import may_read_authored
from lab.lessons import hints, selectors, services
from lab.lessons.authored import is_authored_id
from lab.lessons.format import Lesson, Step
from lab.runs import quotas

from . import lesson_serializers as s
from lab.runs import selectors as run_selectors

from lab.sim.problems import Refused, problem
from .permissions import not_found, require_user, run_owner_key, visitor_session
from .schema import TOPOLOGY_EXAMPLE
from .views import ApiListView, ApiView, body, errors

TAGS = ["lessons"]
# A class's open assignment of a step may turn its hints or its reference off (lab.classroom).
WITHHELD = "your class's assignment on this step does not show its {}; ask your teacher"


def _lesson(request: Request, lesson_id: str) -> Lesson:
    """A lesson the caller may see (a broken one is not there, for anyone). A teacher's own
    lesson or challenge is its owner's, staff's, and their classes' that have an assignment of it
    (lab/classroom/authored_access.py); for anyone else it is not there either."""
    if is_authored_id(lesson_id) and not may_read_authored(request.user, lesson_id):
        raise not_found("lesson")
    lesson = selectors.lesson_get(lesson_id=lesson_id)
    if lesson is None:
        raise not_found("lesson")
    return lesson


def _step(lesson: Lesson, step_id: str) -> Step:
    index = selectors.step_index(lesson=lesson, step_id=step_id)
    if index is None:
        raise not_found("step")
    return lesson.steps[index]


# Where a visitor's session keeps the hints it asked for: lesson id -> step id -> count.
ASKED_HINTS = "lesson_hints"


def _session_key(request: Request) -> str:
    return (request.session.session_key or "") if request.auth is None else ""


def _asked(request: Request) -> Any:
    return request.session.get(ASKED_HINTS) if request.auth is None else None


def _attempt(request: Request, attempt: Any, status: int = 200) -> Response:
    runs = selectors.attempt_runs(attempt=attempt)
    key = _session_key(request)
    watchable = {link.run_id for link in runs
                 if run_selectors.run_can_view(run=link.run, user=request.user, session_key=key or None)}
    context = {"runs": runs, "watchable": watchable, "live": selectors.attempt_live(attempt=attempt, links=runs),
               "debrief_html": selectors.attempt_debrief(attempt=attempt)}
    data = s.AttemptSerializer(attempt, context=context).data
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
        lesson = _lesson(request, lesson_id)
        detail = selectors.lesson_detail(lesson=lesson, user=request.user, session_key=_session_key(request),
                                         asked=_asked(request))
        for step in detail["steps"]:
            if classes.withheld(user=request.user, lesson_id=lesson.id, step_id=step["id"])["hints"]:
                step["hints"] = {**step["hints"], "unlocked": []}
        return Response(s.LessonDetailSerializer(detail).data)


class AttemptListView(ApiView):
    @extend_schema(
        tags=TAGS, summary="Submit your design for grading on a step",
        description="The step's scenario (traffic, faults, duration, seeds) is imposed on the design and one run "
                    "per seed is queued at a high priority, under your run allowance (429 past it), and the "
                    "step's start design on the same seeds for the comparison (shared by every learner, not "
                    "charged to you). Follow the attempt at its `url` (its `live` goals while it runs) or its "
                    "runs' websockets: it is graded once every run is over. A design that cannot take the "
                    "scenario, or changes what the step locks, is refused with a 400. A visitor may submit "
                    "too, from a browser session with its CSRF token (403 without).",
        request=s.AttemptCreateRequest,
        examples=[OpenApiExample("a design and a guess", request_only=True,
                                 value={"topology": TOPOLOGY_EXAMPLE, "predictions": {"guess-p95": 120}})],
        responses={202: s.AttemptSerializer, **errors(400, 401, 403, 404, 413, 415, 429)})
    def post(self, request: Request, lesson_id: str, step_id: str) -> Response:
        lesson = _lesson(request, lesson_id)
        _step(lesson, step_id)
        visitor = "" if request.user.is_authenticated else visitor_session(request)
        data = body(request, ("topology", "predictions"))
        # The requester first: it saves a first-time visitor's session, whose key the owner key is.
        requester = quotas.requester_of(request)
        # A refusal (the lesson's, or a run quota's 429) is answered by lab.api.errors.
        attempt = services.attempt_create(user=request.user, lesson=lesson, step_id=step_id,
                                          topology=data.get("topology"), predictions=data.get("predictions"),
                                          owner_key=run_owner_key(request), requester=requester, visitor=visitor)
        return _attempt(request, attempt, status=202)


class AttemptView(ApiView):
    @extend_schema(tags=TAGS, summary="A graded attempt: queued, running (with live goals), or graded with every "
                                      "goal's measure and the comparison with the start design",
                   responses={200: s.AttemptSerializer, **errors(401, 404)})
    def get(self, request: Request, lesson_id: str, attempt_id: UUID) -> Response:
        attempt = selectors.attempt_get(user=request.user, lesson_id=lesson_id, attempt_id=attempt_id,
                                        session_key=_session_key(request))
        if attempt is None:
            raise not_found("attempt")
        return _attempt(request, services.attempt_refresh(attempt=attempt))


class HintView(ApiView):
    @extend_schema(tags=TAGS, summary="Unlock the step's next hint", request=None,
                   description="Hints unlock one at a time: on request, and after each failed attempt. A "
                               "visitor's are kept in their browser session (CSRF token needed, 403 without).",
                   responses={200: s.LessonStepHintsSerializer, **errors(400, 401, 403, 404)})
    def post(self, request: Request, lesson_id: str, step_id: str) -> Response:
        lesson = _lesson(request, lesson_id)
        step = _step(lesson, step_id)
        if classes.withheld(user=request.user, lesson_id=lesson.id, step_id=step.id)["hints"]:
            raise Refused([problem("$", WITHHELD.format("hints"))], status=403)
        if request.user.is_authenticated:
            progress = hints.hint_unlock(user=request.user, lesson=lesson, step=step)
            return Response(selectors.hints_of(step=step, progress=progress))
        key = visitor_session(request)
        asked = hints.visitor_hint_unlock(lesson=lesson, step=step, session_key=key, asked=_asked(request) or {})
        request.session[ASKED_HINTS] = asked
        unlocked = selectors.visitor_hints(lesson=lesson, session_key=key, asked=asked)[step.id]
        return Response(selectors.hints_of(step=step, unlocked=unlocked))


class SolutionView(ApiView):
    @extend_schema(tags=TAGS, summary="The step's reference solution, as a diff in words against your design",
                   responses={200: s.SolutionSerializer, **errors(401, 404)})
    def get(self, request: Request, lesson_id: str, step_id: str) -> Response:
        lesson = _lesson(request, lesson_id)
        step = _step(lesson, step_id)
        if classes.withheld(user=request.user, lesson_id=lesson.id, step_id=step.id)["reference"]:
            raise Refused([problem("$", WITHHELD.format("reference solution"))], status=403)
        return Response(s.SolutionSerializer(hints.solution_show(user=request.user, lesson=lesson, step=step)).data)


def _attempt_ids(data: dict[str, Any]) -> list[UUID]:
    value = data.get("attempts")
    if not isinstance(value, list):
        raise Refused([problem("$.attempts", 'attempts is a list of attempt ids: {"attempts": ["<uuid>", ...]}')])
    if len(value) > services.MAX_CLAIM:
        raise Refused([problem("$.attempts", f"at most {services.MAX_CLAIM} attempt ids at once; send the rest "
                                             "in another request")])
    ids, problems = [], []
    for i, item in enumerate(value):
        try:
            if not isinstance(item, str) or len(item) > 36:
                raise ValueError
            ids.append(UUID(item))
        except ValueError:
            problems.append(problem(f"$.attempts[{i}]", "an attempt id is a UUID string"))
    if problems:
        raise Refused(problems[:20])
    return ids


class ProgressClaimView(ApiView):
    @extend_schema(
        tags=TAGS, summary="Save what you did as a visitor to your account",
        description="After signing up, the browser sends the ids of the attempts it kept (at most 500). Each that is "
                    "a visitor's becomes yours: holding its unguessable id is the proof, as a share link's token is. "
                    "Your progress is rebuilt from them as if you had submitted them signed in (designs, attempts, "
                    "passed steps, best attempts, hints, current step); attempts whose runs are over are graded "
                    "first. An attempt that is someone's already (yours too) or unknown is ignored and counted, so "
                    "claiming again claims nothing.",
        request=s.ProgressClaimRequest,
        examples=[OpenApiExample("two attempts", request_only=True,
                                 value={"attempts": ["0b6f3c1e-6a1b-4c55-9a53-2f1d8c9e7a10",
                                                     "5d2a9e44-1c3b-4f0e-8b7d-6a4c2e1f9b38"]})],
        responses={200: s.ProgressClaimSerializer, **errors(400, 401, 403, 413, 415)})
    def post(self, request: Request) -> Response:
        require_user(request)
        ids = _attempt_ids(body(request, ("attempts",)))
        result = services.progress_claim(user=request.user, attempt_ids=ids, asked=_asked(request))
        if result["claimed"] and request.auth is None:
            # Now in the account's progress: not added again by a later claim from this session.
            request.session.pop(ASKED_HINTS, None)
        return Response(s.ProgressClaimSerializer(result).data)
