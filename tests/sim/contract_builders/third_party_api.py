"""Contract builder for the third-party API."""
from __future__ import annotations

from typing import Any, Callable

from . import READ_WRITE, crash, document


def third_party_api_topology() -> dict[str, Any]:
    # The checkout calls a payment provider whose rate limit is below the spike: calls are refused
    # (429), some come back with errors (500), and the provider is down for a while.
    return document(
        [
            {"id": "users", "kind": "traffic_source",
             "params": {"rate_per_s": 60, "pattern": "spike", "spike_rate_per_s": 200, "spike_start_s": 5,
                        "spike_duration_s": 5}},
            {"id": "checkout", "kind": "service_pool",
             "params": {"instances": 2, "workers_per_instance": 8, "service_time_ms": 3}},
            {"id": "payments", "kind": "third_party_api",
             "params": {"latency_ms": 250, "latency_distribution": "lognormal", "latency_cv": 1.5,
                        "latency_ms_by_class": {"write": 400}, "error_rate": 0.02, "rate_limit_per_s": 80,
                        "rate_limit_burst": 20, "price_per_call_usd": 0.01}},
        ],
        [{"from": "users", "to": "checkout", "latency_ms": 20}, {"from": "checkout", "to": "payments", "latency_ms": 15}],
        classes=READ_WRITE,
        faults=[crash("payments")],
    )


BUILDERS: dict[str, Callable[[], dict[str, Any]]] = {"third_party_api": third_party_api_topology}
