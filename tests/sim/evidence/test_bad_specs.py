"""A bad sweep spec is refused before anything runs, with problems in the one problem shape that
say what is wrong and where, never a traceback."""
from __future__ import annotations

from typing import Any

import pytest

from lab.sim.evidence import EvidenceBudget, plan_comparison, plan_replications, plan_sweep
from lab.sim.problems import Refused

from .world import app_and_database, queue


def refused(spec: Any, topology: dict[str, Any] | None = None, **kw: Any) -> list[dict[str, str]]:
    with pytest.raises(Refused) as caught:
        plan_sweep(topology or app_and_database(100.0), spec, **kw)
    problems = caught.value.problems
    assert problems and all(set(p) == {"path", "message", "severity"} for p in problems)
    return [dict(p) for p in problems]


def axis(**fields: Any) -> dict[str, Any]:
    return {"axes": [fields], "seeds": 2}


def test_it_names_an_unknown_node_with_a_suggestion() -> None:
    [p] = refused(axis(node="dbb", param="workers", values=[1, 2]))
    assert p["path"] == "$.axes[0].node" and "there is no node 'dbb' (did you mean 'db'?)" in p["message"]


def test_it_names_an_unknown_param_with_a_suggestion() -> None:
    [p] = refused(axis(node="db", param="worker", values=[1, 2]))
    assert p == {"path": "$.axes[0].param", "severity": "error",
                 "message": "database 'db' has no parameter 'worker' (did you mean 'workers'?)"}


def test_it_refuses_a_parameter_with_no_order_to_step_through() -> None:
    [p] = refused(axis(node="db", param="service_samples_ms", values=[[1], [2]]))
    assert "a numbers parameter, which a sweep cannot step through" in p["message"]


def test_it_sweeps_a_parameter_that_cannot_change_during_a_run() -> None:
    # replicas is not live, but each run of a sweep starts from its own document.
    plan = plan_sweep(app_and_database(100.0), axis(node="db", param="replicas", values=[0, 1]))
    assert [p["db.replicas"] for p in plan.points] == [0, 1]


def test_it_refuses_an_illegal_value_with_the_parameters_own_words_and_its_index() -> None:
    [p] = refused(axis(node="app", param="instances", values=[1, 0, 2]))
    assert p == {"path": "$.axes[0].values[1]", "severity": "error",
                 "message": "instances must be at least 1, not 0"}


def test_it_refuses_values_legal_alone_but_not_together_through_the_loader() -> None:
    spec = {"axes": [{"node": "app", "param": "autoscale", "values": [True]},
                     {"node": "app", "param": "min_instances", "values": [2, 50]}], "seeds": 1}
    [p] = refused(spec)
    assert p["path"] == "$.axes" and p["message"].startswith("with app.autoscale = True and app.min_instances = 50:")
    assert "min_instances (50) to be at most max_instances" in p["message"]


def test_it_refuses_garbage_types() -> None:
    assert "must be an object" in refused("sweep please")[0]["message"]
    assert refused({"axes": "app", "seeds": 2})[0]["path"] == "$.axes"
    assert refused({"axes": [], "seeds": 2})[0]["path"] == "$.axes"
    assert refused({"axes": [7], "seeds": 2})[0]["path"] == "$.axes[0]"
    assert "seeds must be a number of seeds" in refused({**axis(node="db", param="workers", values=[1]),
                                                         "seeds": "five"})[0]["message"]
    assert refused(axis(node="db", param="workers", values="1,2"))[0]["message"] == "values must be a non-empty list"
    assert "must be a number, not 'two'" in refused(axis(node="db", param="workers", values=["two"]))[0]["message"]
    assert "has no field 'valeus' (did you mean 'values'?)" in refused(axis(node="db", param="workers",
                                                                            valeus=[1]))[0]["message"]
    assert "has no field 'sedes'" in refused({**axis(node="db", param="workers", values=[1]), "sedes": 3})[0]["message"]


def test_it_refuses_a_huge_list_by_its_length() -> None:
    [p] = refused(axis(node="db", param="workers", values=list(range(1, 1_000_001))))
    assert p["message"] == "an axis may have at most 100 values, not 1000000"


def test_it_refuses_a_repeated_value_and_a_repeated_seed() -> None:
    assert refused(axis(node="db", param="workers", values=[2, 2]))[0]["message"] == "2 is listed twice"
    problems = refused({**axis(node="db", param="workers", values=[2]), "seeds": [3, 3]})
    assert "seed 3 is listed twice" in problems[0]["message"]


def test_it_refuses_a_bad_range() -> None:
    assert refused(axis(workload="rate_per_s", range={"start": 1, "stop": 9, "steps": 1}))[0]["path"] == \
        "$.axes[0].range.steps"
    assert "nothing to sweep" in refused(axis(workload="rate_per_s", range={"start": 5, "stop": 5, "steps": 3}))[0]["message"]
    assert "list its values instead" in refused(axis(node="db", param="failover",
                                                      range={"start": 0, "stop": 1, "steps": 2}))[0]["message"]


def test_a_range_of_whole_numbers_keeps_each_number_once() -> None:
    plan = plan_sweep(app_and_database(100.0), axis(node="db", param="workers", range={"start": 1, "stop": 3, "steps": 5}))
    assert [p["db.workers"] for p in plan.points] == [1, 2, 3]


def test_it_refuses_a_workload_rate_a_source_cannot_take() -> None:
    [p] = refused(axis(workload="rate_per_s", values=[100, 300_000]))
    assert p["path"] == "$.axes[0].values[1]"
    assert "would set rate_per_s of 'users' to 300000" in p["message"] and "at most 200000" in p["message"]


def test_it_refuses_too_many_runs_and_says_what_to_lower() -> None:
    [p] = refused({"axes": [{"workload": "rate_per_s", "range": {"start": 10, "stop": 500, "steps": 100}}],
                   "seeds": 5})
    assert p["message"] == ("this sweep is 500 runs (100 values of workload.rate_per_s × 5 seeds); the limit is "
                            "400 runs. Lower the seeds to 4 or fewer, or give workload.rate_per_s at most 80 values")
    with pytest.raises(Refused, match="this set of replications is 60 runs"):
        plan_replications(queue(10.0, 1.0), 60, limits=EvidenceBudget(max_runs=50))


def test_it_refuses_a_run_over_the_per_run_budget_naming_the_point() -> None:
    topology = app_and_database(100.0, duration=86_400)
    topology["settings"]["window_s"] = 60.0
    problems = refused(axis(workload="rate_per_s", values=[100, 1000]), topology)
    assert all(p["path"] == "$.settings.duration_s" for p in problems)
    assert [p["message"].split(":")[0] for p in problems] == ["workload.rate_per_s=1000"] * 2
    assert problems[0]["message"].startswith("workload.rate_per_s=1000: this run would process about 330 million events")
    assert "Lower settings.duration_s to about 53,000 s or the traffic rate of 'users'" in problems[0]["message"]


def test_it_refuses_a_sweep_over_the_total_cpu_and_says_what_to_lower() -> None:
    topology = app_and_database(100.0, duration=6_000)
    [p] = refused({"axes": [{"workload": "rate_per_s", "values": [400, 450]}], "seeds": 50}, topology)
    assert "minutes of CPU time over its 100 runs; the limit is 60 minutes. Run fewer of them (about" in p["message"]
    assert "shorten settings.duration_s to about" in p["message"]


def test_a_comparison_and_replications_check_their_seeds() -> None:
    with pytest.raises(Refused, match="the number of seeds must be from 1 to 100, not 0"):
        plan_comparison(queue(10.0, 1.0), queue(10.0, 1.0), 0)
    with pytest.raises(Refused, match="a seed is a whole number"):
        plan_replications(queue(10.0, 1.0), [1, -2])
