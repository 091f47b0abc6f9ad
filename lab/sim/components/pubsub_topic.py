"""Pub/sub topic (Kafka, Google Pub/Sub, SNS + SQS style): publishers get an acknowledgement
once the topic has stored a message; every subscribed consumer group then receives its own copy.

Each outgoing edge is one consumer group (fan-out: every group gets every message its edge
accepts). A message goes to partition hash(key) mod `partitions`; inside a group each partition
is read in order by one consumer, so a group delivers at most min(partitions, consumers) messages
at a time and never two of the same partition at once (per-partition FIFO).

Delivery is at least once. A delivery that fails (the group's dependency fails) is retried by
the same consumer after `redelivery_delay_ms`, which holds up its partition: order is kept, and a
poison message stalls its partition until, after `max_attempts`, it goes to the dead-letter queue
(counted, not delivered anywhere). Messages are durable: a crashed topic refuses publishes and
stops delivering, but keeps its backlog and resumes when it recovers.

The node's own counters follow the publishers (arrivals are publishes, latency is the time to
the acknowledgement); deliveries are messages the topic owns, reported as extra metrics.
"""
from __future__ import annotations

from collections import deque
from typing import Any

from ..params import Param
from ..cloud.pricing import per_hour, per_million
from ..kernel.request import Request
from ..metrics.declared import MAX, count, level, peak, per
from .base import Component, Edge
from ..parts.hashing import mix64


def partition_of(key: int, partitions: int) -> int:
    """The partition a message with this key goes to (a stable hash, not Python's)."""
    return mix64(key) % partitions if partitions > 1 else 0


class _Message(Request):
    """A stored message: the request each delivery is spawned from, plus its partition. Its
    trace stays empty: deliveries happen after the publisher's request has ended."""

    __slots__ = ("partition",)

    def __init__(self, req: Request, t: float, source: str, partition: int) -> None:
        super().__init__(0, req.cls, req.key, req.client, t, source)
        self.partition = partition


class _Group:
    __slots__ = ("edge", "consumers", "lag", "backlog")

    def __init__(self, edge: Edge, partitions: int, consumers: int) -> None:
        self.edge = edge
        self.consumers = [_Consumer(self) for _ in range(consumers)]
        self.lag = [0] * partitions  # messages of each partition not yet consumed (or dead-lettered)
        self.backlog = 0


class _Consumer:
    """One consumer of a group: it owns partitions p with p mod consumers == its index, and
    handles one message at a time, in the order they were published."""

    __slots__ = ("group", "queue", "current", "attempt")

    def __init__(self, group: _Group) -> None:
        self.group = group
        self.queue: deque[_Message] = deque()
        self.current: _Message | None = None  # being delivered, or waiting to be redelivered
        self.attempt = 0


class PubSubTopic(Component):
    kind = "pubsub_topic"
    title = "Pub/sub topic"
    group = "messaging"
    icon = "broadcast"
    summary = ("A partitioned topic: publishers get a fast acknowledgement; each consumer group (outgoing edge) "
               "gets every message, in order per partition, with redelivery and a dead-letter queue.")
    min_callees = 1
    params = (
        Param("ack_latency_ms", "number", 5.0, "Time to store a message and acknowledge it to the publisher.",
              unit="ms", minimum=0.0, maximum=60_000.0),
        Param("partitions", "integer", 4, "Partitions (shards) of the topic; a message goes to partition "
              "hash(key) mod partitions. Each group reads a partition with one consumer, in order.",
              minimum=1, maximum=1024, live=False),
        Param("consumers_per_group", "integer", 4, "Consumers in each group; a group delivers "
              "min(partitions, consumers) messages at a time.", minimum=1, maximum=1024, live=False),
        Param("backlog_capacity", "integer", 1_000_000, "Messages one group may have unconsumed (the retention "
              "limit); when the slowest group reaches it, publishers get 503.", minimum=1, maximum=100_000_000),
        Param("max_attempts", "integer", 5, "Deliveries of a message before it goes to the dead-letter queue.",
              minimum=1, maximum=100),
        Param("redelivery_delay_ms", "number", 1000.0, "Wait before a failed delivery is tried again; "
              "the partition waits with it.", unit="ms", minimum=0.0, maximum=3_600_000.0),
    )

    @classmethod
    def uses_keys_with(cls, values: dict[str, Any]) -> bool:
        return values["partitions"] > 1

    metrics = (
        count("published"), count("delivered"), count("redelivered"), count("dead_lettered"),
        count("delivery_failures"), count("deliveries", shown=None),
        level("dead_letter_queue", attr="dead_letter_total"), level("backlog"),
        level("consumer_lag"), level("consumer_lag_max", attr="consumer_lag", combine=MAX),
        level("lag_by_group", shown=None),
        level("oldest_age", zero=0.0, shown="oldest_age_ms", scale=1000.0, digits=3),
        level("oldest_age_max", attr="oldest_age", combine=MAX, zero=0.0, shown="oldest_age_max_ms",
              scale=1000.0, digits=3),
        per("delivery_ms_mean", "delivery_time", "delivered", scale=1000.0, digits=3),
        count("delivery_time", zero=0.0, shown=None),
        peak("delivery_time_max", zero=0.0, shown="delivery_ms_max", scale=1000.0, digits=3),
        level("partitions"),
    )

    def build(self) -> None:
        p = self.p
        self.partitions = p["partitions"]
        consumers = min(p["partitions"], p["consumers_per_group"])
        self.groups = [_Group(edge, self.partitions, consumers) for edge in self.out]
        self._by_class = {c: [g for g in self.groups if g.edge.accepts(c)] for c in self.sim.class_names}
        self._stalled: list[_Consumer] = []  # consumers waiting for the topic to recover
        self._wake_pending = False
        self._in_spawn = False
        self.published = self.delivered = self.redelivered = self.dead_lettered = 0
        self.deliveries = self.delivery_failures = 0
        self.dead_letter_total = 0
        self.delivery_time = 0.0
        self.delivery_time_max = 0.0
        # As of the last window (`measure`).
        self.backlog = self.consumer_lag = 0
        self.lag_by_group: dict[str, int] = {}
        self.oldest_age = 0.0
        self._ack_cb = self._ack
        self._retry_cb = self._retry
        self._advance_cb = self._advance
        self._wake_cb = self._wake

    def configure(self) -> None:
        p = self.p
        self._ack_s = p["ack_latency_ms"] / 1000.0
        self._capacity = p["backlog_capacity"]
        self._max_attempts = p["max_attempts"]
        self._delay_s = p["redelivery_delay_ms"] / 1000.0

    # -- publishing -----------------------------------------------------------------------------

    def receive(self, req: Request, t: float) -> None:
        self.arrivals += 1
        groups = self._by_class[req.cls]
        capacity = self._capacity
        for g in groups:
            if g.backlog >= capacity:
                self.fail(req, t, "overloaded")
                return
        self.published += 1
        partition = mix64(req.key) % self.partitions if self.partitions > 1 else 0
        msg = _Message(req, t, self.id, partition)
        for g in groups:
            g.lag[partition] += 1
            g.backlog += 1
            consumer = g.consumers[partition % len(g.consumers)]
            if consumer.current is None:
                consumer.current = msg
                consumer.attempt = 0
                self._deliver(consumer, t)
            else:
                consumer.queue.append(msg)
        if self._ack_s:
            self.mark(t)
            self.n += 1
            req.t_node = t
            self.schedule(t + self._ack_s, self._ack_cb, req)
        else:
            self.completions += 1
            self.lat.append(0.0)
            self.sim.reply(req, t)

    def _ack(self, req: Request, t: float) -> None:
        self.mark(t)
        self.n -= 1
        self.completions += 1
        self.lat.append(t - req.t_node)
        self.sim.reply(req, t)

    # -- delivering -----------------------------------------------------------------------------

    def _deliver(self, consumer: _Consumer, t: float) -> None:
        if self.down:
            self._stalled.append(consumer)
            return
        consumer.attempt += 1
        self.deliveries += 1
        if consumer.attempt > 1:
            self.redelivered += 1
        # A delivery that ends at once (a consumer that answers or fails without any delay)
        # comes back inside spawn; the consumer then moves on through the heap, not by recursion.
        msg = consumer.current
        assert msg is not None  # only a consumer with a message is delivered to
        self._in_spawn = True
        self.spawn(msg, consumer.group.edge, t, consumer)
        self._in_spawn = False

    def resume(self, child: Request, consumer: _Consumer, t: float) -> None:
        msg = consumer.current
        assert msg is not None  # a delivery's consumer holds its message until it moves on
        g = consumer.group
        g.lag[msg.partition] -= 1
        g.backlog -= 1
        self.delivered += 1
        took = t - msg.t0
        self.delivery_time += took
        if took > self.delivery_time_max:
            self.delivery_time_max = took
        self._next(consumer, t)

    def abort(self, child: Request, consumer: _Consumer, t: float, cause: str) -> bool:
        self.delivery_failures += 1
        if consumer.attempt < self._max_attempts:
            self.schedule(t + self._delay_s, self._retry_cb, consumer)
            return True
        msg = consumer.current
        assert msg is not None  # as in resume
        g = consumer.group
        g.lag[msg.partition] -= 1
        g.backlog -= 1
        self.dead_lettered += 1
        self.dead_letter_total += 1
        self._next(consumer, t)
        return True  # the delivery was the topic's; the publisher had its acknowledgement long ago

    def _next(self, consumer: _Consumer, t: float) -> None:
        if self._in_spawn:
            self.schedule(t, self._advance_cb, consumer)
        else:
            self._advance(consumer, t)

    def _advance(self, consumer: _Consumer, t: float) -> None:
        if consumer.queue:
            consumer.current = consumer.queue.popleft()
            consumer.attempt = 0
            self._deliver(consumer, t)
        else:
            consumer.current = None

    def _retry(self, consumer: _Consumer, t: float) -> None:
        self._deliver(consumer, t)

    # -- crash and recovery ---------------------------------------------------------------------

    def wire(self) -> None:
        # Rewiring is how a node learns it has recovered: its stalled consumers start again.
        if not self.down and self._stalled and not self._wake_pending:
            self._wake_pending = True
            self.schedule(self.sim.current_time(), self._wake_cb, None)

    def _wake(self, _: Any, t: float) -> None:
        self._wake_pending = False
        stalled, self._stalled = self._stalled, []
        for consumer in stalled:
            self._deliver(consumer, t)  # stalls again if the topic went down in between

    # -- metrics --------------------------------------------------------------------------------

    def measure(self, t: float) -> None:
        oldest = t
        lag = 0
        backlog = 0
        by_group: dict[str, int] = {}
        for g in self.groups:
            backlog += g.backlog
            group_lag = max(g.lag)
            by_group[g.edge.target.id] = max(by_group.get(g.edge.target.id, 0), group_lag)
            lag = max(lag, group_lag)
            for consumer in g.consumers:
                msg = consumer.current
                if msg is not None and msg.t0 < oldest:
                    oldest = msg.t0  # the head of a consumer's partitions is the oldest it holds
        self.backlog, self.consumer_lag, self.lag_by_group = backlog, lag, by_group
        self.oldest_age = t - oldest

    def accrue_cost(self, raw: dict[str, Any], span: float) -> float:
        prices = self.sim.prices
        # Every publish and every delivery attempt is a billed request.
        return (per_million(prices["pubsub_request_million"], raw["published"] + raw["deliveries"])
                + per_hour(prices["stream_partition_hour"] * self.partitions, span))

    @staticmethod
    def present_extra(raw: dict[str, Any], span: float) -> dict[str, Any]:
        return {"lag_by_group": dict(raw.get("lag_by_group", {}))}
