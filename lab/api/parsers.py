"""The API's one request parser: strict JSON, bounded in size, never a 500 for a hostile body."""
from __future__ import annotations

import json
from typing import Any

from rest_framework import exceptions, parsers

from lab.sim import LIMITS

# A topology may be as large as the engine allows, plus room for the fields around it.
MAX_BODY_BYTES = LIMITS["document_bytes"] + 10_000


class RequestTooLarge(exceptions.APIException):
    status_code = 413
    default_detail = f"the request is larger than {MAX_BODY_BYTES:,} bytes"
    default_code = "too_large"


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


class JsonBodyParser(parsers.BaseParser):
    """Like DRF's JSONParser, but it reads at most MAX_BODY_BYTES (DRF's parser reads the whole
    body), refuses NaN and Infinity, and turns a too-deep document or a lone UTF-16 surrogate
    (`"\\ud800"`, which no database can store as text) into a 400 instead of a crash."""

    media_type = "application/json"

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        raw = stream.read(MAX_BODY_BYTES + 1)
        if len(raw) > MAX_BODY_BYTES:
            raise RequestTooLarge()
        try:
            data = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
            json.dumps(data, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise exceptions.ParseError("the request contains a lone UTF-16 surrogate (\\ud800-\\udfff), "
                                        "which is not a character") from None
        except (ValueError, RecursionError) as exc:
            where = f" (line {exc.lineno}, column {exc.colno})" if isinstance(exc, json.JSONDecodeError) else ""
            raise exceptions.ParseError(f"the request body is not valid JSON{where}") from None
        return data
