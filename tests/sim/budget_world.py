"""The absurd runs of the shared-server issue, as topologies: the engine's budget tests and the
server's admission tests (tests/web/test_budgets.py) refuse the same documents."""
from __future__ import annotations

from typing import Any

from lab.sim import load


def doc(nodes: list[dict[str, Any]], edges: list[dict[str, Any]], **settings: Any) -> dict[str, Any]:
    return load({"format": "archlab.topology", "version": 1,
                 "settings": {"duration_s": 3600, "window_s": 1, **settings}, "nodes": nodes, "edges": edges})


def two_hundred_nodes(rate: float = 27_000, **settings: Any) -> dict[str, Any]:
    """Users, a balancer and nine chains of 22 pools: 200 nodes, 23 visits a request."""
    nodes = [{"id": "users", "kind": "traffic_source", "params": {"rate_per_s": rate}},
             {"id": "lb", "kind": "load_balancer"}]
    edges = [{"from": "users", "to": "lb"}]
    for branch in range(9):
        previous = "lb"
        for i in range(22):
            nodes.append({"id": f"app{branch}_{i}", "kind": "service_pool"})
            edges.append({"from": previous, "to": f"app{branch}_{i}"})
            previous = f"app{branch}_{i}"
    return doc(nodes, edges, **{"window_s": 0.01, **settings})


def chain(rate: float, hops: int = 64, **settings: Any) -> dict[str, Any]:
    nodes = [{"id": "users", "kind": "traffic_source", "params": {"rate_per_s": rate}}]
    nodes += [{"id": f"s{i}", "kind": "service_pool", "params": {"service_time_ms": 1}} for i in range(hops)]
    edges = [{"from": "users", "to": "s0"}] + [{"from": f"s{i}", "to": f"s{i + 1}"} for i in range(hops - 1)]
    return doc(nodes, edges, **settings)
