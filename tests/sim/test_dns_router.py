"""DNS routing to regions: nearest region, geo with a default, weighted splits, failover that
clients see only once their cached answer expires, and what caching the answer saves."""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

import lab.sim
from lab.sim import Simulation, check
from lab.sim.cloud.geography import DEFAULT_LATENCY, REGION_LATENCY_MS

from .component_world import Run

EXAMPLE = Path(__file__).resolve().parents[2] / "lab" / "sim" / "examples" / "two_regions_geo_routing.json"
ACCESS_MS = DEFAULT_LATENCY["access_ms"]
PACIFIC_MS = REGION_LATENCY_MS[frozenset(("us-west", "ap-northeast"))]
REGIONS = [{"id": r, "zones": []} for r in ("us-west", "ap-northeast", "eu-west")]


def world(dns: dict[str, Any], *, users: dict[str, float] | None = None, clients: int = 100,
          targets: tuple[str, ...] = ("us-west", "ap-northeast"), faults: list[dict[str, Any]] | None = None,
          window_s: float = 1.0) -> dict[str, Any]:
    """Users in some regions, one DNS router, and per target region a balancer over a fast pool."""
    users = users or {"us-west": 100.0, "ap-northeast": 100.0}
    nodes: list[dict[str, Any]] = [
        {"id": f"users-{r}", "kind": "traffic_source", "region": r,
         "params": {"rate_per_s": rate, "clients": clients}} for r, rate in users.items()]
    nodes.append({"id": "dns", "kind": "dns_router", "params": dns})
    edges: list[dict[str, Any]] = [{"from": f"users-{r}", "to": "dns"} for r in users]
    for r in targets:
        nodes += [{"id": f"lb-{r}", "kind": "load_balancer", "region": r, "params": {}},
                  {"id": f"app-{r}", "kind": "service_pool", "region": r,
                   "params": {"instances": 1, "workers_per_instance": 1000, "service_time_ms": 10,
                              "service_distribution": "deterministic", "queue_capacity": 0}}]
        edges += [{"from": "dns", "to": f"lb-{r}"}, {"from": f"lb-{r}", "to": f"app-{r}", "latency_ms": 0}]
    return lab.sim.load({
        "version": 1, "settings": {"duration_s": 3600, "warmup_s": 0, "window_s": window_s, "seed": 1},
        "regions": REGIONS, "nodes": nodes, "edges": edges, "faults": faults or []})


def run(topo: dict[str, Any], until: float, seed: int = 1, drain: bool = False) -> tuple[Run, dict[str, Any]]:
    r = Run(topo, seed=seed).run(until)
    if drain:  # every request sent has arrived where it was sent
        r.sim.drain()
        return r, r.sim.results()
    return r, r.finish()


def test_each_user_is_sent_to_the_nearest_region_and_pays_only_its_access_network() -> None:
    # Users in Europe have no stack of their own: us-west (70 ms) is nearer than Tokyo (105 ms).
    r, results = run(world({"policy": "latency", "ttl_s": 60},
                           users={"us-west": 100, "ap-northeast": 100, "eu-west": 50}), 20.0, drain=True)
    nodes = results["measured"]["nodes"]
    sent = {s: nodes[f"users-{s}"]["arrivals"] for s in ("us-west", "ap-northeast", "eu-west")}
    assert nodes["lb-ap-northeast"]["arrivals"] == sent["ap-northeast"]
    assert nodes["lb-us-west"]["arrivals"] == sent["us-west"] + sent["eu-west"]
    origins = results["measured"]["origins"]
    assert origins["us-west"]["latency_ms"]["p50"] == pytest.approx(2 * ACCESS_MS + 10, abs=0.5)
    assert origins["ap-northeast"]["latency_ms"]["p50"] == pytest.approx(2 * ACCESS_MS + 10, abs=0.5)
    eu_to_us = REGION_LATENCY_MS[frozenset(("eu-west", "us-west"))]
    assert origins["eu-west"]["latency_ms"]["p50"] == pytest.approx(2 * (ACCESS_MS + eu_to_us) + 10, rel=0.02)
    share = nodes["dns"]["share_by_region"]
    assert share["us-west"] == pytest.approx((sent["us-west"] + sent["eu-west"]) / sum(sent.values()), abs=1e-6)


def test_geo_routing_sends_users_from_elsewhere_to_the_default_not_the_nearest() -> None:
    # The first edge (Tokyo) is the default record; Europeans go there although us-west is nearer.
    r, results = run(world({"policy": "geo"}, users={"us-west": 100, "eu-west": 50},
                           targets=("ap-northeast", "us-west")), 10.0, drain=True)
    nodes = results["measured"]["nodes"]
    assert nodes["lb-ap-northeast"]["arrivals"] == nodes["users-eu-west"]["arrivals"]
    assert nodes["lb-us-west"]["arrivals"] == nodes["users-us-west"]["arrivals"]


def test_a_cached_answer_saves_the_resolution_latency() -> None:
    # 10 clients who never see their answer expire resolve once each; without caching, every
    # request waits for the resolver.
    cached = run(world({"ttl_s": 3600, "resolution_ms": 40}, users={"us-west": 100}, clients=10), 20.0)[1]
    fresh = run(world({"ttl_s": 0, "resolution_ms": 40}, users={"us-west": 100}, clients=10), 20.0)[1]
    assert cached["measured"]["nodes"]["dns"]["resolutions"] == 10
    assert fresh["measured"]["nodes"]["dns"]["resolutions"] == fresh["requests"]["created"]
    gap = fresh["measured"]["overall"]["latency_ms"]["mean"] - cached["measured"]["overall"]["latency_ms"]["mean"]
    assert gap == pytest.approx(40 * (1 - 10 / cached["requests"]["created"]), abs=0.2)


def test_a_weighted_policy_splits_answers_by_the_weights() -> None:
    r, results = run(world({"policy": "weighted", "weights": {"us-west": 3, "lb-ap-northeast": 1}, "ttl_s": 0},
                           users={"eu-west": 400}), 20.0, drain=True)
    nodes = results["measured"]["nodes"]
    n = results["requests"]["created"]
    share = nodes["lb-us-west"]["arrivals"] / n
    half_width = 4 * math.sqrt(0.75 * 0.25 / n)  # about 4 standard errors of a binomial share
    assert abs(share - 0.75) < half_width
    assert nodes["dns"]["share_by_region"]["us-west"] == pytest.approx(share, abs=1e-6)


CRASH_AT, TTL, INTERVAL, THRESHOLD = 20.0, 15.0, 2.0, 3


def test_a_dead_region_fails_its_users_until_detection_plus_the_ttl_then_all_go_to_the_other() -> None:
    crash = {"kind": "crash", "node": "lb-ap-northeast", "start_s": CRASH_AT, "duration_s": 0}
    topo = world({"policy": "latency", "ttl_s": TTL, "health_check_interval_s": INTERVAL,
                  "unhealthy_threshold": THRESHOLD}, users={"us-west": 100, "ap-northeast": 200}, clients=50,
                 faults=[crash], window_s=0.25)
    r, results = run(topo, 70.0)
    failover = next(e for e in results["timeline"] if e["type"] == "dns_failover")
    detected = failover["t"] - CRASH_AT
    assert (THRESHOLD - 1) * INTERVAL <= detected <= THRESHOLD * INTERVAL
    failing = [w for w in r.windows if w["origins"]["ap-northeast"]["errors"] > 0]
    assert failing[0]["t_start"] == CRASH_AT
    # Clients who resolved just before the health checks noticed keep the dead answer for a TTL.
    assert CRASH_AT + detected + TTL - 1.0 <= failing[-1]["t_end"] <= CRASH_AT + detected + TTL + 0.25
    assert r.windows[-1]["origins"]["us-west"]["errors"] == 0
    # Until detection every Asian request fails; afterwards fewer and fewer as answers expire.
    before = [w for w in r.windows if CRASH_AT + 0.25 <= w["t_start"] and w["t_end"] <= CRASH_AT + detected]
    assert all(w["origins"]["ap-northeast"]["completions"] == 0 for w in before)
    after = [w for w in r.windows if w["t_start"] >= CRASH_AT + detected + TTL + 0.25]
    assert after and all(w["origins"]["ap-northeast"]["errors"] == 0 for w in after)
    assert all(w["nodes"]["lb-ap-northeast"]["arrivals"] == 0 for w in after)
    dns = results["measured"]["nodes"]["dns"]
    assert dns["failovers"] == 1 and dns["stale_answers"] > 0
    # Counted when answered: a few answered just before the crash arrived just after it.
    assert dns["misrouted"] == pytest.approx(results["measured"]["origins"]["ap-northeast"]["failures"]["fault"], abs=10)


def test_when_the_dns_service_is_down_only_clients_with_a_fresh_answer_get_through() -> None:
    outage = {"kind": "crash", "node": "dns", "start_s": 10, "duration_s": 10}
    r, results = run(world({"ttl_s": 5}, users={"us-west": 200}, clients=20, faults=[outage]), 30.0)
    errors = [w["overall"]["errors"] for w in r.windows]
    arrivals = [w["overall"]["arrivals"] for w in r.windows]
    assert sum(errors[:10]) == 0
    # The clients' answers expire at scattered times: a few fail at first, all of them once a
    # TTL has passed, none once the service is back.
    assert 0 < errors[10] < 0.5 * arrivals[10]
    assert errors[11] < errors[12] < errors[13]
    assert sum(errors[15:20]) == sum(arrivals[15:20])
    assert sum(errors[21:]) == 0


def test_when_every_target_is_unhealthy_dns_answers_with_all_of_them() -> None:
    crashes = [{"kind": "crash", "node": f"lb-{r}", "start_s": 5, "duration_s": 0} for r in ("us-west", "ap-northeast")]
    r, results = run(world({"ttl_s": 0, "health_check_interval_s": 1, "unhealthy_threshold": 1},
                           faults=crashes), 20.0)
    assert results["measured"]["nodes"]["dns"]["healthy_targets"] == 0
    assert results["measured"]["nodes"]["lb-ap-northeast"]["arrivals"] > 0  # still answered, and failed there
    assert r.windows[-1]["overall"]["completions"] == 0


def test_the_dns_bill_counts_resolutions_not_requests() -> None:
    r, results = run(world({"ttl_s": 3600}, users={"us-west": 100}, clients=10), 10.0)
    dns = results["measured"]["nodes"]["dns"]
    zone_per_s = 0.50 / 730 / 3600
    assert dns["cost_usd"] == pytest.approx(10 * 0.40 / 1e6 + 10 * zone_per_s, rel=1e-3)


def test_weights_that_name_no_positive_target_are_refused() -> None:
    doc = json.loads(json.dumps({"version": 1, "nodes": [
        {"id": "u", "kind": "traffic_source"},
        {"id": "dns", "kind": "dns_router", "params": {"policy": "weighted", "weights": {"us-west": 0}}},
        {"id": "a", "kind": "service_pool"}], "edges": [{"from": "u", "to": "dns"}, {"from": "dns", "to": "a"}]}))
    problems = check(doc)
    assert any("at least one target with a weight above 0" in p["message"] for p in problems), problems


# ------------------------------------------------------------------------------ the example

def test_the_two_region_example_shows_the_ttl_stretching_a_region_outage() -> None:
    topo = lab.sim.load(EXAMPLE.read_text())
    assert check(EXAMPLE.read_text()) == []
    windows: list[dict[str, Any]] = []
    sim = Simulation(topo, on_window=windows.append)
    sim.run(170.0)  # the failover and the TTL after it are over by then
    sim.finish()
    results = sim.results()
    fault = next(f for f in topo["faults"])
    crash_at = fault["start_s"]
    failover = next(e for e in results["timeline"] if e["type"] == "dns_failover" and not e["healthy"])
    ttl = next(n for n in topo["nodes"] if n["kind"] == "dns_router")["params"]["ttl_s"]
    asia_errors = [w["origins"]["ap-northeast"]["errors"] for w in windows]
    # Before the outage Tokyo users are served at home, fast; during it they fail until the
    # answers cached before the failover expire, then are served from us-west, slower.
    assert sum(asia_errors[:int(crash_at)]) == 0
    last_failure = max(i for i, e in enumerate(asia_errors) if e > 0) + 1
    assert failover["t"] + ttl - 3 <= last_failure <= failover["t"] + ttl + 1
    healthy = windows[int(crash_at) - 5]["origins"]["ap-northeast"]["latency_ms"]["p50"]
    rerouted = windows[last_failure + 5]["origins"]["ap-northeast"]["latency_ms"]["p50"]
    assert rerouted - healthy == pytest.approx(2 * PACIFIC_MS, abs=15)
    assert results["measured"]["nodes"]["dns"]["stale_answers"] > 0
