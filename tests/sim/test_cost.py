"""What a design costs: every node accrues dollars from the price list, and a run reports cost
accrued, cost rate, projected monthly cost and cost per million requests."""
from __future__ import annotations

from typing import Any

import pytest

import lab.sim
from lab.sim import check
from lab.sim.cloud.pricing import DEFAULT_PRICES, HOURS_PER_MONTH
from lab.sim import apply_command

from .component_world import Run


def topology(**extra: Any) -> dict[str, Any]:
    return lab.sim.load({
        "version": 1,
        "settings": {"duration_s": 3600, "seed": 1},
        "workload": {"classes": [{"name": "read", "response_kb": 0}]},
        "nodes": [
            {"id": "users", "kind": "traffic_source", "params": {"rate_per_s": 100}},
            {"id": "lb", "kind": "load_balancer"},
            {"id": "app", "kind": "service_pool", "params": {"instances": 3, "instance_size": "large"}},
            {"id": "cache", "kind": "cache", "params": {"memory_gb": 13, "mode": "fixed_probability"}},
            {"id": "db", "kind": "database", "params": {"replicas": 1, "instance_size": "xlarge", "storage_gb": 500}},
        ],
        "edges": [{"from": "users", "to": "lb"}, {"from": "lb", "to": "app"}, {"from": "app", "to": "cache"},
                  {"from": "cache", "to": "db"}],
        **extra,
    })


def test_each_node_accrues_its_list_price_and_the_run_projects_a_month() -> None:
    run = Run(topology()).run(60.0)
    results = run.finish()
    nodes, overall = results["measured"]["nodes"], results["measured"]["overall"]
    p = DEFAULT_PRICES
    expected_hourly = {
        "app": 3 * p["vm_large_hour"],
        "cache": 13 * p["cache_gb_hour"],
        "db": 2 * (p["db_xlarge_hour"] + 500 * p["db_storage_gb_month"] / HOURS_PER_MONTH),
        "lb": p["load_balancer_hour"] + 100 * 3600 / 1e6 * p["load_balancer_million"],
    }
    for node, hourly in expected_hourly.items():
        assert nodes[node]["cost_per_hour_usd"] == pytest.approx(hourly, rel=0.02), node
    assert nodes["users"]["cost_usd"] == 0.0  # no response bytes: no egress
    total_hourly = sum(expected_hourly.values())
    assert overall["cost_per_hour_usd"] == pytest.approx(total_hourly, rel=0.02)
    assert overall["cost_usd"] == pytest.approx(total_hourly / 60, rel=0.02)
    assert overall["cost_monthly_usd"] == pytest.approx(total_hourly * HOURS_PER_MONTH, rel=0.02)
    assert overall["cost_per_million_usd"] == pytest.approx(overall["cost_usd"] / overall["completions"] * 1e6, rel=1e-3)


def test_a_topology_can_override_prices() -> None:
    cheap = Run(topology(pricing={"vm_large_hour": 0.0})).run(10.0).finish()
    assert cheap["measured"]["nodes"]["app"]["cost_usd"] == 0.0
    assert cheap["measured"]["nodes"]["db"]["cost_usd"] > 0


def test_the_window_cost_rate_follows_a_live_scale_up() -> None:
    run = Run(topology())
    run.run(5.0)
    assert apply_command(run.sim, {"op": "set_param", "node": "app", "param": "instances", "value": 6}) == []
    run.run(10.0)
    rates = [w["nodes"]["app"]["cost_per_hour_usd"] for w in run.windows]
    assert rates[2] == pytest.approx(3 * DEFAULT_PRICES["vm_large_hour"], rel=1e-3)
    assert rates[-1] == pytest.approx(6 * DEFAULT_PRICES["vm_large_hour"], rel=1e-3)


@pytest.mark.parametrize("pricing, says", [
    ({"vm_large_huor": 1}, "did you mean 'vm_large_hour'"),
    ({"vm_large_hour": -1}, "from 0 to"),
    ({"vm_large_hour": "cheap"}, "must be a number of US dollars"),
    ([1, 2], "pricing must be an object"),
])
def test_bad_prices_are_refused_with_a_reason(pricing: Any, says: str) -> None:
    doc = {"version": 1, "nodes": [{"id": "u", "kind": "traffic_source"}, {"id": "a", "kind": "service_pool"}],
           "edges": [{"from": "u", "to": "a"}], "pricing": pricing}
    problems = check(doc)
    assert any(says in p["message"] and p["path"].startswith("$.pricing") for p in problems), problems
