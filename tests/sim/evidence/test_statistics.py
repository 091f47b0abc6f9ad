"""The statistics against textbook values."""
from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy import stats

from lab.sim.evidence.statistics import band, interval, paired_difference, seeds_needed


def test_the_interval_of_a_mean_is_student_t() -> None:
    xs = [9.1, 10.4, 11.0, 9.8, 10.9, 10.2]
    low, high = stats.t.interval(0.95, len(xs) - 1, loc=np.mean(xs), scale=stats.sem(xs))
    figure = interval(xs)
    assert math.isclose(figure["low"], low, rel_tol=1e-7) and math.isclose(figure["high"], high, rel_tol=1e-7)
    assert figure["median"] == float(np.median(xs))


def test_one_run_has_a_mean_but_no_interval_and_missing_values_are_left_out() -> None:
    assert interval([None, 4.0]) == {"n": 1, "median": 4.0, "mean": 4.0, "low": None, "high": None, "sd": None}


def test_the_band_is_the_runs_2_5_to_97_5_percentiles_per_window() -> None:
    rows = [[float(i), None] for i in range(41)]
    b = band(rows)
    assert b["median"] == [20.0, None] and b["low"] == [1.0, None] and b["high"] == [39.0, None]


def test_seeds_needed_meets_the_precision_it_promises() -> None:
    rng = np.random.default_rng(5)
    xs = list(rng.normal(100.0, 10.0, 10))
    n = seeds_needed(xs, 0.02)
    sd = float(np.std(xs, ddof=1))
    assert stats.t.ppf(0.975, n - 1) * sd / math.sqrt(n) <= 0.02 * np.mean(xs)
    assert stats.t.ppf(0.975, n - 2) * sd / math.sqrt(n - 1) > 0.02 * np.mean(xs)


def test_a_paired_difference_is_the_t_interval_of_the_differences() -> None:
    a = [10.0, 12.0, 11.0, 13.0]
    b = [7.1, 8.2, 7.9, 9.0]
    paired = paired_difference(a, b)
    d = [y - x for x, y in zip(a, b)]
    low, high = stats.t.interval(0.95, 3, loc=np.mean(d), scale=stats.sem(d))
    assert math.isclose(paired["difference"]["low"], low, rel_tol=1e-7)
    assert math.isclose(paired["relative"]["mean"], np.mean(b) / np.mean(a) - 1, rel_tol=1e-7)
    assert paired["relative"]["low"] < paired["relative"]["mean"] < paired["relative"]["high"] < 0


def test_an_interval_stops_where_the_figure_does_two_seeds_of_a_latency_never_reach_below_zero() -> None:
    # Two seeds far apart: mean 55, half-width t(0.975, 1) * 63.6 / sqrt(2) = 571, so the t-interval
    # would run from -516 ms to 626 ms. A latency cannot be negative, an error rate cannot pass 1.
    latency = interval([10.0, 100.0], bounds=(0.0, None))
    assert latency["low"] == 0.0 and math.isclose(latency["high"], 55.0 + stats.t.ppf(0.975, 1) * 45.0, rel_tol=1e-7)
    errors = interval([0.1, 0.9], bounds=(0.0, 1.0))
    assert errors["low"] == 0.0 and errors["high"] == 1.0
    assert interval([10.0, 100.0])["low"] < 0  # a difference has no such limit


def test_every_figure_of_a_group_of_runs_keeps_its_intervals_inside_its_limits() -> None:
    from lab.sim.evidence.combine import metric_intervals, node_intervals
    from lab.sim.evidence.running import METRICS

    def summary(scale: float) -> Any:
        figures = {m: scale for m in METRICS}
        figures["error_rate"] = 0.5 + scale / 250.0
        return {"metrics": figures, "nodes": {"db": {"utilization": 0.5 + scale / 250.0, "latency_mean_ms": scale}}}

    group = [summary(1.0), summary(120.0)]
    figures = metric_intervals(group)
    assert all(figures[m]["low"] == 0.0 for m in METRICS)
    assert figures["error_rate"]["high"] == 1.0 and figures["latency_p95_ms"]["high"] > 1.0
    db = node_intervals(group)["db"]
    assert db["utilization"]["low"] == 0.0 and db["utilization"]["high"] == 1.0 and db["latency_mean_ms"]["low"] == 0.0
