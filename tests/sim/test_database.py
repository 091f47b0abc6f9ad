"""The database: replicas, read routing, replication lag, connection limits."""
from __future__ import annotations

from typing import Any

import pytest

import lab.sim

from .component_world import READ_WRITE, topology, node, source, Run


def db_topology(rate: float, classes: list[dict[str, Any]] | None = None, window_s: float = 1.0,
                **params: Any) -> dict[str, Any]:
    return topology([source(rate), node("db", "database", **params)], [("users", "db")], classes=classes,
                    window_s=window_s)


def test_reads_go_to_the_replicas_in_turn_and_writes_to_the_primary() -> None:
    # One long window, so the instances' counters are still whole when we look at them.
    topo = db_topology(500.0, READ_WRITE, window_s=1000.0, replicas=2, read_from="replicas", workers=64,
                       max_connections=1000)
    r = Run(topo).run(10.0)
    primary, first, second = (station.arrivals for station in r.sim.nodes["db"].instances)
    r.sim.drain()
    classes = r.sim.results()["measured"]["classes"]
    assert primary == classes["write"]["completions"] > 0
    assert first + second == classes["read"]["completions"]
    assert abs(first - second) <= 1


def replication_lag(write_rate: float) -> list[float]:
    topo = db_topology(write_rate, [{"name": "write", "operation": "write"}], replicas=1, workers=8,
                       max_connections=10_000, write_time_ms=10, replication_delay_ms=2)
    r = Run(topo).run(30.0)
    return [w["replication_lag_ms"]["mean"] for w in r.window_nodes("db")]


def test_replication_lag_is_at_least_the_network_delay_plus_the_time_to_apply() -> None:
    lag = replication_lag(40.0)
    assert all(2.0 < x < 100.0 for x in lag), lag


def test_replication_lag_grows_when_writes_come_faster_than_a_replica_applies_them() -> None:
    # The primary has 8 workers; each replica applies writes one at a time (10 ms): at most 100/s.
    lag = replication_lag(150.0)
    assert lag[25] > 2 * lag[10] > 4 * lag[3]


def test_a_database_refuses_requests_beyond_its_connection_limit_as_overloaded() -> None:
    r = Run(db_topology(200.0, workers=2, max_connections=4, read_time_ms=50)).run(10.0)
    results = r.finish()
    db = results["measured"]["nodes"]["db"]
    assert set(db["failures"]) == {"overloaded"} and db["failures"]["overloaded"] > 1000
    assert max(w["in_node_now"] for w in r.window_nodes("db")) <= 4


def test_a_database_never_holds_more_requests_than_its_connection_limit() -> None:
    r = Run(db_topology(1000.0, workers=2, max_connections=5, read_time_ms=100)).run(5.0)
    r.finish()
    assert max(w["in_node_now"] for w in r.window_nodes("db")) <= 5
    assert r.finish()["measured"]["nodes"]["db"]["failures"].get("overloaded", 0) > 0


def test_a_database_with_more_workers_than_connections_is_refused_with_the_reason() -> None:
    # Every running query holds a connection, so such a database could never use its workers.
    with pytest.raises(lab.sim.InvalidTopology, match="max_connections \\(2\\) must be at least workers \\(8\\)"):
        db_topology(1000.0, workers=8, max_connections=2, read_time_ms=100)


# ---------------------------------------------------------------- work queue
