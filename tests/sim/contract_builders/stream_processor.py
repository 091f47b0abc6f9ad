"""Contract builder for the stream processor: every shape in one pipeline."""
from __future__ import annotations

from typing import Any, Callable

from . import READ_WRITE, crash, document


def stream_processor_topology() -> dict[str, Any]:
    # A copier feeds a filter and a splitter; the filter feeds a merger. The copier has a small
    # queue and a spike overloads it; the splitter's consumer refuses what it cannot take.
    return document(
        [
            {"id": "users", "kind": "traffic_source",
             "params": {"rate_per_s": 200, "pattern": "spike", "spike_rate_per_s": 900, "spike_start_s": 5,
                        "spike_duration_s": 4}},
            {"id": "copy", "kind": "stream_processor",
             "params": {"shape": "copier", "instances": 1, "slots_per_instance": 2, "queue_capacity": 30,
                        "processing_ms": 3}},
            {"id": "only", "kind": "stream_processor",
             "params": {"shape": "filter", "pass_fraction": 0.3, "pass_probability_by_class": {"write": 1},
                        "processing_ms": 1}},
            {"id": "batch", "kind": "stream_processor",
             "params": {"shape": "merger", "merge_count": 7, "processing_ms": 0.5,
                        "service_distribution": "deterministic"}},
            {"id": "split", "kind": "stream_processor",
             "params": {"shape": "splitter", "split_into": 3, "processing_ms": 2,
                        "service_distribution": "lognormal", "service_cv": 2}},
            {"id": "store", "kind": "service_pool",
             "params": {"instances": 1, "workers_per_instance": 2, "queue_capacity": 5, "service_time_ms": 4}},
        ],
        [{"from": "users", "to": "copy", "latency_ms": 10}, {"from": "copy", "to": "only", "latency_ms": 1},
         {"from": "copy", "to": "split", "latency_ms": 1}, {"from": "only", "to": "batch"},
         {"from": "batch", "to": "store", "latency_ms": 0.5}, {"from": "split", "to": "store", "latency_ms": 0.5}],
        classes=READ_WRITE,
        faults=[crash("copy"), crash("split", 20, 3)],
    )


BUILDERS: dict[str, Callable[[], dict[str, Any]]] = {"stream_processor": stream_processor_topology}
