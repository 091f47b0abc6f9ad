"""The lab page and the engine's catalogue and examples."""
from __future__ import annotations

import json
from pathlib import Path

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_GET, require_POST

from lab.sim import LIMITS, check
from lab.sim.schema import catalogue

EXAMPLES = Path(__file__).resolve().parent / "sim" / "examples"


def examples() -> list[dict[str, str]]:
    out = []
    for path in sorted(EXAMPLES.glob("*.json")):
        doc = json.loads(path.read_text())
        out.append({"id": path.stem, "name": doc.get("name", path.stem), "description": doc.get("description", "")})
    return out


@require_GET
@ensure_csrf_cookie
def lab_page(request: HttpRequest) -> HttpResponse:
    listed = examples()
    # The first example travels with the page, so the lab is usable without another request.
    first = json.loads((EXAMPLES / f"{listed[0]['id']}.json").read_text()) if listed else None
    return render(request, "lab.html", {"examples": listed, "catalogue": catalogue(), "first_example": first})


@require_GET
def catalogue_json(request: HttpRequest) -> JsonResponse:
    return JsonResponse(catalogue())


@require_GET
def example_json(request: HttpRequest, name: str) -> JsonResponse:
    if name not in {e["id"] for e in examples()}:
        raise Http404("no such example")
    return JsonResponse(json.loads((EXAMPLES / f"{name}.json").read_text()))


@require_POST
def topology_check(request: HttpRequest) -> JsonResponse:
    """Every problem of a topology document (the request body), as validation reports them."""
    if len(request.body) > LIMITS["document_bytes"]:
        return JsonResponse({"problems": [{"path": "$", "message": "the document is too large", "severity": "error"}]},
                            status=413)
    return JsonResponse({"problems": check(request.body)})
