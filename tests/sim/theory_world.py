"""Tolerances for closed forms, and an independent Erlang C to check the theory module against."""
from __future__ import annotations

from fractions import Fraction

import pytest

EXACT = 1e-12  # relative tolerance for closed forms evaluated in floating point


def close(expected: float, rel: float = EXACT) -> object:
    return pytest.approx(expected, rel=rel, abs=1e-15)


def erlang_c_by_factorials(servers: int, load: Fraction) -> Fraction:
    """The textbook Erlang C sum, in exact rational arithmetic."""
    term = Fraction(1)
    below = Fraction(0)
    for k in range(servers):
        below += term
        term = term * load / (k + 1)
    waiting = term * Fraction(servers) / (servers - load)
    return waiting / (below + waiting)
