"""The service pool: queue limits, timeouts, per-class times, blocking calls, live scaling."""
from __future__ import annotations

from typing import Any

import pytest

from .component_world import READ_WRITE, topology, node, source, pool, Run, simulate
from lab.sim import apply_command


def test_a_full_queue_refuses_requests_as_overloaded() -> None:
    topo = topology([source(100.0), pool(instances=1, workers_per_instance=1, queue_capacity=5, service_time_ms=50)],
                    [("users", "app")])
    r = Run(topo).run(20.0)
    results = r.finish()
    app = results["measured"]["nodes"]["app"]
    assert set(app["failures"]) == {"overloaded"} and app["failures"]["overloaded"] > 500
    assert max(w["in_node_now"] for w in r.window_nodes("app")) <= 1 + 5
    refused = results["traces"]["failed"]["overloaded"][0]
    assert (refused["status"], refused["failed_at"]) == (503, "app")


def timeout_topology(service: dict[str, Any], rate: float = 80.0) -> dict[str, Any]:
    return topology([source(rate), pool(instances=1, workers_per_instance=1, queue_capacity=100_000,
                                        timeout_ms=100, **service)], [("users", "app")])


def test_a_request_that_waits_past_the_timeout_fails_with_timeout() -> None:
    results = simulate(timeout_topology({"service_time_ms": 20}), 20.0, trace_every=10, trace_cap=10_000)
    app = results["measured"]["nodes"]["app"]
    assert set(app["failures"]) == {"timeout"} and app["failures"]["timeout"] > 100
    assert results["traces"]["failed"]["timeout"][0]["status"] == 504
    served = [h for t in results["traces"]["sampled"] for h in t["hops"] if h["node"] == "app"]
    assert served and max(h["queue_ms"] for h in served) <= 100.0


def test_a_waiting_request_fails_the_moment_its_timeout_expires() -> None:
    # One worker busy for a second at a time: the requests behind it give up after 100 ms, not
    # when the worker next comes free.
    topo = timeout_topology({"service_time_ms": 1000, "service_distribution": "deterministic"}, rate=20.0)
    results = simulate(topo, 10.0, trace_every=1, trace_cap=10_000)
    timed_out = results["traces"]["failed"]["timeout"]
    assert len(timed_out) > 100
    assert all(t["latency_ms"] == pytest.approx(100.0, abs=1e-3) for t in timed_out)


def test_each_request_class_takes_its_own_service_time() -> None:
    app = pool(instances=1, workers_per_instance=64, service_time_ms=5, service_time_ms_by_class={"write": 40},
               service_distribution="deterministic")
    results = simulate(topology([source(100.0), app], [("users", "app")], classes=READ_WRITE), 20.0)
    classes = results["measured"]["classes"]
    assert classes["read"]["latency_ms"]["mean"] == pytest.approx(5.0)
    assert classes["write"]["latency_ms"]["mean"] == pytest.approx(40.0)


def utilization_with(blocking: bool) -> float:
    app = pool(instances=1, workers_per_instance=4, service_time_ms=5, service_distribution="deterministic",
               blocking_calls=blocking)
    db = node("db", "database", workers=100, max_connections=1000, read_time_ms=20, service_distribution="deterministic")
    results = simulate(topology([source(100.0), app, db], [("users", "app"), ("app", "db")]), 30.0)
    assert results["requests"]["failed"] == 0
    return results["measured"]["nodes"]["app"]["utilization"]


def test_blocking_calls_keep_workers_busy_while_the_database_answers() -> None:
    # Each worker is held 5 ms without blocking calls and 5 + 20 ms with them: 100/s over 4 workers.
    assert utilization_with(blocking=False) == pytest.approx(100 * 0.005 / 4, rel=0.1)
    assert utilization_with(blocking=True) == pytest.approx(100 * 0.025 / 4, rel=0.1)


def test_adding_instances_mid_run_ends_the_overload_and_is_recorded() -> None:
    topo = topology([source(300.0), pool(instances=1, workers_per_instance=2, service_time_ms=10, queue_capacity=50)],
                    [("users", "app")])
    r = Run(topo).run(10.0)
    assert apply_command(r.sim, {"op": "set_param", "node": "app", "param": "instances", "value": 4}) == []
    r.run(20.0)
    r.finish()
    before, after = r.window_nodes("app", 2, 10), r.window_nodes("app", 12, 20)
    assert all(w["errors"] > 0 and w["queue_length"] > 20 for w in before)
    assert all(w["errors"] == 0 and w["queue_length"] < 2 for w in after)
    assert after[-1]["instances"] == 4
    entry = {"t": 10.0, "type": "set_param", "node": "app", "param": "instances", "value": 4, "old": 1}
    assert r.sim.timeline == [entry]
    assert [w["events"] for w in r.windows if w["events"]] == [[entry]] and r.windows[10]["events"] == [entry]


def test_removing_instances_mid_run_never_reports_utilization_above_one() -> None:
    # Eight one-second jobs are running when the pool shrinks to one instance; they finish first.
    topo = topology([source(100.0), pool(instances=8, workers_per_instance=1, service_time_ms=1000,
                                          service_distribution="deterministic")], [("users", "app")])
    r = Run(topo).run(5.0)
    assert apply_command(r.sim, {"op": "set_param", "node": "app", "param": "instances", "value": 1}) == []
    r.run(8.0)
    results = r.finish()
    assert all(0.0 <= w["utilization"] <= 1.0 for w in r.window_nodes("app")), [w["utilization"] for w in r.window_nodes("app")]
    assert results["measured"]["nodes"]["app"]["utilization"] <= 1.0


# ---------------------------------------------------------------- cache
