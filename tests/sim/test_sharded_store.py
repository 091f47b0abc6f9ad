"""The sharded store: sharding functions, hot shards, live resharding, one shard down, cost."""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import lab.sim
from lab.sim import Simulation
from lab.sim.components.sharded_store import keys_moved_fraction, mix64, shard_table
from lab.sim.parts.hashing import mix64 as scalar_mix64
from lab.sim.kernel.randomness import zipf_weights
from lab.sim import apply_command

from .component_world import READ_WRITE, Run, node, source, topology

EXAMPLE = Path(__file__).resolve().parents[2] / "lab" / "sim" / "examples" / "sharded_users.json"
KEYS = 100_000


def store_topology(rate: float, keys: dict[str, Any] | None = None, window_s: float = 1.0,
                   classes: list[dict[str, Any]] | None = None, **params: Any) -> dict[str, Any]:
    settings = {"shards": 4, "workers": 8, "max_connections": 1000, "read_time_ms": 2, "write_time_ms": 4, **params}
    return topology([source(rate), node("db", "sharded_store", **settings)], [("users", "db")],
                    keys=keys or {"distribution": "zipf", "count": 10_000, "exponent": 1.0},
                    classes=classes or READ_WRITE, window_s=window_s)


# -- the sharding functions ---------------------------------------------------------------------

@pytest.mark.parametrize("n", [2, 4, 8, 16])
def test_hash_mod_n_moves_nearly_every_key_when_one_shard_is_added(n: int) -> None:
    # A key stays only if hash mod N == hash mod (N + 1): about 1 in N + 1 do.
    assert keys_moved_fraction("hash", n, n + 1, KEYS) == pytest.approx(n / (n + 1), abs=0.01)


@pytest.mark.parametrize("n", [2, 4, 8, 16])
def test_consistent_hashing_moves_about_one_shards_share_when_one_shard_is_added(n: int) -> None:
    # The new shard takes over about 1/(N+1) of the ring; with 200 points per shard its share
    # is within a third of that.
    moved = keys_moved_fraction("consistent_hash", n, n + 1, KEYS, vnodes=200)
    assert abs(moved - 1 / (n + 1)) < 0.33 / (n + 1), moved


def test_consistent_hashing_moves_keys_only_to_the_new_shard() -> None:
    old = shard_table("consistent_hash", 6, KEYS, 100)
    new = shard_table("consistent_hash", 7, KEYS, 100)
    assert set(new[old != new].tolist()) == {6}


@pytest.mark.parametrize("n", [1, 3, 4, 9])
def test_equal_key_ranges_move_about_half_the_keys_when_one_shard_is_added(n: int) -> None:
    assert keys_moved_fraction("range", n, n + 1, KEYS) == pytest.approx(0.5, abs=0.01)


def test_removing_a_shard_moves_as_many_keys_as_adding_it_back() -> None:
    for strategy in ("hash", "consistent_hash", "range"):
        assert keys_moved_fraction(strategy, 5, 4, KEYS) == keys_moved_fraction(strategy, 4, 5, KEYS)
    assert keys_moved_fraction("hash", 4, 4, KEYS) == 0.0


def test_hash_and_range_shards_hold_equal_shares_of_the_key_space() -> None:
    for strategy in ("hash", "range"):
        counts = np.bincount(shard_table(strategy, 8, KEYS), minlength=8)
        assert counts.min() > 0.95 * KEYS / 8 and counts.max() < 1.05 * KEYS / 8, (strategy, counts)


def test_the_vectorized_hash_is_the_load_balancers_hash() -> None:
    keys = np.array([0, 1, 2, 12345, 999_999], dtype=np.uint64)
    assert mix64(keys).tolist() == [scalar_mix64(int(k)) for k in keys]


# -- hot keys, hot shards -----------------------------------------------------------------------

def shard_views(rate: float, keys: dict[str, Any], until: float = 20.0, **params: Any) -> dict[str, Any]:
    r = Run(store_topology(rate, keys, **params)).run(until)
    return r.finish()["measured"]["nodes"]["db"]


def test_each_shard_gets_the_traffic_of_the_keys_it_owns() -> None:
    # Expected shares from the Zipf popularity of the keys each shard owns; counts are binomial.
    keys = {"distribution": "zipf", "count": 10_000, "exponent": 1.0}
    view = shard_views(2000.0, keys, until=20.0, sharding="consistent_hash", shards=5)
    shares = np.bincount(shard_table("consistent_hash", 5, 10_000, 100), weights=zipf_weights(10_000, 1.0),
                         minlength=5)
    span = 20.0
    total = view["arrivals"]
    for i, rate in enumerate(view["shard_arrival_rate_per_s"]):
        expected = shares[i] * total
        assert abs(rate * span - expected) < 4 * math.sqrt(expected), (i, rate * span, expected)


def test_zipf_keys_make_a_hot_shard_and_uniform_keys_do_not() -> None:
    hot = shard_views(2000.0, {"distribution": "zipf", "count": 10_000, "exponent": 1.1}, shards=8)
    even = shard_views(2000.0, {"distribution": "uniform", "count": 10_000}, shards=8, virtual_nodes=500)
    assert hot["load_skew"] > 1.5
    assert even["load_skew"] < 1.2
    assert hot["hot_shard_utilization"] > 1.5 * hot["utilization"]
    assert max(hot["shard_utilization"]) == hot["hot_shard_utilization"]


def test_range_sharding_puts_the_most_popular_keys_on_the_first_shard() -> None:
    view = shard_views(2000.0, {"distribution": "zipf", "count": 10_000, "exponent": 1.0}, sharding="range")
    assert view["hot_shard"] == 0
    # Keys 0..2499 hold H(2500) / H(10000) of a Zipf(1) popularity: about 85%.
    assert view["shard_arrival_rate_per_s"][0] / view["arrival_rate_per_s"] == pytest.approx(0.85, abs=0.02)


def test_a_shards_utilization_is_its_arrival_rate_times_the_mean_query_time_over_its_workers() -> None:
    view = shard_views(2000.0, {"distribution": "uniform", "count": 10_000}, until=30.0, sharding="hash",
                       classes=[{"name": "read", "operation": "read"}])
    for rate, utilization in zip(view["shard_arrival_rate_per_s"], view["shard_utilization"]):
        assert utilization == pytest.approx(rate * 0.002 / 8, rel=0.08)


# -- resharding during a run ---------------------------------------------------------------------

def test_adding_a_shard_during_a_run_records_the_share_of_keys_that_move() -> None:
    r = Run(store_topology(1000.0, sharding="hash")).run(5.0)
    assert apply_command(r.sim, {"op": "set_param", "node": "db", "param": "shards", "value": 5}) == []
    entry = next(e for e in r.sim.timeline if e["type"] == "reshard")
    assert entry == {"t": 5.0, "type": "reshard", "node": "db", "from": 4, "to": 5,
                     "keys_moved_fraction": pytest.approx(keys_moved_fraction("hash", 4, 5, 10_000), abs=1e-6)}
    assert entry["keys_moved_fraction"] > 0.75
    r.run(10.0)
    last = r.windows[-1]["nodes"]["db"]
    assert last["shards"] == 5 and all(rate > 0 for rate in last["shard_arrival_rate_per_s"])


def test_consistent_hashing_moves_far_fewer_keys_when_resharding_live() -> None:
    r = Run(store_topology(1000.0, sharding="consistent_hash", shards=8)).run(2.0)
    assert apply_command(r.sim, {"op": "set_param", "node": "db", "param": "shards", "value": 9}) == []
    entry = next(e for e in r.sim.timeline if e["type"] == "reshard")
    assert entry["keys_moved_fraction"] < 0.2


def test_removed_shards_finish_what_they_hold_and_every_request_ends() -> None:
    # Overloaded shards hold queues when three of them are taken out of service.
    r = Run(store_topology(3000.0, shards=6, workers=1, max_connections=50)).run(5.0)
    db = r.sim.nodes["db"]
    assert sum(len(s.queue) for s in db.instances[3:]) > 0
    assert apply_command(r.sim, {"op": "set_param", "node": "db", "param": "shards", "value": 3}) == []
    assert len(db.instances) == 6  # three retiring
    r.run(10.0)
    r.sim.drain()
    results = r.sim.results()
    view = results["measured"]["nodes"]["db"]
    assert results["requests"]["in_flight"] == 0
    assert view["arrivals"] == view["completions"] + view["errors"]
    assert len(db.instances) == 3
    assert view["shards"] == 3


def test_a_shard_added_during_a_run_is_not_billed_or_busy_before_it_exists() -> None:
    r = Run(store_topology(100.0, shards=1), window_s=10.0).run(5.0)
    apply_command(r.sim, {"op": "set_param", "node": "db", "param": "shards", "value": 2})
    r.run(10.0)
    window = r.windows[0]["nodes"]["db"]
    # The new shard's 8 workers had capacity for 5 s of the first 10 s window.
    assert [s.seen[2] for s in r.sim.nodes["db"].instances] == [pytest.approx(80.0), pytest.approx(40.0)]
    # One shard for 10 s and one for 5 s: 15 shard-seconds.
    prices = r.sim.prices
    hourly = prices["db_medium_hour"] + 100 * prices["db_storage_gb_month"] / 730.0
    assert window["cost_usd"] == pytest.approx(hourly * 15 / 3600, abs=2e-9)


# -- one shard down -------------------------------------------------------------------------------

def at(sim: Simulation, t: float, fn: Any, *args: Any) -> None:
    sim.schedule(t, lambda _, now: fn(*args, now), None)


def test_a_crashed_shard_fails_only_the_requests_for_its_keys() -> None:
    topo = store_topology(1000.0, keys={"distribution": "uniform", "count": 10_000}, sharding="range")
    r = Run(topo)
    db = r.sim.nodes["db"]
    at(r.sim, 5.0, db.crash_instance, 1)
    at(r.sim, 10.0, db.recover_instance, 1)
    r.run(15.0)
    r.sim.drain()
    results = r.sim.results()
    faults = [w["overall"]["failures"].get("fault", 0) for w in r.windows]
    assert sum(faults[:5]) == 0 and sum(faults[10:]) == 0
    # A quarter of the keys live on shard 1.
    assert sum(faults[5:10]) == pytest.approx(0.25 * 1000 * 5, rel=0.1)
    view = results["measured"]["nodes"]["db"]
    assert view["arrivals"] == view["completions"] + view["errors"]
    kinds = [e["type"] for e in results["timeline"]]
    assert kinds == ["instance_down", "instance_up"]


def test_a_fault_that_crashes_some_instances_of_the_store_takes_down_that_many_shards() -> None:
    fault = {"kind": "crash_instances", "node": "db", "count": 2, "start_s": 5, "duration_s": 5}
    topo = topology([source(1000.0), node("db", "sharded_store", shards=4, sharding="range")], [("users", "db")],
                    keys={"distribution": "uniform", "count": 10_000}, faults=[fault])
    r = Run(topo).run(15.0)
    faults = [w["overall"]["failures"].get("fault", 0) for w in r.windows]
    assert sum(faults[5:10]) == pytest.approx(0.5 * 1000 * 5, rel=0.1)
    assert sum(faults[:5]) == 0 and sum(faults[10:]) == 0
    downs = [e["instance"] for e in r.sim.timeline if e["type"] == "instance_down"]
    assert downs == [0, 1]


# -- validation and cost --------------------------------------------------------------------------

def test_a_shard_with_more_workers_than_connections_is_refused_with_the_reason() -> None:
    with pytest.raises(lab.sim.InvalidTopology, match="max_connections \\(2\\) must be at least workers \\(8\\)"):
        store_topology(10.0, workers=8, max_connections=2)


def test_each_shard_is_billed_as_a_database_instance_with_its_storage() -> None:
    r = Run(store_topology(10.0, shards=3, instance_size="large", storage_gb=500), window_s=10.0).run(10.0)
    prices = r.sim.prices
    hourly = 3 * (prices["db_large_hour"] + 500 * prices["db_storage_gb_month"] / 730.0)
    assert r.windows[0]["nodes"]["db"]["cost_usd"] == pytest.approx(hourly * 10 / 3600, abs=2e-9)


# -- the example ----------------------------------------------------------------------------------

def test_the_sharded_users_example_shows_a_hot_shard_refusing_while_the_average_is_comfortable() -> None:
    topo = lab.sim.load(EXAMPLE.read_text())
    sim = Simulation(topo)
    sim.run(topo["settings"]["duration_s"])
    sim.finish()
    view = sim.results()["measured"]["nodes"]["profiles"]
    json.dumps(view, allow_nan=False)
    assert view["utilization"] < 0.7
    assert view["hot_shard_utilization"] > 0.97
    assert view["load_skew"] > 1.5
    assert view["failures"].get("overloaded", 0) > 0
    # The quietest shard is mostly idle: the store as a whole is far from full.
    assert min(view["shard_utilization"]) < 0.35
