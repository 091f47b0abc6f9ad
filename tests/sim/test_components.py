"""What each component kind does, seen through the results a user reads."""
from __future__ import annotations

import math
from typing import Any

import pytest

import lab.sim
from lab.sim import Simulation
from lab.sim.cache_policies import FIFOStore, LFUStore, LRUStore, make_store
from lab.sim.request import Request

READ_WRITE = [{"name": "read", "operation": "read", "share": 9}, {"name": "write", "operation": "write", "share": 1}]


def topology(nodes: list[dict[str, Any]], edges: list[tuple[str, str]] | list[dict[str, Any]], *,
             classes: list[dict[str, Any]] | None = None, keys: dict[str, Any] | None = None,
             faults: list[dict[str, Any]] | None = None, window_s: float = 1.0, warmup_s: float = 0.0) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "version": 1,
        "settings": {"duration_s": 3600, "warmup_s": warmup_s, "window_s": window_s, "seed": 1},
        "nodes": nodes,
        "edges": [e if isinstance(e, dict) else {"from": e[0], "to": e[1]} for e in edges],
        "faults": faults or [],
        "workload": {},
    }
    if classes:
        doc["workload"]["classes"] = classes
    if keys:
        doc["workload"]["keys"] = keys
    return lab.sim.load(doc)


def node(node_id: str, kind: str, **params: Any) -> dict[str, Any]:
    return {"id": node_id, "kind": kind, "params": params}


def source(rate: float, **params: Any) -> dict[str, Any]:
    return node("users", "traffic_source", rate_per_s=rate, **params)


def pool(node_id: str = "app", **params: Any) -> dict[str, Any]:
    return node(node_id, "service_pool", **params)


class Run:
    """A simulation with its windows; `run(until)` and `finish()` pass through."""

    def __init__(self, topo: dict[str, Any], *, seed: int = 1, **options: Any) -> None:
        self.windows: list[dict[str, Any]] = []
        self.sim = Simulation(topo, seed=seed, on_window=self.windows.append, **options)

    def run(self, until: float) -> "Run":
        self.sim.run(until)
        return self

    def finish(self) -> dict[str, Any]:
        self.sim.finish()
        return self.sim.results()

    def window_nodes(self, node_id: str, t_from: float = 0.0, t_to: float = math.inf) -> list[dict[str, Any]]:
        return [w["nodes"][node_id] for w in self.windows if w["t_start"] >= t_from and w["t_end"] <= t_to]


def simulate(topo: dict[str, Any], until: float, **options: Any) -> dict[str, Any]:
    return Run(topo, **options).run(until).finish()


# ---------------------------------------------------------------- traffic source


def rate_curve(**params: Any) -> Any:
    sim = Simulation(topology([source(100.0, **params), pool()], [("users", "app")]))
    return sim.nodes["users"].rate_at


def test_a_ramp_holds_its_base_rate_then_climbs_linearly_then_holds_its_target() -> None:
    rate_at = rate_curve(pattern="ramp", ramp_to_per_s=300, ramp_start_s=10, ramp_duration_s=20)
    assert [rate_at(t) for t in (0, 10, 15, 20, 30, 100)] == pytest.approx([100, 100, 150, 200, 300, 300])


def test_a_spike_lasts_from_its_start_for_its_duration() -> None:
    rate_at = rate_curve(pattern="spike", spike_rate_per_s=500, spike_start_s=10, spike_duration_s=5)
    assert [rate_at(t) for t in (0, 9.999, 10, 14.999, 15, 50)] == [100, 100, 500, 500, 100, 100]


def test_a_diurnal_curve_is_lowest_at_midnight_and_highest_half_a_period_later() -> None:
    rate_at = rate_curve(pattern="diurnal", diurnal_period_s=100, diurnal_amplitude=0.5)
    assert [rate_at(t) for t in (0, 25, 50, 75, 100)] == pytest.approx([50, 100, 150, 100, 50])


def test_a_schedule_holds_each_rate_until_the_next_point() -> None:
    rate_at = rate_curve(pattern="schedule", schedule=[[0, 10], [5, 50], [20, 0]])
    assert [rate_at(t) for t in (0, 4.999, 5, 19.999, 20, 1000)] == [10, 10, 50, 50, 0, 0]


def sink(workers: int = 1000) -> dict[str, Any]:
    return pool("app", instances=1, workers_per_instance=workers, service_time_ms=0.1, queue_capacity=0)


def test_steady_poisson_arrivals_count_is_within_four_standard_deviations_of_rate_times_time() -> None:
    results = simulate(topology([source(2000.0), sink()], [("users", "app")]), 50.0)
    expected = 2000.0 * 50.0
    assert abs(results["requests"]["created"] - expected) < 4 * math.sqrt(expected)


def test_a_poisson_ramp_sends_the_integral_of_its_rate_curve() -> None:
    src = source(100.0, pattern="ramp", ramp_to_per_s=500, ramp_start_s=0, ramp_duration_s=50)
    results = simulate(topology([src, sink()], [("users", "app")]), 50.0)
    expected = (100 + 500) / 2 * 50
    assert abs(results["requests"]["created"] - expected) < 4 * math.sqrt(expected)


def test_the_mix_sets_each_class_share_of_the_requests() -> None:
    src = source(2000.0, mix={"read": 3, "write": 1})
    results = simulate(topology([src, sink()], [("users", "app")], classes=READ_WRITE), 20.0)
    classes = results["measured"]["classes"]
    n = results["requests"]["created"]
    assert classes["read"]["arrivals"] + classes["write"]["arrivals"] == n
    assert abs(classes["write"]["arrivals"] / n - 0.25) < 4 * math.sqrt(0.25 * 0.75 / n)


def arrival_times(topo: dict[str, Any], until: float) -> list[float]:
    results = simulate(topo, until, trace_every=1, trace_cap=100_000)
    assert results["requests"]["failed"] == 0
    return sorted(t["start_s"] for t in results["traces"]["sampled"])


def test_constant_arrivals_are_evenly_spaced() -> None:
    times = arrival_times(topology([source(10.0, arrival="constant"), sink()], [("users", "app")]), 20.05)
    assert len(times) == 200
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert gaps == pytest.approx([0.1] * len(gaps), abs=2e-6)


def test_constant_arrivals_on_a_ramp_from_zero_send_the_integral_of_the_rate() -> None:
    # From 0 to 200 requests/s over 30 s, then 200/s for 30 s more: 3,000 + 6,000 requests.
    src = source(0.0, arrival="constant", pattern="ramp", ramp_to_per_s=200, ramp_start_s=0, ramp_duration_s=30)
    results = simulate(topology([src, sink()], [("users", "app")]), 60.0)
    assert results["requests"]["created"] == pytest.approx(9000, rel=0.05)


def test_constant_arrivals_follow_a_diurnal_curve_that_touches_zero() -> None:
    # Amplitude 1 swings from 0 to twice the base rate: on average the base rate.
    src = source(100.0, arrival="constant", pattern="diurnal", diurnal_period_s=20, diurnal_amplitude=1.0)
    results = simulate(topology([src, sink()], [("users", "app")]), 60.0)
    assert results["requests"]["created"] == pytest.approx(6000, rel=0.05)


# ---------------------------------------------------------------- load balancer


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
    assert r.sim.apply({"op": "set_param", "node": "app", "param": "instances", "value": 4}) == []
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
    assert r.sim.apply({"op": "set_param", "node": "app", "param": "instances", "value": 1}) == []
    r.run(8.0)
    results = r.finish()
    assert all(0.0 <= w["utilization"] <= 1.0 for w in r.window_nodes("app")), [w["utilization"] for w in r.window_nodes("app")]
    assert results["measured"]["nodes"]["app"]["utilization"] <= 1.0


# ---------------------------------------------------------------- cache


def test_a_fixed_probability_cache_hits_with_that_probability() -> None:
    cache = node("cache", "cache", mode="fixed_probability", hit_probability=0.7)
    results = simulate(topology([source(1000.0), cache, sink()], [("users", "cache"), ("cache", "app")]), 20.0)
    view = results["measured"]["nodes"]["cache"]
    n = view["hits"] + view["misses"]
    assert n > 15_000
    assert abs(view["hit_ratio"] - 0.7) < 4 * math.sqrt(0.7 * 0.3 / n)
    # Every miss, and only a miss, reaches the backend.
    assert results["measured"]["nodes"]["app"]["arrivals"] == view["misses"]


def test_lru_evicts_the_least_recently_used_item() -> None:
    store = LRUStore(3, 0.0)
    for key in (1, 2, 3):
        store.put(key, 0.0)
    assert store.get(1, 1.0)
    store.put(4, 2.0)
    assert [store.get(k, 3.0) for k in (1, 2, 3, 4)] == [True, False, True, True]
    assert store.evictions == 1


def test_fifo_evicts_the_oldest_item_even_if_it_was_just_read() -> None:
    store = FIFOStore(3, 0.0)
    for key in (1, 2, 3):
        store.put(key, 0.0)
    assert store.get(1, 1.0)
    store.put(4, 2.0)
    assert [store.get(k, 3.0) for k in (1, 2, 3, 4)] == [False, True, True, True]
    assert store.evictions == 1


def test_lfu_evicts_the_least_frequently_used_item() -> None:
    store = LFUStore(3, 0.0)
    for key in (1, 2, 3):
        store.put(key, 0.0)
    for key in (1, 1, 3):
        assert store.get(key, 1.0)
    store.put(4, 2.0)  # 2 was used once, the fewest
    assert not store.get(2, 3.0)
    store.put(5, 3.0)  # now 4 has been used once, 3 twice (put and get), 1 three times
    assert [store.get(k, 4.0) for k in (1, 3, 4, 5)] == [True, True, False, True]
    assert store.evictions == 2


def test_lfu_breaks_ties_by_evicting_the_least_recently_used() -> None:
    store = LFUStore(2, 0.0)
    store.put(1, 0.0)
    store.put(2, 1.0)
    store.put(3, 2.0)
    assert [store.get(k, 3.0) for k in (1, 2, 3)] == [False, True, True]


@pytest.mark.parametrize("policy", ["lru", "lfu", "fifo"])
def test_an_item_older_than_its_ttl_is_a_miss_counted_as_expired(policy: str) -> None:
    store = make_store(policy, 10, 10.0)
    store.put(1, 0.0)
    assert store.get(1, 9.999)
    assert not store.get(1, 10.0)
    assert (store.expired, store.evictions, len(store)) == (1, 0, 0)


@pytest.mark.parametrize("policy", ["lru", "lfu", "fifo"])
def test_shrinking_a_store_evicts_by_its_policy_at_once(policy: str) -> None:
    store = make_store(policy, 5, 0.0)
    for key in range(5):
        store.put(key, float(key))
    store.get(0, 10.0)  # 0 is now the most recently (and most frequently) used
    store.resize(2)
    assert len(store) == 2 and store.evictions == 3
    kept = {k for k in range(5) if store.get(k, 20.0)}
    assert kept == {"lru": {0, 4}, "lfu": {0, 4}, "fifo": {3, 4}}[policy]


@pytest.mark.parametrize("policy", ["lru", "lfu", "fifo"])
def test_deleting_a_key_is_not_an_eviction(policy: str) -> None:
    store = make_store(policy, 5, 0.0)
    store.put(1, 0.0)
    store.delete(1)
    store.delete(2)  # deleting what is not there is harmless
    assert not store.get(1, 1.0)
    assert (len(store), store.evictions) == (0, 0)


def one_key_cache(classes: list[dict[str, Any]]) -> dict[str, Any]:
    cache = node("cache", "cache", mode="keyed", capacity_items=10, hit_latency_ms=0.1, miss_latency_ms=0)
    return topology([source(100.0), cache, sink()], [("users", "cache"), ("cache", "app")],
                    classes=classes, keys={"distribution": "uniform", "count": 1})


def test_a_write_deletes_the_cached_key_so_the_next_read_misses() -> None:
    results = simulate(one_key_cache(READ_WRITE), 60.0)
    view = results["measured"]["nodes"]["cache"]
    writes = results["measured"]["classes"]["write"]["completions"]
    assert writes > 300
    assert writes * 0.9 <= view["misses"] <= writes + 5


def test_reads_alone_miss_a_single_key_only_once() -> None:
    results = simulate(one_key_cache([{"name": "read", "operation": "read"}]), 60.0)
    assert results["measured"]["nodes"]["cache"]["misses"] == 1


def hit_ratio_with(capacity: int) -> float:
    cache = node("cache", "cache", mode="keyed", capacity_items=capacity, eviction="lru")
    topo = topology([source(1000.0), cache, sink()], [("users", "cache"), ("cache", "app")],
                    keys={"distribution": "zipf", "count": 5000, "exponent": 0.9}, warmup_s=5)
    return simulate(topo, 15.0)["measured"]["nodes"]["cache"]["hit_ratio"]


def test_the_hit_ratio_rises_with_the_capacity() -> None:
    small, medium, large = hit_ratio_with(50), hit_ratio_with(500), hit_ratio_with(2500)
    assert 0.05 < small < medium < large < 1.0
    assert large - small > 0.3


# ---------------------------------------------------------------- database


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


def queue_topology(rate: float, faults: list[dict[str, Any]] | None = None, **params: Any) -> dict[str, Any]:
    settings = {"ack_latency_ms": 2, "workers": 2, "job_time_ms": 50, **params}
    return topology([source(rate), node("jobs", "work_queue", **settings)], [("users", "jobs")], faults=faults)


def test_producers_wait_only_for_the_acknowledgement_while_the_backlog_grows() -> None:
    # Two workers at 50 ms finish 40 jobs/s; 100 arrive each second.
    r = Run(queue_topology(100.0)).run(20.0)
    results = r.finish()
    assert results["requests"]["failed"] == 0
    assert results["measured"]["overall"]["latency_ms"]["mean"] == pytest.approx(2.0)
    assert results["measured"]["overall"]["latency_ms"]["max"] == pytest.approx(2.0)
    backlog = [w["backlog"] for w in r.window_nodes("jobs")]
    assert backlog[19] == pytest.approx(60 * 20, rel=0.1)
    assert backlog[19] > backlog[9] > backlog[1]


def test_the_backlog_age_is_how_long_the_oldest_waiting_job_has_waited() -> None:
    r = Run(queue_topology(100.0)).run(20.0)
    r.finish()
    ages = [w["backlog_age_ms"] for w in r.window_nodes("jobs")]
    # At 60 jobs/s of backlog growth, the job at the head arrived when 40% of the run had passed.
    assert ages[19] == pytest.approx(0.6 * 20_000, rel=0.1)
    assert ages[19] > ages[9] > ages[1]
    assert r.window_nodes("jobs")[19]["backlog_age_max_ms"] >= ages[19]


def test_jobs_done_counts_every_job_the_workers_finish() -> None:
    r = Run(queue_topology(50.0, workers=4, job_time_ms=20)).run(20.0)
    r.sim.drain()
    results = r.sim.results()
    jobs = results["measured"]["nodes"]["jobs"]
    assert jobs["jobs_done"] == results["requests"]["created"] > 800
    assert jobs["jobs_failed"] == 0 and jobs["backlog"] == 0


def test_crashing_a_queue_loses_its_backlog_without_failing_acknowledged_requests_again() -> None:
    topo = queue_topology(100.0, faults=[{"kind": "crash", "node": "jobs", "start_s": 10, "duration_s": 2}])
    r = Run(topo).run(15.0)
    requests = r.sim.results()["requests"]
    assert requests["in_flight"] >= 0, requests
    assert requests["created"] == requests["completed"] + requests["failed"] + requests["in_flight"]
    # Only producers that reached the queue while it was down were refused.
    assert requests["failed"] == pytest.approx(200, rel=0.2)
    lost = sum(w["failures"].get("fault", 0) for w in r.window_nodes("jobs")) - requests["failed"]
    assert lost > 500
    assert sum(w["jobs_failed"] for w in r.window_nodes("jobs")) == lost


# ---------------------------------------------------------------- faults and control


def faulted_pool(faults: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return topology([source(200.0), pool(instances=2, workers_per_instance=4, service_time_ms=10)],
                    [("users", "app")], faults=faults)


def fault_failures(r: Run) -> dict[float, int]:
    return {w["t_start"]: w["overall"]["failures"].get("fault", 0) for w in r.windows}


def test_a_scheduled_crash_fails_requests_with_cause_fault_while_it_lasts() -> None:
    r = Run(faulted_pool([{"id": "boom", "kind": "crash", "node": "app", "start_s": 5, "duration_s": 3}])).run(12.0)
    results = r.finish()
    by_window = fault_failures(r)
    assert all(by_window[float(t)] > 100 for t in (5, 6, 7))
    assert all(by_window[float(t)] == 0 for t in (0, 1, 2, 3, 4, 8, 9, 10, 11))
    failed = results["traces"]["failed"]["fault"][0]
    assert (failed["cause"], failed["status"], failed["failed_at"]) == ("fault", 503, "app")
    assert [(e["t"], e["type"], e["fault"], e["node"]) for e in results["timeline"]] == [
        (5.0, "fault_started", "boom", "app"), (8.0, "fault_ended", "boom", "app")]


def test_a_fault_injected_live_lasts_until_it_is_cleared() -> None:
    r = Run(faulted_pool()).run(5.0)
    assert r.sim.apply({"op": "inject_fault", "fault": {"kind": "crash", "node": "app"}}) == []
    r.run(8.0)
    assert r.sim.active_faults and "live-1" in r.sim.active_faults
    assert r.sim.apply({"op": "clear_fault", "id": "live-1"}) == []
    r.run(12.0)
    results = r.finish()
    by_window = fault_failures(r)
    assert all(by_window[float(t)] > 100 for t in (5, 6, 7))
    assert all(by_window[float(t)] == 0 for t in (0, 1, 2, 3, 4, 8, 9, 10, 11))
    assert [(e["t"], e["type"]) for e in results["timeline"]] == [
        (5.0, "fault_injected"), (5.0, "fault_started"), (8.0, "fault_ended")]


INVALID_COMMANDS = [
    pytest.param("not a command", id="not-an-object"),
    pytest.param({"op": "reboot", "node": "app"}, id="unknown-op"),
    pytest.param({"op": "set_param", "node": "ap", "param": "instances", "value": 4}, id="unknown-node"),
    pytest.param({"op": "set_param", "node": "app", "param": "instancez", "value": 4}, id="unknown-param"),
    pytest.param({"op": "set_param", "node": "app", "param": "instances", "value": 0}, id="below-minimum"),
    pytest.param({"op": "set_param", "node": "app", "param": "instances", "value": "4"}, id="not-a-number"),
    pytest.param({"op": "set_param", "node": "app", "param": "instances"}, id="no-value"),
    pytest.param({"op": "set_param", "node": "app", "param": "blocking_calls", "value": True}, id="not-live"),
    pytest.param({"op": "set_param", "node": "users", "param": "mix", "value": {"reads": 1}}, id="unknown-class"),
    pytest.param({"op": "inject_fault", "fault": {"kind": "crash", "node": "nowhere"}}, id="fault-on-unknown-node"),
    pytest.param({"op": "inject_fault", "fault": {"kind": "meteor", "node": "app"}}, id="unknown-fault-kind"),
    pytest.param({"op": "inject_fault", "fault": {"kind": "crash", "node": "app", "duration_s": -1}}, id="negative-duration"),
    pytest.param({"op": "clear_fault", "id": "live-9"}, id="clear-unknown-fault"),
]


@pytest.mark.parametrize("command", INVALID_COMMANDS)
def test_an_invalid_command_returns_problems_and_changes_nothing(command: Any) -> None:
    r = Run(faulted_pool()).run(3.0)
    params = {nid: dict(n.p) for nid, n in r.sim.nodes.items()}
    problems = r.sim.apply(command)
    assert problems and all(p["message"] and p["path"].startswith("$") for p in problems)
    assert {nid: n.p for nid, n in r.sim.nodes.items()} == params
    assert r.sim.timeline == [] and r.sim.active_faults == {}
    r.run(6.0)
    results = r.finish()
    assert results["requests"]["failed"] == 0
