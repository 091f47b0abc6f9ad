"""A traffic source's rate curves: the rate at any moment for each pattern (steady, ramp, spike,
diurnal, schedule), its peak, and the requests expected up to a moment (the integral of the
rate, which the source inverts to place arrivals). Pure functions of the source's parameters, so
validation, budgets and the API's preview use them without a simulation."""
from __future__ import annotations

import bisect
import math
from typing import Any

MAX_RATE_PER_S = 200_000.0

PATTERNS = ("steady", "ramp", "spike", "diurnal", "schedule")


def rate_at(p: dict[str, Any], t: float) -> float:
    """Requests per second at time `t` for a source with parameters `p`."""
    base = p["rate_per_s"]
    pattern = p["pattern"]
    if pattern == "steady":
        return base
    if pattern == "ramp":
        start, span = p["ramp_start_s"], p["ramp_duration_s"]
        if t <= start:
            return base
        if span <= 0 or t >= start + span:
            return p["ramp_to_per_s"]
        return base + (p["ramp_to_per_s"] - base) * (t - start) / span
    if pattern == "spike":
        start = p["spike_start_s"]
        return p["spike_rate_per_s"] if start <= t < start + p["spike_duration_s"] else base
    if pattern == "diurnal":
        # Lowest at t = 0 (night), highest half a period later.
        phase = 2.0 * math.pi * t / p["diurnal_period_s"]
        return base * (1.0 - p["diurnal_amplitude"] * math.cos(phase))
    rate = base
    for at, value in p["schedule"]:
        if at > t:
            break
        rate = value
    return rate


def rate_preview(p: dict[str, Any], until_s: float, points: int = 200) -> list[tuple[float, float]]:
    """The rate curve sampled at `points` times from 0 to `until_s`, for the editor."""
    step = until_s / max(1, points - 1)
    return [(round(i * step, 6), rate_at(p, i * step)) for i in range(points)]


def peak_rate(p: dict[str, Any]) -> float:
    """The highest rate the curve of a source with parameters `p` reaches, in requests/s. The
    arrivals' thinning draws candidates at it; the validator and run budgets bound a run by it."""
    base = p["rate_per_s"]
    pattern = p["pattern"]
    if pattern == "ramp":
        return max(base, p["ramp_to_per_s"])
    if pattern == "spike":
        return max(base, p["spike_rate_per_s"])
    if pattern == "diurnal":
        return base * (1.0 + p["diurnal_amplitude"])
    if pattern == "schedule":
        return max([base] + [v for _, v in p["schedule"]])
    return base


Table = tuple[list[float], list[float], list[float]]


def cumulative(p: dict[str, Any], t: float, table: Table | None = None) -> float:
    """Expected requests from time 0 to `t` for a source with parameters `p`: the integral of
    the rate curve, in closed form for each pattern. (`table` is `schedule_table(p)`, passed by
    a running source so it is built once.)"""
    base = p["rate_per_s"]
    pattern = p["pattern"]
    if pattern == "steady":
        return base * t
    if pattern == "ramp":
        start, span, to = p["ramp_start_s"], p["ramp_duration_s"], p["ramp_to_per_s"]
        if t <= start:
            return base * t
        if t >= start + span:
            return base * start + (base + to) * span / 2.0 + to * (t - start - span)
        x = t - start
        return base * start + base * x + (to - base) * x * x / (2.0 * span)
    if pattern == "spike":
        start, span = p["spike_start_s"], p["spike_duration_s"]
        overlap = max(0.0, min(t, start + span) - start)
        return base * t + (p["spike_rate_per_s"] - base) * overlap
    if pattern == "diurnal":
        period, amp = p["diurnal_period_s"], p["diurnal_amplitude"]
        return base * (t - amp * period / (2.0 * math.pi) * math.sin(2.0 * math.pi * t / period))
    knots, totals, rates = table if table is not None else schedule_table(p)
    i = bisect.bisect_right(knots, t) - 1
    return totals[i] + rates[i] * (t - knots[i])


def schedule_table(p: dict[str, Any]) -> Table:
    """Cumulative requests at each schedule point, so `cumulative` is a bisection away."""
    knots, totals, rates = [0.0], [0.0], [p["rate_per_s"]]
    for at, value in p["schedule"]:
        at = float(at)
        if at <= knots[-1]:
            rates[-1] = value  # a point at time 0 replaces the base rate
            continue
        totals.append(totals[-1] + rates[-1] * (at - knots[-1]))
        knots.append(at)
        rates.append(value)
    return knots, totals, rates
