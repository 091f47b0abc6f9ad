"""Loading the topology document: parsing, normalizing (every default filled in), and the entry
points `load` and `check`.

One JSON format for the editor, saving, sharing, lessons, the API and the command line; its
fields are explained in docs/topology.md. `load` is the one entry point: it returns a normalized
document (every default filled in) or raises `InvalidTopology` carrying every problem found.
"""
from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, cast

from .format import DEFAULT_CLASSES, DEFAULT_KEYS, DEFAULT_SETTINGS, FORMAT, LIMITS, VERSION
from .types import EdgeSpec, FaultSpec, Keys, NodeSpec, RequestClass, Settings, Topology, TopologyDocument
from ..problems import Problem, Refused, errors, problem
from ..strict_json import JsonRefused, loads


class InvalidTopology(Refused):
    """A document that cannot be run. `problems` lists every reason, each with its JSON path."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(problems or [problem("$", "invalid topology")])


def parse(text: str | bytes) -> tuple[Any, list[Problem]]:
    """Parse a document with the strict reader (strict_json: no NaN or Infinity, no lone
    surrogates or duplicate keys, no oversize documents): the value and no problems, or None and
    the problem that refused it."""
    try:
        return loads(text, max_bytes=LIMITS["document_bytes"], what="this"), []
    except JsonRefused as exc:
        return None, exc.problems


def normalize(doc: TopologyDocument) -> Topology:
    """A copy of a *valid* document with every default filled in, in a stable key order."""
    from ..components.registry import REGISTRY
    from ..faults import FAULT_KINDS
    from ..cloud.geography import Geography
    from ..parts.resilience import POLICY_DEFAULTS

    settings: Settings = {**DEFAULT_SETTINGS, **doc.get("settings", {})}
    workload = doc.get("workload", {})
    classes: list[RequestClass] = [
        {"name": c["name"], "operation": c.get("operation", "read"), "share": float(c.get("share", 1.0)),
         "request_kb": float(c.get("request_kb", 1.0)), "response_kb": float(c.get("response_kb", 10.0))}
        for c in workload.get("classes", DEFAULT_CLASSES)
    ]
    keys: Keys = {**DEFAULT_KEYS, **workload.get("keys", {})}
    nodes: list[NodeSpec] = []
    for node in doc["nodes"]:
        kind = REGISTRY[node["kind"]]
        params = kind.defaults()
        params.update(copy.deepcopy(node.get("params", {})))
        nodes.append({
            "id": node["id"],
            "kind": node["kind"],
            "label": node.get("label", node["id"]),
            "region": node.get("region"),
            "zone": node.get("zone"),
            "position": {"x": 0.0, "y": 0.0, **node.get("position", {})},
            "params": params,
        })
    # The geography reads plain dicts (lab/sim/cloud/geography.py takes dict[str, Any]); these
    # casts only widen, and go once it takes the document's types.
    geo = Geography(cast("dict[str, Any]", doc))
    by_id = {n["id"]: cast("dict[str, Any]", n) for n in nodes}
    edges: list[EdgeSpec] = []
    for i, edge in enumerate(doc["edges"]):
        source, target = by_id[edge["from"]], by_id[edge["to"]]
        latency = edge.get("latency_ms")
        if latency is None:  # it follows from where the two ends are placed
            latency = geo.edge_ms(source, target, REGISTRY[source["kind"]].is_source)
        only, policy = edge.get("classes"), edge.get("policy")
        edges.append({
            "id": edge.get("id", f"e{i + 1}"),
            "from": edge["from"],
            "to": edge["to"],
            "latency_ms": float(latency),
            "classes": list(only) if only else None,
            "policy": {**POLICY_DEFAULTS, **policy} if policy else None,
        })
    faults: list[FaultSpec] = []
    for i, fault in enumerate(doc.get("faults", [])):
        defaults = {p.name: p.default for p in FAULT_KINDS[fault["kind"]]["params"]}
        filled: dict[str, Any] = {"id": fault.get("id", f"f{i + 1}"), "kind": fault["kind"],
                                  **defaults, **{k: v for k, v in fault.items() if k not in ("id", "kind")}}
        # Its fields beyond id and kind are its kind's declared ones (FAULT_KINDS), which
        # validation checked; tests/sim/test_document_types.py keeps FaultSpec in step with them.
        faults.append(cast(FaultSpec, filled))
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


def load(source: str | bytes | Mapping[str, Any]) -> Topology:
    """Parse (if text), validate and normalize a topology (document/types.py `Topology`: every
    default filled in, so the engine reads it without `.get`). Raises `InvalidTopology`."""
    from .validation import validate

    if isinstance(source, (str, bytes)):
        doc, problems = parse(source)
        if problems:
            raise InvalidTopology(problems)
    else:
        doc = source
    problems = errors(validate(doc))
    if problems:
        raise InvalidTopology(problems)
    return normalize(cast(TopologyDocument, doc))


def check(source: str | bytes | dict[str, Any]) -> list[Problem]:
    """Every problem of a document (errors and warnings), never raising."""
    from .validation import validate

    if isinstance(source, (str, bytes)):
        doc, problems = parse(source)
        if problems:
            return problems
    else:
        doc = source
    return validate(doc)
