"""Resilience policies on edges: timeouts, retries with backoff and jitter, a circuit breaker and a
bulkhead. The lesson they exist for must emerge: retries turn a short overload into a retry storm
that outlives it, and a circuit breaker stops it."""
from __future__ import annotations

from typing import Any

import pytest

import lab.sim
from lab.sim import Simulation, check

from .component_world import node, source


def storm(policy: dict[str, Any], seed: int = 3) -> list[dict[str, Any]]:
    """150 req/s against a database that serves 200 req/s, with 10 s of 260 req/s from t=10 s."""
    doc = {
        "version": 1, "settings": {"duration_s": 60, "seed": seed},
        "nodes": [
            source(150, pattern="spike", spike_rate_per_s=260, spike_start_s=10, spike_duration_s=10),
            node("api", "service_pool", instances=4, workers_per_instance=100, service_time_ms=1),
            node("db", "service_pool", instances=1, workers_per_instance=2, service_time_ms=10, queue_capacity=2000),
        ],
        "edges": [{"from": "users", "to": "api"}, {"id": "call", "from": "api", "to": "db", "policy": policy}],
    }
    windows: list[dict[str, Any]] = []
    sim = Simulation(lab.sim.load(doc), on_window=windows.append)
    sim.run(60)
    sim.drain()
    assert sim.in_flight() == 0 and sim.created == sim.completed + sim.failed
    return windows


def goodput(windows: list[dict[str, Any]], start: int, end: int) -> float:
    part = windows[start:end]
    return sum(w["overall"]["throughput_per_s"] for w in part) / len(part)


RETRY = {"timeout_ms": 200, "retries": 3, "backoff_ms": 20}


def test_retries_turn_a_short_overload_into_a_storm_that_outlives_it() -> None:
    with_retries = storm(RETRY)
    without = storm({"timeout_ms": 200})
    # Long after the spike, the plain timeout has recovered and the retries have not.
    assert goodput(without, 40, 60) == pytest.approx(150, rel=0.1)
    assert goodput(with_retries, 40, 60) < 15
    amplification = sum(w["nodes"]["db"]["arrivals"] for w in with_retries[40:60]) / \
        sum(w["nodes"]["users"]["arrivals"] for w in with_retries[40:60])
    assert amplification > 3  # each request arrives up to four times
    assert sum(w["edges"]["call"]["policy"]["late"] for w in with_retries) > 1000  # answers nobody waited for


def test_a_circuit_breaker_stops_the_storm() -> None:
    windows = storm({**RETRY, "circuit_breaker": True, "open_s": 2})
    assert goodput(windows, 40, 60) == pytest.approx(150, rel=0.1)
    failures = sum(w["overall"]["failures"].get("circuit_open", 0) for w in windows)
    assert failures > 100  # it sheds load at once instead of queueing it
    circuit = [e for w in windows for e in w["events"] if e["type"] == "circuit"]
    assert [e["state"] for e in circuit][:2] == ["open", "half_open"] and circuit[-1]["state"] == "closed"


def test_retries_recover_transient_errors() -> None:
    doc = {
        "version": 1, "settings": {"duration_s": 30, "seed": 1},
        "nodes": [source(100), node("app", "service_pool", instances=1, workers_per_instance=50, service_time_ms=5)],
        "edges": [{"id": "e", "from": "users", "to": "app", "policy": {"retries": 2, "timeout_ms": 1000}}],
        "faults": [{"kind": "error_rate", "node": "app", "rate": 0.2}],
    }
    results = lab.sim.simulate(lab.sim.load(doc))
    overall = results["measured"]["overall"]
    # Three independent tries fail together with probability 0.2^3.
    assert overall["error_rate"] == pytest.approx(0.008, abs=0.004)


def test_backoff_grows_exponentially_and_full_jitter_spreads_it() -> None:
    doc = {"version": 1, "nodes": [source(1), node("app", "service_pool")],
           "edges": [{"id": "e", "from": "users", "to": "app",
                      "policy": {"retries": 5, "timeout_ms": 100, "backoff_ms": 100, "max_backoff_ms": 800}}]}
    sim = Simulation(lab.sim.load(doc))
    guard = sim.edges[0].guard
    guard.p["jitter"] = "none"
    assert [guard._backoff(n) for n in (1, 2, 3, 4, 5)] == [0.1, 0.2, 0.4, 0.8, 0.8]
    guard.p["jitter"] = "full"
    waits = [guard._backoff(3) for _ in range(2000)]
    assert 0 <= min(waits) < 0.02 and 0.38 < max(waits) <= 0.4
    assert sum(waits) / len(waits) == pytest.approx(0.2, rel=0.05)


def test_a_bulkhead_caps_calls_in_flight_and_refuses_the_rest() -> None:
    doc = {
        "version": 1, "settings": {"duration_s": 20, "seed": 1},
        "nodes": [source(200), node("slow", "service_pool", instances=1, workers_per_instance=100, service_time_ms=100)],
        "edges": [{"id": "e", "from": "users", "to": "slow", "policy": {"bulkhead": 10}}],
    }
    windows: list[dict[str, Any]] = []
    sim = Simulation(lab.sim.load(doc), on_window=windows.append)
    sim.run(20)
    assert max(w["nodes"]["slow"]["in_node_now"] for w in windows) <= 10
    # Little: 10 slots / 0.1 s = 100 req/s get through, the rest are refused at once.
    assert windows[-1]["overall"]["throughput_per_s"] == pytest.approx(100, rel=0.15)
    assert windows[-1]["overall"]["failures"]["bulkhead_full"] == pytest.approx(100, rel=0.15)


@pytest.mark.parametrize("policy, says", [
    ({"retries": 99}, "retries must be at most 10"),
    ({"min_calls": 50, "window_calls": 10}, "min_calls (50) cannot be more than window_calls (10)"),
    ({"jitter": "lots"}, "must be one of"),
    ("fast", "policy must be an object"),
    ({"timeout": 5}, "timeout"),
])
def test_a_bad_policy_is_refused_with_a_reason(policy: Any, says: str) -> None:
    doc = {"version": 1, "nodes": [source(1), node("app", "service_pool")],
           "edges": [{"from": "users", "to": "app", "policy": policy}]}
    problems = check(doc)
    assert any(says in p["message"] and p["path"].startswith("$.edges[0].policy") for p in problems), problems


def test_retries_without_a_timeout_get_a_warning() -> None:
    doc = {"version": 1, "nodes": [source(1), node("app", "service_pool")],
           "edges": [{"from": "users", "to": "app", "policy": {"retries": 2}}]}
    assert [p["severity"] for p in check(doc)] == ["warning"]
