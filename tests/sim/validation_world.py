"""A small valid topology and helpers that pick problems out of validation's answer."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import lab.sim
from lab.sim import check

EXAMPLES = Path(lab.sim.__file__).parent / "examples"


def topology() -> dict[str, Any]:
    """A small valid topology. Node and edge indexes matter: tests name paths by them.

    nodes: 0 users, 1 lb, 2 web1, 3 web2, 4 db
    edges: 0 users->lb, 1 lb->web1, 2 lb->web2, 3 web1->db, 4 web2->db
    """
    return {
        "version": 1,
        "settings": {"duration_s": 10, "warmup_s": 0},
        "nodes": [
            {"id": "users", "kind": "traffic_source", "params": {"rate_per_s": 50}},
            {"id": "lb", "kind": "load_balancer"},
            {"id": "web1", "kind": "service_pool"},
            {"id": "web2", "kind": "service_pool"},
            {"id": "db", "kind": "database"},
        ],
        "edges": [
            {"from": "users", "to": "lb"},
            {"from": "lb", "to": "web1"},
            {"from": "lb", "to": "web2"},
            {"from": "web1", "to": "db"},
            {"from": "web2", "to": "db"},
        ],
    }


def with_reads_and_writes(doc: dict[str, Any]) -> dict[str, Any]:
    doc["workload"] = {"classes": [{"name": "read", "operation": "read", "share": 9},
                                   {"name": "write", "operation": "write", "share": 1}]}
    return doc


def errors(doc: Any) -> list[dict[str, str]]:
    return [p for p in check(doc) if p["severity"] == "error"]


def the_error(doc: Any) -> dict[str, str]:
    """The one error of `doc`: a single mistake must not bury itself under follow-on noise."""
    found = errors(doc)
    assert len(found) == 1, f"expected exactly one error, got {json.dumps(found, indent=2)}"
    return found[0]


def error_at(doc: Any, path: str) -> dict[str, str]:
    found = [p for p in errors(doc) if p["path"] == path]
    assert found, f"no error at {path}; the errors were {json.dumps(errors(doc), indent=2)}"
    return found[0]


# ------------------------------------------------------------------ the baseline
