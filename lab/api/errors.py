"""JSON errors with field paths, in the engine's problem shape, for every API error."""
from __future__ import annotations

from typing import Any

from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_handler

from lab.designs.services import DesignRefused
from lab.runs.services import RunRefused


class Refused(Exception):
    """An API request that cannot be honoured, with every problem and the status to answer."""

    def __init__(self, problems: list[dict[str, str]], status: int = 400) -> None:
        self.problems = problems
        self.status = status
        super().__init__(problems[0]["message"] if problems else "refused")


def problem(path: str, message: str) -> dict[str, str]:
    return {"path": path, "message": message, "severity": "error"}


def _flatten(detail: Any, path: str = "$") -> list[dict[str, str]]:
    if isinstance(detail, dict):
        return [p for key, value in detail.items() for p in _flatten(value, path if key == "non_field_errors" else f"{path}.{key}")]
    if isinstance(detail, list):
        if all(not isinstance(d, (dict, list)) for d in detail):
            return [{"path": path, "message": str(d), "severity": "error"} for d in detail]
        return [p for i, value in enumerate(detail) for p in _flatten(value, f"{path}[{i}]")]
    return [{"path": path, "message": str(detail), "severity": "error"}]


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, Refused):
        return Response({"problems": exc.problems}, status=exc.status)
    if isinstance(exc, RunRefused):
        headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after is not None else None
        return Response({"problems": exc.problems}, status=exc.status, headers=headers)
    if isinstance(exc, DesignRefused):
        return Response({"problems": exc.problems}, status=400)
    response = drf_handler(exc, context)
    if response is not None:
        data = response.data
        # DRF wraps a plain message as {"detail": ...}; that is a problem with the request as a
        # whole ("$"), not with a field called detail.
        if isinstance(data, dict) and set(data) == {"detail"} and not isinstance(exc, ValidationError):
            data = data["detail"]
        response.data = {"problems": _flatten(data)}
    return response
