"""Small topologies for the evidence tests: a Poisson source into single- or multi-worker pools,
short runs (the statistics only need each run's figure to be an average over many requests)."""
from __future__ import annotations

from typing import Any

from lab.sim import load


def pool(node_id: str, service_ms: float, workers: int = 1, **params: Any) -> dict[str, Any]:
    return {"id": node_id, "kind": "service_pool", "label": node_id.title(),
            "params": {"instances": 1, "workers_per_instance": workers, "queue_capacity": 1_000_000,
                       "service_time_ms": service_ms, **params}}


def queue(rate: float, service_ms: float, workers: int = 1, *, duration: float = 20, warmup: float = 2,
          node_id: str = "app", seed: int = 1) -> dict[str, Any]:
    """M/M/c: Poisson arrivals at `rate` into one pool of `workers` exponential servers."""
    return load({
        "version": 1, "name": f"M/M/{workers}",
        "settings": {"duration_s": duration, "warmup_s": warmup, "seed": seed},
        "nodes": [{"id": "src", "kind": "traffic_source", "params": {"rate_per_s": rate}},
                  pool(node_id, service_ms, workers)],
        "edges": [{"from": "src", "to": node_id}],
    })


def app_and_database(rate: float, *, duration: float = 15, warmup: float = 2) -> dict[str, Any]:
    """An app (4 workers, 2 ms: 2,000 requests/s) calling a database (2 workers, 4 ms: 500
    requests/s): the database saturates first."""
    return load({
        "version": 1, "name": "app and database",
        "settings": {"duration_s": duration, "warmup_s": warmup},
        "nodes": [{"id": "users", "kind": "traffic_source", "params": {"rate_per_s": rate}},
                  pool("app", 2.0, workers=4),
                  {"id": "db", "kind": "database", "label": "Database",
                   "params": {"workers": 2, "max_connections": 100_000, "read_time_ms": 4}}],
        "edges": [{"from": "users", "to": "app"}, {"from": "app", "to": "db"}],
    })
