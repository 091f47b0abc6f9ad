"""Contract builder for the rate limiter: both algorithms, both scopes, with and without a
check latency, and a crash that loses a leaky bucket's waiting requests."""
from __future__ import annotations

from typing import Any, Callable

from . import READ_WRITE, crash, document


def rate_limiter_topology() -> dict[str, Any]:
    return document(
        [
            {"id": "users", "kind": "traffic_source",
             "params": {"rate_per_s": 250, "pattern": "spike", "spike_rate_per_s": 600, "spike_start_s": 5,
                        "spike_duration_s": 8, "clients": 20}},
            {"id": "bots", "kind": "traffic_source", "params": {"rate_per_s": 80, "clients": 3}},
            {"id": "edge", "kind": "rate_limiter",
             "params": {"algorithm": "token_bucket", "scope": "per_client", "rate_per_s": 15, "burst": 10,
                        "tokens_by_class": {"write": 2}, "latency_ms": 0.5}},
            {"id": "shaper", "kind": "rate_limiter",
             "params": {"algorithm": "leaky_bucket", "rate_per_s": 200, "burst": 40, "latency_ms": 0.2}},
            {"id": "smooth", "kind": "rate_limiter",
             "params": {"algorithm": "leaky_bucket", "scope": "per_client", "rate_per_s": 20, "burst": 5}},
            {"id": "app", "kind": "service_pool",
             "params": {"instances": 1, "workers_per_instance": 2, "queue_capacity": 20, "service_time_ms": 8}},
        ],
        [{"from": "users", "to": "edge", "latency_ms": 2}, {"from": "edge", "to": "shaper", "latency_ms": 0.3},
         {"from": "shaper", "to": "app", "latency_ms": 0.3}, {"from": "bots", "to": "smooth", "latency_ms": 1},
         {"from": "smooth", "to": "app", "latency_ms": 0.3}],
        classes=READ_WRITE,
        faults=[crash("shaper", 8, 3), crash("smooth", 20, 2), crash("edge", 24, 1)],
    )


BUILDERS: dict[str, Callable[[], dict[str, Any]]] = {"rate_limiter": rate_limiter_topology}
