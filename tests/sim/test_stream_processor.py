"""The stream processor: what each shape sends on, and its asynchronous acknowledgement."""
from __future__ import annotations

import math
from typing import Any

import pytest

from lab.sim import Simulation

from .component_world import READ_WRITE, node, pool, source, topology


def processor(node_id: str = "stage", **params: Any) -> dict[str, Any]:
    return node(node_id, "stream_processor", **params)


def sink(node_id: str) -> dict[str, Any]:
    return pool(node_id, instances=1, workers_per_instance=1000, service_time_ms=0.1, queue_capacity=0)


def drained(topo: dict[str, Any], until: float = 20.0, seed: int = 1) -> dict[str, Any]:
    sim = Simulation(topo, seed=seed)
    sim.run(until)
    sim.drain()
    return sim.results()


def test_a_copier_sends_every_event_to_every_edge() -> None:
    topo = topology([source(300.0), processor(shape="copier"), sink("a"), sink("b"), sink("c")],
                    [("users", "stage"), ("stage", "a"), ("stage", "b"), ("stage", "c")])
    nodes = drained(topo)["measured"]["nodes"]
    stage = nodes["stage"]
    assert stage["events_in"] == stage["completions"] > 5000
    assert stage["events_out"] == 3 * stage["events_in"] == stage["forwarded"]
    for target in ("a", "b", "c"):
        assert nodes[target]["arrivals"] == stage["events_in"]


@pytest.mark.parametrize("fraction", [0.1, 0.5, 0.85])
def test_a_filter_passes_its_fraction_of_the_events(fraction: float) -> None:
    topo = topology([source(1000.0), processor(shape="filter", pass_fraction=fraction), sink("out")],
                    [("users", "stage"), ("stage", "out")])
    stage = drained(topo)["measured"]["nodes"]["stage"]
    n = stage["events_in"]
    assert n > 15_000
    passed = stage["events_out"] / n
    # A 99.9% interval of a binomial proportion.
    assert abs(passed - fraction) < 3.3 * math.sqrt(fraction * (1 - fraction) / n), passed
    assert stage["dropped"] + stage["events_out"] == n


def test_a_filter_can_pass_each_class_with_its_own_probability() -> None:
    topo = topology([source(1000.0), processor(shape="filter", pass_fraction=0.0,
                                               pass_probability_by_class={"write": 1.0}), sink("out")],
                    [("users", "stage"), ("stage", "out")], classes=READ_WRITE)
    results = drained(topo)
    stage = results["measured"]["nodes"]["stage"]
    writes = results["measured"]["classes"]["write"]["arrivals"]
    assert stage["events_out"] == writes == pytest.approx(0.1 * stage["events_in"], rel=0.05)


@pytest.mark.parametrize("k", [1, 4])
def test_a_splitter_turns_each_event_into_k(k: int) -> None:
    topo = topology([source(300.0), processor(shape="splitter", split_into=k), sink("out")],
                    [("users", "stage"), ("stage", "out")])
    nodes = drained(topo)["measured"]["nodes"]
    assert nodes["stage"]["events_out"] == k * nodes["stage"]["events_in"] == nodes["out"]["arrivals"]


@pytest.mark.parametrize("k", [1, 7, 50])
def test_a_merger_turns_every_k_events_into_one(k: int) -> None:
    topo = topology([source(300.0), processor(shape="merger", merge_count=k), sink("out")],
                    [("users", "stage"), ("stage", "out")])
    nodes = drained(topo)["measured"]["nodes"]
    n = nodes["stage"]["events_in"]
    assert nodes["stage"]["events_out"] == n // k == nodes["out"]["arrivals"]
    assert nodes["stage"]["pending_merge"] == n % k


def test_the_sender_waits_only_for_the_processing_not_for_what_comes_after() -> None:
    topo = topology([source(100.0), processor(shape="copier", processing_ms=4, service_distribution="deterministic",
                                               slots_per_instance=100),
                     pool("slow", instances=1, workers_per_instance=100, service_time_ms=300)],
                    [("users", "stage"), ("stage", "slow")])
    results = drained(topo)
    assert results["measured"]["overall"]["latency_ms"]["max"] == pytest.approx(4.0)
    assert results["measured"]["nodes"]["slow"]["latency_ms"]["mean"] == pytest.approx(300, rel=0.1)


def test_a_failure_downstream_is_counted_and_not_returned_to_the_sender() -> None:
    topo = topology([source(400.0), processor(shape="splitter", split_into=5),
                     pool("narrow", instances=1, workers_per_instance=2, queue_capacity=0, service_time_ms=10)],
                    [("users", "stage"), ("stage", "narrow")])
    results = drained(topo)
    stage = results["measured"]["nodes"]["stage"]
    narrow = results["measured"]["nodes"]["narrow"]
    assert results["requests"]["failed"] == 0
    assert stage["forward_failed"] == narrow["failures"]["overloaded"] > 1000
    assert stage["forwarded"] + stage["forward_failed"] == stage["events_out"]


def test_more_events_than_its_slots_and_queue_hold_are_refused() -> None:
    topo = topology([source(500.0), processor(shape="copier", instances=1, slots_per_instance=2, queue_capacity=10,
                                              processing_ms=10, service_distribution="deterministic"), sink("out")],
                    [("users", "stage"), ("stage", "out")])
    results = drained(topo, until=10.0)
    stage = results["measured"]["nodes"]["stage"]
    # Two slots at 10 ms take 200 events a second of the 500 offered.
    assert stage["completions"] == pytest.approx(200 * 10, rel=0.05)
    assert stage["failures"]["overloaded"] == pytest.approx(300 * 10, rel=0.08)
    assert stage["utilization"] > 0.95
