"""Small topologies and steps for the goal, scenario and grading tests: users in two regions,
an API in us-west with a cache in front of its database, short runs."""
from __future__ import annotations

import copy
from typing import Any

from lab.lessons.grading import run_design
from lab.sim import load

BASE: dict[str, Any] = {
    "version": 1,
    "workload": {"classes": [{"name": "read", "operation": "read", "share": 9},
                             {"name": "write", "operation": "write", "share": 1}],
                 "keys": {"distribution": "zipf", "count": 2000, "exponent": 1.0}},
    "regions": [{"id": "us-west", "zones": ["us-west-a", "us-west-b"]},
                {"id": "ap-northeast", "zones": ["ap-northeast-a"]}],
    "nodes": [
        {"id": "users", "kind": "traffic_source", "region": "us-west", "params": {"rate_per_s": 150}},
        {"id": "jp-users", "kind": "traffic_source", "region": "ap-northeast", "params": {"rate_per_s": 50}},
        {"id": "api", "kind": "service_pool", "region": "us-west", "zone": "us-west-a",
         "params": {"instances": 2, "workers_per_instance": 4, "service_time_ms": 10}},
        {"id": "cache", "kind": "cache", "region": "us-west", "zone": "us-west-a", "params": {"capacity_items": 500}},
        {"id": "db", "kind": "database", "region": "us-west", "zone": "us-west-b",
         "params": {"workers": 8, "read_time_ms": 4, "write_time_ms": 8}},
    ],
    "edges": [
        {"id": "e1", "from": "users", "to": "api"},
        {"id": "e2", "from": "jp-users", "to": "api"},
        {"id": "e3", "from": "api", "to": "cache"},
        {"id": "e4", "from": "cache", "to": "db"},
    ],
}

SCENARIO: dict[str, Any] = {
    "duration_s": 30, "warmup_s": 5, "window_s": 1, "seeds": [1, 2, 3], "seed_rule": "all",
    "traffic": [{"source": "users", "params": {"rate_per_s": 150}}],
    "faults": [{"id": "db-slow", "kind": "slow", "node": "db", "added_ms": 60, "start_s": 12, "duration_s": 8}],
}


def design(**api_params: Any) -> dict[str, Any]:
    doc = copy.deepcopy(BASE)
    doc["nodes"][2]["params"].update(api_params)
    return doc


def run_of(doc: dict[str, Any], seed: int = 1, **settings: Any) -> dict[str, Any]:
    doc = copy.deepcopy(doc)
    doc["settings"] = {"duration_s": 30, "warmup_s": 5, "window_s": 1, **settings}
    doc.setdefault("faults", [])
    return run_design(load(doc), seed)


def with_fault(doc: dict[str, Any]) -> dict[str, Any]:
    doc = copy.deepcopy(doc)
    doc["faults"] = copy.deepcopy(SCENARIO["faults"])
    return doc


def goal(metric: str, unit: str, value: float = 0, compare: str = "<=", **more: Any) -> dict[str, Any]:
    return {"id": "g", "text": "a goal", "metric": metric, "unit": unit, "compare": compare, "value": value, **more}


def step(*goals: dict[str, Any], **scenario: Any) -> dict[str, Any]:
    return {"id": "step", "scenario": {**copy.deepcopy(SCENARIO), **scenario}, "goals": list(goals),
            "start": "start.json", "reference": "reference.json", "hollow": [], "alternatives": []}
