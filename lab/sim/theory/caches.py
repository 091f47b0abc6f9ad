"""Caches (Che's LRU approximation under Zipf keys) and function cold starts."""
from __future__ import annotations

import math
import operator
from collections.abc import Sequence
from itertools import repeat

from .base import whole_count, is_real, non_negative, positive

# --------------------------------------------------------------------------
# Caches
# --------------------------------------------------------------------------


def zipf_popularities(n_keys: int, exponent: float) -> list[float]:
    """Zipf request probabilities: p_i = i**-s / sum_j j**-s, for i = 1..n_keys.

    Key 1 is the most popular.  exponent s = 0 gives the uniform distribution;
    web and cache workloads typically have s between 0.6 and 1.2.
    """
    n = whole_count("n_keys", n_keys, 1, "the number of distinct keys")
    s = non_negative("exponent", exponent, "the Zipf exponent s; 0 means uniform")
    weights = [i**-s for i in range(1, n + 1)]
    # fsum: the normalizing constant is a long sum of shrinking terms.
    total = math.fsum(weights)
    return [w / total for w in weights]


def _popularities(popularities: Sequence[float]) -> list[float]:
    values = list(popularities)
    if not values:
        raise ValueError("popularities is empty: give one request probability per key")
    # Fast path in C (fsum, min) for the common valid case; only when that
    # fails do we walk the list in Python to name the offending entry.
    try:
        total = math.fsum(values)
        smallest = min(values)
    except TypeError:
        total, smallest = math.nan, math.nan
    if not (math.isfinite(total) and smallest >= 0):
        for i, p in enumerate(values):
            if not (is_real(p) and math.isfinite(p) and p >= 0):
                raise ValueError(
                    f"popularities[{i}] is {p!r}, but a request probability must be a finite number >= 0"
                )
    if abs(total - 1.0) > 1e-9:
        raise ValueError(
            f"popularities must sum to 1 (they are request probabilities), but they sum to "
            f"{total:.6g}; divide each by their total first"
        )
    # Renormalize away the last rounding error so the probabilities sum to 1
    # as exactly as floats allow.
    return [p / total for p in values]


def che_characteristic_time(popularities: Sequence[float], capacity: int) -> float:
    """Che's characteristic time T of an LRU cache, in *requests*.

    Independent reference model: each request is for key i with probability
    p_i, independently.  Che's approximation says key i is in the cache iff it
    was requested within the last T requests, where T solves
        sum_i (1 - exp(-p_i * T)) = capacity.
    (Divide by the request rate to get T in seconds.)  Capacity 0 gives T = 0.

    The left side rises from 0 to the number of keys with p_i > 0, so a unique
    root exists when 0 < capacity < that number; a capacity that holds every
    requested key raises ValueError (the hit ratio is then simply 1 after
    warm-up, and there is no T).
    """
    probs, c = _che_inputs(popularities, capacity)
    return _che_time(probs, c)


def _che_inputs(popularities: Sequence[float], capacity: int) -> tuple[list[float], int]:
    probs = _popularities(popularities)
    c = whole_count("capacity", capacity, 0, "how many keys the cache holds")
    n = len(probs)
    if c >= n:
        raise ValueError(
            f"the cache holds {c} keys but there are only {n}, so after warm-up every request "
            "hits; use a capacity below the number of keys"
        )
    positive = [p for p in probs if p > 0.0]
    if c >= len(positive):
        raise ValueError(
            f"only {len(positive)} of the {n} keys are ever requested (the rest have popularity 0), "
            f"so a cache of {c} holds all of them and every request hits after warm-up; "
            f"use a capacity below {len(positive)}"
        )
    # Keys that are never requested are never cached and never hit: drop them.
    return positive, c


def _che_time(probs: list[float], c: int) -> float:
    """Solve sum_i (1 - exp(-p_i T)) = c for T, with every p_i > 0 and 0 <= c < len(probs).

    g(T) = sum_i (1 - exp(-p_i T)) - c is increasing and *concave* in T.
    Newton's method on a concave increasing function started left of the
    root never overshoots: the tangent lies above g, so each step lands
    between the current point and the root, and the iterates rise
    monotonically to it (quadratically at the end).  No bracketing or
    damping is needed, and there is no way to diverge.

    Start: since 1 - exp(-p T) is concave in p, Jensen gives
    g(T) <= n (1 - exp(-T / n)) - c, so T0 = -n ln(1 - c / n) is a valid
    starting point left of the root (and the exact root for uniform
    popularity).  Typically 3-10 steps; about 20 for a cache one key short of
    holding everything.  Each step is a pass over the keys with map() so the
    loop runs in C (about 15 ms for 1e5 keys).
    """
    if c == 0:
        return 0.0
    n = len(probs)
    neg = [-p for p in probs]
    t = -n * math.log1p(-c / n)
    for _ in range(1000):
        neg_x = list(map(operator.mul, neg, repeat(t)))
        # expm1 keeps 1 - exp(-x) accurate when x is tiny (unpopular keys);
        # fsum because c can be a small difference of large sums.
        excess = -math.fsum(map(math.expm1, neg_x)) - c
        if excess >= 0.0:
            break  # at the root (rounding can put us a hair past it)
        slope = -sum(map(operator.mul, neg, map(math.exp, neg_x)))  # sum p_i exp(-p_i T) > 0
        step = -excess / slope
        if step <= 4.0 * math.ulp(t):
            break
        t += step
    return t


def che_lru_hit_ratio(popularities: Sequence[float], capacity: int) -> float:
    """LRU hit ratio by Che's approximation under the independent reference model.

    With T from ``che_characteristic_time``:
        hit ratio = sum_i p_i * (1 - exp(-p_i * T)).
    For uniform popularity this is exactly capacity / n_keys.  Che's
    approximation is known to be very accurate for LRU (errors typically
    well under 1%), but it is an approximation, not the exact LRU value.
    Capacity 0 gives 0 (an empty cache never hits); a capacity that holds
    every key raises ValueError (see ``che_characteristic_time``).
    """
    probs, c = _che_inputs(popularities, capacity)
    t = _che_time(probs, c)
    if t == 0.0:
        return 0.0
    neg_x = map(operator.mul, probs, repeat(-t))
    return -math.fsum(map(operator.mul, probs, map(math.expm1, neg_x)))


def cold_start_fraction(arrival_rate: float, idle_timeout_s: float) -> float:
    """Fraction of Poisson arrivals that find a single function instance reclaimed.

    The instance is reclaimed after idle_timeout_s without a request, so an
    arrival is cold iff the gap since the previous arrival exceeds the
    timeout: P(gap > tau) = exp(-lambda * tau) for exponential gaps.
    Assumes one instance and execution time negligible next to the gaps
    (the idle timer effectively starts at the previous arrival).
    """
    lam = positive("arrival_rate", arrival_rate, "requests per second")
    tau = non_negative("idle_timeout_s", idle_timeout_s, "seconds an idle instance is kept")
    return math.exp(-lam * tau)
