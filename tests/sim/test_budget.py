"""Run budgets (lab/sim/budget.py): the estimate admits every example, refuses the absurd runs with
a sentence saying what to lower, stays within a factor of two of what runs really cost, and
`over` names the budget a running simulation has used up."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from lab.sim import Simulation, load
from bench.budget_calibration import measure
from lab.sim.budget import Budget, Usage, check, estimate, over

from .budget_world import chain, doc, two_hundred_nodes

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "lab" / "sim" / "examples").glob("*.json"))


def example(name: str, **settings: Any) -> dict[str, Any]:
    topo = load((EXAMPLES[0].parent / f"{name}.json").read_text())
    topo["settings"].update(settings)
    return topo


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_shipped_example_is_admitted_by_the_default_budget(path: Path) -> None:
    assert check(estimate(load(path.read_text())), Budget()) == []


def test_an_hour_of_a_200_node_design_in_hundredth_second_windows_is_refused_with_what_to_lower() -> None:
    topo = two_hundred_nodes()
    assert len(topo["nodes"]) == 200
    problems = check(estimate(topo), Budget())
    assert {p["path"] for p in problems} == {"$.settings.window_s", "$.settings.duration_s"}
    messages = " ".join(p["message"] for p in problems)
    assert "3,600 s in 0.01 s windows is 360,000 windows; the limit is 7,200: raise settings.window_s to at least 0.5 s" in messages
    assert "Lower settings.duration_s to about" in messages and "the traffic rate of 'users'" in messages
    assert all(p["severity"] == "error" for p in problems)


def test_a_64_hop_chain_at_a_modest_rate_is_refused_by_its_event_estimate() -> None:
    e = estimate(chain(1000))
    assert e.visits == 64
    problems = check(e, Budget())
    assert problems[0]["path"] == "$.settings.duration_s"
    assert "440 million events (1,000 requests/s × 3,600 s × 64 hops × 1.9 events a hop)" in problems[0]["message"]


def test_the_same_64_hop_chain_at_a_low_rate_is_admitted() -> None:
    assert check(estimate(chain(10)), Budget()) == []


def test_a_paced_run_longer_than_the_wall_clock_limit_is_refused() -> None:
    problems = check(estimate(example("reference", duration_s=10_000, window_s=5)), Budget(), speed=1)
    assert [p["path"] for p in problems] == ["$.settings.duration_s"]
    assert "at 1x real time" in problems[0]["message"] and "7,200 s" in problems[0]["message"]


@pytest.mark.parametrize("topology", [
    pytest.param(lambda: example("api_gateway_spa", duration_s=10), id="api_gateway_spa"),
    pytest.param(lambda: example("checkout_saga_vs_2pc", duration_s=20), id="checkout_saga_vs_2pc"),
    pytest.param(lambda: example("order_events", duration_s=20), id="order_events"),
    pytest.param(lambda: example("search_scatter_gather", duration_s=5), id="search_scatter_gather"),
    pytest.param(lambda: example("sharded_users", duration_s=5), id="sharded_users"),
    pytest.param(lambda: example("two_regions_geo_routing", duration_s=10), id="two_regions_geo_routing"),
    pytest.param(lambda: chain(200, duration_s=5), id="64_hop_chain"),
])
def test_the_event_estimate_is_within_a_factor_of_two_of_the_events_a_run_schedules(topology: Any) -> None:
    topo = topology()
    ratio = estimate(topo).events / measure(topo)["events"]
    assert 0.5 <= ratio <= 2.0


@pytest.mark.parametrize("topology", [
    pytest.param(lambda: example("api_gateway_spa", duration_s=5), id="api_gateway_spa"),
    pytest.param(lambda: example("cdn_static_assets", duration_s=5), id="cdn_static_assets"),
    pytest.param(lambda: example("db_failover", duration_s=5), id="db_failover"),
    pytest.param(lambda: two_hundred_nodes(rate=50, duration_s=3, window_s=1), id="200_nodes"),
])
def test_the_stored_bytes_estimate_is_within_a_factor_of_two_of_the_windows_json(topology: Any) -> None:
    topo = topology()
    ratio = estimate(topo).stored_bytes / measure(topo)["stored_bytes"]
    assert 0.5 <= ratio <= 2.0


def test_the_event_counter_is_read_without_advancing_it() -> None:
    sim = Simulation(example("reference"))
    sim.run(2.0)
    assert sim.events_scheduled() == sim.events_scheduled() > 0


def test_a_run_within_its_budget_is_not_over_it() -> None:
    sim = Simulation(example("reference"))
    sim.run(2.0)
    assert over(Usage.of(sim), Budget(), cpu_s=1.0, wall_s=1.0, windows_stored=2) is None


def test_a_run_past_its_event_budget_is_told_so_with_the_simulated_time() -> None:
    sim = Simulation(example("reference"))
    sim.run(2.0)
    usage = Usage.of(sim)
    reason = over(usage, Budget(max_events=usage.events), cpu_s=0.1, wall_s=0.1, windows_stored=2)
    assert reason == f"the run used its budget of {usage.events:,} events at simulated time 2 s"


@pytest.mark.parametrize("limits, usage, expected", [
    ({"max_in_flight": 100}, {"in_flight": 100}, "100 requests in flight"),
    ({"max_heap": 100}, {"heap": 100}, "100 events waiting on the heap"),
    ({"max_events": 200_000_000}, {"events": 200_000_000}, "200 million events"),
    ({"max_cpu_s": 900}, {"cpu_s": 901}, "900 s of CPU time"),
    ({"max_wall_s": 7200}, {"wall_s": 7200}, "2.0 hours of wall-clock time"),
    ({"max_windows": 7200}, {"windows_stored": 7201}, "7,200 stored windows"),
    ({"max_stored_bytes": 256_000_000}, {"bytes_stored": 300e6}, "256 MB of stored windows"),
])
def test_over_names_the_budget_that_was_used_up(limits: dict[str, Any], usage: dict[str, Any], expected: str) -> None:
    spent = {"events": 0, "in_flight": 0, "heap": 0, "windows": 0, "sim_time_s": 812.0}
    spent.update({k: v for k, v in usage.items() if k in spent})
    spending = {"cpu_s": 0.0, "wall_s": 0.0, "windows_stored": 0}
    spending.update({k: v for k, v in usage.items() if k not in spent})
    reason = over(Usage(**spent), Budget(**limits), **spending)
    assert reason == f"the run used its budget of {expected} at simulated time 812 s"


def test_the_memory_budget_is_named_before_the_others() -> None:
    usage = Usage(events=10**9, in_flight=10**7, heap=0, windows=0, sim_time_s=5.0)
    assert "requests in flight" in over(usage, Budget(), cpu_s=10**6, wall_s=10**6, windows_stored=10**6)


def test_a_budget_and_an_estimate_can_be_stored_as_json_and_read_back() -> None:
    budget = Budget(max_events=1000)
    assert Budget.from_dict(budget.to_dict()) == budget
    assert estimate(example("reference")).to_dict()["visits"] == pytest.approx(3.2)
