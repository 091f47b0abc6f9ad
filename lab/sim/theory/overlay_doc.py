"""The theory overlay's document for one node (what the node's panel shows), and how a
measurement's departure from its prediction is computed and put in words. docs/theory-overlay.md
explains every field."""
from __future__ import annotations

import math
from typing import TypedDict

# A figure whose measurement is within this share of its prediction "agrees".
TOLERANCE = 0.10
NO_MODEL = "none"


class Assumption(TypedDict):
    name: str  # e.g. "poisson_arrivals"
    holds: bool
    why: str  # a sentence


class Figure(TypedDict):
    name: str  # e.g. "wait_ms_mean"
    predicted: float | None
    measured: float | None
    departure: float | None  # (measured - predicted) / predicted; None when it cannot be said
    checked: bool  # counts for the verdict (Little's law, a consistency check, does not)


class NodeOverlay(TypedDict):
    node: str
    kind: str
    model: str  # "M/M/c", "M/G/c (Allen-Cunneen)", ..., or "none"
    arrival_rate_per_s: float | None  # the rate the prediction used
    rate_from: str  # "topology" (the design says it) or "measured" (the run had to)
    assumptions: list[Assumption]
    figures: list[Figure]
    verdict: str


def assumption(name: str, holds: bool, why: str) -> Assumption:
    return {"name": name, "holds": bool(holds), "why": why}


def departure(predicted: float | None, measured: float | None) -> float | None:
    """Relative difference (measured - predicted) / predicted, rounded to 4 places; 0 when both
    are 0, None when either is missing or the prediction is 0 and the measurement is not (no
    relative difference from zero exists)."""
    if predicted is None or measured is None:
        return None
    if predicted == 0:
        return 0.0 if measured == 0 else None
    return round((measured - predicted) / abs(predicted), 4)


def figure(name: str, predicted: float | None, measured: float | None, *, checked: bool = True,
           negligible: float = 0.0) -> Figure:
    """`negligible`: below it (both values) the figure is too small for a relative difference to
    mean anything (a wait of microseconds at light load), and it does not count for the verdict."""
    p = _significant(predicted)
    m = _significant(measured)
    if negligible and max(abs(p or 0.0), abs(m or 0.0)) < negligible:
        checked = False
    return {"name": name, "predicted": p, "measured": m, "departure": departure(p, m), "checked": checked}


def _significant(value: float | None) -> float | None:
    """Nine significant digits (the measurements have at most that many), None if not finite."""
    if value is None or not math.isfinite(value):
        return None
    return float(f"{value:.9g}")


def verdict(model: str, assumptions: list[Assumption], figures: list[Figure]) -> str:
    """One sentence: whether the measurement agrees with the model, and if not, which
    assumption breaks and how far it departs."""
    broken = [a["name"].replace("_", " ") for a in assumptions if not a["holds"]]
    checked = [f for f in figures if f["checked"] and f["departure"] is not None]
    if not checked:
        if broken:
            return f"{model}: no figure large enough to compare, and {_join(broken)} {_verb(broken)} not hold."
        return f"{model}: no figure large enough to compare with the prediction."
    worst = max(checked, key=lambda f: abs(f["departure"] or 0.0))
    far = abs(worst["departure"] or 0.0)
    how_far = f"{worst['name']} {'+' if (worst['departure'] or 0.0) >= 0 else '-'}{far:.0%}"
    if far <= TOLERANCE:
        if broken:
            return (f"The measurement stays within {TOLERANCE:.0%} of {model} (worst: {how_far}) "
                    f"although {_join(broken)} {_verb(broken)} not hold.")
        return f"The measurement agrees with {model}: every figure within {TOLERANCE:.0%} (worst: {how_far})."
    if broken:
        return f"{_join(broken).capitalize()} {_verb(broken)} not hold, and the measurement departs from {model} by up to {how_far}."
    return (f"The assumptions hold, yet the measurement departs from {model} by up to {how_far}: "
            "a run too short for its variance, or an approximation at its limits.")


def _join(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _verb(names: list[str]) -> str:
    return "does" if len(names) == 1 else "do"
