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


SPAN_MAX = WindowPage.max_page_size  # windows in one range, as in one page
SEQ_MAX = 2**31 - 1
RANGE = ("seq_from", "seq_to")


def _one(request: Request, name: str) -> str | None:
    values = request.query_params.getlist(name)
    if len(values) > 1:
        raise Refused([problem(f"?{name}", f"give {name} once")])
    return values[0] if values else None


def _seq(request: Request, name: str) -> int | None:
    text = _one(request, name)
    if text is None:
        return None
    if not (text.isascii() and text.isdigit() and len(text) <= 10 and int(text) <= SEQ_MAX):
        raise Refused([problem(f"?{name}", f"{name} must be a window's seq: a whole number from 0 to {SEQ_MAX}")])
    return int(text)


def window_range(request: Request) -> tuple[int, int] | None:
    """`?seq_from=&seq_to=` (both included, at most SPAN_MAX windows), or None for pages."""
    start, end = _seq(request, "seq_from"), _seq(request, "seq_to")
    if start is None and end is None:
        return None
    for name in ("page", "page_size"):
        if name in request.query_params:
            raise Refused([problem(f"?{name}", "a range (seq_from, seq_to) comes whole, in one answer: "
                                               f"leave out {name}, or the range")])
    start = 0 if start is None else start
    end = min(start + SPAN_MAX - 1, SEQ_MAX) if end is None else end
    if end < start:
        raise Refused([problem("?seq_to", f"seq_to ({end}) is before seq_from ({start}): the range runs from "
                                          "seq_from to seq_to, both included")])
    if end - start + 1 > SPAN_MAX:
        raise Refused([problem("?seq_to", f"at most {SPAN_MAX} windows at a time: with seq_from {start}, seq_to "
                                          f"may be at most {start + SPAN_MAX - 1}")])
    return start, end


def window_fields(request: Request) -> frozenset[str] | None:
    """`?fields=nodes,overall` (or `moment`, `traces`): the parts of each window to send."""
    text = _one(request, "fields")
    if text is None:
        return None
    known = ", ".join(selectors.WINDOW_FIELDS)
    if len(text) > 300:
        raise Refused([problem("?fields", f"fields is a short comma-separated list of: {known}")])
    names = text.split(",")
    unknown = [name for name in names if name not in selectors.WINDOW_FIELDS]
    if unknown:
        what = f"a window has no field {unknown[0][:40]!r}" if unknown[0] else "one of the names is empty"
        raise Refused([problem("?fields", f"{what}; fields is a comma-separated list of: {known} (index, t_start "
                                          "and t_end always come)")])
    return frozenset(names)


WINDOW_PARAMETERS = [
    OpenApiParameter("seq_from", int, description="The first window of a range (its `seq`, from 0). With "
                     "`seq_from` or `seq_to` the answer is that range whole, not a page: `{\"count\", \"seq_from\", "
                     "\"seq_to\", \"next\", \"results\"}`; `seq_from` defaults to 0."),
    OpenApiParameter("seq_to", int, description=f"The last window of the range, included; at most {SPAN_MAX} "
                     f"windows a range (the default is seq_from + {SPAN_MAX - 1})."),
    OpenApiParameter("fields", str, description="Comma-separated parts of each window to send: "
                     f"{', '.join(selectors.WINDOW_FIELDS)}. `moment` is what the lab's scrubber draws (each node's "
                     "load, utilization, queue, errors, latency, instances and healthy targets, each edge's rate, "
                     "and `faults` active and `unhealthy` targets at the window's end); `traces` the results' "
                     "sampled requests that started in the window. `index`, `t_start` and `t_end` always come."),
]


class RunWindowsView(ApiListView):
    serializer_class = s.WindowSerializer
    pagination_class = WindowPage

    @extend_schema(tags=TAGS, summary="A run's metric windows so far, in order: by page, or a range of them",
                   description="Pages (`?page=`, `?page_size=` up to 1000) of `{\"seq\", \"window\"}`, or with "
                               "`seq_from`/`seq_to` just that range of windows. `fields` cuts each window to the "
                               "parts named. A bad parameter is a 400 naming it (`?seq_to`).",
                   parameters=WINDOW_PARAMETERS,
                   responses={200: s.WindowSerializer(many=True), **errors(400, 401, 404)})
    def get(self, request: Request, run_id: UUID) -> Response:
        span, fields = window_range(request), window_fields(request)
        run = run_for_read(request, run_id)
        if span is None:
            page = self.paginate_queryset(selectors.run_window_rows(run=run))
            rows = [(w.seq, w.data) for w in page or []]
            return self.get_paginated_response(selectors.run_windows_shaped(run=run, rows=rows, fields=fields))
        start, end = span
        found = selectors.run_window_rows(run=run, seq_from=start, seq_to=end).values_list("seq", "data")
        results = selectors.run_windows_shaped(run=run, rows=list(found), fields=fields)
        following = end + 1 if end + 1 < run.windows else None
        query = request.query_params.copy()
        query.setlist("seq_from", [str(following)])
        query.setlist("seq_to", [str(min(following + end - start, SEQ_MAX))] if following is not None else [])
        next_url = request.build_absolute_uri(f"{request.path}?{query.urlencode()}") if following is not None else None
        return Response({"count": run.windows, "seq_from": start, "seq_to": end, "next": next_url,
                         "results": results})
