"""Small topologies for the contract test (tests/sim/test_contract.py), one or more per kind.

Each module in this package defines `BUILDERS`, a dict from a kind to a function returning a
topology that exercises it, pushes it past its capacity so requests fail as well as complete, and
crashes it for a while. Kinds added later get their own module here, so builders never collide.
"""
from __future__ import annotations

import importlib
import pkgutil
from typing import Any, Callable

RUN_S = 30.0
SEED = 3
OTHER_SEED = 4


def document(nodes: list[dict[str, Any]], edges: list[dict[str, Any]], *, classes: list[dict[str, Any]] | None = None,
              faults: list[dict[str, Any]] | None = None, keys: dict[str, Any] | None = None) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "version": 1,
        "settings": {"duration_s": RUN_S, "warmup_s": 0, "window_s": 1, "seed": SEED},
        "nodes": nodes,
        "edges": edges,
        "faults": faults or [],
    }
    workload: dict[str, Any] = {}
    if classes:
        workload["classes"] = classes
    if keys:
        workload["keys"] = keys
    if workload:
        doc["workload"] = workload
    return doc


READ_WRITE = [{"name": "read", "operation": "read", "share": 4}, {"name": "write", "operation": "write", "share": 1}]


def crash(node: str, start_s: float = 12.0, duration_s: float = 4.0) -> dict[str, Any]:
    return {"kind": "crash", "node": node, "start_s": start_s, "duration_s": duration_s}


def discover() -> dict[str, Callable[[], dict[str, Any]]]:
    found: dict[str, Callable[[], dict[str, Any]]] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        for kind, builder in getattr(module, "BUILDERS", {}).items():
            if kind in found:
                raise RuntimeError(f"two contract builders for {kind!r}")
            found[kind] = builder
    return found
