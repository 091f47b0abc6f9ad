"""Contract builder for object storage."""
from __future__ import annotations

from typing import Any, Callable

from . import READ_WRITE, crash, document


def object_storage_topology() -> dict[str, Any]:
    # Reads and writes straight to a bucket that sometimes errs, and is down for a while.
    return document(
        [
            {"id": "users", "kind": "traffic_source", "params": {"rate_per_s": 300}},
            {"id": "bucket", "kind": "object_storage",
             "params": {"read_latency_ms": 25, "write_latency_ms": 60, "latency_distribution": "empirical",
                        "latency_samples_ms": [12, 18, 25, 40, 90, 300], "error_rate": 0.01, "stored_gb": 500}},
            {"id": "media", "kind": "object_storage",
             "params": {"read_latency_ms": 15, "write_latency_ms": 40, "latency_distribution": "lognormal",
                        "latency_cv": 2.0}},
        ],
        [{"from": "users", "to": "bucket", "latency_ms": 10, "classes": ["read"]},
         {"from": "users", "to": "media", "latency_ms": 10, "classes": ["write"]}],
        classes=READ_WRITE,
        faults=[crash("bucket"), crash("media", 20, 2)],
    )


BUILDERS: dict[str, Callable[[], dict[str, Any]]] = {"object_storage": object_storage_topology}
