"""Runs through the API: start a run of a design (or of a topology), read its status, results
and metric windows, control it, download its results. The lab page runs through here too: a
visitor's run belongs to the browser session that started it (with the CSRF check a signed-in
session gets). Who may see and control a run is lab.runs.selectors'."""
from __future__ import annotations

import csv
import io
import json
from typing import Any
from uuid import UUID

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from lab.designs import access as design_access
from lab.designs import selectors as designs
from lab.runs import quotas, selectors, services
from lab.runs.models import Run

from . import serializers as s
from lab.sim.problems import Refused, problem
from .permissions import design_for_read, not_found, positive_id, run_owner_key, share_token, visitor_session
from .schema import TOPOLOGY_EXAMPLE
from .views import ApiListView, ApiView, Page, body, errors

TAGS = ["runs"]
FIELDS = ("design", "revision", "token", "topology", "seed", "duration_s", "speed")


def _session_key(request: Request) -> str | None:
    return request.session.session_key if hasattr(request, "session") else None


def run_for_read(request: Request, run_id: UUID) -> Run:
    run = selectors.run_get_visible(run_id=run_id, user=request.user, session_key=_session_key(request))
    if run is None:
        raise not_found("run")
    return run


def _is_visitor(request: Request) -> bool:
    return request.auth is None and not request.user.is_authenticated


def _token(request: Request, design_id: Any, body_token: Any) -> str | None:
    """The share link token for a design: sent (body, query, header), or a link this browser opened."""
    links = request.session.get(design_access.LINKS, {}) if hasattr(request, "session") else {}
    return share_token(request, body_token) or links.get(str(design_id))


def _what_to_run(request: Request, data: dict[str, Any]) -> tuple[Any, Any]:
    """The topology and the revision (or None) that a run request names."""
    if "design" not in data and "topology" not in data:
        raise Refused("send `topology` (a document), or `design` (and optionally `revision`), or both: the "
                      "lab's edited design")
    if "topology" in data:
        if "design" not in data:
            for field in ("revision", "token"):
                if field in data:
                    raise Refused(f"`{field}` goes with `design`", path=f"$.{field}")
            return data["topology"], None
        # The lab running the design it has open: the document is what runs, and the run records
        # the revision only when the document is exactly that revision (and the caller may see it).
        revision = selectors.run_revision_of(user=request.user, design_id=data["design"], number=data.get("revision"),
                                             token=_token(request, data["design"], data.get("token")),
                                             topology=data["topology"])
        return data["topology"], revision
    if not isinstance(data["design"], str):
        raise Refused([problem("$.design", "design must be a design's id")])
    token = data.get("token")
    if token is not None and not isinstance(token, str):
        raise Refused([problem("$.token", "token must be the text of a share link's token")])
    design = design_for_read(request, data["design"], _token(request, data["design"], token))
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
        description="A run of a design records the revision it ran; it never changes the design. With both "
                    "`topology` and `design` (the lab's open design), the topology runs and the run records "
                    "`revision` only if the topology is exactly it (settings aside). The run is queued; follow it "
                    "at GET /api/v1/runs/{id} or on its websocket. A visitor (no sign-in, no token) may start "
                    "runs from a browser session, with its CSRF token (403 without); the run is that session's. "
                    "Over a quota: 429 with Retry-After.",
        request=s.RunCreateRequest,
        examples=[OpenApiExample("a topology, as fast as possible", request_only=True,
                                 value={"topology": TOPOLOGY_EXAMPLE, "seed": 7, "duration_s": 5, "speed": 0})],
        responses={201: s.RunSerializer, **errors(400, 401, 403, 404, 413, 415, 429)})
    def post(self, request: Request) -> Response:
        if _is_visitor(request):
            visitor_session(request)  # CSRF, and a session for the run to belong to
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
        run = run_for_read(request, run_id)
        if not run.is_over and selectors.run_can_control(run=run, user=request.user, session_key=_session_key(request)):
            # A script polling its live run is watching it: it is not stopped as unwatched.
            services.run_mark_watched(run_ids=[run.id])
        return Response(s.RunSerializer(run).data)


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
        if _is_visitor(request):
            visitor_session(request)  # another site's page may not steer a visitor's run
        run = run_for_read(request, run_id)
        selectors.run_check_control(run=run, user=request.user, session_key=_session_key(request))
        data = request.data
        if not isinstance(data, dict):
            raise Refused([problem("$", "the body must be a command object, e.g. {\"op\": \"stop\"}")])
        command = services.run_command_add(run=run, command=data)
        return Response({"id": command.id, "command": command.command}, status=202)


class RunResultsView(ApiView):
    @extend_schema(tags=TAGS, summary="A run's results document (null until the run is over)",
                   responses={200: s.RunResultsSerializer, **errors(401, 404)})
    def get(self, request: Request, run_id: UUID) -> Response:
        return Response(s.RunResultsSerializer(run_for_read(request, run_id)).data)


DOWNLOAD_FORMATS = ("json", "csv")


class RunDownloadView(ApiView):
    @extend_schema(
        tags=TAGS, summary="Download a run's results: results.json or results.csv",
        description="`json`: the run, its results document (docs/results.md) and every window. `csv`: one row per "
                    "window and node (and `overall`): arrivals, completions, throughput, errors, latency mean/p50/"
                    "p95/p99, utilization, queue length. Both as an attachment named archlab-run-<id>.<fmt>.",
        parameters=[OpenApiParameter("fmt", str, OpenApiParameter.PATH, enum=list(DOWNLOAD_FORMATS))],
        responses={(200, "application/json"): OpenApiResponse(OpenApiTypes.OBJECT, description="results.json"),
                   (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="results.csv"),
                   **errors(401, 404)})
    def get(self, request: Request, run_id: UUID, fmt: str) -> HttpResponse:
        if fmt not in DOWNLOAD_FORMATS:
            raise Refused("results come as results.json or results.csv", status=404)
        run = run_for_read(request, run_id)
        windows = [data for _, data in selectors.run_windows(run=run)]
        if fmt == "json":
            text = json.dumps({"run": s.RunSerializer(run).data, "results": run.results, "windows": windows},
                              allow_nan=False, indent=1)
            response = HttpResponse(text, content_type="application/json")
        else:
            response = HttpResponse(windows_csv(windows), content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="archlab-run-{run.id}.{fmt}"'
        return response


def windows_csv(windows: list[dict[str, Any]]) -> str:
    """One row per window and node (plus an `overall` row per window), for spreadsheets."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["t_start", "t_end", "node", "arrivals", "completions", "throughput_per_s", "errors",
                     "latency_mean_ms", "latency_p50_ms", "latency_p95_ms", "latency_p99_ms", "utilization",
                     "queue_length"])
    for w in windows:
        rows = [("overall", w["overall"])] + list(w["nodes"].items())
        for node, m in rows:
            lat = m["latency_ms"]
            writer.writerow([w["t_start"], w["t_end"], node, m.get("arrivals", ""), m["completions"],
                             m["throughput_per_s"], m["errors"], lat["mean"], lat["p50"], lat["p95"], lat["p99"],
                             m.get("utilization", ""), m.get("queue_length", "")])
    return out.getvalue()


class WindowPage(Page):
    max_page_size = 1000


class RunWindowsView(ApiListView):
    serializer_class = s.WindowSerializer
    pagination_class = WindowPage

    @extend_schema(tags=TAGS, summary="A run's metric windows so far, in order",
                   responses={200: s.WindowSerializer(many=True), **errors(401, 404)})
    def get(self, request: Request, run_id: UUID) -> Response:
        run = run_for_read(request, run_id)
        return self.paginated(selectors.run_window_rows(run=run))
