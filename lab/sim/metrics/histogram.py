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
import struct
from typing import Iterable

import numpy as np

from .documents import LatencySummary

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
    # In place after the first step: the same operations in the same order as
    # ceil(log(max(v, MIN) / MIN) / log(g)), without an array allocated per step.
    scaled = np.maximum(values, MIN_VALUE)
    scaled /= MIN_VALUE
    np.log(scaled, out=scaled)
    scaled /= LOG_GAMMA
    np.ceil(scaled, out=scaled)
    index = scaled.astype(np.int64)
    np.clip(index, 0, N_BUCKETS - 1, out=index)
    return index


class Histogram:
    """Counts, sum, min and max of a stream of non-negative durations in seconds. The counts
    array is allocated on the first value, so empty histograms (idle nodes) cost nothing."""

    __slots__ = ("counts", "n", "total", "max", "min", "_summary")

    def __init__(self) -> None:
        self._summary: LatencySummary | None = None
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
        self._summary = None
        counts = np.bincount(index, minlength=N_BUCKETS)
        if self.counts is None:
            self.counts = counts
        else:
            self.counts += counts
        self.n += int(arr.size)
        self.total += float(arr.sum())
        self.max = max(self.max, float(arr.max()))
        self.min = min(self.min, float(arr.min()))

    def add_zeros(self, count: int) -> None:
        """Add `count` values of exactly 0 (requests that did not wait), without a list of them."""
        if count <= 0:
            return
        self._summary = None
        if self.counts is None:
            self.counts = np.zeros(N_BUCKETS, dtype=np.int64)
        self.counts[0] += count
        self.n += count
        self.min = 0.0

    def merge(self, other: "Histogram") -> None:
        if other.n == 0:
            return
        self._summary = None
        if self.counts is None:
            self.counts = _counts(other).copy()
        else:
            self.counts += _counts(other)
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
        index = int(np.searchsorted(np.cumsum(_counts(self)), rank))
        return min(self.max, max(self.min, _bucket_value(index)))

    def quantiles(self, qs: Iterable[float]) -> list[float]:
        qs = list(qs)
        if self.n == 0:
            return [0.0 for _ in qs]
        ranks = [max(1, math.ceil(q * self.n)) for q in qs]
        # One search for every rank: the first bucket whose running count reaches it.
        indexes = _counts(self).cumsum().searchsorted(ranks).tolist()
        return [min(self.max, max(self.min, _bucket_value(index))) for index in indexes]

    def summary_ms(self) -> LatencySummary:
        """Mean, p50, p95, p99 and max in milliseconds, rounded to a microsecond."""
        if self._summary is not None:
            return self._summary
        p50, p95, p99 = self.quantiles((0.5, 0.95, 0.99))
        return {
            "mean": _ms(self.mean),
            "p50": _ms(p50),
            "p95": _ms(p95),
            "p99": _ms(p99),
            "max": _ms(self.max),
        }


def _counts(hist: Histogram) -> np.ndarray:
    """The counts of a histogram that has values: they exist once `n` > 0 (every caller has
    checked `n`)."""
    counts = hist.counts
    if counts is None:
        raise ValueError("an empty histogram has no counts")
    return counts


def _ms(seconds: float) -> float:
    return round(seconds * 1000.0, 3)


def histograms(lists: list[list[float]], zeros: list[int] | None = None) -> list[Histogram]:
    """One histogram per list, with its summary, computed in a handful of numpy calls over all
    the lists at once: a window closes with a dozen small lists, and numpy's cost is mostly per
    call, not per value. `zeros[i]`, when given, adds that many values of exactly 0 to list i's
    histogram without a list of them (the requests that did not wait)."""
    out = [Histogram() for _ in lists]
    extra = zeros or [0] * len(lists)
    flat: list[float] = []
    rows: list[int] = []
    starts: list[int] = []
    sizes: list[int] = []
    for row, values in enumerate(lists):
        if values:
            rows.append(row)
            starts.append(len(flat))
            sizes.append(len(values))
            flat += values
        elif extra[row] > 0:
            hist = out[row]  # only zeros: nothing to bucket, and every figure is 0
            hist.add_zeros(extra[row])
            hist._summary = {"mean": 0.0, "p50": 0.0, "p95": 0.0, "p99": 0.0, "max": 0.0}
    if not flat:
        return out
    # struct packs a list of floats into doubles twice as fast as np.fromiter reads it, and
    # exactly: each Python float is a double already.
    arr = np.frombuffer(struct.pack(f"{len(flat)}d", *flat), dtype=float)
    k = len(rows)
    # Bucket every value, offset by its list's row, and count all rows with one bincount.
    offsets = np.arange(0, k * N_BUCKETS, N_BUCKETS)
    index = bucket_index(arr)
    index += np.repeat(offsets, sizes)
    counts = np.bincount(index, minlength=k * N_BUCKETS).reshape(k, N_BUCKETS)
    totals = np.add.reduceat(arr, starts)
    maxima = np.maximum.reduceat(arr, starts)
    minima = np.minimum.reduceat(arr, starts)
    implicit_list = [extra[row] for row in rows]
    implicit = np.array(implicit_list, dtype=np.int64)
    # One conversion to Python numbers per array, not one per row and figure.
    for i, row, n_i, total, high, low, zeros_i in zip(range(k), rows, sizes, totals.tolist(), maxima.tolist(),
                                                      minima.tolist(), implicit_list):
        hist = out[row]
        hist.counts = counts[i]
        hist.n = n_i
        hist.total = total
        hist.max = high
        hist.min = low
        if zeros_i:
            hist.add_zeros(zeros_i)
    # The nearest-rank q-quantile's bucket is the bucket of the rank-th smallest value, so the
    # sorted bucket indexes give every row's quantiles without a cumulative sum over all the
    # buckets (what `summarize` does for histograms that no longer have their values). The
    # three quantiles are the three rows of each array below.
    ordered = np.sort(index.astype(np.int32))  # k * N_BUCKETS is far below 2**31; int32 sorts faster
    n = (np.asarray(sizes) + implicit).astype(float)
    lows = np.where(implicit > 0, 0.0, minima)  # the zeros, where there are any, are the minimum
    rank = np.maximum(1.0, np.ceil(_QUANTILES * n)).astype(np.int64)
    among_values = rank - implicit  # the zeros come first
    at = np.maximum(among_values, 1)
    at += np.asarray(starts) - 1
    bucket = np.where(among_values > 0, ordered[at] - offsets, 0)
    value = np.where(bucket > 0, 2.0 * MIN_VALUE * GAMMA ** bucket.astype(float) / (1.0 + GAMMA), 0.0)
    quantiles = np.minimum(maxima, np.maximum(lows, value))
    _keep_summaries([out[row] for row in rows], quantiles.tolist())
    return out


_QUANTILES = np.array([[0.5], [0.95], [0.99]])  # p50, p95 and p99, one row each


def _keep_summaries(hists: list[Histogram], quantiles: list[list[float]]) -> None:
    # round(x * 1000.0, 3) written out, as `_ms` does: a call per figure is a fifth of the cost.
    for hist, p50, p95, p99 in zip(hists, quantiles[0], quantiles[1], quantiles[2]):
        hist._summary = {
            "mean": round(hist.total / hist.n * 1000.0, 3),
            "p50": round(p50 * 1000.0, 3),
            "p95": round(p95 * 1000.0, 3),
            "p99": round(p99 * 1000.0, 3),
            "max": round(hist.max * 1000.0, 3),
        }


def summarize(hists: list[Histogram]) -> None:
    """Compute and keep `summary_ms()` of several non-empty histograms in one pass."""
    if not hists:
        return
    cumulative = np.cumsum(np.stack([_counts(h) for h in hists]), axis=1)
    n = np.array([h.n for h in hists], dtype=float)
    lows = np.array([h.min for h in hists])
    highs = np.array([h.max for h in hists])
    quantiles = []
    for q in (0.5, 0.95, 0.99):
        rank = np.maximum(1.0, np.ceil(q * n))
        index = (cumulative < rank[:, None]).sum(axis=1)  # first bucket whose count reaches the rank
        value = np.where(index > 0, 2.0 * MIN_VALUE * GAMMA ** index.astype(float) / (1.0 + GAMMA), 0.0)
        quantiles.append(np.minimum(highs, np.maximum(lows, value)).tolist())
    _keep_summaries(hists, quantiles)
