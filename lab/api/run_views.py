"""Runs through the API: start a run of a design (or of a topology), read its status, results
and metric windows. Who may read a run is in permissions.py."""
from __future__ import annotations

from typing import Any
from uuid import UUID

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from lab.designs import selectors as designs
from lab.runs import quotas, selectors, services
from lab.runs.models import Run

from . import serializers as s
from lab.sim.problems import Refused, problem
from .permissions import can_read_run, design_for_read, not_found, positive_id, require_user, run_owner_key
from .schema import TOPOLOGY_EXAMPLE
from .views import ApiListView, ApiView, Page, body, errors

TAGS = ["runs"]
FIELDS = ("design", "revision", "token", "topology", "seed", "duration_s", "speed")


def _run_for_read(request: Request, run_id: UUID) -> Run:
    run = selectors.run_get(run_id=run_id)
    if run is None or not can_read_run(request, run):
        raise not_found("run")
    return run


def _what_to_run(request: Request, data: dict[str, Any]) -> tuple[Any, Any]:
    """The topology and the revision (or None) that a run request names."""
    if ("design" in data) == ("topology" in data):
        raise Refused([problem("$", "send either `design` (and optionally `revision`) or `topology`")])
    if "topology" in data:
        for field in ("revision", "token"):
            if field in data:
                raise Refused([problem(f"$.{field}", f"`{field}` goes with `design`, not with `topology`")])
        return data["topology"], None
    if not isinstance(data["design"], str):
        raise Refused([problem("$.design", "design must be a design's id")])
    token = data.get("token")
    if token is not None and not isinstance(token, str):
        raise Refused([problem("$.token", "token must be the text of a share link's token")])
    design = design_for_read(request, data["design"], token)
    if data.get("revision") is None:
        revision = design.latest()
    else:
        number = positive_id(data["revision"], "$.revision")
        revision = designs.revision_get(design=design, number=number)
        if revision is None:
            raise Refused([problem("$.revision", f"this design has no revision {number}")])
    return revision.topology, revision


class RunListView(ApiView):
    @extend_schema(
        tags=TAGS, summary="Start a run of a design you may view, or of a topology document",
        description="A run of a design records the revision it ran; it never changes the design. The run is "
                    "queued; follow it at GET /api/v1/runs/{id} or on its websocket. Sign-in (or a token) needed.",
        request=s.RunCreateRequest,
        examples=[OpenApiExample("a topology, as fast as possible", request_only=True,
                                 value={"topology": TOPOLOGY_EXAMPLE, "seed": 7, "duration_s": 5, "speed": 0})],
        responses={201: s.RunSerializer, **errors(400, 401, 404, 413, 415, 429)})
    def post(self, request: Request) -> Response:
        require_user(request)
        data = body(request, FIELDS)
        topology, revision = _what_to_run(request, data)
        run = services.run_create(topology=topology, seed=data.get("seed"), duration_s=data.get("duration_s"),
                                  speed=data.get("speed", 1.0), owner_key=run_owner_key(request), user=request.user,
                                  revision=revision, requester=quotas.requester_of(request))
        return Response(s.RunSerializer(run).data, status=201, headers={"Location": f"/api/v1/runs/{run.id}"})


class RunView(ApiView):
    @extend_schema(tags=TAGS, summary="A run's status, attempt and progress",
                   responses={200: s.RunSerializer, **errors(401, 404)})
    def get(self, request: Request, run_id: UUID) -> Response:
        run = _run_for_read(request, run_id)
        if not run.is_over and selectors.run_can_control(run=run, user=request.user, session_key=_session_key(request)):
            # A script polling its live run is watching it: it is not stopped as unwatched.
            services.run_mark_watched(run_ids=[run.id])
        return Response(s.RunSerializer(run).data)


def _session_key(request: Request) -> str | None:
    return request.session.session_key if hasattr(request, "session") else None


class RunCommandsView(ApiView):
    @extend_schema(
        tags=TAGS, summary="Control a run: pause, resume, stop, change its speed, a parameter or a fault",
        description="Whoever started the run may control it (the same user from any session or token; a "
                    "visitor's run from the browser session that started it). The command is queued and reaches "
                    "the simulation within one window; its outcome is in the run's timeline.",
        request=s.RunCommandRequest,
        examples=[OpenApiExample("stop", request_only=True, value={"op": "stop"})],
        responses={202: s.RunCommandSerializer, **errors(400, 401, 403, 404, 413, 415)})
    def post(self, request: Request, run_id: UUID) -> Response:
        run = _run_for_read(request, run_id)
        if not selectors.run_can_control(run=run, user=request.user, session_key=_session_key(request)):
            raise Refused([problem("$", "only whoever started this run can control it")], status=403)
        data = request.data
        if not isinstance(data, dict):
            raise Refused([problem("$", "the body must be a command object, e.g. {\"op\": \"stop\"}")])
        command = services.run_command_add(run=run, command=data)
        return Response({"id": command.id, "command": command.command}, status=202)


class RunResultsView(ApiView):
    @extend_schema(tags=TAGS, summary="A run's results document (null until the run is over)",
                   responses={200: s.RunResultsSerializer, **errors(401, 404)})
    def get(self, request: Request, run_id: UUID) -> Response:
        return Response(s.RunResultsSerializer(_run_for_read(request, run_id)).data)


class WindowPage(Page):
    max_page_size = 1000


class RunWindowsView(ApiListView):
    serializer_class = s.WindowSerializer
    pagination_class = WindowPage

    @extend_schema(tags=TAGS, summary="A run's metric windows so far, in order",
                   responses={200: s.WindowSerializer(many=True), **errors(401, 404)})
    def get(self, request: Request, run_id: UUID) -> Response:
        run = _run_for_read(request, run_id)
        return self.paginated(selectors.run_window_rows(run=run))
