"""The lab page and the engine's catalogue and examples. The lab opens empty-handed (an example or
the browser's draft) or with a saved design loaded, editable for its owner and read-only (runs
allowed, saving makes a fork) for anyone else who may see it."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_POST, require_safe

from lab.http import json_body, one_problem, problems_response
from lab.sim import LIMITS, check
from lab.sim.schema import catalogue

EXAMPLES = Path(__file__).resolve().parent / "sim" / "examples"


def examples() -> list[dict[str, str]]:
    out = []
    for path in sorted(EXAMPLES.glob("*.json")):
        doc = json.loads(path.read_text())
        out.append({"id": path.stem, "name": doc.get("name", path.stem), "description": doc.get("description", "")})
    return out


@require_safe
@ensure_csrf_cookie
def lab_page(request: HttpRequest) -> HttpResponse:
    return render_lab(request)


def render_lab(request: HttpRequest, *, design: Any = None, revision: Any = None, editable: bool = False,
               lesson: dict[str, Any] | None = None, live: dict[str, Any] | None = None) -> HttpResponse:
    """The lab page; with `design` and its `revision` loaded when given. Callers have checked that
    the user may see the design, and `editable` says whether they may save to it. With `lesson`
    (its id, title, steps and the step asked for) it is a lesson page: the lesson panel loads the
    step's design, and nothing is kept in, or offered from, the lab's draft. With `live` (a live
    class session: its id, title and the caller's role) the live panel shows the session's run."""
    listed = examples()
    # The first example travels with the page, so the lab is usable without another request.
    first = json.loads((EXAMPLES / f"{listed[0]['id']}.json").read_text()) if listed else None
    context: dict[str, Any] = {"signed_in": request.user.is_authenticated, "create_url": reverse("designs:create"),
                               "design": None, "lesson": lesson, "live": live}
    if design is not None:
        context["design"] = {
            "id": str(design.pk), "name": design.name, "revision": revision.number, "editable": editable,
            "topology": revision.topology, "detail_url": reverse("designs:detail", args=[design.pk]),
            "save_url": reverse("designs:save", args=[design.pk]) if editable else None,
            "fork_url": reverse("designs:fork", args=[design.pk]),
        }
    return render(request, "lab.html", {"examples": listed, "catalogue": catalogue(), "first_example": first,
                                        "design": design, "revision": revision, "editable": editable,
                                        "lesson": lesson, "live": live, "lab_context": context})


@require_safe
def catalogue_json(request: HttpRequest) -> JsonResponse:
    return JsonResponse(catalogue())


@require_safe
def example_json(request: HttpRequest, name: str) -> JsonResponse:
    if name not in {e["id"] for e in examples()}:
        raise Http404("no such example")
    return JsonResponse(json.loads((EXAMPLES / f"{name}.json").read_text()))


@require_POST
def topology_check(request: HttpRequest) -> JsonResponse:
    """Every problem of a topology document (the request body), as validation reports them."""
    doc = json_body(request, max_bytes=LIMITS["document_bytes"], what="the document")
    if isinstance(doc, JsonResponse):
        return doc
    return JsonResponse({"problems": check(doc)})


@require_POST
def source_preview(request: HttpRequest) -> JsonResponse:
    """A traffic source's rate curve, `{"points": [[t_s, requests_per_s], ...]}`, for the editor's
    preview. Body: `{"params": {...}, "until_s": 300}`."""
    from lab.sim.components.traffic_source import TrafficSource, rate_preview

    body = json_body(request)
    if isinstance(body, JsonResponse):
        return body
    if not isinstance(body, dict) or not isinstance(body.get("params", {}), dict):
        return problems_response(one_problem('send {"params": {...}, "until_s": 300}'))
    declared = {p.name: p for p in TrafficSource.params}
    params = TrafficSource.defaults()
    problems = []
    for name, value in body.get("params", {}).items():
        param = declared.get(name)
        reason = "is not a parameter of a traffic source" if param is None else param.check(value)
        if reason:
            problems.append({"path": f"$.params.{name}", "message": f"{name} {reason}", "severity": "error"})
        else:
            params[name] = value
    until = body.get("until_s", 300)
    if isinstance(until, bool) or not isinstance(until, (int, float)) or not 0 < until <= LIMITS["duration_s"]:
        problems.append({"path": "$.until_s", "message": f"until_s must be more than 0 and at most {LIMITS['duration_s']:g}",
                         "severity": "error"})
    if problems:
        return problems_response(problems)
    return JsonResponse({"points": rate_preview(params, float(until))})
