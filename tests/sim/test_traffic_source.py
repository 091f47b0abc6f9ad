"""The traffic source: arrival processes, rate curves and class mixes."""
from __future__ import annotations

import math
from typing import Any

import pytest

from lab.sim import Simulation

from .component_world import READ_WRITE, pool, simulate, sink, source, topology


def rate_curve(**params: Any) -> Any:
    sim = Simulation(topology([source(100.0, **params), pool()], [("users", "app")]))
    return sim.nodes["users"].rate_at


def test_a_ramp_holds_its_base_rate_then_climbs_linearly_then_holds_its_target() -> None:
    rate_at = rate_curve(pattern="ramp", ramp_to_per_s=300, ramp_start_s=10, ramp_duration_s=20)
    assert [rate_at(t) for t in (0, 10, 15, 20, 30, 100)] == pytest.approx([100, 100, 150, 200, 300, 300])


def test_a_spike_lasts_from_its_start_for_its_duration() -> None:
    rate_at = rate_curve(pattern="spike", spike_rate_per_s=500, spike_start_s=10, spike_duration_s=5)
    assert [rate_at(t) for t in (0, 9.999, 10, 14.999, 15, 50)] == [100, 100, 500, 500, 100, 100]


def test_a_diurnal_curve_is_lowest_at_midnight_and_highest_half_a_period_later() -> None:
    rate_at = rate_curve(pattern="diurnal", diurnal_period_s=100, diurnal_amplitude=0.5)
    assert [rate_at(t) for t in (0, 25, 50, 75, 100)] == pytest.approx([50, 100, 150, 100, 50])


def test_a_schedule_holds_each_rate_until_the_next_point() -> None:
    rate_at = rate_curve(pattern="schedule", schedule=[[0, 10], [5, 50], [20, 0]])
    assert [rate_at(t) for t in (0, 4.999, 5, 19.999, 20, 1000)] == [10, 10, 50, 50, 0, 0]


def test_steady_poisson_arrivals_count_is_within_four_standard_deviations_of_rate_times_time() -> None:
    results = simulate(topology([source(2000.0), sink()], [("users", "app")]), 50.0)
    expected = 2000.0 * 50.0
    assert abs(results["requests"]["created"] - expected) < 4 * math.sqrt(expected)


def test_a_poisson_ramp_sends_the_integral_of_its_rate_curve() -> None:
    src = source(100.0, pattern="ramp", ramp_to_per_s=500, ramp_start_s=0, ramp_duration_s=50)
    results = simulate(topology([src, sink()], [("users", "app")]), 50.0)
    expected = (100 + 500) / 2 * 50
    assert abs(results["requests"]["created"] - expected) < 4 * math.sqrt(expected)


def test_the_mix_sets_each_class_share_of_the_requests() -> None:
    src = source(2000.0, mix={"read": 3, "write": 1})
    results = simulate(topology([src, sink()], [("users", "app")], classes=READ_WRITE), 20.0)
    classes = results["measured"]["classes"]
    n = results["requests"]["created"]
    assert classes["read"]["arrivals"] + classes["write"]["arrivals"] == n
    assert abs(classes["write"]["arrivals"] / n - 0.25) < 4 * math.sqrt(0.25 * 0.75 / n)


def arrival_times(topo: dict[str, Any], until: float) -> list[float]:
    results = simulate(topo, until, trace_every=1, trace_cap=100_000)
    assert results["requests"]["failed"] == 0
    return sorted(t["start_s"] for t in results["traces"]["sampled"])


def test_constant_arrivals_are_evenly_spaced() -> None:
    times = arrival_times(topology([source(10.0, arrival="constant"), sink()], [("users", "app")]), 20.05)
    assert len(times) == 200
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert gaps == pytest.approx([0.1] * len(gaps), abs=2e-6)


def test_constant_arrivals_on_a_ramp_from_zero_send_the_integral_of_the_rate() -> None:
    # From 0 to 200 requests/s over 30 s, then 200/s for 30 s more: 3,000 + 6,000 requests.
    src = source(0.0, arrival="constant", pattern="ramp", ramp_to_per_s=200, ramp_start_s=0, ramp_duration_s=30)
    results = simulate(topology([src, sink()], [("users", "app")]), 60.0)
    assert results["requests"]["created"] == pytest.approx(9000, rel=0.05)


def test_constant_arrivals_follow_a_diurnal_curve_that_touches_zero() -> None:
    # Amplitude 1 swings from 0 to twice the base rate: on average the base rate.
    src = source(100.0, arrival="constant", pattern="diurnal", diurnal_period_s=20, diurnal_amplitude=1.0)
    results = simulate(topology([src, sink()], [("users", "app")]), 60.0)
    assert results["requests"]["created"] == pytest.approx(6000, rel=0.05)


# ---------------------------------------------------------------- load balancer
