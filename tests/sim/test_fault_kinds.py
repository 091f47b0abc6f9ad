"""Every fault kind hits what it names, shows in the timeline, and ends cleanly."""
from __future__ import annotations

from typing import Any

import pytest

import lab.sim
from lab.sim import Simulation, check
from lab.sim import apply_command

REGIONS = [{"id": "us-west", "zones": ["a", "b"]}, {"id": "us-east", "zones": ["c"]}]


def doc(faults: list[dict[str, Any]]) -> dict[str, Any]:
    pool = {"instances": 4, "workers_per_instance": 2, "service_time_ms": 10, "queue_capacity": 50}
    return {
        "version": 1,
        "settings": {"duration_s": 40, "seed": 5},
        "regions": REGIONS,
        "nodes": [
            {"id": "users", "kind": "traffic_source", "region": "us-west", "params": {"rate_per_s": 200}},
            {"id": "lb", "kind": "load_balancer", "region": "us-west",
             "params": {"health_check_interval_s": 1, "unhealthy_threshold": 1}},
            {"id": "app-a", "kind": "service_pool", "region": "us-west", "zone": "a", "params": pool},
            {"id": "app-b", "kind": "service_pool", "region": "us-west", "zone": "b", "params": pool},
            {"id": "db", "kind": "database", "region": "us-east", "zone": "c", "params": {"workers": 64}},
        ],
        "edges": [{"id": "in", "from": "users", "to": "lb"}, {"id": "to-a", "from": "lb", "to": "app-a"},
                  {"id": "to-b", "from": "lb", "to": "app-b"}, {"id": "a-db", "from": "app-a", "to": "db"},
                  {"id": "b-db", "from": "app-b", "to": "db"}],
        "faults": faults,
    }


def run(faults: list[dict[str, Any]]) -> tuple[Simulation, list[dict[str, Any]]]:
    windows: list[dict[str, Any]] = []
    sim = Simulation(lab.sim.load(doc(faults)), on_window=windows.append)
    sim.run(40)
    sim.drain()
    assert sim.in_flight() == 0
    return sim, windows


def during(windows: list[dict[str, Any]], start: float, end: float) -> list[dict[str, Any]]:
    return [w for w in windows if start + 1 <= w["t_start"] and w["t_end"] <= end]


def test_a_zone_outage_crashes_every_node_in_the_zone_and_the_balancer_routes_around_it() -> None:
    sim, windows = run([{"kind": "zone_outage", "zone": "a", "start_s": 10, "duration_s": 10}])
    hit = during(windows, 10, 20)
    assert all(w["nodes"]["app-a"]["arrivals"] == w["nodes"]["app-a"]["failures"].get("fault", 0) for w in hit)
    assert hit[-1]["nodes"]["app-a"]["arrivals"] == 0  # health checks took it out of rotation
    assert all(w["nodes"]["app-b"]["errors"] == 0 for w in hit)
    types = [(e["type"], e.get("zone")) for e in sim.timeline if e["type"].startswith("fault")]
    assert types == [("fault_started", "a"), ("fault_ended", "a")]
    assert during(windows, 25, 40)[-1]["nodes"]["app-a"]["arrivals"] > 0  # back in rotation


def test_a_region_outage_takes_down_the_database_region() -> None:
    _, windows = run([{"kind": "region_outage", "region": "us-east", "start_s": 10, "duration_s": 5}])
    hit = during(windows, 10, 15)
    assert all(w["overall"]["failures"].get("fault", 0) == pytest.approx(w["overall"]["arrivals"], rel=0.1) for w in hit[1:])
    assert during(windows, 20, 40)[-1]["overall"]["errors"] == 0


def test_added_latency_on_a_node_and_on_an_edge_shows_in_end_to_end_latency() -> None:
    _, windows = run([{"kind": "latency", "node": "db", "added_ms": 100, "start_s": 10, "duration_s": 10},
                      {"kind": "latency", "edge": "in", "added_ms": 50, "start_s": 25, "duration_s": 10}])
    before = during(windows, 0, 10)[-1]["overall"]["latency_ms"]["p50"]
    node_fault = during(windows, 10, 20)[-1]["overall"]["latency_ms"]["p50"]
    edge_fault = during(windows, 25, 35)[-1]["overall"]["latency_ms"]["p50"]
    assert node_fault - before == pytest.approx(100, abs=5)  # one way, on arrival
    assert edge_fault - before == pytest.approx(100, abs=5)  # 50 each way


def test_a_slow_dependency_grows_the_tail_more_than_the_median() -> None:
    _, windows = run([{"kind": "slow", "node": "db", "added_ms": 50, "start_s": 10, "duration_s": 20}])
    base = during(windows, 0, 10)[-1]["overall"]["latency_ms"]
    slow = [w["overall"]["latency_ms"] for w in during(windows, 12, 30)]
    p50 = sum(s["p50"] for s in slow) / len(slow) - base["p50"]
    p99 = sum(s["p99"] for s in slow) / len(slow) - base["p99"]
    assert p50 == pytest.approx(50 * 0.693, rel=0.25)  # median of an exponential: mean * ln 2
    assert p99 > 3 * p50


def test_an_error_rate_fails_that_share_with_cause_error() -> None:
    _, windows = run([{"kind": "error_rate", "node": "db", "rate": 0.3, "start_s": 5, "duration_s": 30}])
    hit = during(windows, 5, 35)
    errors = sum(w["overall"]["failures"].get("error", 0) for w in hit)
    done = sum(w["overall"]["completions"] + w["overall"]["errors"] for w in hit)
    assert errors / done == pytest.approx(0.3, abs=0.02)


def test_a_partition_between_regions_makes_calls_across_it_unreachable() -> None:
    sim, windows = run([{"kind": "partition", "between": ["us-west", "us-east"], "start_s": 10, "duration_s": 5}])
    hit = during(windows, 10, 15)
    assert all(w["overall"]["failures"].get("unreachable", 0) == pytest.approx(w["overall"]["arrivals"], rel=0.1) for w in hit[1:])
    assert during(windows, 20, 40)[-1]["overall"]["errors"] == 0


def test_crashing_some_instances_leaves_the_others_serving_with_less_capacity() -> None:
    _, windows = run([{"kind": "crash_instances", "node": "app-a", "count": 3, "start_s": 10, "duration_s": 10}])
    util_before = during(windows, 0, 10)[-1]["nodes"]["app-a"]["utilization"]
    util_during = [w["nodes"]["app-a"]["utilization"] for w in during(windows, 11, 20)]
    assert max(util_during) > 2 * util_before  # a quarter of the workers carry the zone's load


def test_live_injection_of_each_kind_is_recorded_and_cleared() -> None:
    sim = Simulation(lab.sim.load(doc([])))
    sim.run(5)
    for fault in ({"kind": "latency", "edge": "to-a", "added_ms": 10}, {"kind": "partition", "between": ["a", "c"]},
                  {"kind": "zone_outage", "zone": "b"}, {"kind": "error_rate", "node": "lb", "rate": 0.5}):
        assert apply_command(sim, {"op": "inject_fault", "fault": fault}) == []
    sim.run(10)
    for fault_id in list(sim.active_faults):
        assert apply_command(sim, {"op": "clear_fault", "id": fault_id}) == []
    sim.run(20)
    ended = [e for e in sim.timeline if e["type"] == "fault_ended"]
    assert len(ended) == 4
    assert all(not n.down and not n.fault_error for n in sim.nodes.values())
    assert all(not e.cut and e.latency == e.base_latency for e in sim.edges)


@pytest.mark.parametrize("fault, says", [
    ({"kind": "zone_outage", "zone": "z"}, "no node is placed in zone 'z'"),
    ({"kind": "zone_outage", "node": "db"}, "names exactly one target: \"zone\""),
    ({"kind": "latency", "edge": "nope"}, "edge 'nope', which does not exist"),
    ({"kind": "partition", "between": ["a", "a"]}, "two different zones or two different regions"),
    ({"kind": "partition", "between": ["a", "mars"]}, "no node is placed in zone or region 'mars'"),
    ({"kind": "crash_instances", "node": "lb"}, "has no instances to crash"),
    ({"kind": "error_rate", "node": "db", "rate": 2}, "at most 1"),
    ({"kind": "crash", "node": "users"}, "traffic source"),
])
def test_a_fault_aimed_at_nothing_is_refused_with_a_reason(fault: dict[str, Any], says: str) -> None:
    problems = check(doc([fault]))
    assert any(says in p["message"] for p in problems), problems


def test_an_error_rate_keeps_drawing_fresh_randomness_when_something_else_rewires_the_run() -> None:
    # A live change rewires every node; the fault's random stream must go on, not start over
    # (starting over replays the same outcome after every change: here, one request between
    # changes would always fail or always succeed).
    topology = lab.sim.load({
        "version": 1, "settings": {"duration_s": 10, "seed": 3},
        "nodes": [{"id": "users", "kind": "traffic_source", "params": {"rate_per_s": 10, "arrival": "constant"}},
                  {"id": "app", "kind": "service_pool", "params": {"service_time_ms": 1}},
                  {"id": "other", "kind": "service_pool"}],
        "edges": [{"from": "users", "to": "app"}],
        "faults": [{"kind": "error_rate", "node": "app", "rate": 0.5}],
    })
    sim = Simulation(topology)
    for step in range(1, 41):
        sim.run(step * 0.1 + 0.05)  # one arrival between two changes
        assert apply_command(sim, {"op": "set_param", "node": "other", "param": "instances", "value": 1 + step % 3}) == []
    sim.finish()
    errors = sim.results()["measured"]["nodes"]["app"]["failures"].get("error", 0)
    assert 8 <= errors <= 32, errors  # about half of 40, not all or none
