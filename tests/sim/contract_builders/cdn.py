"""Contract builder for the CDN."""
from __future__ import annotations

from typing import Any, Callable

from . import crash, document

CLASSES = [{"name": "asset", "operation": "read", "share": 6, "response_kb": 80},
           {"name": "api", "operation": "read", "share": 3, "response_kb": 4},
           {"name": "save", "operation": "write", "share": 1, "response_kb": 1}]


def cdn_topology() -> dict[str, Any]:
    # Users on two continents behind one CDN in front of a small origin: the dynamic calls and the
    # misses overload the origin in the spike (503s), and the CDN itself goes down for a while.
    doc = document(
        [
            {"id": "us-users", "kind": "traffic_source", "region": "us-west",
             "params": {"rate_per_s": 200, "pattern": "spike", "spike_rate_per_s": 600, "spike_start_s": 5,
                        "spike_duration_s": 5}},
            {"id": "asia-users", "kind": "traffic_source", "region": "ap-northeast", "params": {"rate_per_s": 100}},
            {"id": "cdn", "kind": "cdn",
             "params": {"static_classes": {"asset": 1}, "capacity_items": 300, "ttl_s": 6, "edge_latency_ms": 0.5}},
            {"id": "origin", "kind": "service_pool", "region": "us-west",
             "params": {"instances": 1, "workers_per_instance": 8, "queue_capacity": 30, "service_time_ms": 20}},
        ],
        [{"from": "us-users", "to": "cdn"}, {"from": "asia-users", "to": "cdn"},
         {"from": "cdn", "to": "origin", "latency_ms": 1}],
        classes=CLASSES,
        keys={"distribution": "zipf", "count": 2000, "exponent": 0.9},
        faults=[crash("cdn", 20, 3)],
    )
    doc["regions"] = [{"id": "us-west", "zones": []}, {"id": "ap-northeast", "zones": []}]
    return doc


BUILDERS: dict[str, Callable[[], dict[str, Any]]] = {"cdn": cdn_topology}
