"""The CDN: edge caches near the users absorb static requests, the origin sees only misses and
dynamic calls, the TTL bounds the hit ratio as theory says, and the bill follows the bytes."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import lab.sim
from lab.sim import Simulation, check
from lab.sim.cloud.geography import DEFAULT_LATENCY, REGION_LATENCY_MS

from .component_world import Run
from .replications import interval

EXAMPLE = Path(__file__).resolve().parents[2] / "lab" / "sim" / "examples" / "cdn_static_assets.json"
ACCESS_MS = DEFAULT_LATENCY["access_ms"]
PACIFIC_MS = REGION_LATENCY_MS[frozenset(("us-west", "ap-northeast"))]
CLASSES = [{"name": "asset", "operation": "read", "share": 3, "response_kb": 100},
           {"name": "api", "operation": "read", "share": 1, "response_kb": 2}]


def world(cdn: dict[str, Any], *, users: dict[str, float] | None = None, keys: int = 100,
          classes: list[dict[str, Any]] | None = None, origin_ms: float = 10.0,
          later: dict[str, float] | None = None) -> dict[str, Any]:
    """Users (placed, or one unplaced source with users=None) -> CDN -> an origin in us-west."""
    if users is None:
        nodes = [{"id": "users", "kind": "traffic_source", "params": {"rate_per_s": 200}}]
    else:
        later = later or {}  # region -> when its users start
        nodes = [{"id": f"users-{r}", "kind": "traffic_source", "region": r,
                  "params": {"rate_per_s": rate, "pattern": "schedule", "schedule": [[0, 0], [later[r], rate]]}
                  if r in later else {"rate_per_s": rate}}
                 for r, rate in users.items()]
    edges = [{"from": n["id"], "to": "cdn"} for n in nodes] + [{"from": "cdn", "to": "origin"}]
    nodes += [{"id": "cdn", "kind": "cdn", "params": cdn},
              {"id": "origin", "kind": "service_pool", "region": "us-west",
               "params": {"instances": 1, "workers_per_instance": 1000, "service_time_ms": origin_ms,
                          "service_distribution": "deterministic", "queue_capacity": 0}}]
    return lab.sim.load({
        "version": 1, "settings": {"duration_s": 3600, "warmup_s": 0, "window_s": 1, "seed": 1},
        "regions": [{"id": "us-west", "zones": []}, {"id": "ap-northeast", "zones": []}],
        "workload": {"classes": classes or CLASSES, "keys": {"distribution": "uniform", "count": keys}},
        "nodes": nodes, "edges": edges})


def drained(topo: dict[str, Any], until: float, seed: int = 1) -> dict[str, Any]:
    r = Run(topo, seed=seed).run(until)
    r.sim.drain()
    return r.sim.results()


def test_a_small_static_key_space_is_served_from_the_edge_and_the_origin_sees_only_misses() -> None:
    results = drained(world({"static_classes": {"asset": 1}}, classes=CLASSES[:1]), 30.0)
    nodes = results["measured"]["nodes"]
    cdn, origin = nodes["cdn"], nodes["origin"]
    assert cdn["hit_ratio"] > 0.97
    assert origin["arrivals"] == cdn["misses"] == cdn["origin_requests"]
    assert cdn["misses"] < 150  # about one per key (a few more while the first fill is on its way)
    assert cdn["hits"] + cdn["misses"] == cdn["arrivals"] == results["requests"]["created"]


def test_dynamic_classes_always_go_to_the_origin() -> None:
    # Only assets are static; the API reads, although reads, are never cached.
    results = drained(world({"static_classes": {"asset": 1}}, keys=5), 30.0)
    cdn, origin = results["measured"]["nodes"]["cdn"], results["measured"]["nodes"]["origin"]
    api = results["measured"]["classes"]["api"]["completions"]
    assert cdn["dynamic"] == api > 1000
    assert origin["arrivals"] == api + cdn["misses"]
    # With no static classes named, every read class is cached.
    every_read = drained(world({}, keys=5), 30.0)["measured"]["nodes"]["cdn"]
    assert every_read["dynamic"] == 0 and every_read["hit_ratio"] > 0.99


def test_each_users_region_has_its_own_edge_cache_and_a_hit_costs_only_the_access_network() -> None:
    # One key; Tokyo users start 5 s after Oregon ones, when Oregon's edge has long held it.
    results = drained(world({"static_classes": {"asset": 1}, "edge_latency_ms": 1},
                            users={"us-west": 100, "ap-northeast": 100}, keys=1, classes=CLASSES[:1],
                            later={"ap-northeast": 5}), 20.0)
    cdn = results["measured"]["nodes"]["cdn"]
    # Each region's first request misses, and so does every one that comes while its fill is on
    # the way (no request collapsing): at 100/s, for about 26 ms in Oregon and 132 ms from Tokyo.
    fill_s = {"us-west": (2 * ACCESS_MS + 1 + 10) / 1000, "ap-northeast": (2 * ACCESS_MS + 1 + 2 * PACIFIC_MS + 10) / 1000}
    expected = sum(1 + 100 * f for f in fill_s.values())
    assert expected - 8 <= cdn["misses"] <= expected + 8
    hit_ms = 2 * ACCESS_MS + 1
    origins = results["measured"]["origins"]
    # Tokyo users are as fast as Oregon ones for what the edge holds...
    assert origins["us-west"]["latency_ms"]["p50"] == pytest.approx(hit_ms, rel=0.02)
    assert origins["ap-northeast"]["latency_ms"]["p50"] == pytest.approx(hit_ms, rel=0.02)
    # ...and their misses cross the Pacific to the origin and back.
    assert origins["ap-northeast"]["latency_ms"]["max"] == pytest.approx(hit_ms + 2 * PACIFIC_MS + 10, rel=0.02)


def test_the_bill_is_per_request_plus_the_bytes_served() -> None:
    results = drained(world({"static_classes": {"asset": 1}}, keys=20), 10.0)
    cdn = results["measured"]["nodes"]["cdn"]
    classes = results["measured"]["classes"]
    gb = (classes["asset"]["completions"] * 100 + classes["api"]["completions"] * 2) / 1e6
    assert cdn["served_gb"] == pytest.approx(gb, rel=1e-6)
    assert cdn["cost_usd"] == pytest.approx(cdn["arrivals"] * 1.00 / 1e6 + gb * 0.085, rel=1e-6)


def test_ttl_expiry_lowers_the_hit_ratio() -> None:
    forever = drained(world({"ttl_s": 0}, keys=50, classes=CLASSES[:1], origin_ms=0.1), 20.0)
    short = drained(world({"ttl_s": 0.25}, keys=50, classes=CLASSES[:1], origin_ms=0.1), 20.0)
    assert forever["measured"]["nodes"]["cdn"]["hit_ratio"] > 0.98
    assert short["measured"]["nodes"]["cdn"]["hit_ratio"] < 0.6
    assert short["measured"]["nodes"]["cdn"]["expired"] > 1000


@pytest.mark.fidelity
def test_a_ttl_cache_hits_lambda_t_over_one_plus_lambda_t_of_poisson_requests_for_a_key() -> None:
    # A key requested as a Poisson process at rate lambda: a miss fills it, the next T seconds
    # hit (lambda T hits on average), then it expires and the next request misses again. The
    # cycle has 1 miss and lambda T hits: hit ratio lambda T / (1 + lambda T). 50 keys share
    # 200 requests/s uniformly, so lambda = 4/s per key; with T = 0.5 s, lambda T = 2.
    lam, ttl = 200 / 50, 0.5
    expected = lam * ttl / (1 + lam * ttl)
    topo = world({"ttl_s": ttl, "edge_latency_ms": 0}, keys=50, classes=CLASSES[:1], origin_ms=0.01)
    topo["settings"]["warmup_s"] = 5.0  # every key starts with a miss: cut that start
    ratios = []
    for seed in range(101, 111):
        cdn = drained(topo, 60.0, seed=seed)["measured"]["nodes"]["cdn"]
        ratios.append(cdn["hits"] / (cdn["hits"] + cdn["misses"]))
    mean, half = interval(ratios)
    assert half < 0.01 * expected  # narrow enough to catch a real bias
    # A fill takes the origin's 0.01 ms, when further requests miss too: a bias of ~lambda x 1e-5.
    assert abs(mean - expected) <= half + 1e-4, (mean, half, expected)


# ------------------------------------------------------------------------------ the example

def test_the_single_page_app_example_serves_its_assets_from_the_edge() -> None:
    text = EXAMPLE.read_text()
    assert check(text) == []
    topo = lab.sim.load(text)
    sim = Simulation(topo)
    sim.run(60.0)
    sim.finish()
    results = sim.results()
    nodes = results["measured"]["nodes"]
    cdn = nodes["cdn"]
    assert cdn["hit_ratio"] > 0.9
    # The origin (the API and the asset bucket) sees the API calls and a trickle of asset misses.
    assert nodes["assets"]["arrivals"] == cdn["misses"]
    assert nodes["assets"]["arrivals"] < 0.1 * results["measured"]["classes"]["asset"]["arrivals"]
    # Tokyo users get their assets nearly as fast as Oregon users (the edge is near them both)
    # but their API calls still cross the Pacific.
    origins = results["measured"]["origins"]
    assert origins["ap-northeast"]["latency_ms"]["p50"] == pytest.approx(origins["us-west"]["latency_ms"]["p50"], abs=1)
    api_share = 4 / 12
    gap = origins["ap-northeast"]["latency_ms"]["mean"] - origins["us-west"]["latency_ms"]["mean"]
    assert gap == pytest.approx(api_share * 2 * PACIFIC_MS, rel=0.15)
    assert cdn["served_gb"] > 0 and cdn["cost_usd"] > 0


def test_a_cdn_placed_in_a_region_leaves_the_latency_to_its_edges() -> None:
    topo = world({"static_classes": {"asset": 1}, "edge_latency_ms": 1}, users={"us-west": 100}, keys=1,
                 classes=CLASSES[:1])
    raw = {**topo, "nodes": [{**n, "region": "us-west"} if n["id"] == "cdn" else n for n in topo["nodes"]]}
    for edge in raw["edges"]:
        edge.pop("latency_ms")  # let placement give them their latency again
    results = drained(lab.sim.load(raw), 10.0)
    # The users' edge to it now carries the access network; the CDN adds only its own time.
    assert results["measured"]["origins"]["us-west"]["latency_ms"]["p50"] == pytest.approx(2 * ACCESS_MS + 1, rel=0.02)


def test_users_behind_a_cdn_are_not_billed_internet_egress_twice() -> None:
    root = Path(__file__).resolve().parents[2]
    topo = lab.sim.load((root / "lab" / "sim" / "examples" / "cdn_static_assets.json").read_text())
    sim = Simulation(topo)
    into_cdn = [e.id for e in sim.edges if e.source.is_source and e.target.kind == "cdn"]
    assert into_cdn and not any(e in sim.transfer_usd for e in into_cdn)
