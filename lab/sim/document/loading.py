"""Loading the topology document: parsing, normalizing (every default filled in), and the entry
points `load` and `check`.

One JSON format for the editor, saving, sharing, lessons, the API and the command line; its
fields are explained in docs/topology.md. `load` is the one entry point: it returns a normalized
document (every default filled in) or raises `InvalidTopology` carrying every problem found.
"""
from __future__ import annotations

import copy
from typing import Any

from .format import DEFAULT_CLASSES, DEFAULT_KEYS, DEFAULT_SETTINGS, FORMAT, LIMITS, VERSION
from ..problems import Problem, Refused, problem
from ..strict_json import JsonRefused, loads


class InvalidTopology(Refused):
    """A document that cannot be run. `problems` lists every reason, each with its JSON path."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(problems or [problem("$", "invalid topology")])


def parse(text: str | bytes) -> tuple[Any, list[dict[str, str]]]:
    """Parse a document with the strict reader (strict_json: no NaN or Infinity, no lone
    surrogates or duplicate keys, no oversize documents): the value and no problems, or None and
    the problem that refused it."""
    try:
        return loads(text, max_bytes=LIMITS["document_bytes"], what="this"), []
    except JsonRefused as exc:
        return None, exc.problems


def normalize(doc: dict[str, Any]) -> dict[str, Any]:
    """A copy of a *valid* document with every default filled in, in a stable key order."""
    from ..components import REGISTRY
    from ..faults import FAULT_KINDS
    from ..cloud.geography import Geography
    from ..parts.resilience import POLICY_DEFAULTS

    settings = {**DEFAULT_SETTINGS, **doc.get("settings", {})}
    workload = doc.get("workload", {})
    classes = [
        {"name": c["name"], "operation": c.get("operation", "read"), "share": float(c.get("share", 1.0)),
         "request_kb": float(c.get("request_kb", 1.0)), "response_kb": float(c.get("response_kb", 10.0))}
        for c in workload.get("classes", DEFAULT_CLASSES)
    ]
    keys = {**DEFAULT_KEYS, **workload.get("keys", {})}
    nodes = []
    for spec in doc["nodes"]:
        kind = REGISTRY[spec["kind"]]
        params = kind.defaults()
        params.update(copy.deepcopy(spec.get("params", {})))
        nodes.append({
            "id": spec["id"],
            "kind": spec["kind"],
            "label": spec.get("label", spec["id"]),
            "region": spec.get("region"),
            "zone": spec.get("zone"),
            "position": {"x": 0.0, "y": 0.0, **spec.get("position", {})},
            "params": params,
        })
    geo = Geography(doc)
    by_id = {n["id"]: n for n in nodes}
    edges = []
    for i, spec in enumerate(doc["edges"]):
        source, target = by_id[spec["from"]], by_id[spec["to"]]
        latency = spec.get("latency_ms")
        if latency is None:  # it follows from where the two ends are placed
            latency = geo.edge_ms(source, target, REGISTRY[source["kind"]].is_source)
        edges.append({
            "id": spec.get("id", f"e{i + 1}"),
            "from": spec["from"],
            "to": spec["to"],
            "latency_ms": float(latency),
            "classes": list(spec["classes"]) if spec.get("classes") else None,
            "policy": {**POLICY_DEFAULTS, **spec["policy"]} if spec.get("policy") else None,
        })
    faults = []
    for i, spec in enumerate(doc.get("faults", [])):
        defaults = {p.name: p.default for p in FAULT_KINDS[spec["kind"]]["params"]}
        faults.append({"id": spec.get("id", f"f{i + 1}"), "kind": spec["kind"],
                       **defaults, **{k: v for k, v in spec.items() if k not in ("id", "kind")}})
    return {
        "format": FORMAT,
        "version": VERSION,
        "name": doc.get("name", ""),
        "description": doc.get("description", ""),
        "settings": settings,
        "workload": {"classes": classes, "keys": keys},
        "regions": copy.deepcopy(doc.get("regions", [])),
        "nodes": nodes,
        "edges": edges,
        "faults": faults,
        "pricing": dict(doc.get("pricing", {})),
        "latency": copy.deepcopy(doc.get("latency", {})),
    }


def load(source: str | bytes | dict[str, Any]) -> dict[str, Any]:
    """Parse (if text), validate and normalize a topology. Raises `InvalidTopology`."""
    from .validation import validate

    if isinstance(source, (str, bytes)):
        doc, problems = parse(source)
        if problems:
            raise InvalidTopology(problems)
    else:
        doc = source
    problems = [p for p in validate(doc) if p["severity"] == "error"]
    if problems:
        raise InvalidTopology(problems)
    return normalize(doc)


def check(source: str | bytes | dict[str, Any]) -> list[dict[str, str]]:
    """Every problem of a document (errors and warnings), never raising."""
    from .validation import validate

    if isinstance(source, (str, bytes)):
        doc, problems = parse(source)
        if problems:
            return problems
    else:
        doc = source
    return validate(doc)
