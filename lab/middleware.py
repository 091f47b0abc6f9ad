"""Input limits, answered before a view runs and without a logged traceback: an address over
MAX_URL_BYTES gets 414, a body over the limit 413. On a JSON endpoint (lab.http.wants_json)
every refusal is JSON in the problem shape, including the ones Django makes as HTML (404, 405,
a failed CSRF check), so a script or the lab's page always gets a sentence it can show.

It sits after SecurityMiddleware and before the session, so an oversize request costs no
database query, and it changes refusals in place, keeping their headers and cookies.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, HttpResponseBase

from lab.http import MAX_BODY_BYTES, MAX_URL_BYTES, refused_response, wants_json
from lab.sim.problems import Refused

# What Django's own refusals mean to someone calling a JSON endpoint.
SENTENCES = {
    400: "the request could not be read",
    403: "the request was refused: reload the page (the form's security token may have expired) or sign in",
    404: "there is nothing at this address",
    413: f"the request body is over the limit of {MAX_BODY_BYTES:,} bytes",
}


def _refusal(request: HttpRequest, status: int, message: str) -> HttpResponse:
    if wants_json(request):
        return refused_response(Refused(message, status=status))
    return HttpResponse(message + "\n", status=status, content_type="text/plain; charset=utf-8")


def _content_length(request: HttpRequest) -> int:
    try:
        return max(int(request.META.get("CONTENT_LENGTH") or 0), 0)
    except ValueError:
        return 0  # Django reads an unparsable length as no body


class InputLimitsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        length = len(request.get_full_path())
        if length > MAX_URL_BYTES:
            response: HttpResponseBase = _refusal(
                request, 414, f"the address is {length:,} characters long; the limit is {MAX_URL_BYTES:,}")
        else:
            response = self.get_response(request)
        # (A streaming response, which is not an HttpResponse, is left alone, and so is a compressed
        # body: this runs inside GZipMiddleware, so it never is.)
        if 400 <= response.status_code < 500 and isinstance(response, HttpResponse) and wants_json(request) \
                and not response.get("Content-Type", "").startswith("application/json") \
                and not response.has_header("Content-Encoding"):
            self._as_problem(request, response)
        return response

    def process_view(self, request: HttpRequest, view: Any, args: Any, kwargs: Any) -> HttpResponse | None:
        # Before the CSRF check, which reads a form body: a refusal here never reads the body.
        size = _content_length(request)
        if size > MAX_BODY_BYTES and wants_json(request):
            return _refusal(request, 413, f"the request body is {size:,} bytes; the limit is {MAX_BODY_BYTES:,} bytes")
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None and size > limit and request.content_type == "application/x-www-form-urlencoded":
            return _refusal(request, 413, f"the form is {size:,} bytes; the limit is {limit:,} bytes")
        return None

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        # A body without a Content-Length (chunked) that outgrows what Django buffers.
        if isinstance(exception, RequestDataTooBig):
            return _refusal(request, 413, SENTENCES[413])
        return None

    @staticmethod
    def _as_problem(request: HttpRequest, response: HttpResponse) -> None:
        status = response.status_code
        if status == 405:
            message = f"this address does not take {request.method}; it takes {response.get('Allow', 'other methods')}"
        else:
            message = SENTENCES.get(status) or f"the request was refused ({status} {response.reason_phrase})"
        response.content = refused_response(Refused(message, status=status)).content
        response["Content-Type"] = "application/json"
        if response.has_header("Content-Length"):  # the old body's length would leave the client waiting
            response["Content-Length"] = str(len(response.content))
