"""The pub/sub topic: fan-out to every group, per-partition order, redelivery and dead letters,
consumer lag, and a durable backlog."""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Iterator

import pytest

from lab.sim import REGISTRY, Simulation, check, load
from lab.sim.components.base import Component
from lab.sim.components.pubsub_topic import partition_of
from lab.sim.params import Param
from lab.sim.kernel.request import Request

from .component_world import Run, node, pool, source, topology

EXAMPLE = Path(__file__).resolve().parents[2] / "lab" / "sim" / "examples" / "order_events.json"
UNIFORM_KEYS = {"distribution": "uniform", "count": 100_000}


class RecordingConsumer(Component):
    """A consumer for these tests only: it fails a delivery with `failure_probability` (at once),
    otherwise works for an exponential time and records what it consumed, in the order it
    finished."""

    kind = "test_pubsub_consumer"
    title = "Test consumer"
    group = "external"
    params = (
        Param("failure_probability", "number", 0.0, "Chance a delivery fails.", minimum=0.0, maximum=1.0),
        Param("service_ms", "number", 0.0, "Mean time to consume a message.", unit="ms", minimum=0.0, maximum=1e6),
    )

    def build(self) -> None:
        self.rng = self.sim.streams.generator(f"node:{self.id}:test")
        self.consumed: list[tuple[float, int]] = []  # (publish time, key) of each message
        self.done_at: list[float] = []
        self.busy = self.busy_max = 0

    def receive(self, req: Request, t: float) -> None:
        self.arrivals += 1
        if self.rng.random() < self.p["failure_probability"]:
            self.fail(req, t, "error")
            return
        self.busy += 1
        self.busy_max = max(self.busy_max, self.busy)
        mean = self.p["service_ms"] / 1000.0
        self.schedule(t + (self.rng.exponential(mean) if mean else 0.0), self._done, req)

    def _done(self, req: Request, t: float) -> None:
        self.busy -= 1
        self.completions += 1
        self.consumed.append((req.t0, req.key))
        self.done_at.append(t)
        self.sim.reply(req, t)


@pytest.fixture(autouse=True)
def recording_consumer() -> Iterator[None]:
    # The registry is global: the test kind lives there only while a test of this module runs.
    REGISTRY[RecordingConsumer.kind] = RecordingConsumer
    yield
    del REGISTRY[RecordingConsumer.kind]


def consumer(node_id: str, **params: Any) -> dict[str, Any]:
    return node(node_id, RecordingConsumer.kind, **params)


def topic(**params: Any) -> dict[str, Any]:
    return node("topic", "pubsub_topic", **params)


def drained(topo: dict[str, Any], until: float, seed: int = 1) -> Simulation:
    sim = Simulation(topo, seed=seed)
    sim.run(until)
    sim.drain()
    return sim


def test_every_group_receives_every_message_exactly_once_when_nothing_fails() -> None:
    topo = topology(
        [source(200.0), topic(partitions=4, consumers_per_group=4),
         consumer("email", service_ms=5), consumer("analytics", service_ms=2), consumer("fulfilment", service_ms=10)],
        [("users", "topic"), ("topic", "email"), ("topic", "analytics"), ("topic", "fulfilment")],
        keys=UNIFORM_KEYS)
    sim = drained(topo, 10.0)
    results = sim.results()
    view = results["measured"]["nodes"]["topic"]
    published = view["published"]
    assert published == results["requests"]["created"] > 1500
    for group in ("email", "analytics", "fulfilment"):
        consumed = sim.nodes[group].consumed
        assert len(consumed) == published
        assert len(set(consumed)) == published  # no message twice (publish times are unique)
    assert view["delivered"] == 3 * published
    assert view["redelivered"] == view["dead_lettered"] == view["backlog"] == 0


def test_the_publisher_waits_only_for_the_acknowledgement() -> None:
    topo = topology([source(100.0), topic(ack_latency_ms=7), pool("slow", service_time_ms=200)],
                    [("users", "topic"), ("topic", "slow")])
    results = Run(topo).run(10.0).finish()
    latency = results["measured"]["overall"]["latency_ms"]
    assert latency["mean"] == pytest.approx(7.0) and latency["max"] == pytest.approx(7.0)
    assert results["measured"]["nodes"]["topic"]["latency_ms"]["mean"] == pytest.approx(7.0)


def test_a_group_edge_with_classes_subscribes_to_those_classes_only() -> None:
    classes = [{"name": "order", "operation": "write", "share": 3}, {"name": "view", "operation": "read", "share": 1}]
    topo = topology(
        [source(200.0), topic(), consumer("all"), consumer("orders")],
        [("users", "topic"), ("topic", "all"), {"from": "topic", "to": "orders", "classes": ["order"]}],
        classes=classes)
    sim = drained(topo, 10.0)
    published = sim.results()["measured"]["nodes"]["topic"]["published"]
    assert len(sim.nodes["all"].consumed) == published
    assert len(sim.nodes["orders"].consumed) == pytest.approx(0.75 * published, rel=0.05)


def attempts_distribution(p: float, m: int) -> tuple[float, float]:
    """Mean and variance of the deliveries of one message: it is tried until it succeeds, at
    most m times, each failing with probability p."""
    probs = [p ** (k - 1) * (1 - p) for k in range(1, m)] + [p ** (m - 1)]
    mean = sum(k * q for k, q in zip(range(1, m + 1), probs))
    var = sum((k - mean) ** 2 * q for k, q in zip(range(1, m + 1), probs))
    return mean, var


@pytest.mark.fidelity
@pytest.mark.parametrize("p, max_attempts", [(0.3, 3), (0.5, 4)])
def test_redeliveries_and_dead_letters_match_theory(p: float, max_attempts: int) -> None:
    topo = topology(
        [source(250.0), topic(partitions=8, consumers_per_group=8, max_attempts=max_attempts, redelivery_delay_ms=10),
         consumer("flaky", failure_probability=p, service_ms=1)],
        [("users", "topic"), ("topic", "flaky")], keys=UNIFORM_KEYS)
    view = drained(topo, 80.0).results()["measured"]["nodes"]["topic"]
    n = view["published"]
    assert n > 18_000
    # Attempts per message: 99.9% interval from the central limit theorem.
    mean, var = attempts_distribution(p, max_attempts)
    observed = (n + view["redelivered"]) / n
    assert abs(observed - mean) < 3.3 * math.sqrt(var / n), (observed, mean)
    # A message is dead-lettered when all its attempts fail: p ** max_attempts.
    q = p ** max_attempts
    assert abs(view["dead_lettered"] / n - q) < 3.3 * math.sqrt(q * (1 - q) / n), (view["dead_lettered"] / n, q)
    assert view["delivered"] + view["dead_lettered"] == n
    assert view["dead_letter_queue"] == view["dead_lettered"]


def test_each_partition_is_consumed_in_publish_order_even_with_redeliveries() -> None:
    partitions = 6
    topo = topology(
        [source(100.0), topic(partitions=partitions, consumers_per_group=3, redelivery_delay_ms=30, max_attempts=4),
         consumer("orders", failure_probability=0.2, service_ms=40)],
        [("users", "topic"), ("topic", "orders")], keys=UNIFORM_KEYS)
    sim = drained(topo, 20.0)
    consumed = sim.nodes["orders"].consumed
    assert len(consumed) > 1500
    by_partition: dict[int, list[float]] = {}
    for t0, key in consumed:
        by_partition.setdefault(partition_of(key, partitions), []).append(t0)
    assert len(by_partition) == partitions
    for times in by_partition.values():
        assert times == sorted(times)
    # Partitions run side by side, so the order across partitions is not kept: the check above
    # could catch a topic that delivered a partition's messages in parallel.
    assert [t0 for t0, _ in consumed] != sorted(t0 for t0, _ in consumed)


@pytest.mark.parametrize("partitions, consumers, parallel", [(4, 2, 2), (2, 8, 2), (3, 3, 3)])
def test_a_group_delivers_at_most_min_of_partitions_and_consumers_at_once(
        partitions: int, consumers: int, parallel: int) -> None:
    topo = topology(
        [source(400.0), topic(partitions=partitions, consumers_per_group=consumers), consumer("slow", service_ms=50)],
        [("users", "topic"), ("topic", "slow")], keys=UNIFORM_KEYS)
    sim = Simulation(topo, seed=2)
    sim.run(5.0)
    assert sim.nodes["slow"].busy_max == parallel


def test_consumer_lag_grows_when_consumers_are_slower_than_publishing() -> None:
    # Two partitions of 60 messages/s each; a consumer takes 25 ms, so 40/s leave each
    # partition (utilization 1.5): the lag grows by about 20 messages a second.
    def lag_run(rate: float) -> list[dict[str, Any]]:
        topo = topology(
            [source(rate), topic(partitions=2, consumers_per_group=2),
             pool("worker", instances=1, workers_per_instance=8, service_time_ms=25,
                  service_distribution="deterministic")],
            [("users", "topic"), ("topic", "worker")], keys=UNIFORM_KEYS)
        r = Run(topo).run(30.0)
        r.finish()
        return r.window_nodes("topic")

    slow = lag_run(120.0)
    lags = [w["consumer_lag"] for w in slow]
    assert lags[9] < lags[19] < lags[29]
    assert lags[29] == pytest.approx(20 * 30, rel=0.2)
    assert slow[29]["backlog"] == pytest.approx(2 * 20 * 30, rel=0.15)
    # The oldest waiting message was published when 2/3 of the run had passed (40 of every 60 leave).
    assert slow[29]["oldest_age_ms"] == pytest.approx(30_000 / 3, rel=0.15)
    fast = lag_run(60.0)  # utilization 0.75
    assert max(w["consumer_lag"] for w in fast) < 30
    assert fast[29]["oldest_age_ms"] < 500


def test_a_full_backlog_makes_publishers_overloaded() -> None:
    topo = topology(
        [source(100.0), topic(partitions=1, consumers_per_group=1, backlog_capacity=50),
         pool("slow", service_time_ms=50, service_distribution="deterministic")],
        [("users", "topic"), ("topic", "slow")])
    r = Run(topo).run(20.0)
    results = r.finish()
    windows = r.window_nodes("topic")
    assert max(w["backlog"] for w in windows) <= 50
    # 20 leave per second, so about 80 of every 100 are refused once the backlog is full.
    refused = results["measured"]["overall"]["failures"]["overloaded"]
    assert refused == pytest.approx(80 * 19.5, rel=0.1)


def test_a_crashed_topic_refuses_publishers_but_keeps_and_then_delivers_its_backlog() -> None:
    topo = topology(
        [source(100.0), topic(partitions=2, consumers_per_group=2), consumer("slow", service_ms=30)],
        [("users", "topic"), ("topic", "slow")],
        faults=[{"kind": "crash", "node": "topic", "start_s": 5, "duration_s": 3}], keys=UNIFORM_KEYS)
    r = Run(topo).run(5.0)
    backlog_at_crash = r.sim.nodes["topic"].groups[0].backlog
    r.run(20.0)
    r.sim.drain()
    results = r.sim.results()
    view = results["measured"]["nodes"]["topic"]
    assert results["requests"]["failed"] == view["failures"]["fault"] == pytest.approx(300, rel=0.15)
    # Nothing new was delivered while it was down (the deliveries under way at the crash
    # finished), and nothing it had accepted was lost.
    assert backlog_at_crash > 100
    done_at = r.sim.nodes["slow"].done_at
    assert sum(1 for t in done_at if 5.0 <= t < 8.0) <= 2
    assert len(r.sim.nodes["slow"].consumed) == view["published"] == view["delivered"]
    delivered_in = [w["delivered"] for w in r.window_nodes("topic")]
    assert sum(delivered_in[6:8]) == 0 and delivered_in[8] > 0


def test_cost_counts_publishes_deliveries_and_partition_hours() -> None:
    topo = topology([source(100.0), topic(partitions=10), consumer("a"), consumer("b")],
                    [("users", "topic"), ("topic", "a"), ("topic", "b")])
    sim = drained(topo, 36.0)
    view = sim.results()["measured"]["nodes"]["topic"]
    span = sim.results()["measured"]["span_s"]
    expected = 0.50 * (view["published"] * 3) / 1e6 + 0.015 * 10 * span / 3600.0
    assert view["cost_usd"] == pytest.approx(expected, rel=1e-3)


def test_the_order_events_example_shows_fan_out_redelivery_and_dead_letters() -> None:
    text = EXAMPLE.read_text()
    assert check(text) == []
    topo = load(text)
    topo["settings"]["warmup_s"] = 0.0  # count every message from the first
    sim = Simulation(topo)
    sim.run(topo["settings"]["duration_s"])
    sim.drain()
    results = sim.results()
    nodes = results["measured"]["nodes"]
    view = nodes["orders"]
    assert results["requests"]["failed"] == 0  # checkout never waits for the consumers
    # Every group gets every order; only the flaky fulfilment service makes messages come back.
    assert view["delivered"] + view["dead_lettered"] == 3 * view["published"]
    assert view["redelivered"] > 0.05 * view["published"]
    assert 0 < view["dead_lettered"] < 0.05 * view["published"]
    for group in ("email", "line-items"):
        assert nodes[group]["arrivals"] == view["published"]
    # The analytics group's stream processor stores each order as its three line items.
    assert nodes["line-items"]["events_out"] == nodes["analytics"]["arrivals"] == 3 * view["published"]
