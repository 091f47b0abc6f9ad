"""Contract builder for the DNS router."""
from __future__ import annotations

from typing import Any, Callable

from . import READ_WRITE, crash, document


def dns_router_topology() -> dict[str, Any]:
    # Users on two continents resolve to the nearest of two regional stacks. The Asian stack is
    # too small for the spike (503s), its balancer crashes (clients with cached answers fail until
    # the TTL expires), and the DNS service itself goes down for a while (only fresh cached
    # answers get through).
    regions = ("us-west", "ap-northeast")
    nodes: list[dict[str, Any]] = [
        {"id": "us-users", "kind": "traffic_source", "region": "us-west",
         "params": {"rate_per_s": 150, "clients": 200, "mix": {"read": 3, "write": 1}}},
        {"id": "asia-users", "kind": "traffic_source", "region": "ap-northeast",
         "params": {"rate_per_s": 100, "clients": 100, "pattern": "spike", "spike_rate_per_s": 400,
                    "spike_start_s": 5, "spike_duration_s": 5}},
        {"id": "dns", "kind": "dns_router",
         "params": {"policy": "latency", "ttl_s": 4, "resolution_ms": 20, "health_check_interval_s": 1,
                    "unhealthy_threshold": 2}},
        {"id": "geo-dns", "kind": "dns_router",
         "params": {"policy": "weighted", "weights": {"us-west": 1, "lb-ap-northeast": 2}, "ttl_s": 0,
                    "resolution_ms": 5}},
    ]
    edges: list[dict[str, Any]] = [
        {"from": "us-users", "to": "dns"}, {"from": "asia-users", "to": "geo-dns", "classes": ["write"]},
        {"from": "asia-users", "to": "dns", "classes": ["read"]},
    ]
    for region in regions:
        nodes += [
            {"id": f"lb-{region}", "kind": "load_balancer", "region": region, "params": {}},
            {"id": f"app-{region}", "kind": "service_pool", "region": region,
             "params": {"instances": 1, "workers_per_instance": 8, "queue_capacity": 20, "service_time_ms": 25}},
        ]
        edges += [{"from": "dns", "to": f"lb-{region}"}, {"from": "geo-dns", "to": f"lb-{region}"},
                  {"from": f"lb-{region}", "to": f"app-{region}"}]
    doc = document(nodes, edges, classes=READ_WRITE,
                   faults=[crash("lb-ap-northeast", 14, 6), crash("dns", 22, 3)])
    doc["regions"] = [{"id": r, "zones": []} for r in regions]
    return doc


BUILDERS: dict[str, Callable[[], dict[str, Any]]] = {"dns_router": dns_router_topology}
