"""Building blocks for the component tests: small topologies and a run that keeps its windows."""
from __future__ import annotations

import math
from typing import Any

import lab.sim
from lab.sim import Simulation


READ_WRITE = [{"name": "read", "operation": "read", "share": 9}, {"name": "write", "operation": "write", "share": 1}]


def topology(nodes: list[dict[str, Any]], edges: list[tuple[str, str]] | list[dict[str, Any]], *,
             classes: list[dict[str, Any]] | None = None, keys: dict[str, Any] | None = None,
             faults: list[dict[str, Any]] | None = None, window_s: float = 1.0, warmup_s: float = 0.0) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "version": 1,
        "settings": {"duration_s": 3600, "warmup_s": warmup_s, "window_s": window_s, "seed": 1},
        "nodes": nodes,
        "edges": [e if isinstance(e, dict) else {"from": e[0], "to": e[1]} for e in edges],
        "faults": faults or [],
        "workload": {},
    }
    if classes:
        doc["workload"]["classes"] = classes
    if keys:
        doc["workload"]["keys"] = keys
    return lab.sim.load(doc)


def node(node_id: str, kind: str, **params: Any) -> dict[str, Any]:
    return {"id": node_id, "kind": kind, "params": params}


def source(rate: float, **params: Any) -> dict[str, Any]:
    return node("users", "traffic_source", rate_per_s=rate, **params)


def pool(node_id: str = "app", **params: Any) -> dict[str, Any]:
    return node(node_id, "service_pool", **params)


def sink(workers: int = 1000) -> dict[str, Any]:
    """A pool that serves anything at once: for tests of what happens in front of it."""
    return pool("app", instances=1, workers_per_instance=workers, service_time_ms=0.1, queue_capacity=0)


class Run:
    """A simulation with its windows; `run(until)` and `finish()` pass through."""

    def __init__(self, topo: dict[str, Any], *, seed: int = 1, **options: Any) -> None:
        self.windows: list[dict[str, Any]] = []
        self.sim = Simulation(topo, seed=seed, on_window=self.windows.append, **options)

    def run(self, until: float) -> "Run":
        self.sim.run(until)
        return self

    def finish(self) -> dict[str, Any]:
        self.sim.finish()
        return self.sim.results()

    def window_nodes(self, node_id: str, t_from: float = 0.0, t_to: float = math.inf) -> list[dict[str, Any]]:
        return [w["nodes"][node_id] for w in self.windows if w["t_start"] >= t_from and w["t_end"] <= t_to]


def simulate(topo: dict[str, Any], until: float, **options: Any) -> dict[str, Any]:
    return Run(topo, **options).run(until).finish()
