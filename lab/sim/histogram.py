"""A streaming latency histogram with bounded relative error.

Buckets are logarithmic: bucket i holds values in (MIN * g**(i-1), MIN * g**i] with
g = (1 + a) / (1 - a) and a = 0.01. Reporting a bucket by 2 * MIN * g**i / (1 + g) is then within
1% of every value in it, so any quantile read from the histogram is within 1% of the exact
nearest-rank quantile of the recorded values (the DDSketch construction). Values from 1 us to
10**5 s (28 hours, longer than any run may last) are covered; smaller ones are reported as they
are bounded by the exact minimum. Memory is a fixed array of about 1,300 counters, whatever the
length of the run.

The engine appends raw latencies to a plain list as requests finish (the cheapest thing Python can
do per request) and folds each window's list into a histogram in one numpy pass when the window
closes, so memory grows with the window, never with the run.
"""
from __future__ import annotations

import math
from typing import Iterable

import numpy as np

RELATIVE_ERROR = 0.01
GAMMA = (1 + RELATIVE_ERROR) / (1 - RELATIVE_ERROR)
LOG_GAMMA = math.log(GAMMA)
# Values at or below MIN (1 us) share bucket 0; the top bucket ends past 10**5 s.
MIN_VALUE = 1e-6
N_BUCKETS = int(math.ceil(math.log(1e5 / MIN_VALUE) / LOG_GAMMA)) + 2


def _bucket_value(index: int) -> float:
    if index <= 0:
        return 0.0
    return 2.0 * MIN_VALUE * GAMMA**index / (1.0 + GAMMA)


def bucket_index(values: np.ndarray) -> np.ndarray:
    index = np.ceil(np.log(np.maximum(values, MIN_VALUE) / MIN_VALUE) / LOG_GAMMA).astype(np.int64)
    np.clip(index, 0, N_BUCKETS - 1, out=index)
    return index


class Histogram:
    """Counts, sum, min and max of a stream of non-negative durations in seconds. The counts
    array is allocated on the first value, so empty histograms (idle nodes) cost nothing."""

    __slots__ = ("counts", "n", "total", "max", "min")

    def __init__(self) -> None:
        self.counts: np.ndarray | None = None
        self.n = 0
        self.total = 0.0
        self.max = 0.0
        self.min = math.inf

    def add_many(self, values: Iterable[float] | np.ndarray) -> None:
        arr = np.asarray(values, dtype=float)
        if arr.size:
            self._add(arr, bucket_index(arr))

    def _add(self, arr: np.ndarray, index: np.ndarray) -> None:
        counts = np.bincount(index, minlength=N_BUCKETS)
        if self.counts is None:
            self.counts = counts
        else:
            self.counts += counts
        self.n += int(arr.size)
        self.total += float(arr.sum())
        self.max = max(self.max, float(arr.max()))
        self.min = min(self.min, float(arr.min()))

    def merge(self, other: "Histogram") -> None:
        if other.n == 0:
            return
        if self.counts is None:
            self.counts = other.counts.copy()
        else:
            self.counts += other.counts
        self.n += other.n
        self.total += other.total
        self.max = max(self.max, other.max)
        self.min = min(self.min, other.min)

    @property
    def mean(self) -> float:
        return self.total / self.n if self.n else 0.0

    def quantile(self, q: float) -> float:
        """The nearest-rank q-quantile, within 1%. The exact max and min bound the answer, so
        p100 is the true maximum and a one-value histogram returns that value exactly."""
        if self.n == 0:
            return 0.0
        rank = max(1, math.ceil(q * self.n))
        index = int(np.searchsorted(np.cumsum(self.counts), rank))  # counts exist when n > 0
        return min(self.max, max(self.min, _bucket_value(index)))

    def quantiles(self, qs: Iterable[float]) -> list[float]:
        if self.n == 0:
            return [0.0 for _ in qs]
        cumulative = np.cumsum(self.counts)
        out = []
        for q in qs:
            rank = max(1, math.ceil(q * self.n))
            index = int(np.searchsorted(cumulative, rank))
            out.append(min(self.max, max(self.min, _bucket_value(index))))
        return out

    def summary_ms(self) -> dict[str, float]:
        """Mean, p50, p95, p99 and max in milliseconds, rounded to a microsecond."""
        p50, p95, p99 = self.quantiles((0.5, 0.95, 0.99))
        return {
            "mean": _ms(self.mean),
            "p50": _ms(p50),
            "p95": _ms(p95),
            "p99": _ms(p99),
            "max": _ms(self.max),
        }


def _ms(seconds: float) -> float:
    return round(seconds * 1000.0, 3)


def histograms(lists: list[list[float]]) -> list[Histogram]:
    """One histogram per list, bucketed in a single numpy pass over all of them (a window
    closes with a dozen small lists; one pass instead of a dozen saves most of the cost)."""
    out = [Histogram() for _ in lists]
    flat: list[float] = []
    for values in lists:
        flat += values
    if not flat:
        return out
    arr = np.array(flat, dtype=float)
    index = bucket_index(arr)
    pos = 0
    for hist, values in zip(out, lists):
        n = len(values)
        if n:
            hist._add(arr[pos:pos + n], index[pos:pos + n])
            pos += n
    return out
