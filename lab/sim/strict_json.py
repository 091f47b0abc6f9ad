"""The one strict JSON reader, for every document and message Archlab takes in: topology files
on the command line, page and API request bodies, websocket messages.

Strict means: valid UTF-8, no NaN or Infinity (JSON has neither, Python's json accepts both),
no lone UTF-16 surrogate such as "\\ud800" (not a character: no database or encoder can store
it as text, and a page that echoes it back crashes), no duplicate keys in an object (which one
would win is undefined between parsers), a bounded size and nesting depth. Every refusal is a
`JsonRefused` carrying problems in the engine's shape ({"path", "message", "severity"}) and
the HTTP status a web endpoint should answer (413 for a body over the limit, 400 otherwise).

It lives in the engine package because the engine's command line reads topology files with it;
it imports nothing but the standard library.
"""
from __future__ import annotations

import json
from typing import Any

# Deeper than any document Archlab defines (a topology nests about 6 levels); a hostile body of
# nested brackets is refused long before Python's recursion limit.
MAX_DEPTH = 64


class JsonRefused(ValueError):
    """Input that is not strict JSON, or too large. `problems` say why; `status` is 400 or 413."""

    def __init__(self, message: str, *, status: int = 400, path: str = "$") -> None:
        self.status = status
        self.problems = [{"path": path, "message": message, "severity": "error"}]
        super().__init__(message)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise ValueError(f"the key {key[:40]!r} appears twice in one object")
            seen.add(key)
    return obj


def _depth_ok(text: str, limit: int) -> bool:
    """A quick count of bracket nesting outside strings, so a deep body is refused before the
    parser recurses into it."""
    if text.count("[") + text.count("{") <= limit:
        return True
    depth = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > limit:
                return False
        elif ch in "]}":
            depth -= 1
    return True


def loads(data: str | bytes | bytearray | memoryview, *, max_bytes: int, what: str = "the request body",
          empty: Any = ...) -> Any:
    """Parse `data` strictly or raise JsonRefused. `what` names the input in messages ("the
    message", "the file"). An empty input is refused unless `empty` gives its value."""
    raw = bytes(data) if isinstance(data, (bytearray, memoryview)) else data
    size = len(raw.encode("utf-8", "surrogatepass")) if isinstance(raw, str) else len(raw)
    if size > max_bytes:
        raise JsonRefused(f"{what} is {size:,} bytes; the limit is {max_bytes:,} bytes", status=413)
    if isinstance(raw, bytes):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise JsonRefused(f"{what} is not UTF-8 text (a bad byte at position {exc.start})") from None
    else:
        text = raw
    if not text.strip():
        if empty is not ...:
            return empty
        raise JsonRefused(f"{what} is empty; it must be JSON")
    if not _depth_ok(text, MAX_DEPTH):
        raise JsonRefused(f"{what} is nested more than {MAX_DEPTH} levels deep")
    try:
        value = json.loads(text, parse_constant=_reject_constant, object_pairs_hook=_pairs)
    except json.JSONDecodeError as exc:
        raise JsonRefused(f"{what} is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None
    except ValueError as exc:  # NaN/Infinity, duplicate keys
        raise JsonRefused(f"{what} is not valid JSON: {exc}") from None
    except RecursionError:
        raise JsonRefused(f"{what} is nested too deeply") from None
    try:
        # Escapes like "\ud800" decode to a lone surrogate, which only shows when encoding.
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise JsonRefused(f"{what} contains a lone UTF-16 surrogate (an escape from \\ud800 to \\udfff "
                          "without its pair), which is not a character") from None
    return value


def scrub(value: Any) -> Any:
    """A copy of `value` with every lone surrogate replaced by U+FFFD, for documents stored
    before the strict reader refused them: they stay readable instead of crashing a page."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
            return value
        except UnicodeEncodeError:
            return "".join("\ufffd" if 0xD800 <= ord(ch) <= 0xDFFF else ch for ch in value)
    if isinstance(value, dict):
        return {scrub(k): scrub(v) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v) for v in value]
    return value
