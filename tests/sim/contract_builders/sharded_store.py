"""The sharded store: Zipf keys overload the hot shard, and the node crashes for a while."""
from __future__ import annotations

from typing import Any, Callable

from . import READ_WRITE, crash, document


def sharded_store_topology() -> dict[str, Any]:
    return document(
        [
            {"id": "users", "kind": "traffic_source", "params": {"rate_per_s": 1200}},
            {"id": "lb", "kind": "load_balancer", "params": {"policy": "round_robin"}},
            {"id": "shards", "kind": "sharded_store",
             "params": {"shards": 4, "sharding": "range", "workers": 2, "max_connections": 6,
                        "read_time_ms": 4, "write_time_ms": 9, "service_distribution": "lognormal",
                        "service_cv": 1.5}},
            {"id": "ring", "kind": "sharded_store",
             "params": {"shards": 3, "sharding": "consistent_hash", "virtual_nodes": 20, "workers": 4,
                        "max_connections": 40, "read_time_ms": 2}},
        ],
        [{"from": "users", "to": "lb", "latency_ms": 1}, {"from": "lb", "to": "shards", "latency_ms": 0.5},
         {"from": "lb", "to": "ring", "latency_ms": 0.5}],
        classes=READ_WRITE,
        keys={"distribution": "zipf", "count": 5000, "exponent": 1.0},
        faults=[crash("shards"), crash("ring", 20, 2)],
    )


BUILDERS: dict[str, Callable[[], dict[str, Any]]] = {"sharded_store": sharded_store_topology}
