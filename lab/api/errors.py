"""JSON errors with field paths, in the engine's problem shape, for every API error."""
from __future__ import annotations

from typing import Any

from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_handler

from lab.designs.services import DesignRefused


def _flatten(detail: Any, path: str = "$") -> list[dict[str, str]]:
    if isinstance(detail, dict):
        return [p for key, value in detail.items() for p in _flatten(value, path if key == "non_field_errors" else f"{path}.{key}")]
    if isinstance(detail, list):
        if all(not isinstance(d, (dict, list)) for d in detail):
            return [{"path": path, "message": str(d), "severity": "error"} for d in detail]
        return [p for i, value in enumerate(detail) for p in _flatten(value, f"{path}[{i}]")]
    return [{"path": path, "message": str(detail), "severity": "error"}]


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DesignRefused):
        return Response({"problems": exc.problems}, status=400)
    response = drf_handler(exc, context)
    if response is not None:
        response.data = {"problems": _flatten(response.data)}
    return response
