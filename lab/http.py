"""JSON in and out on the web side. One strict reader (`read_json`, the engine's
lab.sim.strict_json under the web's limits) for the REST API's parser (lab/api/parsers.py), the
websocket consumers and the lab's remaining page-side save endpoints; one refusal shape, the
engine's ({"problems": [{"path", "message", "severity"}]}, lab.sim.problems); and the input
limits that lab.middleware.InputLimitsMiddleware enforces before a view runs.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, JsonResponse
from django.http.request import RawPostDataException, UnreadablePostError

from lab.sim import LIMITS
from lab.sim.problems import Problem, Refused, problem
from lab.sim.strict_json import loads

# A topology may be as large as the engine allows, plus room for the fields around it.
MAX_BODY_BYTES = LIMITS["document_bytes"] + 10_000
# Daphne (Twisted) itself answers a bare 400 once the request line and headers pass 16 KiB;
# below that, an address over this limit gets a 414 that says so. Archlab's own addresses are
# under 200 characters (search terms are cut at 100).
MAX_URL_BYTES = 8192

View = TypeVar("View", bound=Callable[..., Any])


def read_json(data: str | bytes, *, max_bytes: int, what: str = "the request body", empty: Any = ...) -> Any:
    """`data` parsed strictly, or Refused (400, or 413 over `max_bytes`) with one problem saying
    what is wrong with it. The one place the web side reads JSON it is sent: request bodies and
    websocket messages alike. An empty input is refused unless `empty` gives its value."""
    return loads(data, max_bytes=max_bytes, what=what, empty=empty)


def one_problem(message: str, path: str = "$") -> list[Problem]:
    return [problem(path, message)]


def problems_response(problems: list[Problem], status: int = 400) -> JsonResponse:
    return JsonResponse({"problems": problems}, status=status)


def refused_response(exc: Refused) -> JsonResponse:
    """A refusal as the API answers it (lab.api.errors): its status and problems, and Retry-After."""
    response = problems_response(exc.problems, exc.status)
    if exc.retry_after is not None:
        response["Retry-After"] = str(exc.retry_after)
    return response


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
        return read_json(raw, max_bytes=max_bytes, what=what, empty=empty)
    except Refused as exc:
        return refused_response(exc)


def json_endpoint(view: View) -> View:
    """Mark a view outside /api/ that answers JSON (the lab's save endpoints), so that every
    refusal on its address, even one made before the view runs (405, 413, a failed CSRF
    check), is JSON in the problem shape too."""
    view.json_endpoint = True  # type: ignore[attr-defined]
    return view


def wants_json(request: HttpRequest) -> bool:
    """Whether refusals of this request are answered as JSON problems: everything under /api/
    (the REST API), views marked `json_endpoint`, and JSON requests."""
    if request.path_info.startswith("/api/"):
        return True
    match = getattr(request, "resolver_match", None)
    if match is not None and getattr(match.func, "json_endpoint", False):
        return True
    return request.content_type == "application/json"
