"""The database: replicas, read routing, replication lag, connection limits."""
from __future__ import annotations

from collections import deque
from pathlib import Path
from typing import Any

import pytest

import lab.sim
from lab.sim.parts.failover import PrimaryFailover
from lab.sim.parts.replica_set import ReplicaSet

from .component_world import READ_WRITE, topology, node, source, Run

EXAMPLES = Path(__file__).resolve().parents[2] / "lab" / "sim" / "examples"


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


# -- synchronous and asynchronous replication, cross-region replicas --------------------------

WRITES = [{"name": "write", "operation": "write"}]


def write_latency_ms(**params: Any) -> float:
    # Few writes and fixed query times: next to no queueing, so the latency is the path (a
    # replica's applier is busy 2% of the time, which adds about 0.1 ms on average).
    topo = db_topology(2.0, WRITES, service_distribution="deterministic", write_time_ms=10, **params)
    return Run(topo).run(60.0).finish()["measured"]["classes"]["write"]["latency_ms"]["mean"]


def test_a_sync_write_waits_for_the_replica_to_apply_it_and_acknowledge_and_an_async_one_does_not() -> None:
    # 10 ms on the primary; sync adds 21 ms there, 10 ms to apply and 21 ms back.
    assert write_latency_ms(replicas=1, replica_latency_ms=[20]) == pytest.approx(10.0, abs=0.01)
    assert write_latency_ms(replicas=1, replica_latency_ms=[20], replication="sync") == pytest.approx(62.0, abs=0.3)


def test_a_sync_write_that_needs_one_replica_waits_only_for_the_nearest() -> None:
    far = dict(replicas=2, replica_latency_ms=[0, 50], replication="sync")
    assert write_latency_ms(**far, sync_replicas=1) == pytest.approx(22.0, abs=0.3)
    assert write_latency_ms(**far, sync_replicas=0) == pytest.approx(122.0, abs=0.3)


def test_a_replica_in_another_region_lags_by_its_distance() -> None:
    def lag(**params: Any) -> float:
        topo = db_topology(20.0, WRITES, replicas=1, service_distribution="deterministic", write_time_ms=10,
                           replication_delay_ms=1, **params)
        return Run(topo).run(20.0).finish()["measured"]["nodes"]["db"]["replication_lag_ms"]["mean"]

    near, far = lag(), lag(replica_latency_ms=[80])
    # Network 1 ms, apply 10 ms, and the M/D/1 wait at the applier (Pollaczek-Khinchine):
    # rho / (2 (1 - rho)) x 10 ms at rho = 20/s x 10 ms = 0.2.
    assert near == pytest.approx(1.0 + 10.0 + 0.2 / 1.6 * 10.0, abs=0.4)
    assert far - near == pytest.approx(80.0, abs=0.5)


def test_async_writes_at_risk_are_the_writes_the_best_replica_has_not_applied_yet() -> None:
    # Little's law on the replication pipe: 50 writes/s x (100 ms away + 10 ms to apply) = 5.5.
    topo = db_topology(50.0, WRITES, window_s=1.0, replicas=2, replica_latency_ms=[100, 300],
                       service_distribution="deterministic", write_time_ms=10, replication_delay_ms=0)
    r = Run(topo).run(200.0)
    r.finish()
    at_risk = [w["writes_at_risk"] for w in r.window_nodes("db", t_from=5.0)]
    assert sum(at_risk) / len(at_risk) == pytest.approx(5.5, abs=0.6)
    assert max(w["writes_at_risk_max"] for w in r.window_nodes("db")) >= max(at_risk)


def test_sync_writes_are_never_at_risk() -> None:
    topo = db_topology(50.0, WRITES, replicas=1, replica_latency_ms=[100], replication="sync")
    r = Run(topo).run(20.0)
    r.finish()
    assert all(w["writes_at_risk_max"] == 0 for w in r.window_nodes("db"))
    assert all(w["sync_wait_ms"] > 200 for w in r.window_nodes("db", t_from=1.0))


# -- one instance down: failover ---------------------------------------------------------------

def at(sim: lab.sim.Simulation, t: float, fn: Any, *args: Any) -> None:
    """Call `fn(*args, t)` at simulated time t (what a partial fault will do)."""
    sim.schedule(t, lambda _, now: fn(*args, now), None)


def crash_run(crash_at: float = 10.0, recover_at: float | None = None, until: float = 30.0,
              **params: Any) -> tuple[Run, dict[str, Any]]:
    # Both replicas are far enough that a few acknowledged writes are always on their way.
    settings = {"replicas": 2, "read_from": "replicas", "workers": 16, "max_connections": 1000,
                "election_delay_s": 5, "replica_latency_ms": [100, 150], **params}
    r = Run(db_topology(400.0, READ_WRITE, **settings))
    db = r.sim.nodes["db"]
    at(r.sim, crash_at, db.crash_instance, 0)
    if recover_at is not None:
        at(r.sim, recover_at, db.recover_instance, 0)
    r.run(until)
    r.sim.drain()
    return r, r.sim.results()


def write_failures(r: Run, cause: str) -> list[int]:
    return [w["classes"]["write"]["failures"].get(cause, 0) for w in r.windows]


def test_writes_fail_during_the_election_and_succeed_once_a_replica_is_promoted() -> None:
    r, results = crash_run()
    unreachable = write_failures(r, "unreachable")
    assert sum(unreachable[:10]) == 0 and sum(unreachable[15:]) == 0
    assert all(n > 20 for n in unreachable[10:15])  # 40 writes/s, none taken
    assert sum(w["classes"]["read"]["errors"] for w in r.windows) == 0  # the replicas answer reads throughout
    failover = next(e for e in results["timeline"] if e["type"] == "failover")
    assert failover["t"] == pytest.approx(15.0) and failover["from"] == 0 and failover["to"] == 1
    assert r.sim.nodes["db"].primary == 1
    assert results["measured"]["nodes"]["db"]["failovers"] == 1


def test_an_async_failover_loses_the_writes_the_promoted_replica_had_not_applied() -> None:
    r, results = crash_run()
    down = next(e for e in results["timeline"] if e["type"] == "instance_down")
    failover = next(e for e in results["timeline"] if e["type"] == "failover")
    assert down == {"t": 10.0, "type": "instance_down", "node": "db", "instance": 0, "role": "primary",
                    "election_s": 5, "unreplicated_writes": failover["lost_writes"]}
    assert failover["lost_writes"] > 0
    assert results["measured"]["nodes"]["db"]["lost_writes"] == failover["lost_writes"]


def test_a_sync_failover_loses_nothing() -> None:
    r, results = crash_run(replication="sync")
    failover = next(e for e in results["timeline"] if e["type"] == "failover")
    assert failover["lost_writes"] == 0
    assert results["measured"]["nodes"]["db"]["lost_writes"] == 0
    # Writes waiting for acknowledgements when the primary went fail with it.
    assert sum(write_failures(r, "fault")) > 0


def test_without_failover_writes_fail_until_the_primary_comes_back() -> None:
    r, results = crash_run(recover_at=20.0, failover="none")
    unreachable = write_failures(r, "unreachable")
    assert all(n > 20 for n in unreachable[10:20]) and sum(unreachable[20:]) == 0
    assert [e["type"] for e in results["timeline"]] == ["instance_down", "instance_up"]
    assert r.sim.nodes["db"].primary == 0


def test_a_primary_back_before_the_election_ends_keeps_its_role() -> None:
    r, results = crash_run(recover_at=12.0)
    assert "failover" not in [e["type"] for e in results["timeline"]]
    assert r.sim.nodes["db"].primary == 0
    assert sum(write_failures(r, "unreachable")[12:]) == 0


def test_a_crashed_replica_leaves_the_reads_to_the_others() -> None:
    # One long window, so the instances' counters are still whole when we look at them.
    r = Run(db_topology(400.0, READ_WRITE, window_s=1000.0, replicas=2, workers=16, max_connections=1000))
    db = r.sim.nodes["db"]
    at(r.sim, 5.0, db.crash_instance, 1)
    r.run(10.0)
    crashed, other = db.instances[1].arrivals, db.instances[2].arrivals
    r.run(15.0)
    assert db.instances[1].arrivals == crashed  # nothing reaches it any more
    assert db.instances[2].arrivals - other > 0.9 * 360 * 5
    r.finish()
    reads = r.windows[0]["classes"]["read"]["errors"]
    assert reads <= 5  # at most those it held at the crash
    entry = next(e for e in r.sim.timeline if e["type"] == "instance_down")
    assert entry["role"] == "replica" and "election_s" not in entry


def test_every_request_ends_once_and_littles_law_holds_through_a_sync_failover() -> None:
    r, results = crash_run(replication="sync", workers=2, max_connections=20)
    view = results["measured"]["nodes"]["db"]
    assert results["requests"]["in_flight"] == 0
    assert results["requests"]["created"] == results["requests"]["completed"] + results["requests"]["failed"]
    assert view["arrivals"] == view["completions"] + view["errors"]
    span = results["measured"]["span_s"]
    assert view["in_node"] * span == pytest.approx(view["arrivals"] * view["residence_ms_mean"] / 1000.0, rel=0.01)
    assert view["in_node_now"] == 0


# -- the failover on its own: a replica set and the four moves it asks of its database ----------

class Host:
    """A database as the failover sees it (FailoverHost): every call it makes is written down."""

    def __init__(self) -> None:
        self.id = "db"
        self.sim = self  # its kernel, for schedule and record
        self.calls: list[tuple[Any, ...]] = []
        self.events: list[tuple[float, Any, Any]] = []
        self.timeline: list[dict[str, Any]] = []

    def schedule(self, t: float, fn: Any, arg: Any = None) -> None:
        self.events.append((t, fn, arg))

    def record(self, entry: dict[str, Any], t: float) -> None:
        self.timeline.append({"t": t, **entry})

    def drop_waiting_queries(self, index: int, t: float) -> None:
        self.calls.append(("drop_waiting_queries", index))

    def fail_held(self, req: Any, t: float) -> None:
        self.calls.append(("fail_held", req))

    def failed_over(self, lost_writes: int) -> None:
        self.calls.append(("failed_over", lost_writes))

    def reroute(self) -> None:
        self.calls.append(("reroute",))

    def run_events(self) -> None:
        for t, fn, arg in self.events:
            fn(arg, t)


def failover_world(sync: bool = False) -> tuple[Host, ReplicaSet, PrimaryFailover]:
    # A primary and two replicas, at t = 10: replica 1 still has one of its writes to apply,
    # replica 2 three (one of them applied at 9, already done).
    host, replica_set = Host(), ReplicaSet(1, 2)
    failover = PrimaryFailover(host, replica_set)
    failover.configure(automatic=True, election_delay_s=5.0, sync=sync)
    replica_set.pending[0][1].extend([12.0])
    replica_set.pending[0][2].extend([9.0, 11.0, 13.0, 14.0])
    replica_set.applier_free[:] = [0.0, 12.0, 14.0]
    return host, replica_set, failover


def test_a_crashed_primarys_unreplicated_writes_are_forgotten_and_free_the_appliers() -> None:
    host, replica_set, failover = failover_world()
    failover.crash(0, 10.0)
    assert replica_set.up == [False, True, True]
    assert replica_set.pending[0] == [deque(), deque(), deque()]
    assert replica_set.applier_free == [0.0, 10.0, 10.0]
    assert host.timeline == [{"t": 10.0, "type": "instance_down", "node": "db", "instance": 0, "role": "primary",
                              "unreplicated_writes": 1, "election_s": 5.0}]
    assert host.calls == [("drop_waiting_queries", 0), ("reroute",)]


def test_an_election_promotes_the_most_up_to_date_replica_and_counts_what_it_lacked() -> None:
    host, replica_set, failover = failover_world()
    primaries, replicas = replica_set.primaries, replica_set.replicas
    failover.crash(0, 10.0)
    host.run_events()
    assert replica_set.primaries == [1] and replica_set.replicas == [0, 2]
    assert replica_set.primaries is primaries and replica_set.replicas is replicas  # changed in place
    assert host.timeline[-1] == {"t": 15.0, "type": "failover", "node": "db", "from": 0, "to": 1, "lost_writes": 1}
    assert host.calls[-2:] == [("failed_over", 1), ("reroute",)]


def test_a_sync_write_held_on_the_crashed_primary_fails_through_its_database() -> None:
    host, replica_set, failover = failover_world(sync=True)
    on_primary, on_other = object(), object()
    replica_set.held.update({on_primary: 0, on_other: 1})  # any hashable stands for a request
    failover.crash(0, 10.0)
    assert ("fail_held", on_primary) in host.calls and ("fail_held", on_other) not in host.calls
    assert list(replica_set.held.values()) == [1]
    host.run_events()
    assert host.timeline[-1]["lost_writes"] == 0


# -- several primaries ---------------------------------------------------------------------------

def multi_primary(latency_ms: float, primaries: int = 2) -> tuple[Run, dict[str, Any]]:
    topo = topology([source(300.0), node("db", "database", primaries=primaries, replicas=1,
                                         replica_latency_ms=[latency_ms] * (primaries - 1), workers=16)],
                    [("users", "db")], classes=READ_WRITE, keys={"distribution": "zipf", "count": 100, "exponent": 1.2},
                    window_s=100.0)
    r = Run(topo).run(20.0)
    counts = [s.arrivals for s in r.sim.nodes["db"].instances]
    return counts, r.finish()["measured"]["nodes"]["db"]


def test_writes_are_spread_evenly_over_the_primaries() -> None:
    counts, _ = multi_primary(10.0, primaries=3)
    first, second, third = counts[:3]
    assert first > 0 and max(first, second, third) - min(first, second, third) <= 1


def test_writes_to_one_key_on_two_primaries_within_the_replication_delay_conflict() -> None:
    _, near = multi_primary(0.0)
    _, far = multi_primary(200.0)
    _, single = multi_primary(200.0, primaries=1)
    assert single["write_conflicts"] == 0
    assert far["write_conflicts"] > 3 * near["write_conflicts"] > 0


# -- validation ----------------------------------------------------------------------------------

@pytest.mark.parametrize("params, message", [
    ({"replication": "sync", "primaries": 2}, "synchronous replication with several primaries is not modelled"),
    ({"replication": "sync", "replicas": 1, "sync_replicas": 2}, "sync_replicas \\(2\\) cannot exceed replicas \\(1\\)"),
    ({"replicas": 1, "replica_latency_ms": [5, 10]},
     "replica_latency_ms lists 2 latencies, but the database has 1 instance\\(s\\) besides the first primary"),
])
def test_a_database_with_inconsistent_replication_settings_is_refused_with_the_reason(
        params: dict[str, Any], message: str) -> None:
    with pytest.raises(lab.sim.InvalidTopology, match=message):
        db_topology(10.0, **params)


# -- the example -----------------------------------------------------------------------------------

def test_the_failover_example_loses_async_writes_and_no_sync_ones() -> None:
    # At 40 s a fault crashes one instance of each database: its primary.
    topo = lab.sim.load((EXAMPLES / "db_failover.json").read_text())
    windows: list[dict[str, Any]] = []
    sim = lab.sim.Simulation(topo, on_window=windows.append)
    sim.run(topo["settings"]["duration_s"])
    sim.finish()
    results = sim.results()
    failovers = {e["node"]: e for e in results["timeline"] if e["type"] == "failover"}
    assert failovers["orders_db"]["lost_writes"] > 0 and failovers["payments_db"]["lost_writes"] == 0
    assert failovers["orders_db"]["t"] == failovers["payments_db"]["t"] == 60.0
    # Before the crash: sync writes wait for the nearest replica; async ones are at risk instead.
    before = [w for w in windows if 5 <= w["t_start"] < 40]
    order_ms = sum(w["classes"]["order_write"]["latency_ms"]["mean"] for w in before) / len(before)
    payment_ms = sum(w["classes"]["payment_write"]["latency_ms"]["mean"] for w in before) / len(before)
    assert payment_ms > order_ms + 10
    assert sum(w["nodes"]["orders_db"]["writes_at_risk_max"] for w in before) > 0
    assert all(w["nodes"]["payments_db"]["writes_at_risk_max"] == 0 for w in before)
    # Writes fail only during the election.
    for cls in ("order_write", "payment_write"):
        unreachable = [w["classes"][cls]["failures"].get("unreachable", 0) for w in windows]
        assert sum(unreachable[:40]) == 0 and sum(unreachable[60:]) == 0 and all(n > 0 for n in unreachable[40:60])
    assert all(w["classes"][c]["errors"] == 0 for w in windows for c in ("order_read", "payment_read"))
