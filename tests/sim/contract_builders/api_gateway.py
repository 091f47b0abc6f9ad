"""Contract builder for the API gateway: routing by class (and a class with no route), the
token cache, a concurrency limit that refuses, a gateway that does no work of its own, and a
crash."""
from __future__ import annotations

from typing import Any, Callable

from . import crash, document

CLASSES = [{"name": "read", "operation": "read", "share": 6}, {"name": "write", "operation": "write", "share": 2},
           {"name": "admin", "operation": "read", "share": 1}]


def api_gateway_topology() -> dict[str, Any]:
    return document(
        [
            {"id": "users", "kind": "traffic_source",
             "params": {"rate_per_s": 300, "pattern": "spike", "spike_rate_per_s": 700, "spike_start_s": 5,
                        "spike_duration_s": 8}},
            {"id": "partners", "kind": "traffic_source", "params": {"rate_per_s": 40, "mix": {"read": 1}}},
            {"id": "gw", "kind": "api_gateway",
             "params": {"tls_ms": 0.4, "auth_ms": 3, "token_cache_hit": 0.7, "transform_ms": 0.5,
                        "max_in_flight": 40}},
            {"id": "bare", "kind": "api_gateway", "params": {"tls_ms": 0, "auth_ms": 0, "transform_ms": 0}},
            {"id": "reads", "kind": "service_pool",
             "params": {"instances": 1, "workers_per_instance": 4, "queue_capacity": 50, "service_time_ms": 10}},
            {"id": "writes", "kind": "service_pool",
             "params": {"instances": 1, "workers_per_instance": 2, "queue_capacity": 20, "service_time_ms": 15}},
        ],
        [{"from": "users", "to": "gw", "latency_ms": 2}, {"from": "partners", "to": "bare", "latency_ms": 3},
         {"from": "gw", "to": "reads", "latency_ms": 0.3, "classes": ["read"]},
         {"from": "gw", "to": "writes", "latency_ms": 0.3, "classes": ["write"]},
         {"from": "bare", "to": "reads", "latency_ms": 0.5}],
        classes=CLASSES,
        faults=[crash("gw"), crash("bare", 20, 2)],
    )


BUILDERS: dict[str, Callable[[], dict[str, Any]]] = {"api_gateway": api_gateway_topology}
