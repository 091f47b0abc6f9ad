"""Checks of the topology's optional top-level sections: the latency table, the prices, and
text that no database can store (NUL characters)."""
from __future__ import annotations

import difflib
from typing import Any

from .checker import ID_RE, Checker, show
from ..cloud.geography import LATENCY_FIELDS
from ..params import is_number
from ..cloud.pricing import DEFAULT_PRICES, MAX_PRICE
from .format import LIMITS


def check_latency(raw: Any, c: Checker) -> None:
    if not isinstance(raw, dict):
        c.add("$.latency", "latency must be an object, e.g. {\"cross_zone_ms\": 0.8}")
        return
    c.params({k: v for k, v in raw.items() if k != "between_regions"}, LATENCY_FIELDS, "$.latency", "the latency table")
    pairs = raw.get("between_regions", [])
    if not isinstance(pairs, list):
        c.add("$.latency.between_regions", "between_regions must be a list of {\"from\": region, \"to\": region, \"ms\": number}")
        return
    if len(pairs) > LIMITS["regions"] ** 2:
        c.add("$.latency.between_regions", f"at most {LIMITS['regions'] ** 2} region pairs are allowed")
        return
    for i, item in enumerate(pairs):
        path = f"$.latency.between_regions[{i}]"
        if not isinstance(item, dict) or set(item) != {"from", "to", "ms"}:
            c.add(path, "a region pair must be an object with exactly from, to and ms")
            continue
        if not all(isinstance(item[k], str) and ID_RE.match(item[k]) for k in ("from", "to")):
            c.add(path, "from and to must be region ids")
        elif item["from"] == item["to"]:
            c.add(path, f"a region pair needs two different regions, not {item['from']!r} twice")
        if not is_number(item["ms"]) or not 0 <= item["ms"] <= 10_000:
            c.add(f"{path}.ms", f"ms must be a one-way latency from 0 to 10000 ms, not {show(item['ms'])}")


def nul_path(value: Any, path: str, depth: int = 0) -> str | None:
    """The path of the first key or string holding a NUL character, if any."""
    if isinstance(value, str):
        return path if "\x00" in value else None
    if depth > 64:
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            if "\x00" in key:
                return path
            found = nul_path(item, f"{path}.{key}", depth + 1)
            if found:
                return found
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found = nul_path(item, f"{path}[{i}]", depth + 1)
            if found:
                return found
    return None


def check_pricing(raw: Any, c: Checker) -> None:
    if not isinstance(raw, dict):
        c.add("$.pricing", "pricing must be an object of price names and amounts in USD, e.g. {\"vm_medium_hour\": 0.05}")
        return
    for name, value in raw.items():
        path = f"$.pricing.{name}"
        if name not in DEFAULT_PRICES:
            close = difflib.get_close_matches(str(name), DEFAULT_PRICES, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            c.add(path, f"there is no price called {show(name)}{hint}; the prices are listed in docs/components.md")
        elif not is_number(value) or not 0 <= value <= MAX_PRICE:
            c.add(path, f"the price {name!r} must be a number of US dollars from 0 to {MAX_PRICE:g}, not {show(value)}")
