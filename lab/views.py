"""The lab page, and the example topologies it offers (the REST API serves them too:
lab/api/engine_views.py). The lab opens empty-handed (an example or
the browser's draft) or with a saved design loaded, editable for its owner and read-only (runs
allowed, saving makes a fork) for anyone else who may see it."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_safe

from lab.sim.document.schema import catalogue

EXAMPLES = Path(__file__).resolve().parent / "sim" / "examples"


def examples() -> list[dict[str, str]]:
    """The example topologies, in name order: id, name and description."""
    out = []
    for path in sorted(EXAMPLES.glob("*.json")):
        doc = json.loads(path.read_text())  # the project's own files, not input
        out.append({"id": path.stem, "name": doc.get("name", path.stem), "description": doc.get("description", "")})
    return out


def example(name: str) -> dict[str, Any] | None:
    """An example topology document, or None when there is no example of that name."""
    if name not in {e["id"] for e in examples()}:
        return None
    return json.loads((EXAMPLES / f"{name}.json").read_text())


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
    first = example(listed[0]["id"]) if listed else None
    context: dict[str, Any] = {"signed_in": request.user.is_authenticated, "create_url": reverse("v1:designs"),
                               "design": None, "lesson": lesson, "live": live}
    if design is not None:
        context["design"] = {
            "id": str(design.pk), "name": design.name, "revision": revision.number, "editable": editable,
            "topology": revision.topology, "detail_url": reverse("designs:detail", args=[design.pk]),
            # The lab saves and forks through the REST API (session and CSRF, like its runs).
            "save_url": reverse("v1:revisions", args=[design.pk]) if editable else None,
            "fork_url": reverse("v1:fork", args=[design.pk]),
        }
    return render(request, "lab.html", {"examples": listed, "catalogue": catalogue(), "first_example": first,
                                        "design": design, "revision": revision, "editable": editable,
                                        "lesson": lesson, "live": live, "lab_context": context})
