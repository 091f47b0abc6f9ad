"""Paired A/B comparisons: an A/A comparison calls a difference at its stated error rate, and a
real difference is found with the right sign and words."""
from __future__ import annotations

import copy
from typing import Any

from lab.sim import load
from lab.sim.evidence import aggregate_comparison, plan_comparison, run_plans

from .world import queue

REPETITIONS = 40


def _renamed(topology: dict[str, Any], old: str, new: str) -> dict[str, Any]:
    """The same design with a node renamed: its random streams are named after it, so its
    service times are independent of A's while the source's arrivals stay the same."""
    doc = copy.deepcopy(topology)
    for node in doc["nodes"]:
        if node["id"] == old:
            node["id"] = node["label"] = new
    for edge in doc["edges"]:
        edge["from"] = new if edge["from"] == old else edge["from"]
        edge["to"] = new if edge["to"] == old else edge["to"]
    return load(doc)


def test_an_a_a_comparison_says_no_difference_at_the_stated_error_rate() -> None:
    a = queue(500.0, 1.0, duration=6, warmup=1)
    b = _renamed(a, "app", "app2")
    runs, plans = [], []
    for rep in range(REPETITIONS):
        seeds = [1000 + rep * 5 + i for i in range(5)]
        plan = plan_comparison(a, b, seeds)
        plans.append(plan)
        runs += plan.runs
    summaries = run_plans(runs, workers=2)
    false_positives = 0
    for i, plan in enumerate(plans):
        doc = aggregate_comparison(plan, summaries[i * 10:(i + 1) * 10])
        figure = doc["metrics"]["latency_mean_ms"]
        assert figure["difference"]["sd"] > 0  # independent service times: not a trivial A/A
        if figure["significant"]:
            false_positives += 1
        else:
            assert figure["verdict"] == "mean latency: no difference we can see with 5 seeds"
    # Binomial(40, 0.05): 7 or more false positives has probability 0.3%; the seeds are fixed.
    assert false_positives <= 6, false_positives


def test_an_identical_design_is_the_same_on_every_seed() -> None:
    a = queue(500.0, 1.0, duration=4, warmup=1)
    plan = plan_comparison(a, a, 3)
    doc = aggregate_comparison(plan, run_plans(plan.runs, workers=1))
    assert doc["metrics"]["latency_p95_ms"]["verdict"] == "p95 latency: the same in A and B on every seed"


def test_four_workers_beat_two_at_high_load_with_the_right_sign() -> None:
    a = queue(180.0, 10.0, workers=2, duration=15, warmup=2)  # rho 0.9
    b = queue(180.0, 10.0, workers=4, duration=15, warmup=2)  # rho 0.45
    plan = plan_comparison(a, b, 5)
    doc = aggregate_comparison(plan, run_plans(plan.runs, workers=2))
    p95 = doc["metrics"]["latency_p95_ms"]
    assert p95["significant"] and p95["better"] == "b"
    assert p95["relative"]["high"] < 0 and p95["difference"]["high"] < 0
    assert p95["verdict"].startswith("B's p95 latency is ") and "% lower (" in p95["verdict"]
    assert doc["pairs"] == 5


def test_a_comparison_runs_b_for_as_long_as_a_and_says_so() -> None:
    a = queue(100.0, 1.0, duration=4, warmup=1)
    b = queue(100.0, 1.0, duration=8, warmup=1)
    plan = plan_comparison(a, b, 2)
    assert plan.topologies["b"]["settings"]["duration_s"] == 4
    assert "B runs with A's duration" in plan.notes[0]
