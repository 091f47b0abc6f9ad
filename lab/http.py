"""JSON in and out for the page-side endpoints: the lab's /api/... views and its save endpoints.
One body reader (the engine's strict reader, lab.sim.strict_json), one refusal shape
({"problems": [{"path", "message", "severity"}]}, like the engine's), and the input limits that
lab.middleware.InputLimitsMiddleware enforces before a view runs. The REST API (/api/v1) reads
bodies with its own parser (lab/api/parsers.py) under the same limit.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.http import HttpRequest, JsonResponse
from django.http.request import RawPostDataException, UnreadablePostError
from django.core.exceptions import RequestDataTooBig

from lab.sim import LIMITS
from lab.sim.strict_json import JsonRefused, loads

# A topology may be as large as the engine allows, plus room for the fields around it.
MAX_BODY_BYTES = LIMITS["document_bytes"] + 10_000
# Daphne (Twisted) itself answers a bare 400 once the request line and headers pass 16 KiB;
# below that, an address over this limit gets a 414 that says so. Archlab's own addresses are
# under 200 characters (search terms are cut at 100).
MAX_URL_BYTES = 8192

View = TypeVar("View", bound=Callable[..., Any])


def one_problem(message: str, path: str = "$") -> list[dict[str, str]]:
    return [{"path": path, "message": message, "severity": "error"}]


def problems_response(problems: list[dict[str, str]], status: int = 400) -> JsonResponse:
    return JsonResponse({"problems": problems}, status=status)


def json_body(request: HttpRequest, *, max_bytes: int = MAX_BODY_BYTES, what: str = "the request body",
              empty: Any = None) -> Any:
    """The request body read strictly, or a JsonResponse (400, 413 or 415) saying what is
    wrong with it. An empty body reads as `empty`."""
    try:
        raw = request.body
    except RequestDataTooBig:  # no Content-Length (chunked), and more than Django buffers
        return problems_response(one_problem(f"{what} is over the limit of {max_bytes:,} bytes"), 413)
    except RawPostDataException:  # a multipart form, already read as one by the CSRF check
        return problems_response(one_problem("send the body as JSON, with Content-Type: application/json"), 415)
    except UnreadablePostError:
        return problems_response(one_problem(f"{what} could not be read to its end"))
    try:
        return loads(raw, max_bytes=max_bytes, what=what, empty=empty)
    except JsonRefused as exc:
        return problems_response(exc.problems, exc.status)


def json_endpoint(view: View) -> View:
    """Mark a view outside /api/ that answers JSON (the lab's save endpoints), so that every
    refusal on its address, even one made before the view runs (405, 413, a failed CSRF
    check), is JSON in the problem shape too."""
    view.json_endpoint = True  # type: ignore[attr-defined]
    return view


def wants_json(request: HttpRequest) -> bool:
    """Whether refusals of this request are answered as JSON problems: everything under /api/
    (the lab's endpoints and the REST API), views marked `json_endpoint`, and JSON requests."""
    if request.path_info.startswith("/api/"):
        return True
    match = getattr(request, "resolver_match", None)
    if match is not None and getattr(match.func, "json_endpoint", False):
        return True
    return request.content_type == "application/json"
