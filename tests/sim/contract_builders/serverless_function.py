"""Contract builder for the serverless function."""
from __future__ import annotations

from typing import Any, Callable

from . import READ_WRITE, crash, document


def serverless_function_topology() -> dict[str, Any]:
    # A spike beyond the concurrency limit is throttled; a slow database makes some invocations
    # time out and others fail on its connection limit; a crash loses the warm instances.
    return document(
        [
            {"id": "users", "kind": "traffic_source",
             "params": {"rate_per_s": 150, "pattern": "spike", "spike_rate_per_s": 600, "spike_start_s": 5,
                        "spike_duration_s": 4}},
            {"id": "fn", "kind": "serverless_function",
             "params": {"memory_mb": 512, "duration_ms": 20, "duration_ms_by_class": {"write": 40},
                        "cold_start_ms": 200, "idle_timeout_s": 3, "max_concurrency": 40,
                        "provisioned_concurrency": 5, "timeout_s": 0.25}},
            {"id": "db", "kind": "database", "params": {"workers": 4, "max_connections": 30, "read_time_ms": 5,
                                                        "write_time_ms": 20}},
        ],
        [{"from": "users", "to": "fn", "latency_ms": 3}, {"from": "fn", "to": "db", "latency_ms": 0.5}],
        classes=READ_WRITE,
        faults=[crash("fn")],
    )


BUILDERS: dict[str, Callable[[], dict[str, Any]]] = {"serverless_function": serverless_function_topology}
