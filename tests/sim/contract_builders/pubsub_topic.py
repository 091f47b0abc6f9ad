"""Contract builder for the pub/sub topic."""
from __future__ import annotations

from typing import Any, Callable

from . import READ_WRITE, crash, document


def pubsub_topic_topology() -> dict[str, Any]:
    # Three groups: a fast one, one that refuses what it cannot take at once (redeliveries and
    # dead letters), and a slow one that only takes writes and whose backlog fills the topic's
    # capacity (publishers get 503). The topic crashes with a backlog, and keeps it.
    return document(
        [
            {"id": "users", "kind": "traffic_source", "params": {"rate_per_s": 150}},
            {"id": "topic", "kind": "pubsub_topic",
             "params": {"ack_latency_ms": 4, "partitions": 3, "consumers_per_group": 2, "backlog_capacity": 150,
                        "max_attempts": 3, "redelivery_delay_ms": 20}},
            {"id": "fast", "kind": "service_pool",
             "params": {"instances": 1, "workers_per_instance": 4, "service_time_ms": 3}},
            {"id": "flaky", "kind": "service_pool",
             "params": {"instances": 1, "workers_per_instance": 1, "queue_capacity": 0, "service_time_ms": 6}},
            {"id": "slow", "kind": "service_pool",
             "params": {"instances": 1, "workers_per_instance": 2, "service_time_ms": 120}},
        ],
        [{"from": "users", "to": "topic", "latency_ms": 20}, {"from": "topic", "to": "fast", "latency_ms": 1},
         {"from": "topic", "to": "flaky", "latency_ms": 0.5},
         {"from": "topic", "to": "slow", "latency_ms": 0.5, "classes": ["write"]}],
        classes=READ_WRITE,
        faults=[crash("topic"), crash("flaky", 20, 2)],
    )


BUILDERS: dict[str, Callable[[], dict[str, Any]]] = {"pubsub_topic": pubsub_topic_topology}
