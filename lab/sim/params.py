"""Self-describing component parameters.

Every component kind declares its parameters as a tuple of `Param`. The editor's forms, the JSON
Schema, the docs and validation are all generated from these declarations, so a parameter is
described exactly once.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping

# The value types a parameter can have. Kept small on purpose: each one needs an editor widget.
PARAM_TYPES = ("number", "integer", "boolean", "choice", "text", "weights", "numbers", "points")

# A list-valued parameter holds at most this many items (empirical samples, schedule points).
MAX_LIST_ITEMS = 10_000


@dataclass(frozen=True)
class Param:
    """One parameter of a component kind.

    `unit` is also part of the name (`service_time_ms`) so a document reads unambiguously without
    the schema. `when` hides a parameter unless another one has one of the listed values (a
    choice's names, or True/False for a boolean switch; the editor uses it; validation still
    checks hidden values). `live` parameters may be changed while a run is going.
    """

    name: str
    type: str
    default: Any
    help: str
    unit: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    when: Mapping[str, tuple[str | bool, ...]] = field(default_factory=dict)
    live: bool = True

    def __post_init__(self) -> None:
        if self.type not in PARAM_TYPES:
            raise ValueError(f"parameter {self.name}: unknown type {self.type!r}")
        if self.type == "choice" and self.default not in self.choices:
            raise ValueError(f"parameter {self.name}: default {self.default!r} is not a choice")

    def check(self, value: Any) -> str | None:
        """Return why `value` is not acceptable, as a sentence fragment, or None if it is."""
        kind = self.type
        if kind in ("number", "integer"):
            return self._check_number(value)
        if kind == "boolean":
            return None if isinstance(value, bool) else "must be true or false"
        if kind == "choice":
            if value in self.choices:
                return None
            return f"must be one of {', '.join(repr(c) for c in self.choices)}, not {show(value)}"
        if kind == "text":
            if not isinstance(value, str):
                return "must be text"
            return None if len(value) <= 200 else "must be at most 200 characters"
        if kind == "weights":
            return self._check_weights(value)
        if kind == "numbers":
            return self._check_numbers(value)
        if kind == "points":
            return self._check_points(value)
        return f"has an unknown type {kind!r}"  # unreachable: types are checked at declaration

    def _check_number(self, value: Any, what: str = "") -> str | None:
        # bool is a subclass of int in Python; a checkbox value is never a valid number.
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return f"{what}must be a number, not {show(value)}"
        if isinstance(value, int) and abs(value) > 1e300:
            return f"{what}is far too large"  # a huge JSON integer: float() would overflow
        if not math.isfinite(value):
            return f"{what}must be a finite number, not {value}"
        if self.type == "integer" and not float(value).is_integer():
            return f"{what}must be a whole number, not {value}"
        if self.minimum is not None and value < self.minimum:
            return f"{what}must be at least {_num(self.minimum)}{self._unit()}, not {_num(value)}"
        if self.maximum is not None and value > self.maximum:
            return f"{what}must be at most {_num(self.maximum)}{self._unit()}, not {_num(value)}"
        return None

    def _check_weights(self, value: Any) -> str | None:
        if not isinstance(value, dict):
            return "must be an object mapping request class names to numbers"
        if len(value) > 100:
            return "may name at most 100 request classes"
        for name, weight in value.items():
            problem = self._check_number(weight, f"entry {name!r} ")
            if problem:
                return problem
        return None

    def _check_numbers(self, value: Any) -> str | None:
        if not isinstance(value, list):
            return "must be a list of numbers"
        if len(value) > MAX_LIST_ITEMS:
            return f"may hold at most {MAX_LIST_ITEMS} numbers, not {len(value)}"
        for i, item in enumerate(value):
            problem = self._check_number(item, f"item {i} ")
            if problem:
                return problem
        return None

    def _check_points(self, value: Any) -> str | None:
        if not isinstance(value, list) or not value:
            return "must be a non-empty list of [time_s, value] pairs"
        if len(value) > MAX_LIST_ITEMS:
            return f"may hold at most {MAX_LIST_ITEMS} points, not {len(value)}"
        last_t = -1.0
        for i, item in enumerate(value):
            if not (isinstance(item, list) and len(item) == 2):
                return f"item {i} must be a [time_s, value] pair"
            t, v = item
            if not is_number(t) or t < 0 or t > 1e9:
                return f"item {i} has a time that is not a number of seconds between 0 and 1e9"
            if t <= last_t:
                return f"item {i} must come after the one before it (times must increase)"
            last_t = t
            problem = self._check_number(v, f"item {i}'s value ")
            if problem:
                return problem
        return None

    def _unit(self) -> str:
        return f" {self.unit}" if self.unit else ""

    def describe(self) -> dict[str, Any]:
        """The declaration as plain JSON, for the editor, the API and the docs."""
        out: dict[str, Any] = {"name": self.name, "type": self.type, "default": self.default, "help": self.help}
        if self.unit:
            out["unit"] = self.unit
        if self.minimum is not None:
            out["minimum"] = self.minimum
        if self.maximum is not None:
            out["maximum"] = self.maximum
        if self.choices:
            out["choices"] = list(self.choices)
        if self.when:
            out["when"] = {k: list(v) for k, v in self.when.items()}
        out["live"] = self.live
        return out


def is_number(value: Any) -> bool:
    """A finite JSON number of sane size (not a boolean, not an integer too big for a float)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    if isinstance(value, int):
        return abs(value) <= 1e300
    return math.isfinite(value)


def _num(x: float) -> str:
    return f"{x:g}"


def show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
