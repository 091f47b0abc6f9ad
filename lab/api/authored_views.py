"""Teachers' own lessons and challenges through the API (docs/challenges.md): upload a lesson
folder as a zip, save a challenge built in the browser (or only check it), list, read and delete
them, and capture goals from a finished run. A teacher's own lesson is read by its owner (and
staff) here; anyone else gets 404. Rules in lab/lessons/authored_services.py; these parse, call
one service and answer."""
from __future__ import annotations

from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from lab.classroom.authored_access import assignments_using, may_preview_authored
from lab.lessons import authored, authored_services, capture, challenge, selectors
from lab.lessons.models import AuthoredLesson
from lab.runs import selectors as run_selectors
from lab.runs.models import Run

from . import authored_serializers as s
from lab.sim.problems import Problem, Refused, problem
from .permissions import can_read_run, not_found, require_user
from .schema import TOPOLOGY_EXAMPLE
from .views import ApiListView, ApiView, errors

TAGS = ["authored lessons"]
CHALLENGE_EXAMPLE = {
    "title": "Lunchtime", "narrative": "# Lunchtime\n\nKeep the p95 under 100 ms.",
    "start": TOPOLOGY_EXAMPLE, "reference": TOPOLOGY_EXAMPLE,
    "scenario": {"duration_s": 30, "warmup_s": 5, "seeds": [1, 2],
                 "traffic": [{"source": "users", "params": {"rate_per_s": 150}}], "faults": []},
    "goals": [{"metric": "latency_p95_ms", "scope": {"overall": True}, "span": "measured", "compare": "<=",
               "value": 105, "unit": "ms", "points": 2}],
}


def authored_data(row: AuthoredLesson, *, document: bool = False) -> dict[str, Any]:
    lesson = selectors.lesson_get(lesson_id=row.key)
    steps = [{"id": step.id, "title": step.title} for step in lesson.steps] if lesson is not None else []
    pick = urlencode({"lesson": row.key, "step": steps[0]["id"]}) if steps else urlencode({"lesson": row.key})
    points = challenge.build(row.document)[1] if row.source == AuthoredLesson.Source.CHALLENGE else {}
    data = {"key": row.key, "title": row.title, "source": row.source, "created": row.created, "steps": steps,
            "assignments": assignments_using(row.key), "points": points,
            "lesson_url": f"/lessons/{row.key}/", "assign_url": f"/classes/?{pick}",
            "url": f"/api/v1/lessons/authored/{row.key}"}
    if document:
        data["document"] = row.document
    return data


def _created(row: AuthoredLesson, warnings: list[Problem]) -> Response:
    data = {**authored_data(row, document=True), "warnings": [w for w in warnings if w.get("severity") == "warning"]}
    return Response(s.AuthoredCreatedSerializer(data).data, status=201, headers={"Location": data["url"]})


def _mine(request: Request, key: str) -> AuthoredLesson:
    row = selectors.authored_row(key=key)
    if row is None or not may_preview_authored(request.user, key):
        raise not_found("lesson")
    return row


class AuthoredListView(ApiListView):
    serializer_class = s.AuthoredSerializer

    @extend_schema(tags=TAGS, summary="Your own lessons and challenges, newest first",
                   responses={200: s.AuthoredSerializer(many=True), **errors(401, 404)})  # 404: a page past the end
    def get(self, request: Request) -> Response:
        require_user(request)
        return self.paginated([authored_data(row) for row in selectors.authored_rows(owner=request.user)])


class UploadView(ApiView):
    parser_classes = [MultiPartParser]

    @extend_schema(
        tags=TAGS, summary="Upload a lesson folder as a zip (teachers)",
        description="multipart/form-data with the zip in `file`: the lesson folder's files at the zip's root or in "
                    "one top folder. Refused with every problem: of the zip (a name leading out of the folder, an "
                    "absolute path, a link, more than 200 files or 20 MB unpacked, a zip bomb, a name that is not "
                    "UTF-8; 413 past 5 MB) or of the lesson, with the loader's paths "
                    "(`lesson.toml: steps[0].goals[1].unit`). Saved, it is named by its new key.",
        request={"multipart/form-data": s.UploadRequest},
        responses={201: s.AuthoredCreatedSerializer, **errors(400, 401, 403, 409, 413, 415)})
    def post(self, request: Request) -> Response:
        require_user(request)
        upload = request.FILES.get("file")
        if upload is None:
            raise Refused([problem("$.file", "send the lesson's zip in the form field `file`")])
        if upload.size > authored.MAX_ZIP_BYTES:
            raise Refused([problem("$.file", f"the zip is {upload.size:,} bytes; at most "
                                             f"{authored.MAX_ZIP_BYTES:,} are allowed")], status=413)
        row, warnings = authored_services.authored_upload(owner=request.user, data=upload.read())
        return _created(row, warnings)


class ChallengeListView(ApiView):
    @extend_schema(
        tags=TAGS, summary="Save a challenge built in the browser (teachers)",
        description="The challenge document (docs/challenges.md) becomes a one-step lesson, checked by the lesson "
                    "loader; every problem has the document's path (`$.goals[2].unit`, `$.start.nodes[1].kind`, "
                    "`$.scenario.faults[0].node`). Editing a challenge is saving the changed document again: a "
                    "new key, then point the assignment at it and re-grade.",
        request=s.ChallengeRequest, examples=[OpenApiExample("a challenge", request_only=True, value=CHALLENGE_EXAMPLE)],
        responses={201: s.AuthoredCreatedSerializer, **errors(400, 401, 403, 409, 413, 415)})
    def post(self, request: Request) -> Response:
        require_user(request)
        row, warnings = authored_services.challenge_create(owner=request.user, document=request.data)
        return _created(row, warnings)


class ChallengeCheckView(ApiView):
    @extend_schema(
        tags=TAGS, summary="Check a challenge document without saving it (the builder's preview)",
        description="200 with `ok` and every problem (errors and warnings) with the document's paths.",
        request=s.ChallengeRequest, responses={200: s.ChallengeCheckSerializer, **errors(400, 401, 403, 413, 415)})
    def post(self, request: Request) -> Response:
        require_user(request)
        checked = authored_services.challenge_check(document=request.data, by=request.user)
        return Response(s.ChallengeCheckSerializer(checked).data)


class AuthoredView(ApiView):
    @extend_schema(tags=TAGS, summary="One of your lessons or challenges, with a challenge's document",
                   responses={200: s.AuthoredDetailSerializer, **errors(401, 404)})
    def get(self, request: Request, key: str) -> Response:
        require_user(request)
        return Response(s.AuthoredDetailSerializer(authored_data(_mine(request, key), document=True)).data)

    @extend_schema(tags=TAGS, summary="Delete one of your lessons or challenges",
                   description="Refused (409, with a sentence) while an assignment sets it.",
                   responses={204: None, **errors(401, 403, 404, 409)})
    def delete(self, request: Request, key: str) -> Response:
        require_user(request)
        authored_services.authored_delete(row=_mine(request, key), by=request.user)
        return Response(status=204)


MARGIN = OpenApiParameter("margin", OpenApiTypes.NUMBER,
                          description="how far from the measured values, as a fraction (default 0.25: 25%)")


def _margin(request: Request) -> float:
    raw = request.query_params.get("margin")
    if raw is None:
        return capture.DEFAULT_MARGIN
    try:
        value = float(raw[:20])
    except ValueError:
        value = -1.0
    if not 0 <= value <= capture.MAX_MARGIN:
        raise Refused([problem("?margin", f"the margin is a fraction from 0 to {capture.MAX_MARGIN:g}, "
                                          "e.g. 0.25 for 25%")])
    return value


class GoalSuggestionsView(ApiView):
    @extend_schema(
        tags=TAGS, summary="Goals captured from a finished run, with a margin",
        description="For a run you may read that is done: goals in the lesson goal vocabulary (p95, p99 and mean "
                    "latency, error rate, throughput, monthly cost; during each of its faults; per node "
                    "utilization and hit ratio), each with the value the run measured beside it, moved by the "
                    "margin in the goal's favour and rounded outward, so the run's own design passes every one. "
                    "409 while the run is not over.",
        parameters=[MARGIN], responses={200: s.GoalSuggestionsSerializer, **errors(400, 401, 404, 409)})
    def get(self, request: Request, run_id: UUID) -> Response:
        require_user(request)
        margin = _margin(request)
        run = run_selectors.run_get(run_id=run_id)
        if run is None or not can_read_run(request, run):
            raise not_found("run")
        if run.status != Run.Status.DONE or not run.results:
            raise Refused([problem("$", f"the run is {run.status}, not done; capture reads a run that ran to "
                                        "its end")], status=409)
        windows = [data for _, data in run_selectors.run_windows(run=run)]
        found = capture.suggestions({"results": run.results, "windows": windows, "topology": run.topology},
                                    margin=margin)
        return Response(s.GoalSuggestionsSerializer({"run": run.id, "margin": margin, "goals": found}).data)
