"""run_one is pure and picklable; the plan survives JSON; the process pool gives the same
summaries as running in-process, reports progress, and can be cancelled."""
from __future__ import annotations

import dataclasses
import json
import pickle
import threading

import pytest

from lab.sim.budget import Budget
from lab.sim.evidence import (Cancelled, Plan, aggregate_replications, aggregate_sweep, plan_replications,
                              plan_sweep, run_one, run_plans)

from .world import app_and_database, queue

SPEC = {"axes": [{"node": "app", "param": "workers_per_instance", "values": [1, 2]},
                 {"workload": "rate_per_s", "values": [100, 200]}], "seeds": 2}


def _plan() -> Plan:
    return plan_sweep(app_and_database(100.0, duration=4, warmup=1), SPEC)


def test_the_same_run_gives_the_same_summary_in_another_process() -> None:
    plan = _plan()
    local = [run_one(r) for r in plan.runs]
    pooled = run_plans(plan.runs, workers=2)
    strip = [{k: v for k, v in s.items() if k not in ("cpu_s", "wall_s")} for s in local]
    assert strip == [{k: v for k, v in s.items() if k not in ("cpu_s", "wall_s")} for s in pooled]
    assert all(s["cpu_s"] > 0 for s in pooled)
    pickle.dumps(plan.runs[0])


def test_a_plan_survives_json_and_gives_the_same_runs() -> None:
    plan = _plan()
    again = Plan.from_dict(json.loads(json.dumps(plan.to_dict(), allow_nan=False)))
    assert [r.label for r in again.runs] == [r.label for r in plan.runs]
    assert run_one(again.runs[5])["metrics"] == run_one(plan.runs[5])["metrics"]


def test_a_two_parameter_sweep_has_a_grid_for_a_heat_map() -> None:
    plan = _plan()
    doc = aggregate_sweep(plan, run_plans(plan.runs, workers=1))
    grid = doc["grid"]
    assert grid["x"]["values"] == [1, 2] and grid["y"]["values"] == [100, 200]
    z = grid["z"]["throughput_per_s"]
    assert len(z) == 2 and len(z[0]) == 2 and abs(z[1][0] - 200) < 30
    assert doc["knee"] is None
    json.dumps(doc, allow_nan=False)


def test_progress_is_reported_once_per_run() -> None:
    plan = _plan()
    seen: list[tuple[int, int]] = []
    run_plans(plan.runs, workers=2, on_progress=lambda done, total: seen.append((done, total)))
    assert seen == [(i, 8) for i in range(1, 9)]


@pytest.mark.parametrize("workers", [1, 2])
def test_cancelling_stops_the_runs_not_started(workers: int) -> None:
    plan = plan_replications(queue(100.0, 1.0, duration=2, warmup=0), 12)
    cancel = threading.Event()

    def progress(done: int, total: int) -> None:
        if done == 1:
            cancel.set()

    with pytest.raises(Cancelled) as caught:
        run_plans(plan.runs, workers=workers, on_progress=progress, cancel=cancel)
    assert 1 <= len(caught.value.finished) < 12


def test_a_run_over_its_budget_stops_and_is_left_out_of_the_figures() -> None:
    plan = plan_replications(queue(500.0, 1.0, duration=10, warmup=0), 3)
    # The estimate lets it through; the run finds out while it runs, as a worker's would.
    summaries = [run_one(dataclasses.replace(r, budget=Budget(max_events=2_000))) for r in plan.runs]
    assert all(s["limited"] and "2,000 events" in s["limited"] for s in summaries)
    doc = aggregate_replications(plan, summaries)
    assert doc["runs"]["counted"] == 0 and len(doc["limited"]) == 3
    assert doc["metrics"]["latency_p99_ms"]["mean"] is None


def test_replications_give_intervals_bands_and_the_seeds_needed() -> None:
    plan = plan_replications(queue(500.0, 1.0, duration=6, warmup=1), 4)
    doc = aggregate_replications(plan, run_plans(plan.runs, workers=1), relative_precision=0.1)
    assert doc["seeds"] == [1, 2, 3, 4]
    p99 = doc["metrics"]["latency_p99_ms"]
    assert p99["low"] < p99["mean"] < p99["high"]
    assert doc["precision"]["seeds_needed"]["latency_p99_ms"] >= 2
    band = doc["windows"]["overall"]["latency_p99_ms"]
    assert len(band["median"]) == len(doc["windows"]["t_end"]) == 5
    assert all(lo <= mid <= hi for lo, mid, hi in zip(band["low"], band["median"], band["high"]))
    assert set(doc["windows"]["nodes"]["app"]) == {"utilization", "queue_length", "instances"}
