"""The statistics of many seeds: textbook methods, named so a reader can look each one up.

- **Interval of a mean** over independent replications (one seed each): Student's t,
  mean ± t(0.975, n-1) · s / √n. The replications are independent and identically distributed
  by construction (seeds give independent random streams), and a run's figure is an average over
  many requests, so its mean is close to normal even over few seeds: the t-interval is the
  standard choice (Law, *Simulation Modeling and Analysis*, ch. 9, "replication/deletion").
- **Band over windows**: at each window, the 2.5th and 97.5th percentiles of the runs' values
  (numpy's linear interpolation) around their median. A band of runs, not of a mean: it is where
  95% of single runs fall, which is what a learner's own run is compared with. With few seeds it is
  close to the runs' minimum and maximum; it says so by being ragged.
- **Seeds needed** for a relative precision r at 95%: the smallest n with
  t(0.975, n-1) · s / √n ≤ r · |mean|, i.e. n ≈ (t · s / (r · mean))², solved by iterating because t
  depends on n (Law's "approximate number of replications").
- **Paired difference** (common random numbers, A and B on the same seeds): the t-interval of
  the mean of the per-seed differences d = b - a. Pairing removes the variance the two runs share
  (the same traffic), so it finds a real difference with far fewer seeds than two independent
  samples would. The relative difference is the ratio of means mean(b)/mean(a) - 1, with a
  delta-method interval: the linearized residuals b - R·a have standard error
  s / (√n · mean(a)) (the classical ratio estimator).
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from .documents import Band, Interval, PairedDifference, Relative

CONFIDENCE = 0.95
BAND = (2.5, 97.5)  # percentiles of the runs: a 95% band
MAX_SUGGESTED_SEEDS = 10_000  # past this the suggestion is "many": the figure barely moves with seeds


def t_quantile(n: int, confidence: float = CONFIDENCE) -> float:
    """Student's t quantile for a two-sided interval over n samples (n - 1 degrees of freedom)."""
    # scipy.special's inverse t distribution (what scipy.stats.t.ppf calls), imported here: it
    # takes 0.7 s, which `python -m lab.sim run` should not pay (scipy.stats would take 1.6 s).
    # scipy ships no type information: it is Any (pyproject.toml's mypy overrides).
    from scipy.special import stdtrit

    return float(stdtrit(n - 1, 0.5 + confidence / 2))


def interval(values: Sequence[float | None], confidence: float = CONFIDENCE,
             bounds: tuple[float | None, float | None] = (None, None)) -> Interval:
    """Median, mean and the Student-t interval of the mean of the values that exist (None is left
    out: a latency of a run in which nothing completed). `bounds` are the figure's own limits (a
    latency is never below 0, an error rate never above 1): the t-interval is symmetric and the
    figure is not, so with few seeds and a wide spread it would reach values the figure cannot
    take; its ends are cut there."""
    xs = [float(v) for v in values if v is not None]
    n = len(xs)
    if n == 0:
        return {"n": 0, "median": None, "mean": None, "low": None, "high": None, "sd": None}
    mean = math.fsum(xs) / n
    median = float(np.median(xs))
    if n == 1:
        return {"n": 1, "median": _r(median), "mean": _r(mean), "low": None, "high": None, "sd": None}
    sd = _sd(xs, mean)
    half = t_quantile(n, confidence) * sd / math.sqrt(n)
    low, high = mean - half, mean + half
    floor, ceiling = bounds
    if floor is not None:
        low = max(low, floor)
    if ceiling is not None:
        high = min(high, ceiling)
    return {"n": n, "median": _r(median), "mean": _r(mean), "low": _r(low), "high": _r(high), "sd": _r(sd)}


def band(rows: Sequence[Sequence[float | None]]) -> Band:
    """Per position (window), the median and the 2.5-97.5 percentile band across the rows (runs).
    Rows of different lengths (a run limited early) are aligned at the start."""
    width = max((len(r) for r in rows), default=0)
    median: list[float | None] = []
    low: list[float | None] = []
    high: list[float | None] = []
    for i in range(width):
        xs = [float(v) for r in rows if i < len(r) and (v := r[i]) is not None]
        if not xs:
            median.append(None)
            low.append(None)
            high.append(None)
            continue
        lo, mid, hi = (_r(float(q)) for q in np.percentile(xs, [BAND[0], 50.0, BAND[1]]))
        median.append(mid)
        low.append(lo)
        high.append(hi)
    return {"median": median, "low": low, "high": high}


def seeds_needed(values: Sequence[float | None], relative_precision: float,
                 confidence: float = CONFIDENCE) -> int | None:
    """The number of seeds whose t-interval's half-width would be `relative_precision` of the
    mean, from the spread measured. None when it cannot be said (fewer than two runs, a mean of
    zero); at least 2 (one seed has no interval)."""
    xs = [float(v) for v in values if v is not None]
    if len(xs) < 2:
        return None
    mean = math.fsum(xs) / len(xs)
    sd = _sd(xs, mean)
    if mean == 0:
        return None
    if sd == 0:
        return 2
    target = relative_precision * abs(mean)
    # Start from the normal approximation, then let t (which shrinks as n grows) settle it.
    n = max(2, math.ceil((1.96 * sd / target) ** 2))
    for _ in range(50):
        if n > MAX_SUGGESTED_SEEDS:
            return MAX_SUGGESTED_SEEDS
        better = max(2, math.ceil((t_quantile(n, confidence) * sd / target) ** 2))
        if better == n:
            break
        n = better
    return min(n, MAX_SUGGESTED_SEEDS)


def paired_difference(a: Sequence[float | None], b: Sequence[float | None],
                      confidence: float = CONFIDENCE) -> PairedDifference:
    """The paired comparison of B against A over the seeds where both have the figure:
    `difference` (an Interval of b - a), `relative` (mean(b)/mean(a) - 1 with its delta-method
    interval, or None when A's mean is 0) and `n`."""
    pairs = [(float(x), float(y)) for x, y in zip(a, b) if x is not None and y is not None]
    n = len(pairs)
    diffs = [y - x for x, y in pairs]
    out: PairedDifference = {"n": n, "difference": interval(diffs, confidence), "relative": None}
    if n < 1:
        return out
    mean_a = math.fsum(x for x, _ in pairs) / n
    mean_b = math.fsum(y for _, y in pairs) / n
    if mean_a == 0:
        return out
    ratio = mean_b / mean_a
    rel: Relative = {"mean": _r(ratio - 1.0), "low": None, "high": None}
    if n >= 2:
        residuals = [y - ratio * x for x, y in pairs]
        se = _sd(residuals, math.fsum(residuals) / n) / (math.sqrt(n) * abs(mean_a))
        half = t_quantile(n, confidence) * se
        rel["low"], rel["high"] = _r(ratio - 1.0 - half), _r(ratio - 1.0 + half)
    out["relative"] = rel
    return out


def _sd(xs: Sequence[float], mean: float) -> float:
    """The sample standard deviation (n - 1), exactly 0 when every value is the same."""
    if all(x == xs[0] for x in xs):
        return 0.0
    return math.sqrt(math.fsum((x - mean) ** 2 for x in xs) / (len(xs) - 1))


def _r(x: float) -> float:
    """Rounded to 9 significant digits: the runs' figures carry no more, and the documents stay
    byte-stable across platforms' last-digit differences."""
    if x == 0 or not math.isfinite(x):
        return x
    return round(x, 8 - int(math.floor(math.log10(abs(x)))))
