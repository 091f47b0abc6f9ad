"""Placement in regions and zones gives edges their latency, sources their origin, and data
transfer its price; metrics split by the users' origin region."""
from __future__ import annotations

from typing import Any

import pytest

import lab.sim
from lab.sim import Simulation, check
from lab.sim.cloud.geography import DEFAULT_LATENCY, REGION_LATENCY_MS

REGIONS = [{"id": "us-west", "zones": ["us-west-a", "us-west-b"]}, {"id": "ap-northeast", "zones": ["ap-northeast-a"]},
           {"id": "mars", "zones": []}]


def doc(edges: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {
        "version": 1,
        "settings": {"duration_s": 20, "seed": 2},
        "regions": REGIONS,
        "nodes": [
            {"id": "us-users", "kind": "traffic_source", "region": "us-west", "params": {"rate_per_s": 50}},
            {"id": "asia-users", "kind": "traffic_source", "region": "ap-northeast", "params": {"rate_per_s": 50}},
            {"id": "api", "kind": "service_pool", "region": "us-west", "zone": "us-west-a",
             "params": {"instances": 2, "workers_per_instance": 50, "service_time_ms": 10,
                        "service_distribution": "deterministic"}},
            {"id": "db", "kind": "database", "region": "us-west", "zone": "us-west-b", "params": {"workers": 50}},
            {"id": "db-local", "kind": "database", "region": "us-west", "zone": "us-west-a", "params": {"workers": 50}},
            {"id": "far", "kind": "database", "region": "mars", "params": {"workers": 50}},
        ],
        "edges": edges,
        **extra,
    }


EDGES = [{"id": "us", "from": "us-users", "to": "api"}, {"id": "asia", "from": "asia-users", "to": "api"},
         {"id": "cross-zone", "from": "api", "to": "db"}]


def latencies(topology: dict[str, Any]) -> dict[str, float]:
    return {e["id"]: e["latency_ms"] for e in lab.sim.load(topology)["edges"]}


def test_an_edge_without_a_latency_gets_it_from_where_its_ends_are_placed() -> None:
    edges = EDGES + [{"id": "same-zone", "from": "api", "to": "db-local"}, {"id": "unknown-pair", "from": "api", "to": "far"}]
    got = latencies(doc(edges))
    access = DEFAULT_LATENCY["access_ms"]
    assert got["us"] == access  # users in the api's own region pay their access network only
    assert got["asia"] == access + REGION_LATENCY_MS[frozenset(("us-west", "ap-northeast"))]
    assert got["cross-zone"] == DEFAULT_LATENCY["cross_zone_ms"]
    assert got["same-zone"] == DEFAULT_LATENCY["same_zone_ms"]
    assert got["unknown-pair"] == DEFAULT_LATENCY["cross_region_ms"]


def test_the_latency_table_can_be_overridden_and_an_explicit_edge_latency_wins() -> None:
    table = {"access_ms": 5, "cross_zone_ms": 2, "between_regions": [{"from": "ap-northeast", "to": "us-west", "ms": 80}]}
    edges = [*EDGES[:2], {**EDGES[2], "latency_ms": 7}]
    got = latencies(doc(edges, latency=table))
    assert got == {"us": 5.0, "asia": 85.0, "cross-zone": 7.0}


def test_unplaced_nodes_keep_the_old_meaning_of_no_latency() -> None:
    plain = {"version": 1, "nodes": [{"id": "u", "kind": "traffic_source"}, {"id": "a", "kind": "service_pool"}],
             "edges": [{"from": "u", "to": "a"}]}
    assert lab.sim.load(plain)["edges"][0]["latency_ms"] == 0.0


@pytest.mark.parametrize("table, says", [
    ({"cross_zone_ms": -1}, "cross_zone_ms must be at least 0"),
    ({"warp_ms": 1}, "warp_ms"),
    ({"between_regions": [{"from": "a", "to": "a", "ms": 3}]}, "two different regions"),
    ({"between_regions": [{"from": "a", "to": "b"}]}, "exactly from, to and ms"),
    ({"between_regions": [{"from": "a", "to": "b", "ms": 1e9}]}, "from 0 to 10000 ms"),
    ("fast", "latency must be an object"),
])
def test_a_bad_latency_table_is_refused_with_a_reason(table: Any, says: str) -> None:
    problems = check(doc(EDGES, latency=table))
    assert any(says in p["message"] and p["path"].startswith("$.latency") for p in problems), problems


def test_users_far_away_see_the_distance_in_their_latency_and_metrics_split_by_origin() -> None:
    sim = Simulation(lab.sim.load(doc(EDGES)))
    sim.run(20)
    sim.finish()
    origins = sim.results()["measured"]["origins"]
    assert set(origins) == {"us-west", "ap-northeast"}
    one_way = REGION_LATENCY_MS[frozenset(("us-west", "ap-northeast"))]
    gap = origins["ap-northeast"]["latency_ms"]["mean"] - origins["us-west"]["latency_ms"]["mean"]
    assert gap == pytest.approx(2 * one_way, rel=0.02)  # the round trip across the Pacific
    assert origins["us-west"]["completions"] + origins["ap-northeast"]["completions"] == \
        sim.results()["measured"]["overall"]["completions"]


def test_failures_are_split_by_origin_too() -> None:
    topology = doc(EDGES, faults=[{"kind": "crash", "node": "api", "start_s": 5, "duration_s": 5}])
    windows: list[dict[str, Any]] = []
    sim = Simulation(lab.sim.load(topology), on_window=windows.append)
    sim.run(20)
    sim.finish()
    origins = sim.results()["measured"]["origins"]
    assert origins["us-west"]["failures"].get("fault", 0) > 100
    assert origins["ap-northeast"]["failures"].get("fault", 0) > 100
    assert sum(w["origins"]["us-west"]["errors"] for w in windows) == origins["us-west"]["errors"]


def test_data_crossing_zones_is_billed_to_the_caller_and_responses_to_the_internet() -> None:
    topology = doc(EDGES)
    topology["workload"] = {"classes": [{"name": "read", "request_kb": 2, "response_kb": 48}]}
    windows: list[dict[str, Any]] = []
    sim = Simulation(lab.sim.load(topology), on_window=windows.append)
    sim.run(20)
    sim.finish()
    w = windows[-1]
    gb_per_call = 50 / 1e6
    cross = w["edges"]["cross-zone"]
    assert cross["cost_usd"] == pytest.approx(cross["rate_per_s"] * gb_per_call * 0.02, rel=1e-6)
    egress = w["edges"]["us"]
    assert egress["cost_usd"] == pytest.approx(egress["rate_per_s"] * 48 / 1e6 * 0.09, rel=1e-6)
    vm = 2 * 0.0416 / 3600  # two medium instances for one second
    assert w["nodes"]["api"]["cost_usd"] == pytest.approx(vm + cross["cost_usd"], rel=1e-6)
