"""The API gateway: routing by class, the time it adds, and its concurrency limit."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from lab.sim import Simulation, check, load

from .component_world import Run, node, pool, source, topology
from .replications import interval

EXAMPLES = Path(__file__).resolve().parents[2] / "lab" / "sim" / "examples"
CLASSES = [{"name": "read", "operation": "read", "share": 6}, {"name": "write", "operation": "write", "share": 3},
           {"name": "admin", "operation": "read", "share": 1}]


def exact(node_id: str, ms: float, workers: int = 1000) -> dict[str, Any]:
    """A pool with a fixed service time and no waiting: it adds exactly `ms`."""
    return pool(node_id, instances=1, workers_per_instance=workers, service_time_ms=ms,
                service_distribution="deterministic", queue_capacity=0)


def gateway_topology(rate: float, *, classes: list[dict[str, Any]] | None = None, **params: Any) -> dict[str, Any]:
    settings = {"tls_ms": 0.5, "auth_ms": 2.0, "transform_ms": 1.0, **params}
    return topology(
        [source(rate), node("gw", "api_gateway", **settings), exact("reads", 5.0), exact("writes", 7.0)],
        [("users", "gw"), {"from": "gw", "to": "reads", "classes": ["read"]},
         {"from": "gw", "to": "writes", "classes": ["write"]}],
        classes=classes or CLASSES)


def test_each_class_goes_to_its_own_service_and_a_class_without_a_route_fails_with_500() -> None:
    r = Run(gateway_topology(300.0)).run(20)
    r.sim.drain()
    results = r.sim.results()
    nodes, classes = results["measured"]["nodes"], results["measured"]["classes"]
    assert nodes["reads"]["arrivals"] == classes["read"]["arrivals"] == classes["read"]["completions"] > 3000
    assert nodes["writes"]["arrivals"] == classes["write"]["arrivals"] == classes["write"]["completions"] > 1500
    assert classes["admin"]["completions"] == 0
    assert classes["admin"]["failures"] == {"error": classes["admin"]["arrivals"]}
    assert nodes["gw"]["unrouted"] == classes["admin"]["arrivals"] > 300
    failed = results["traces"]["failed"]["error"][0]
    assert failed["status"] == 500 and failed["failed_at"] == "gw"


def test_the_gateway_adds_tls_auth_and_transformation_time_to_every_request() -> None:
    results = Run(gateway_topology(200.0, classes=CLASSES[:2])).run(20).finish()
    gw = results["measured"]["nodes"]["gw"]
    assert gw["latency_ms"]["mean"] == pytest.approx(3.5, abs=1e-6)
    assert gw["auth_checks"] == gw["arrivals"]
    # End to end: 0.5 + 2 + 1 ms at the gateway, then the service's own fixed time.
    by_class = results["measured"]["classes"]
    assert by_class["read"]["latency_ms"]["mean"] == pytest.approx(3.5 + 5.0, abs=1e-3)
    assert by_class["write"]["latency_ms"]["mean"] == pytest.approx(3.5 + 7.0, abs=1e-3)


def test_a_token_cache_spares_the_auth_check_for_its_hits() -> None:
    results = Run(gateway_topology(500.0, classes=CLASSES[:2], token_cache_hit=0.8)).run(20).finish()
    gw = results["measured"]["nodes"]["gw"]
    assert gw["token_cache_hits"] / gw["arrivals"] == pytest.approx(0.8, abs=0.01)
    assert gw["token_cache_hits"] + gw["auth_checks"] == gw["arrivals"]
    assert gw["latency_ms"]["mean"] == pytest.approx(0.5 + 1.0 + 0.2 * 2.0, abs=0.03)


def test_a_gateway_with_no_work_of_its_own_passes_requests_on_at_once() -> None:
    results = Run(gateway_topology(200.0, classes=CLASSES[:2], tls_ms=0, auth_ms=0, transform_ms=0)).run(10).finish()
    assert results["measured"]["nodes"]["gw"]["latency_ms"]["max"] == 0.0
    assert results["measured"]["classes"]["read"]["latency_ms"]["mean"] == pytest.approx(5.0, abs=1e-3)


# ---------------------------------------------------------------- the concurrency limit


def limited(rate: float, limit: int) -> dict[str, Any]:
    # Each request holds a place at the gateway for exactly 50 ms (the service's time).
    return topology([source(rate), node("gw", "api_gateway", tls_ms=0, auth_ms=0, max_in_flight=limit),
                     exact("app", 50.0)], [("users", "gw"), ("gw", "app")])


def test_beyond_max_in_flight_requests_are_throttled_with_429() -> None:
    r = Run(limited(400.0, 10))
    results = r.run(20).finish()
    gw = results["measured"]["nodes"]["gw"]
    assert gw["in_flight_max"] == 10
    assert gw["failures"] == {"throttled": gw["throttled"]} and gw["throttled"] > 2000
    assert results["traces"]["failed"]["throttled"][0]["status"] == 429
    # At most 10 at a time, each for 50 ms: at most 200 requests/s get through.
    assert results["measured"]["nodes"]["app"]["throughput_per_s"] <= 200.0
    unlimited = Run(limited(400.0, 0)).run(20).finish()["measured"]["nodes"]["gw"]
    assert unlimited["errors"] == 0 and unlimited["in_flight_max"] > 20


def erlang_b(servers: int, offered: float) -> float:
    b = 1.0
    for n in range(1, servers + 1):
        b = offered * b / (n + offered * b)
    return b


@pytest.mark.fidelity
def test_the_share_throttled_is_erlangs_loss_formula() -> None:
    # Poisson arrivals, at most N held, no waiting: an M/G/N/N loss system, whose blocking
    # probability is Erlang B whatever the holding time's distribution.
    topo = limited(200.0, 10)
    topo["settings"].update(duration_s=200, warmup_s=10)
    values = []
    for seed in range(301, 311):
        sim = Simulation(topo, seed=seed)
        sim.run(200)
        sim.finish()
        gw = sim.results()["measured"]["nodes"]["gw"]
        values.append(gw["throttled"] / gw["arrivals"])
    mean, half = interval(values)
    expected = erlang_b(10, 200.0 * 0.050)
    assert half < 0.03 * expected
    assert abs(mean - expected) <= half, f"Erlang B {expected:.5f}; simulated {mean:.5f} +- {half:.5f}"


# ---------------------------------------------------------------- the example


def test_the_spa_example_routes_each_class_to_its_service_behind_a_millisecond_gateway() -> None:
    text = (EXAMPLES / "api_gateway_spa.json").read_text()
    assert check(text) == []
    topo = load(text)
    sim = Simulation(topo)
    sim.run(topo["settings"]["duration_s"])
    sim.finish()
    results = sim.results()
    nodes, classes = results["measured"]["nodes"], results["measured"]["classes"]
    assert results["measured"]["overall"]["errors"] == 0
    # Each service receives its classes (give or take those inside the gateway at the
    # measurement's edges).
    assert nodes["catalog"]["arrivals"] == pytest.approx(classes["catalog"]["arrivals"], abs=10)
    assert nodes["search"]["arrivals"] == pytest.approx(classes["search"]["arrivals"], abs=10)
    assert nodes["orders"]["arrivals"] == pytest.approx(classes["cart"]["arrivals"] + classes["account"]["arrivals"],
                                                        abs=10)
    assert classes["search"]["arrivals"] > 20_000
    gw = nodes["gateway"]
    # TLS 0.3 + transformation 0.5 + the token check (2 ms) for the 10% of tokens not cached.
    assert gw["latency_ms"]["mean"] == pytest.approx(0.3 + 0.5 + 0.1 * 2.0, abs=0.02)
    assert gw["unrouted"] == 0 and gw["throttled"] == 0
    assert gw["cost_per_hour_usd"] == pytest.approx(3.50 * gw["arrival_rate_per_s"] * 3600 / 1e6, rel=1e-3)
