"""Contract builder for the transaction coordinator: two-phase commit and a saga side by side."""
from __future__ import annotations

from typing import Any, Callable

from . import READ_WRITE, crash, document


def _participant(node_id: str, workers: int, queue: int, ms: float) -> dict[str, Any]:
    return {"id": node_id, "kind": "service_pool",
            "params": {"instances": 1, "workers_per_instance": workers, "queue_capacity": queue, "service_time_ms": ms}}


def transaction_coordinator_topology() -> dict[str, Any]:
    # Both coordinators share participants; "stock" refuses what it cannot take at once, so some
    # transactions abort (rollbacks, compensations). The 2PC coordinator crashes mid-run with
    # transactions in flight, which block until it recovers.
    return document(
        [
            {"id": "shop", "kind": "traffic_source", "params": {"rate_per_s": 80}},
            {"id": "travel", "kind": "traffic_source", "params": {"rate_per_s": 60}},
            {"id": "xa", "kind": "transaction_coordinator", "params": {"mode": "two_phase_commit", "log_write_ms": 2}},
            {"id": "saga", "kind": "transaction_coordinator", "params": {"mode": "saga", "compensation_ms": 3}},
            _participant("orders", 8, 100, 5),
            _participant("payments", 8, 100, 15),
            _participant("stock", 3, 0, 8),
        ],
        [{"from": "shop", "to": "xa", "latency_ms": 5}, {"from": "travel", "to": "saga", "latency_ms": 5},
         {"from": "xa", "to": "orders", "latency_ms": 1}, {"from": "xa", "to": "payments", "latency_ms": 1},
         {"from": "xa", "to": "stock", "latency_ms": 1},
         {"from": "saga", "to": "orders", "latency_ms": 1}, {"from": "saga", "to": "stock", "latency_ms": 1},
         {"from": "saga", "to": "payments", "latency_ms": 1}],
        classes=READ_WRITE,
        faults=[crash("xa"), crash("saga", 20, 3), crash("stock", 25, 1)],
    )


BUILDERS: dict[str, Callable[[], dict[str, Any]]] = {"transaction_coordinator": transaction_coordinator_topology}
