"""The one strict JSON reader, for every document and message Archlab takes in: topology files
on the command line, page and API request bodies, websocket messages.

Strict means: valid UTF-8, no NaN or Infinity (JSON has neither, Python's json accepts both),
no lone UTF-16 surrogate such as "\\ud800" (not a character: no database or encoder can store
it as text, and a page that echoes it back crashes), no duplicate keys in an object (which one
would win is undefined between parsers), a bounded size and nesting depth. Every refusal is a
`JsonRefused` carrying problems in the engine's shape ({"path", "message", "severity"}) and
the HTTP status a web endpoint should answer (413 for a body over the limit, 400 otherwise).

A number too large for a float (1e999) is read as infinity, as Python's json does: the
topology's validation then names the field ("$.nodes[0].params.rate_per_s must be finite"),
which tells a student more than a refusal of the whole text would.

It lives in the engine package because the engine's command line reads topology files with it;
it imports nothing but the standard library.
"""
from __future__ import annotations

import json
import re
from itertools import accumulate
from typing import Any

from .problems import Refused

# Deeper than any document Archlab defines (a topology nests about 6 levels); a hostile body of
# nested brackets is refused long before Python's recursion limit.
MAX_DEPTH = 64
# Python refuses to convert longer integer literals (sys.int_info.default_max_str_digits) and
# says so in words about its own settings; a student reads this one instead.
MAX_DIGITS = 4300

_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)
_NOT_A_BRACKET = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}
# A surrogate escape in the text, or a surrogate code point in a Python string. Paired escapes
# (an emoji written as "\ud83d\ude00") match too; they only cost the exact check below.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_SURROGATE = re.compile("[\ud800-\udfff]")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


class JsonRefused(Refused):
    """Input that is not strict JSON, or too large: one problem; `status` is 400 or 413."""

    def __init__(self, message: str, *, status: int = 400, path: str = "$") -> None:
        super().__init__(message, status=status, path=path)


def check_size(size: int, *, max_bytes: int, what: str = "the request body") -> None:
    """Refuse (413) an input of `size` bytes over `max_bytes`; for callers that know the size
    before reading (an HTTP Content-Length), so every limit is worded alike."""
    if size > max_bytes:
        raise JsonRefused(f"{what} is {size:,} bytes; the limit is {max_bytes:,} bytes", status=413)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def _integer(digits: str) -> int:
    if len(digits) > MAX_DIGITS:
        raise ValueError(f"a number of {len(digits):,} digits is far too long")
    return int(digits)


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                # scrub: the message goes back to the client, and the key may be a lone surrogate.
                raise ValueError(f"the key {scrub(key[:40])!r} appears twice in one object")
            seen.add(key)
    return obj


def _depth_ok(text: str, limit: int) -> bool:
    """Whether brackets outside strings nest at most `limit` deep, checked before the parser
    recurses into them. Regular expressions do the scanning (a 2 MB document in milliseconds)."""
    if text.count("[") + text.count("{") <= limit:
        return True
    brackets = _NOT_A_BRACKET.sub("", _STRING.sub("", text))
    return max(accumulate(_STEP[ch] for ch in brackets), default=0) <= limit


def _child_path(path: str, key: str) -> str:
    return f"{path}.{key}" if _NAME.match(key) else f"{path}[{json.dumps(scrub(key), ensure_ascii=False)}]"


def _surrogate_at(value: Any) -> str | None:
    """The JSON path of the first string or key holding a lone surrogate, if any."""
    stack: list[tuple[str, Any]] = [("$", value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return path
        elif isinstance(item, dict):
            for key, child in reversed(item.items()):
                if _SURROGATE.search(key):
                    return _child_path(path, key)
                stack.append((_child_path(path, key), child))
        elif isinstance(item, list):
            stack.extend((f"{path}[{i}]", child) for i, child in reversed(list(enumerate(item))))
    return None


def loads(data: str | bytes | bytearray | memoryview, *, max_bytes: int, what: str = "the request body",
          empty: Any = ...) -> Any:
    """Parse `data` strictly or raise JsonRefused. `what` names the input in messages ("the
    message", "the file"). An empty input is refused unless `empty` gives its value."""
    raw = bytes(data) if isinstance(data, (bytearray, memoryview)) else data
    check_size(len(raw.encode("utf-8", "surrogatepass")) if isinstance(raw, str) else len(raw),
               max_bytes=max_bytes, what=what)
    if isinstance(raw, bytes):
        try:
            # A byte order mark is what Windows Notepad writes first; RFC 8259 lets a reader skip it.
            text = raw.decode("utf-8").removeprefix("\ufeff")
        except UnicodeDecodeError as exc:
            raise JsonRefused(f"{what} is not UTF-8 text (a bad byte at position {exc.start:,})") from None
    else:
        text = raw
    if not text.strip():
        if empty is not ...:
            return empty
        raise JsonRefused(f"{what} is empty; it must be JSON")
    if not _depth_ok(text, MAX_DEPTH):
        raise JsonRefused(f"{what} is nested more than {MAX_DEPTH} levels deep")
    try:
        value = json.loads(text, parse_constant=_reject_constant, parse_int=_integer, object_pairs_hook=_pairs)
    except json.JSONDecodeError as exc:
        raise JsonRefused(f"{what} is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None
    except ValueError as exc:  # NaN/Infinity, duplicate keys, overlong integers
        raise JsonRefused(f"{what} is not valid JSON: {exc}") from None
    except RecursionError:
        raise JsonRefused(f"{what} is nested too deeply") from None
    # Escapes like "\ud800" decode to a lone surrogate; a str input may hold one as it is.
    if _SURROGATE_ESCAPE.search(text) or (not isinstance(raw, bytes) and _SURROGATE.search(text)):
        where = _surrogate_at(value)
        if where is not None:
            # At "$" like every refusal of the text; the message says where in it.
            raise JsonRefused(f"{what} contains a lone UTF-16 surrogate at {where} (an escape from \\ud800 "
                              "to \\udfff without its pair), which is not a character")
    return value


def _scrubbed(value: Any) -> Any:
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {_scrubbed(k): _scrubbed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrubbed(v) for v in value]
    return value


def scrub(value: Any) -> Any:
    """`value` with every lone surrogate replaced by U+FFFD, for documents stored before the
    strict reader refused them: they stay readable instead of crashing a page. A value without
    one (nearly all) is returned as it is, after one pass of the C encoder."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    try:
        if not _SURROGATE.search(json.dumps(value, ensure_ascii=False)):
            return value
    except (TypeError, ValueError, RecursionError):  # not plain JSON data: look at every part
        pass
    return _scrubbed(value)
