"""The knee of a load curve in words, and the Pareto front."""
from __future__ import annotations

from lab.sim.evidence import aggregate_sweep, pareto_front, plan_sweep, run_plans
from lab.sim.evidence.knee import knee

from .world import app_and_database


def test_the_knee_sentence_names_the_database_when_it_saturates_first() -> None:
    plan = plan_sweep(app_and_database(100.0),
                      {"axes": [{"workload": "rate_per_s", "values": [150, 300, 420, 480, 540]}], "seeds": 2})
    doc = aggregate_sweep(plan, run_plans(plan.runs, workers=2), threshold=100.0)
    k = doc["knee"]
    assert k["saturates_first"] == "db"
    assert k["direction"] == "rises" and 420 < k["value"] < 540
    assert k["sentence"].startswith("p99 latency stays under 100 ms up to about ")
    assert k["sentence"].endswith("requests/s; past that Database (db) saturates first")


def test_the_knee_is_interpolated_between_the_measured_points() -> None:
    k = knee([100, 200, 300], [50, 150, 350], metric="latency_p99_ms", threshold=200, labels={},
             nodes={"db": {"utilization": [0.3, 0.6, 0.99]}, "app": {"utilization": [0.2, 0.4, 0.6]}},
             axis_param="rate_per_s", axis_unit="requests/s")
    assert k["value"] == 225.0
    assert k["sentence"] == "p99 latency stays under 200 ms up to about 225 requests/s; past that db saturates first"


def test_a_curve_that_falls_with_more_instances_says_from_where_it_is_under() -> None:
    k = knee([1, 2, 4], [900, 300, 100], metric="latency_p99_ms", threshold=200, labels={"app": "App"},
             nodes={"app": {"utilization": [1.0, 0.7, 0.35]}}, axis_param="instances", axis_unit=None)
    assert k["direction"] == "falls" and k["value"] == 3.0
    assert k["sentence"] == ("p99 latency falls under 200 ms from about instances = 3 on; "
                             "below that App (app) saturates first")


def test_a_curve_that_never_crosses_names_the_busiest_node() -> None:
    k = knee([100, 200], [20, 40], metric="latency_p99_ms", threshold=200, labels={},
             nodes={"db": {"utilization": [0.3, 0.6]}}, axis_param="rate_per_s", axis_unit="requests/s")
    assert k["value"] is None and k["busiest"] == "db"
    assert k["sentence"] == ("p99 latency stays under 200 ms over the whole range measured (from 100 requests/s "
                             "to 200 requests/s); the busiest node is db (utilization 0.60 at 200 requests/s)")


def test_the_pareto_front_keeps_only_points_nothing_beats_on_both() -> None:
    points = [(1.0, 300.0), (2.0, 100.0), (3.0, 120.0), (2.5, 90.0), (None, 1.0), (4.0, 50.0)]
    assert pareto_front(points) == [0, 1, 3, 5]
