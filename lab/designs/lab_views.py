"""The JSON endpoints the lab page saves with: a new design from the canvas, and a new
revision of the design being edited. Errors come back as {"problems": [...]} like the engine's."""
from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse
from django.urls import reverse
from django.views.decorators.http import require_POST

from lab.http import json_body, json_endpoint, problems_response
from lab.sim.problems import Refused, problem

from . import access, selectors, services
from .models import Design


def saved_response(design: Design, revision: int, status: int = 200) -> JsonResponse:
    return JsonResponse({"id": str(design.pk), "name": design.name, "revision": revision,
                         "url": reverse("designs:detail", args=[design.pk]),
                         "edit_url": reverse("designs:edit", args=[design.pk])}, status=status)


@json_endpoint
@require_POST
def design_create(request: HttpRequest) -> JsonResponse:
    """Save the lab's topology as a new design: `{"name", "topology", "description"?}`."""
    if not request.user.is_authenticated:
        return problems_response([problem("$", "log in to save designs")], 403)
    body = json_body(request)
    if isinstance(body, JsonResponse):
        return body
    if not isinstance(body, dict):
        return problems_response([problem("$", 'send {"name": "...", "topology": {...}}')])
    try:
        design = services.design_create(owner=request.user, name=body.get("name"), topology=body.get("topology"),
                                        description=body.get("description") or "")
    except Refused as exc:
        return problems_response(exc.problems)
    return saved_response(design, design.latest_revision, 201)


@json_endpoint
@require_POST
def design_save(request: HttpRequest, design_id: Any) -> JsonResponse:
    """A new revision from the lab: `{"topology", "message"?}`."""
    design = access.find(request, design_id)
    if design is None or not selectors.can_edit(request.user, design):
        return problems_response([problem("$", "no such design")], 404)
    body = json_body(request)
    if isinstance(body, JsonResponse):
        return body
    if not isinstance(body, dict) or not isinstance(body.get("message", ""), str):
        return problems_response([problem("$", 'send {"topology": {...}, "message": "..."}')])
    try:
        revision = services.design_save(design=design, author=request.user, topology=body.get("topology"),
                                        message=body.get("message", "").strip())
    except Refused as exc:
        return problems_response(exc.problems)
    return saved_response(design, revision.number)
