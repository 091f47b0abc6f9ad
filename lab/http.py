"""JSON in and out on the web side, outside the REST API's own views.

In: `read_json` is how the web side reads what a client sends it (a request body through the
API's parser, a websocket message, an uploaded file, a form field holding JSON): the engine's
one strict reader, lab.sim.strict_json.loads, under the web's body limit unless the caller
names a smaller one. It raises Refused (400, or 413 over the limit).

Out: a refusal is lab.sim.problems.Refused, answered as {"problems": [...]} with its status and
Retry-After. Inside a DRF view the API's exception handler (lab.api.errors) answers it; outside
one (lab.middleware's input limits and Django's own refusals on a JSON address, the API's 404
for a path it does not have) `refused_response` does, with the same body and headers.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, JsonResponse
from django.http.request import RawPostDataException, UnreadablePostError

from lab.sim import LIMITS
from lab.sim.problems import Problem, Refused
from lab.sim.strict_json import loads

# A topology may be as large as the engine allows, plus room for the fields around it.
MAX_BODY_BYTES = LIMITS["document_bytes"] + 10_000
# Daphne (Twisted) itself answers a bare 400 once the request line and headers pass 16 KiB;
# below that, an address over this limit gets a 414 that says so. Archlab's own addresses are
# under 200 characters (search terms are cut at 100).
MAX_URL_BYTES = 8192

View = TypeVar("View", bound=Callable[..., Any])


def read_json(data: str | bytes, *, max_bytes: int = MAX_BODY_BYTES, what: str = "the request body",
              empty: Any = ...) -> Any:
    """`data` parsed strictly, or Refused (400, or 413 over `max_bytes`) with one problem saying
    what is wrong with it. An empty input is refused unless `empty` gives its value."""
    return loads(data, max_bytes=max_bytes, what=what, empty=empty)


def refused_response(exc: Refused) -> JsonResponse:
    """A refusal as the API answers it (lab.api.errors): its problems, its status, and
    Retry-After when it suggests one."""
    response = JsonResponse({"problems": exc.problems}, status=exc.status)
    if exc.retry_after is not None:
        response["Retry-After"] = str(exc.retry_after)
    return response


def problems_response(problems: list[Problem], status: int = 400) -> JsonResponse:
    return refused_response(Refused(problems, status=status))


def json_body(request: HttpRequest, *, max_bytes: int = MAX_BODY_BYTES, what: str = "the request body",
              empty: Any = None) -> Any:
    """The request body read strictly, or a JsonResponse (400, 413 or 415) saying what is
    wrong with it. An empty body reads as `empty`."""
    try:
        try:
            raw = request.body
        except RequestDataTooBig:  # no Content-Length (chunked), and more than Django buffers
            raise Refused(f"{what} is over the limit of {max_bytes:,} bytes", status=413) from None
        except RawPostDataException:  # a multipart form, already read as one by the CSRF check
            raise Refused("send the body as JSON, with Content-Type: application/json", status=415) from None
        except UnreadablePostError:
            raise Refused(f"{what} could not be read to its end") from None
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
