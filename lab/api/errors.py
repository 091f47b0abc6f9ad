"""Every API error in the engine's problem shape ({"problems": [{"path", "message", "severity"}]}).

A refusal anywhere (the engine's validation, the strict JSON reader, a service) is one
exception, lab.sim.problems.Refused, carrying its problems, its status and, over a quota, its
Retry-After; this handler is where it becomes an answer. DRF's own errors (authentication,
permissions, 405, validation) are flattened into the same shape.
"""
from __future__ import annotations

from typing import Any

from rest_framework.exceptions import MethodNotAllowed, UnsupportedMediaType, ValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_handler

from lab.sim.problems import Problem, Refused, problem


def _flatten(detail: Any, path: str = "$") -> list[Problem]:
    if isinstance(detail, dict):
        return [p for key, value in detail.items() for p in _flatten(value, path if key == "non_field_errors" else f"{path}.{key}")]
    if isinstance(detail, list):
        if all(not isinstance(d, (dict, list)) for d in detail):
            return [problem(path, str(d)) for d in detail]
        return [p for i, value in enumerate(detail) for p in _flatten(value, f"{path}[{i}]")]
    return [problem(path, str(detail))]


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, Refused):
        headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after is not None else None
        return Response({"problems": exc.problems}, status=exc.status, headers=headers)
    # Worded as the site words them everywhere else (lab.middleware), for a person reading them.
    request = context.get("request")
    if isinstance(exc, MethodNotAllowed) and request is not None:
        view = context.get("view")
        allowed = ", ".join(m for m in getattr(view, "allowed_methods", []) if m not in ("OPTIONS", "HEAD"))
        exc = MethodNotAllowed(request.method, f"this address does not take {request.method}; it takes {allowed}")
    elif isinstance(exc, UnsupportedMediaType):
        exc = UnsupportedMediaType(exc.args[0] if exc.args else "",
                                   "send the body as JSON, with Content-Type: application/json")
    response = drf_handler(exc, context)
    if response is not None:
        data = response.data
        # DRF wraps a plain message as {"detail": ...}; that is a problem with the request as a
        # whole ("$"), not with a field called detail.
        if isinstance(data, dict) and set(data) == {"detail"} and not isinstance(exc, ValidationError):
            data = data["detail"]
        response.data = {"problems": _flatten(data)}
    return response
