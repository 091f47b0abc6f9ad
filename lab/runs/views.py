"""HTTP endpoints for runs: thin, each parses, calls one service or selector, and answers JSON.
Errors are JSON with field paths, never a 500 for bad input."""
from __future__ import annotations

import csv
import io
import json
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET, require_POST

from lab.designs import selectors as designs
from lab.http import json_body, problems_response

from . import quotas, selectors, services


_problems = problems_response


def _body(request: HttpRequest) -> tuple[Any, JsonResponse | None]:
    body = json_body(request)
    return (None, body) if isinstance(body, JsonResponse) else (body, None)


def _revision_of(request: HttpRequest, body: dict[str, Any]) -> Any:
    """The design revision the lab says it is running (it sends `design` and `revision` when the
    topology is exactly a saved revision), if this browser may see that design."""
    if not body.get("design"):
        return None
    token = request.session.get("design_links", {}).get(str(body["design"]))
    design = designs.design_get(user=request.user, design_id=body["design"], token=token)
    revision = designs.revision_get(design=design, number=body.get("revision")) if design else None
    if revision is None or not isinstance(body.get("topology"), dict):
        return None

    def model(doc: dict[str, Any]) -> dict[str, Any]:  # the run may set its own duration and seed
        return {k: v for k, v in doc.items() if k != "settings"}

    # Only a run of exactly that revision is linked to it, so its results stay reproducible.
    return revision if model(revision.topology) == model(body["topology"]) else None


def _run_json(run: Any) -> dict[str, Any]:
    return {"id": str(run.id), "status": run.status, "attempt": run.attempt, "seed": run.seed,
            "duration_s": run.duration_s, "speed": run.speed, "sim_time": run.sim_time, "windows": run.windows,
            "error": run.error or None, "reason": run.reason or None, "websocket": f"/ws/runs/{run.id}/"}


@require_POST
def run_start(request: HttpRequest) -> JsonResponse:
    body, error = _body(request)
    if error:
        return error
    if not isinstance(body, dict) or "topology" not in body:
        return _problems([{"path": "$", "message": "send {\"topology\": {...}, \"seed\": 1, \"duration_s\": 60, "
                                                   "\"speed\": 1}", "severity": "error"}])
    who = quotas.requester_of(request)
    try:
        run = services.run_create(topology=body["topology"], seed=body.get("seed"), duration_s=body.get("duration_s"),
                                  speed=body.get("speed", 1.0), owner_key=who.session_key,
                                  user=request.user, revision=_revision_of(request, body), requester=who)
    except services.RunRefused as exc:
        return refused(exc)
    return JsonResponse(_run_json(run), status=201)


def refused(exc: services.RunRefused) -> JsonResponse:
    """A refused start or command: 400 with the problems, or 429 with Retry-After over a quota."""
    response = _problems(exc.problems, exc.status)
    if exc.retry_after is not None:
        response["Retry-After"] = str(exc.retry_after)
    return response


@require_GET
def run_detail(request: HttpRequest, run_id: str) -> JsonResponse:
    run = _visible_run(request, run_id)
    if run is None:
        return _problems([{"path": "$", "message": "no such run", "severity": "error"}], 404)
    return JsonResponse(_run_json(run))


def _visible_run(request: HttpRequest, run_id: str) -> Any:
    """The run if this browser (or signed-in user) may see it; None reads as 404."""
    run = selectors.run_get(run_id=run_id)
    if run is None or not selectors.run_can_view(run=run, user=request.user, session_key=request.session.session_key):
        return None
    return run


@require_POST
def run_command(request: HttpRequest, run_id: str) -> JsonResponse:
    run = selectors.run_get(run_id=run_id)
    if run is None:
        return _problems([{"path": "$", "message": "no such run", "severity": "error"}], 404)
    if not selectors.run_can_control(run=run, user=request.user, session_key=request.session.session_key):
        return _problems([{"path": "$", "message": "only whoever started this run can control it",
                           "severity": "error"}], 403)
    body, error = _body(request)
    if error:
        return error
    try:
        command = services.run_command_add(run=run, command=body)
    except services.RunRefused as exc:
        return refused(exc)
    return JsonResponse({"id": command.id, "command": command.command}, status=202)


@require_GET
def run_results(request: HttpRequest, run_id: str, fmt: str) -> HttpResponse:
    if fmt not in ("json", "csv"):
        return _problems([{"path": "$", "message": "results come as results.json or results.csv", "severity": "error"}], 404)
    run = _visible_run(request, run_id)
    if run is None:
        return _problems([{"path": "$", "message": "no such run", "severity": "error"}], 404)
    windows = [data for _, data in selectors.run_windows(run=run)]
    name = f"archlab-run-{run.id}"
    if fmt == "json":
        response = HttpResponse(json.dumps({"run": _run_json(run), "results": run.results, "windows": windows},
                                           allow_nan=False, indent=1), content_type="application/json")
    else:
        response = HttpResponse(windows_csv(windows), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
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
