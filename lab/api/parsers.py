"""The API's one request parser: the web side's strict JSON reader (lab.http.read_json, the
engine's lab.sim.strict_json) under the same body limit as the page-side endpoints, so a hostile
body is never a 500."""
from __future__ import annotations

from typing import Any

from rest_framework import parsers

from lab.http import MAX_BODY_BYTES, read_json
from lab.sim.problems import Refused


class JsonBodyParser(parsers.BaseParser):
    """Like DRF's JSONParser, but it reads at most MAX_BODY_BYTES (DRF's parser reads the whole
    body) and refuses what the strict reader refuses (NaN, Infinity, lone UTF-16 surrogates,
    duplicate keys, deep nesting), each as problems with a 400, or a 413 for an oversize body.
    A view may name a smaller limit (`body_max_bytes`) and what its body is (`body_what`): a
    topology check takes the document itself."""

    media_type = "application/json"

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        view = (parser_context or {}).get("view")
        limit = getattr(view, "body_max_bytes", MAX_BODY_BYTES)
        what = getattr(view, "body_what", "the request body")
        # One byte past the limit is enough to know the body is over it.
        raw = stream.read(limit + 1)
        if len(raw) > limit:  # its real size is unknown: the rest was never read
            raise Refused(f"{what} is over the limit of {limit:,} bytes", status=413)
        return read_json(raw, max_bytes=limit, what=what)
