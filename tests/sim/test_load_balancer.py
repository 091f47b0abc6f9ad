"""The load balancer: its policies and its health checks."""
from __future__ import annotations

from typing import Any

import pytest

from lab.sim import Simulation
from lab.sim.kernel.request import Request

from .component_world import topology, node, source, pool, Run, simulate


def lb_topology(policy: str, n: int = 3, *, src: dict[str, Any] | None = None, apps: list[dict[str, Any]] | None = None,
                faults: list[dict[str, Any]] | None = None, **lb_params: Any) -> dict[str, Any]:
    apps = apps or [pool(f"app{i}", instances=1, workers_per_instance=8, service_time_ms=5) for i in range(1, n + 1)]
    nodes = [src or source(300.0), node("lb", "load_balancer", policy=policy, **lb_params), *apps]
    edges = [("users", "lb")] + [("lb", a["id"]) for a in apps]
    return topology(nodes, edges, faults=faults)


def target_arrivals(results: dict[str, Any], n: int = 3) -> list[int]:
    return [results["measured"]["nodes"][f"app{i}"]["arrivals"] for i in range(1, n + 1)]


def test_round_robin_splits_requests_exactly_evenly() -> None:
    results = simulate(lb_topology("round_robin"), 20.0)
    counts = target_arrivals(results)
    assert sum(counts) == results["measured"]["nodes"]["lb"]["arrivals"] > 5000
    assert max(counts) - min(counts) <= 1


def test_sticky_sends_every_request_of_one_client_to_the_same_target() -> None:
    results = simulate(lb_topology("sticky", src=source(300.0, clients=1)), 10.0)
    counts = target_arrivals(results)
    assert sorted(counts)[:2] == [0, 0] and max(counts) == results["requests"]["created"]


def test_sticky_spreads_many_clients_over_every_target() -> None:
    results = simulate(lb_topology("sticky", src=source(300.0, clients=3000)), 10.0)
    counts = target_arrivals(results)
    assert min(counts) > 0.25 * sum(counts)


def targets_by_client(policy: str, remove: str | None = None, clients: int = 20_000) -> dict[int, str]:
    sim = Simulation(lb_topology(policy, 5))
    lb = sim.nodes["lb"]
    if remove:
        lb.set_target_health(remove, False, 0.0)
    return {c: lb._choose(Request(c, "read", 0, c, 0.0, "users"), lb.active).target.id for c in range(clients)}


def test_consistent_hashing_moves_only_the_removed_targets_clients() -> None:
    before = targets_by_client("consistent_hash")
    after = targets_by_client("consistent_hash", remove="app5")
    moved = [c for c in before if before[c] != after[c]]
    assert all(before[c] == "app5" for c in moved)
    assert len(moved) / len(before) == pytest.approx(1 / 5, abs=0.06)


def test_sticky_hash_mod_n_moves_most_clients_when_a_target_is_removed() -> None:
    before = targets_by_client("sticky")
    after = targets_by_client("sticky", remove="app5")
    moved = sum(1 for c in before if before[c] != after[c])
    assert moved / len(before) == pytest.approx(4 / 5, abs=0.03)


def slow_and_fast_targets() -> list[dict[str, Any]]:
    return [pool("app1", instances=1, workers_per_instance=1, service_time_ms=200, queue_capacity=100_000),
            pool("app2", instances=1, workers_per_instance=64, service_time_ms=2)]


@pytest.mark.parametrize("policy", ["least_connections", "power_of_two"])
def test_connection_aware_policies_prefer_the_idle_target(policy: str) -> None:
    results = simulate(lb_topology(policy, 2, src=source(50.0), apps=slow_and_fast_targets()), 30.0)
    slow, fast = target_arrivals(results, 2)
    # Ties go to the first target, the slow one, so it still gets a request whenever it is idle.
    assert fast > 5 * slow
    assert results["requests"]["failed"] == 0


def test_round_robin_ignores_how_busy_a_target_is() -> None:
    results = simulate(lb_topology("round_robin", 2, src=source(50.0), apps=slow_and_fast_targets()), 30.0)
    slow, fast = target_arrivals(results, 2)
    assert abs(fast - slow) <= 1


def health_checked_run() -> Run:
    topo = lb_topology("round_robin", faults=[{"kind": "crash", "node": "app2", "start_s": 10, "duration_s": 10}],
                       health_check_interval_s=1, unhealthy_threshold=2)
    return Run(topo).run(30.0)


def test_health_checks_take_a_crashed_target_out_after_the_detection_delay_and_back_after_recovery() -> None:
    r = health_checked_run()
    entries = [(e["type"], e.get("healthy")) for e in r.sim.timeline]
    assert entries == [("fault_started", None), ("health_check", False), ("fault_ended", None), ("health_check", True)]
    started, out, ended, back = r.sim.timeline
    assert (started["t"], ended["t"]) == (10.0, 20.0)
    assert out["node"] == back["node"] == "lb" and out["target"] == back["target"] == "app2"
    # Two failed checks, one interval apart, the first at a random point of the interval.
    assert 11.0 <= out["t"] < 12.0
    assert 21.0 <= back["t"] < 22.0


def test_a_target_taken_out_by_health_checks_gets_no_requests_until_it_is_put_back() -> None:
    r = health_checked_run()
    lb_windows = {w["t_start"]: w["nodes"]["lb"] for w in r.windows}
    app2 = {w["t_start"]: w["nodes"]["app2"] for w in r.windows}
    assert lb_windows[10.0]["failures"] == {} and app2[10.0]["failures"].get("fault", 0) > 0
    for t in range(12, 21):
        assert app2[float(t)]["arrivals"] == 0, f"app2 got requests at {t} s"
    assert all(app2[float(t)]["arrivals"] > 50 for t in range(22, 30))
    assert lb_windows[15.0]["healthy_targets"] == 2 and lb_windows[25.0]["healthy_targets"] == 3


# ---------------------------------------------------------------- service pool
