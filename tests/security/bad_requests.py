"""A deterministic generator of bad request bodies for a JSON endpoint, built around a valid
body for it: garbage bytes, invalid UTF-8, lone surrogates, NaN and Infinity, duplicate keys,
deep nesting, huge numbers, a wrong type or a hostile string at every field, oversize bodies
and wrong content types. Same seed, same requests, so a failure is replayed by its index.

Plain `random.Random(seed)` rather than Hypothesis: a thousand cases per endpoint cost no
generation or database overhead of their own, and every category is covered on every run.
"""
from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

JSON = "application/json"


@dataclass(frozen=True)
class Case:
    label: str  # the category, for the failure report
    body: bytes
    content_type: str = JSON


class Pairs(list):  # type: ignore[type-arg]
    """An object written with its pairs as given: the only way to send a key twice."""


class Raw(str):
    """A literal piece of JSON text (a number no Python value writes, such as 1e999)."""

    @property
    def text(self) -> str:
        return str(self)


def dump(value: Any) -> str:
    """JSON text as a careless or hostile client writes it: NaN and Infinity as Python spells
    them, lone surrogates as escapes, Pairs with repeated keys."""
    if isinstance(value, Pairs):
        return "{" + ", ".join(f"{json.dumps(k)}: {dump(v)}" for k, v in value) + "}"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)}: {dump(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(dump(v) for v in value) + "]"
    if isinstance(value, Raw):
        return value.text
    return json.dumps(value)  # allow_nan by default: NaN, Infinity, -Infinity


HOSTILE_STRINGS = ["", " ", "\x00", "a\x00b", "<script>alert(1)</script>", "\"'><img src=x onerror=alert(1)>",
                   "' OR 1=1 --", "%s%n%x", "../../../etc/passwd", "\u202eevil", "\u2028\u2029", "\ufeff",
                   "\U0001F600" * 50, "x" * 10_000, "{{ 7*7 }}", "${jndi:ldap://x}", "\\", "\r\n\r\n", "NaN"]
WRONG_VALUES: list[Any] = [None, True, False, 0, -1, 1.5, -0.0, 2**63, -(2**63) - 1, 10**30, 1e308, -1e308,
                           [], {}, [[[]]], {"": None}, [None] * 50, list(range(300)), {"op": "stop"},
                           Raw("1e999"), Raw("-1e999"), Raw("1e-400"), *HOSTILE_STRINGS]
SURROGATES = ["\ud800", "\udfff", "a\udc00b", "\ude00\ud83d", "\ud83d"]


def paths_of(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a document a value sits, the document itself first."""
    out = [path]
    if isinstance(value, dict):
        for key, child in value.items():
            out += paths_of(child, path + (key,))
    elif isinstance(value, list):
        for i, child in enumerate(value):
            out += paths_of(child, path + (i,))
    return out


def replaced(doc: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(doc, dict):
        return {k: replaced(v, rest, new) if k == head else v for k, v in doc.items()}
    return [replaced(v, rest, new) if i == head else v for i, v in enumerate(doc)]


def nested(depth: int, rng: random.Random) -> str:
    arrays = [rng.random() < 0.5 for _ in range(depth)]
    return "".join("[" if a else '{"a": ' for a in arrays) + "0" + "".join("]" if a else "}" for a in reversed(arrays))


def fixed_cases(valid: Any, max_bytes: int) -> Iterator[Case]:
    """The cases every endpoint gets, whatever the seed."""
    text = dump(valid)
    for body in (b"", b" ", b"null", b"[]", b"{}", b'""', b"0", b"true", b"[1, 2", b"{'a': 1}", b"\x00"):
        yield Case("not the expected JSON", body)
    for constant in ("NaN", "Infinity", "-Infinity"):
        yield Case("constant", constant.encode())
        yield Case("constant", dump(Pairs([("x", Raw(constant))])).encode())
    yield Case("nesting", b"[" * 100_000)
    yield Case("nesting", b'{"a":' * 50_000)
    yield Case("nesting", ("[" * 65 + "]" * 65).encode())
    yield Case("utf-8", b"\xff\xfe" + text.encode("utf-16-le"))
    yield Case("utf-8", text.encode()[:20] + b"\xc3\x28" + text.encode()[20:])
    yield Case("utf-8", b'"\xed\xa0\x80"')  # a surrogate encoded as UTF-8, which UTF-8 forbids
    yield Case("utf-8", b'"\xc0\xaf"')  # an overlong encoding of "/"
    yield Case("utf-8", text.encode("latin-1", "replace"), "application/json; charset=latin-1")
    yield Case("bom", b"\xef\xbb\xbf" + text.encode())
    yield Case("huge number", ("1" * 5000).encode())
    yield Case("huge number", ("-" + "9" * 4301).encode())
    yield Case("surrogate", b'"\\ud800"')
    yield Case("surrogate", dump({"\ud800": 1}).encode())
    yield Case("duplicate key", b'{"a": 1, "a": 2}')
    yield Case("oversize", b" " * (max_bytes + 1))
    yield Case("oversize", text.encode() + b" " * (max_bytes + 1 - len(text)))
    yield Case("oversize", b"[" * 3_000_000)  # over Django's own buffer limit too
    for content_type in ("text/plain", "application/xml", "application/x-www-form-urlencoded", "",
                         "application/json-patch+json", "application/json; charset=utf-16"):
        yield Case("content type", text.encode(), content_type)
    yield Case("content type", b"topology=x&name=y", "application/x-www-form-urlencoded")
    yield Case("content type", b"--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n--b--\r\n",
               "multipart/form-data; boundary=b")


def random_case(valid: Any, paths: list[tuple[Any, ...]], rng: random.Random) -> Case:
    kind = rng.randrange(12)
    text = dump(valid)
    if kind == 0:
        return Case("garbage bytes", rng.randbytes(rng.randrange(1, 300)))
    if kind == 1:  # a valid body, cut or with a byte changed
        raw = bytearray(text.encode())
        if rng.random() < 0.5:
            return Case("truncated", bytes(raw[:rng.randrange(len(raw))]))
        raw[rng.randrange(len(raw))] = rng.randrange(256)
        return Case("byte flipped", bytes(raw))
    path = rng.choice(paths)
    if kind in (2, 3, 4):
        return Case("wrong type", dump(replaced(valid, path, rng.choice(WRONG_VALUES))).encode())
    if kind == 5:
        return Case("surrogate", dump(replaced(valid, path, rng.choice(SURROGATES))).encode())
    if kind == 6:
        return Case("constant", dump(replaced(valid, path, rng.choice([float("nan"), float("inf"), -float("inf")]))).encode())
    if kind == 7:
        return Case("huge number", dump(replaced(valid, path, Raw(rng.choice(["1", "-9"]) + "0" * rng.randrange(300, 6000)))).encode())
    if kind == 8:
        return Case("deep nesting", dump(replaced(valid, path, Raw(nested(rng.randrange(50, 400), rng)))).encode())
    if kind == 9:  # a key twice in an object somewhere in the document
        objects = [p for p in paths if isinstance(_at(valid, p), dict) and _at(valid, p)]
        where = rng.choice(objects)
        obj = _at(valid, where)
        key = rng.choice(list(obj))
        return Case("duplicate key", dump(replaced(valid, where, Pairs([*obj.items(), (key, rng.choice(WRONG_VALUES))]))).encode())
    if kind == 10:  # an unknown or hostile key, or a known one missing
        objects = [p for p in paths if isinstance(_at(valid, p), dict)]
        where = rng.choice(objects)
        obj = dict(_at(valid, where))
        if obj and rng.random() < 0.5:
            obj.pop(rng.choice(list(obj)))
        else:
            obj[rng.choice(HOSTILE_STRINGS + SURROGATES)] = rng.choice(WRONG_VALUES)
        return Case("keys", dump(replaced(valid, where, obj)).encode())
    return Case("hostile string", dump(replaced(valid, path, rng.choice(HOSTILE_STRINGS + SURROGATES))).encode())


def _at(doc: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        doc = doc[step]
    return doc


def bad_requests(valid: Any, *, seed: int, count: int, max_bytes: int) -> list[Case]:
    """`count` cases: the fixed ones, a wrong value at every field in turn, then random ones."""
    rng = random.Random(seed)
    paths = paths_of(valid)
    cases = list(fixed_cases(valid, max_bytes))
    for i, path in enumerate(paths):  # every field at least once, with a value of the wrong kind
        if len(cases) >= count // 2:
            break
        cases.append(Case("wrong type", dump(replaced(valid, path, WRONG_VALUES[i % len(WRONG_VALUES)])).encode()))
    while len(cases) < count:
        cases.append(random_case(valid, paths, rng))
    return cases
