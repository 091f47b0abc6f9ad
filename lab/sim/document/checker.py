"""The problem collector validation is written with: problems with JSON paths and sentences,
near-miss suggestions, and parameter objects checked against their declarations."""
from __future__ import annotations

import difflib
import re
from typing import Any, TypedDict

from ..params import Param
from .format import ID_PATTERN
from ..problems import Problem, problem

ID_RE = re.compile(ID_PATTERN)


class CheckedNode(TypedDict):
    """A usable node as validation passes it to the graph and fault checks."""

    kind: str
    params: dict[str, Any]  # the valid parameters, over the kind's defaults
    index: int  # its place in the document's nodes, for JSON paths
    params_ok: bool  # no problem with its parameters (the kind's own cross-checks may run)


CheckedEdge = TypedDict("CheckedEdge", {
    "index": int,  # its place in the document's edges
    "from": str,
    "to": str,
    "classes": set[str] | None,  # None: every class
})


def suggest(word: Any, options: list[str]) -> str:
    """ " (did you mean 'x'?)" for a near miss, else "". Goes right after the unknown word."""
    if not isinstance(word, str):
        return ""
    close = difflib.get_close_matches(word, options, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


class Checker:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, path: str, message: str, severity: str = "error") -> None:
        self.problems.append(problem(path, message, severity))

    def unknown_fields(self, obj: dict[str, Any], allowed: tuple[str, ...], path: str, what: str) -> None:
        for key in obj:
            if key not in allowed:
                self.add(f"{path}.{key}" if isinstance(key, str) else path,
                         f"{what} has no field {show(key)}{suggest(key, list(allowed))}")

    def params(self, obj: Any, declared: tuple[Param, ...], path: str, what: str) -> dict[str, Any]:
        """Check an object of parameters; return the valid ones merged over the defaults."""
        values = {p.name: p.default for p in declared}
        if not isinstance(obj, dict):
            self.add(path, f"{what} must be an object of named values")
            return values
        names = [p.name for p in declared]
        by_name = {p.name: p for p in declared}
        for key, value in obj.items():
            param = by_name.get(key)
            if param is None:
                accepted = ", ".join(names) if len(names) <= 12 else ", ".join(names[:12]) + ", ..."
                self.add(f"{path}.{key}", f"{what} has no parameter {show(key)}{suggest(key, names) or f'; it accepts: {accepted}'}")
                continue
            reason = param.check(value)
            if reason:
                self.add(f"{path}.{key}", f"{what}: {key} {reason}")
            else:
                values[key] = value
        return values
