"""The API's one request parser: the project's strict JSON reader (lab.sim.strict_json) under the
same body limit as the page-side endpoints, so a hostile body is never a 500."""
from __future__ import annotations

from typing import Any

from rest_framework import parsers

from lab.http import MAX_BODY_BYTES, one_problem
from lab.sim.strict_json import JsonRefused, loads

from .errors import Refused


class JsonBodyParser(parsers.BaseParser):
    """Like DRF's JSONParser, but it reads at most MAX_BODY_BYTES (DRF's parser reads the whole
    body) and refuses what the strict reader refuses (NaN, Infinity, lone UTF-16 surrogates,
    duplicate keys, deep nesting), each as problems with a 400, or a 413 for an oversize body."""

    media_type = "application/json"

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        # One byte past the limit is enough to know the body is over it.
        raw = stream.read(MAX_BODY_BYTES + 1)
        if len(raw) > MAX_BODY_BYTES:  # its real size is unknown: the rest was never read
            raise Refused(one_problem(f"the request body is over the limit of {MAX_BODY_BYTES:,} bytes"), 413)
        try:
            return loads(raw, max_bytes=MAX_BODY_BYTES)
        except JsonRefused as exc:
            raise Refused(exc.problems, exc.status) from None
