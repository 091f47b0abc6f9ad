"""JSON in and out on the web side, outside the REST API's own views.

In: `read_json` is how the web side reads what a client sends it (a request body through the
API's parser, a websocket message, an uploaded file, a form field holding JSON): the engine's
one strict reader, lab.sim.strict_json.loads, under the web's body limit unless the caller
names a smaller one. It raises Refused (400, or 413 over the limit).

Out: a refusal is lab.sim.problems.Refused, answered as {"problems": [...]} with its status and
Retry-After. Inside a DRF view the API's exception handler (lab.api.errors) answers it; outside
one (lab.middleware's input limits and Django's own refusals on a JSON address, the API's 404
for a path it does not have) `refused_response` does, with the same body and headers.

Every JSON endpoint is under /api/ (the REST API, lab/api); `wants_json` says which refusals
are answered as problems rather than as text.
"""
from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse

from lab.sim import LIMITS
from lab.sim.problems import Refused
from lab.sim.strict_json import loads

# A topology may be as large as the engine allows, plus room for the fields around it.
MAX_BODY_BYTES = LIMITS["document_bytes"] + 10_000
# Daphne (Twisted) itself answers a bare 400 once the request line and headers pass 16 KiB;
# below that, an address over this limit gets a 414 that says so. Archlab's own addresses are
# under 200 characters (search terms are cut at 100).
MAX_URL_BYTES = 8192


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


def wants_json(request: HttpRequest) -> bool:
    """Whether refusals of this request are answered as JSON problems: everything under /api/
    (the REST API), and JSON requests anywhere."""
    return request.path_info.startswith("/api/") or request.content_type == "application/json"
