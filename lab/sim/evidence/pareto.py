"""The Pareto front of (cost, latency) points: the designs or sweep points no other one beats on
both (as cheap or cheaper, and as fast or faster, and strictly better on one). Everything off the
front costs more for no gain in latency, or is slower for no saving.
"""
from __future__ import annotations

from collections.abc import Sequence


def pareto_front(points: Sequence[tuple[float | None, float | None]]) -> list[int]:
    """Indices of the non-dominated points, both figures to be minimized, cheapest first. A point
    missing a figure is left out. The classic sweep: sort by cost (then latency), keep each point
    faster than every cheaper one; O(n log n)."""
    known = sorted((c, l, i) for i, (c, l) in enumerate(points) if c is not None and l is not None)
    front: list[int] = []
    best: float | None = None
    for cost, latency, i in known:
        if best is None or latency < best:
            front.append(i)
            best = latency
    return front
