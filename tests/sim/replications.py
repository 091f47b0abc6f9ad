"""Confidence intervals over independent replications, for the statistical checks against theory."""
from __future__ import annotations

import math

from scipy import stats


def interval(values: list[float], confidence: float = 0.99) -> tuple[float, float]:
    """Mean and half-width of the Student-t interval for the mean of `values` (99% by default)."""
    n = len(values)
    mean = sum(values) / n
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
    return mean, stats.t.ppf(0.5 + confidence / 2, n - 1) * sd / math.sqrt(n)
