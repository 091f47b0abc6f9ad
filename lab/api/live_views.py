"""Live class sessions through the API (docs/classroom.md, "Live sessions"): the teacher starts a
session, shows a run, asks questions, opens, closes and reveals them; students open the session
(which lets them watch its run on the run's websocket) and answer. The teacher controls the run
with the run's own commands (POST /api/v1/runs/{id}/commands); students cannot. Anything the
caller may not see answers 404. The rules are in lab/live/services.py and selectors.py."""
from __future__ import annotations

from typing import Any
from uuid import UUID

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from lab.classroom.selectors import classroom_get
from lab.live import selectors, services
from lab.live.models import LiveSession, Question
from lab.runs import quotas

from lab.sim.problems import Refused, problem
from .permissions import not_found, require_user, run_owner_key
from .serializers import ObjectField
from .views import ApiView, body, errors

TAGS = ["live sessions"]


class SessionSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    classroom = serializers.UUIDField()
    title = serializers.CharField()
    role = serializers.ChoiceField(choices=["teacher", "student"])
    topology = ObjectField(help_text="the design shown")
    lesson = serializers.CharField(allow_null=True)
    step = serializers.CharField(allow_null=True)
    run = ObjectField(allow_null=True, help_text="the run on every screen: id, status, url, websocket, can_control")
    questions = ObjectField(help_text="each question as you may see it: text, kind, choices, unit, state, round, "
                                      "closes_at, answered (how many), my_answer (a student's), and once revealed "
                                      "rounds (the distribution of each round) and measured")
    created = serializers.DateTimeField()
    ended = serializers.DateTimeField(allow_null=True)
    url = serializers.CharField()


class SessionCreateRequest(serializers.Serializer):
    title = serializers.CharField()
    topology = ObjectField(required=False, help_text="the design to show; or name a lesson step")
    lesson = serializers.CharField(required=False)
    step = serializers.CharField(required=False)


class SessionRunRequest(serializers.Serializer):
    seed = serializers.IntegerField(required=False)
    duration_s = serializers.FloatField(required=False)
    speed = serializers.FloatField(required=False, help_text="0 (as fast as possible), 1, 10 or 100")
    topology = ObjectField(required=False, help_text="a changed design to show from now on")


class QuestionCreateRequest(serializers.Serializer):
    text = serializers.CharField()
    kind = serializers.ChoiceField(choices=["number", "choice"], required=False)
    choices = serializers.ListField(child=serializers.CharField(), required=False)
    unit = serializers.CharField(required=False)
    time_limit_s = serializers.IntegerField(required=False)
    measure = ObjectField(required=False, help_text='what the lab measures on the run at the reveal (a number '
                                                    'question): a metric and scope of the goal vocabulary, e.g. '
                                                    '{"metric": "latency_p99_ms", "scope": {"overall": true}}')


class RevealRequest(serializers.Serializer):
    measured = serializers.FloatField(required=False, help_text="what the run measured, shown beside the answers; "
                                                                "left out, a question with a measure is measured "
                                                                "by the lab on the run's last 10 simulated seconds")


class AnswerRequest(serializers.Serializer):
    value = serializers.FloatField(help_text="a number, or the index of a choice")


def _session(request: Request, session_id: Any) -> tuple[LiveSession, str]:
    found = selectors.session_get(user=request.user, session_id=session_id)
    if found is None:
        raise not_found("live session")
    return found


def _question(request: Request, question_id: int) -> tuple[Question, str]:
    found = selectors.question_get(user=request.user, question_id=question_id)
    if found is None:
        raise not_found("question")
    return found


def _view(request: Request, session: LiveSession, role: str, status: int = 200) -> Response:
    return Response(selectors.session_view(session, role=role, user=request.user), status=status)


class SessionListView(ApiView):
    @extend_schema(tags=TAGS, summary="Start a live session of your class", request=SessionCreateRequest,
                   responses={201: SessionSerializer, **errors(400, 401, 403, 404, 409)})
    def post(self, request: Request, classroom_id: UUID) -> Response:
        require_user(request)
        classroom = classroom_get(user=request.user, classroom_id=classroom_id)
        if classroom is None:
            raise not_found("class")
        data = body(request, ("title", "topology", "lesson", "step"))
        session = services.session_start(classroom=classroom, by=request.user, title=data.get("title"),
                                          topology=data.get("topology"), lesson=data.get("lesson"),
                                          step=data.get("step"))
        return _view(request, session, "teacher", status=201)


class SessionView(ApiView):
    @extend_schema(tags=TAGS, summary="A live session as you see it (poll it about once a second)",
                   description="A student's first read lets them watch the session's run.",
                   responses={200: SessionSerializer, **errors(401, 404)})
    def get(self, request: Request, session_id: UUID) -> Response:
        require_user(request)
        session, role = _session(request, session_id)
        if role == "student" and session.ended is None:
            services.session_join(session=session, user=request.user)
        return _view(request, session, role)


class SessionRunView(ApiView):
    @extend_schema(tags=TAGS, summary="Show a run to the class (it replaces the one on their screens)",
                   request=SessionRunRequest, responses={201: SessionSerializer, **errors(400, 401, 403, 404, 409, 429)})
    def post(self, request: Request, session_id: UUID) -> Response:
        require_user(request)
        session, role = _session(request, session_id)
        data = body(request, ("seed", "duration_s", "speed", "topology"))
        services.session_run(session=session, by=request.user, owner_key=run_owner_key(request),
                             requester=quotas.requester_of(request), seed=data.get("seed", 1),
                             duration_s=data.get("duration_s"), speed=data.get("speed", 1),
                             topology=data.get("topology"))
        session.refresh_from_db()
        return _view(request, session, role, status=201)


class SessionEndView(ApiView):
    @extend_schema(tags=TAGS, summary="End the session (its run stops; everything said is kept)", request=None,
                   responses={200: SessionSerializer, **errors(401, 403, 404)})
    def post(self, request: Request, session_id: UUID) -> Response:
        require_user(request)
        session, role = _session(request, session_id)
        services.session_end(session=session, by=request.user)
        return _view(request, session, role)


class SessionExportView(ApiView):
    @extend_schema(tags=TAGS, summary="Everything said in the session: questions, every round's answers, the runs",
                   responses={200: ObjectField, **errors(401, 404)})
    def get(self, request: Request, session_id: UUID) -> Response:
        require_user(request)
        session, role = _session(request, session_id)
        if role != "teacher":
            raise not_found("live session")
        anonymise = request.query_params.get("anonymise") in ("1", "true")
        return Response(selectors.session_export(session, anonymise=anonymise))


class QuestionListView(ApiView):
    @extend_schema(tags=TAGS, summary="Add a question to the session's plan", request=QuestionCreateRequest,
                   responses={201: SessionSerializer, **errors(400, 401, 403, 404, 409)})
    def post(self, request: Request, session_id: UUID) -> Response:
        require_user(request)
        session, role = _session(request, session_id)
        data = body(request, ("text", "kind", "choices", "unit", "time_limit_s", "measure"))
        services.question_add(session=session, by=request.user, text=data.get("text"),
                              kind=data.get("kind", "number"), choices=data.get("choices"),
                              unit=data.get("unit", ""), time_limit_s=data.get("time_limit_s", 60),
                              measure=data.get("measure"))
        return _view(request, session, role, status=201)


ACTIONS = {"open": services.question_open, "close": services.question_close}


class QuestionActionView(ApiView):
    @extend_schema(tags=TAGS, summary="Ask a question (again, for a new round), close it, or reveal its answers",
                   request=RevealRequest, responses={200: SessionSerializer, **errors(400, 401, 403, 404, 409)})
    def post(self, request: Request, question_id: int, action: str) -> Response:
        require_user(request)
        question, role = _question(request, question_id)
        if action == "reveal":
            data = body(request, ("measured",))
            services.question_reveal(question=question, by=request.user, measured=data.get("measured"))
        elif action in ACTIONS:
            ACTIONS[action](question=question, by=request.user)
        else:
            raise Refused([problem("$", "the actions are open, close and reveal")], status=404)
        return _view(request, question.session, role)


class AnswerView(ApiView):
    @extend_schema(tags=TAGS, summary="Answer the open question (again, to change your answer before it closes)",
                   request=AnswerRequest, responses={200: ObjectField, **errors(400, 401, 403, 404, 409, 429)})
    def post(self, request: Request, question_id: int) -> Response:
        require_user(request)
        question, _ = _question(request, question_id)
        data = body(request, ("value",))
        answer = services.answer_submit(question=question, student=request.user, value=data.get("value"))
        return Response({"question": question.pk, "round": answer.round, "value": answer.value})
