"""A load sweep of M/M/1 against queueing theory: at each load the mean latency's 95% interval
over the seeds covers 1 / (mu - lambda), allowing the stated coverage."""
from __future__ import annotations

from lab.sim import theory
from lab.sim.evidence import aggregate_sweep, plan_sweep, run_plans

from .world import queue

MU = 1000.0  # 1 ms exponential service
LOADS = [200.0, 400.0, 600.0, 750.0]


def test_the_mean_latency_of_an_mm1_load_sweep_lies_in_its_bands_around_theory() -> None:
    plan = plan_sweep(queue(100.0, 1.0, duration=30, warmup=3),
                      {"axes": [{"workload": "rate_per_s", "values": LOADS}], "seeds": 8})
    doc = aggregate_sweep(plan, run_plans(plan.runs, workers=2))
    outside = []
    for point in doc["points"]:
        rate = point["values"]["workload.rate_per_s"]
        expected_ms = theory.mm1(rate, MU).mean_sojourn_s * 1000
        figure = point["nodes"]["app"]["latency_mean_ms"]
        assert figure["n"] == 8
        # Narrow enough to catch a real bias (a 12% error would show).
        assert figure["high"] - figure["low"] < 0.25 * expected_ms, (rate, figure)
        if not figure["low"] <= expected_ms <= figure["high"]:
            outside.append((rate, expected_ms, figure))
    # 95% intervals: with 4 points, at most one may miss by chance (P(2 or more) = 1.4%).
    assert len(outside) <= 1, outside


def test_the_utilization_of_each_point_is_close_to_lambda_over_mu() -> None:
    plan = plan_sweep(queue(100.0, 1.0, duration=10, warmup=1),
                      {"axes": [{"workload": "rate_per_s", "values": [300.0, 600.0]}], "seeds": 3})
    doc = aggregate_sweep(plan, run_plans(plan.runs, workers=1))
    for point in doc["points"]:
        rho = point["values"]["workload.rate_per_s"] / MU
        assert abs(point["nodes"]["app"]["utilization"]["mean"] - rho) < 0.03
