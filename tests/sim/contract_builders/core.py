"""Contract builders for the engine's first kinds."""
from __future__ import annotations

from typing import Any, Callable

from . import READ_WRITE, crash, document

def traffic_source_topology() -> dict[str, Any]:
    # Poisson with a spike, constant on a ramp, and a class mix: every arrival path of the source.
    return document(
        [
            {"id": "users", "kind": "traffic_source",
             "params": {"rate_per_s": 150, "pattern": "spike", "spike_rate_per_s": 600, "spike_start_s": 8,
                        "spike_duration_s": 6, "mix": {"read": 3, "write": 1}}},
            {"id": "robots", "kind": "traffic_source",
             "params": {"arrival": "constant", "rate_per_s": 20, "pattern": "ramp", "ramp_to_per_s": 80,
                        "ramp_start_s": 5, "ramp_duration_s": 10}},
            {"id": "app", "kind": "service_pool",
             "params": {"instances": 1, "workers_per_instance": 4, "queue_capacity": 20, "service_time_ms": 15}},
        ],
        [{"from": "users", "to": "app", "latency_ms": 5}, {"from": "robots", "to": "app", "latency_ms": 1}],
        classes=READ_WRITE,
        faults=[crash("app")],
    )


def load_balancer_topology() -> dict[str, Any]:
    apps = [{"id": f"app{i}", "kind": "service_pool",
             "params": {"instances": 1, "workers_per_instance": 1, "queue_capacity": 10, "service_time_ms": 8}}
            for i in (1, 2, 3)]
    return document(
        [
            {"id": "users", "kind": "traffic_source",
             "params": {"rate_per_s": 250, "pattern": "spike", "spike_rate_per_s": 500, "spike_start_s": 5,
                        "spike_duration_s": 5}},
            {"id": "lb", "kind": "load_balancer",
             "params": {"policy": "least_connections", "latency_ms": 1, "health_check_interval_s": 1,
                        "unhealthy_threshold": 1}},
            *apps,
        ],
        [{"from": "users", "to": "lb", "latency_ms": 2}]
        + [{"from": "lb", "to": a["id"], "latency_ms": 0.5} for a in apps],
        faults=[crash("app2", 15, 5), crash("lb", 24, 2)],
    )


def service_pool_topology() -> dict[str, Any]:
    return document(
        [
            {"id": "users", "kind": "traffic_source",
             "params": {"rate_per_s": 200, "pattern": "spike", "spike_rate_per_s": 500, "spike_start_s": 5,
                        "spike_duration_s": 5}},
            {"id": "app", "kind": "service_pool",
             "params": {"instances": 2, "workers_per_instance": 4, "queue_capacity": 30, "service_time_ms": 10,
                        "service_time_ms_by_class": {"write": 25}, "timeout_ms": 40, "blocking_calls": True}},
            {"id": "db", "kind": "database", "params": {"workers": 4, "max_connections": 6, "read_time_ms": 4}},
        ],
        [{"from": "users", "to": "app", "latency_ms": 3}, {"from": "app", "to": "db", "latency_ms": 0.5}],
        classes=READ_WRITE,
        faults=[crash("app")],
    )


def cache_topology() -> dict[str, Any]:
    return document(
        [
            {"id": "users", "kind": "traffic_source", "params": {"rate_per_s": 300}},
            {"id": "cache", "kind": "cache",
             "params": {"mode": "keyed", "capacity_items": 200, "eviction": "lfu", "ttl_s": 5,
                        "hit_latency_ms": 0.3, "miss_latency_ms": 0.4}},
            {"id": "lucky", "kind": "cache",
             "params": {"mode": "fixed_probability", "hit_probability": 0.5, "hit_latency_ms": 0.2,
                        "miss_latency_ms": 0}},
            {"id": "db", "kind": "database", "params": {"workers": 2, "max_connections": 10, "read_time_ms": 8}},
        ],
        [{"from": "users", "to": "cache", "latency_ms": 1}, {"from": "cache", "to": "lucky", "latency_ms": 0.2},
         {"from": "lucky", "to": "db", "latency_ms": 0.3}],
        classes=READ_WRITE,
        keys={"distribution": "zipf", "count": 2000, "exponent": 0.9},
        faults=[crash("cache"), crash("lucky", 20, 2)],
    )


def database_topology() -> dict[str, Any]:
    return document(
        [
            {"id": "users", "kind": "traffic_source", "params": {"rate_per_s": 400}},
            {"id": "db", "kind": "database",
             "params": {"replicas": 2, "read_from": "replicas", "workers": 2, "max_connections": 8,
                        "read_time_ms": 6, "write_time_ms": 12, "service_distribution": "lognormal",
                        "service_cv": 1.5, "replication_delay_ms": 2}},
        ],
        [{"from": "users", "to": "db", "latency_ms": 1}],
        classes=READ_WRITE,
        faults=[crash("db")],
    )


def work_queue_topology() -> dict[str, Any]:
    # Jobs arrive faster than the workers finish them, so the queue holds a backlog when it crashes.
    return document(
        [
            {"id": "users", "kind": "traffic_source", "params": {"rate_per_s": 120}},
            {"id": "api", "kind": "service_pool", "params": {"instances": 2, "workers_per_instance": 8,
                                                             "service_time_ms": 4}},
            {"id": "jobs", "kind": "work_queue",
             "params": {"ack_latency_ms": 2, "capacity": 300, "workers": 4, "job_time_ms": 40}},
            {"id": "db", "kind": "database", "params": {"workers": 1, "max_connections": 2, "read_time_ms": 5}},
        ],
        [{"from": "users", "to": "api", "latency_ms": 50}, {"from": "api", "to": "jobs", "latency_ms": 0.5},
         {"from": "jobs", "to": "db", "latency_ms": 0.5}],
        faults=[crash("jobs")],
    )


BUILDERS: dict[str, Callable[[], dict[str, Any]]] = {
    "traffic_source": traffic_source_topology,
    "load_balancer": load_balancer_topology,
    "service_pool": service_pool_topology,
    "cache": cache_topology,
    "database": database_topology,
    "work_queue": work_queue_topology,
}
