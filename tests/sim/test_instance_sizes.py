"""An instance size buys capacity, not only a price: workers scale with vCPUs, up to the largest size."""
from __future__ import annotations

from typing import Any

import pytest

from lab.sim.cloud.pricing import DEFAULT_PRICES, LARGEST_SIZE, SIZES, VCPUS, sized_workers
from lab.sim import apply_command

from .component_world import Run, node, pool, simulate, source, topology

MEASURED_FROM = 20.0  # warm-up cut
UNTIL = 220.0


def pool_utilization(size: str, rate: float, seed: int) -> dict[str, Any]:
    # One instance of 4 medium workers, 20 ms per request: a medium instance serves 200/s.
    app = pool(instances=1, workers_per_instance=4, service_time_ms=20, queue_capacity=100_000, instance_size=size)
    topo = topology([source(rate), app], [("users", "app")], warmup_s=MEASURED_FROM)
    return simulate(topo, UNTIL, seed=seed)["measured"]["nodes"]["app"]


def db_node(size: str, rate: float, seed: int) -> dict[str, Any]:
    db = node("db", "database", workers=4, max_connections=1000, read_time_ms=20, instance_size=size)
    topo = topology([source(rate), db], [("users", "db")], warmup_s=MEASURED_FROM)
    return simulate(topo, UNTIL, seed=seed)["measured"]["nodes"]["db"]


def test_each_size_up_doubles_the_vcpus_and_the_largest_size_is_the_last() -> None:
    assert [VCPUS[s] for s in SIZES] == [2, 4, 8, 16, 32]
    assert LARGEST_SIZE == SIZES[-1] == "2xlarge"


def test_workers_are_written_for_a_medium_instance_and_scale_with_its_vcpus() -> None:
    assert [sized_workers(4, s) for s in SIZES] == [2, 4, 8, 16, 32]
    assert sized_workers(8, "medium") == 8  # the default size keeps the count as written
    assert sized_workers(1, "small") == 1  # half a worker rounds up: an instance always serves
    assert sized_workers(3, "small") == 2


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_pool_one_size_up_is_half_as_busy_at_the_same_load(seed: int) -> None:
    # rho = lambda * S / c: 120/s * 20 ms / 4 workers = 0.6 at medium, 0.3 at large (8 workers).
    medium = pool_utilization("medium", 120.0, seed)["utilization"]
    large = pool_utilization("large", 120.0, seed)["utilization"]
    assert medium == pytest.approx(0.6, abs=0.03)
    assert large == pytest.approx(0.3, abs=0.015)
    assert large / medium == pytest.approx(0.5, abs=0.03)


def test_a_pool_one_size_down_is_twice_as_busy() -> None:
    assert pool_utilization("small", 60.0, 1)["utilization"] == pytest.approx(0.6, abs=0.03)  # 2 workers


@pytest.mark.parametrize("seed", [1, 2])
def test_a_database_one_size_up_is_half_as_busy_at_the_same_load(seed: int) -> None:
    medium = db_node("medium", 120.0, seed)["utilization"]
    large = db_node("large", 120.0, seed)["utilization"]
    assert medium == pytest.approx(0.6, abs=0.03)
    assert large / medium == pytest.approx(0.5, abs=0.03)


def test_a_bigger_size_does_not_make_one_request_faster() -> None:
    # At a light load nobody queues, so the latency is the service time whatever the size.
    small = pool_utilization("medium", 5.0, 1)["latency_ms"]["mean"]
    big = pool_utilization(LARGEST_SIZE, 5.0, 1)["latency_ms"]["mean"]
    assert small == pytest.approx(20.0, rel=0.15) and big == pytest.approx(20.0, rel=0.15)


def test_the_largest_size_is_a_ceiling_a_load_beyond_it_still_saturates() -> None:
    # 2xlarge: 32 workers of 20 ms serve 1600/s at most; 2000/s overloads it.
    app = pool(instances=1, workers_per_instance=4, service_time_ms=20, queue_capacity=200, instance_size=LARGEST_SIZE)
    results = simulate(topology([source(2000.0), app], [("users", "app")], warmup_s=5.0), 30.0)
    measured = results["measured"]["nodes"]["app"]
    assert measured["utilization"] > 0.99
    assert measured["throughput_per_s"] == pytest.approx(1600.0, rel=0.05)
    assert measured["failures"].get("overloaded", 0) > 0


def test_there_is_no_size_beyond_the_largest() -> None:
    from lab.sim import InvalidTopology

    with pytest.raises(InvalidTopology, match="instance_size must be one of .*'2xlarge', not '4xlarge'"):
        topology([source(10.0), pool(instance_size="4xlarge")], [("users", "app")])


def test_the_connection_limit_still_caps_a_bigger_database() -> None:
    # 8 medium workers would be 64 at 2xlarge, but only 10 connections may be open at once.
    db = node("db", "database", workers=8, max_connections=10, read_time_ms=20, instance_size=LARGEST_SIZE)
    r = Run(topology([source(2000.0), db], [("users", "db")], warmup_s=5.0)).run(20.0)
    measured = r.finish()["measured"]["nodes"]["db"]
    assert measured["throughput_per_s"] == pytest.approx(10 / 0.020, rel=0.05)


@pytest.mark.parametrize("size", SIZES)
def test_the_price_follows_the_size_and_doubles_each_step(size: str) -> None:
    app = pool(instances=2, instance_size=size)
    db = node("db", "database", instance_size=size, storage_gb=1)
    results = simulate(topology([source(10.0), app, db], [("users", "app"), ("app", "db")]), 10.0)
    nodes = results["measured"]["nodes"]
    step = SIZES.index(size)
    assert nodes["app"]["cost_per_hour_usd"] == pytest.approx(2 * DEFAULT_PRICES["vm_small_hour"] * 2 ** step, rel=1e-3)
    db_hour = DEFAULT_PRICES["db_small_hour"] * 2 ** step + DEFAULT_PRICES["db_storage_gb_month"] / 730.0
    assert nodes["db"]["cost_per_hour_usd"] == pytest.approx(db_hour, rel=1e-3)


def test_changing_the_size_during_a_run_changes_the_capacity_at_once() -> None:
    app = pool(instances=1, workers_per_instance=4, service_time_ms=20, queue_capacity=100_000)
    r = Run(topology([source(120.0), app], [("users", "app")]))
    r.run(60.0)
    assert apply_command(r.sim, {"op": "set_param", "node": "app", "param": "instance_size", "value": "large"}) == []
    r.run(120.0)
    before = [w["utilization"] for w in r.window_nodes("app", 10.0, 60.0)]
    after = [w["utilization"] for w in r.window_nodes("app", 70.0, 120.0)]
    assert sum(before) / len(before) == pytest.approx(0.6, abs=0.05)
    assert sum(after) / len(after) == pytest.approx(0.3, abs=0.03)
