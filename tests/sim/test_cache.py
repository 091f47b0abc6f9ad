"""The cache: eviction policies, TTL, cache-aside writes, hit ratios."""
from __future__ import annotations

import math
from typing import Any

import pytest

from lab.sim.parts.cache_policies import FIFOStore, LFUStore, LRUStore, make_store

from .component_world import sink, READ_WRITE, topology, node, source, simulate


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
