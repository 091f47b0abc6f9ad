"""Contract builder for the scatter-gather root."""
from __future__ import annotations

from typing import Any, Callable

from . import READ_WRITE, crash, document


def scatter_gather_topology() -> dict[str, Any]:
    # Two roots: one waits for 2 of 3 shards of a small, overloaded pool with a partial answer on
    # timeout; the other waits for every one of four flaky API leaves and fails on timeout. Writes
    # reach only two shards (a class-filtered edge).
    shards = [{"id": f"shard{i}", "kind": "service_pool",
               "params": {"instances": 1, "workers_per_instance": 2, "queue_capacity": 8, "service_time_ms": 6}}
              for i in (1, 2, 3)]
    return document(
        [
            {"id": "users", "kind": "traffic_source",
             "params": {"rate_per_s": 150, "pattern": "spike", "spike_rate_per_s": 400, "spike_start_s": 5,
                        "spike_duration_s": 4}},
            {"id": "search", "kind": "scatter_gather",
             "params": {"k": 2, "timeout_ms": 25, "on_timeout": "partial", "merge_ms": 0.5}},
            *shards,
            {"id": "apps", "kind": "traffic_source", "params": {"rate_per_s": 40}},
            {"id": "enrich", "kind": "scatter_gather",
             "params": {"fanout": 4, "timeout_ms": 120, "on_timeout": "fail", "merge_ms": 0}},
            {"id": "vendor", "kind": "third_party_api",
             "params": {"latency_ms": 40, "error_rate": 0.03, "rate_limit_per_s": 0}},
        ],
        [{"from": "users", "to": "search", "latency_ms": 2},
         {"from": "search", "to": "shard1", "latency_ms": 0.5},
         {"from": "search", "to": "shard2", "latency_ms": 0.5},
         {"from": "search", "to": "shard3", "latency_ms": 0.5, "classes": ["read"]},
         {"from": "apps", "to": "enrich", "latency_ms": 1},
         {"from": "enrich", "to": "vendor", "latency_ms": 5}],
        classes=READ_WRITE,
        faults=[crash("search"), crash("shard2", 20, 3), crash("enrich", 8, 3)],
    )


BUILDERS: dict[str, Callable[[], dict[str, Any]]] = {"scatter_gather": scatter_gather_topology}
