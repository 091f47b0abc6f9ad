"""Checks of faults, scheduled in the topology or injected live: a known kind, exactly one
target that exists (node, edge, zone, region, or the link between two places), and its fields."""
from __future__ import annotations

from typing import Any

from .checker import ID_RE, CheckedNode, Checker, show, suggest
from ..components.registry import REGISTRY
from ..faults import FAULT_KINDS, TARGET_FIELDS, supports_instance_crashes
from .format import LIMITS


def check_faults(raw: Any, nodes: dict[str, CheckedNode], broken: set[str], c: Checker, doc: dict[str, Any]) -> None:
    if not isinstance(raw, list):
        c.add("$.faults", "faults must be a list")
        return
    if len(raw) > LIMITS["faults"]:
        c.add("$.faults", f"at most {LIMITS['faults']} faults are allowed, not {len(raw)}")
    seen: set[str] = set()
    listed = doc.get("edges")
    edges = listed if isinstance(listed, list) else []
    edge_ids = {e.get("id", f"e{i + 1}") for i, e in enumerate(edges)
                if isinstance(e, dict) and isinstance(e.get("id", ""), str)}
    node_specs = [n for n in doc.get("nodes", []) if isinstance(n, dict)] if isinstance(doc.get("nodes"), list) else []
    places = {"zone": {n["zone"] for n in node_specs if isinstance(n.get("zone"), str)},
              "region": {n["region"] for n in node_specs if isinstance(n.get("region"), str)}}
    for i, spec in enumerate(raw[: LIMITS["faults"]]):
        validate_fault(spec, nodes, f"$.faults[{i}]", c, seen, default_id=f"f{i + 1}", broken=broken,
                       edge_ids=edge_ids, places=places)


def validate_fault(spec: Any, nodes: dict[str, Any], path: str, c: Checker, seen: set[str], default_id: str,
                   broken: frozenset[str] | set[str] = frozenset(), edge_ids: set[str] | None = None,
                   places: dict[str, set[str]] | None = None) -> None:
    """Check one fault. `nodes` maps ids to {"kind": ...}; `edge_ids` and `places` (the zones and
    regions nodes are placed in) let faults target edges, zones, regions and the links between."""
    if not isinstance(spec, dict):
        c.add(path, "a fault must be an object with a kind and a target (node, edge, zone, region or between)")
        return
    kind = spec.get("kind")
    if not isinstance(kind, str) or kind not in FAULT_KINDS:
        c.add(f"{path}.kind", f"unknown fault kind {show(kind)}{suggest(kind, list(FAULT_KINDS))}; "
                              f"known kinds: {', '.join(FAULT_KINDS)}")
        return
    fault_id = spec.get("id", default_id)
    if not isinstance(fault_id, str) or not ID_RE.match(fault_id):
        c.add(f"{path}.id", f"a fault id must be letters, digits, '_', '.' or '-', not {show(fault_id)}")
    elif fault_id in seen:
        c.add(f"{path}.id", f"two faults have the id {fault_id!r}")
    else:
        seen.add(fault_id)
    target = FAULT_KINDS[kind]["target"]
    fields = {"node_or_edge": ("node", "edge")}.get(target, (target,))
    given = [f for f in TARGET_FIELDS if f in spec]
    if len(given) != 1 or given[0] not in fields:
        wanted = " or ".join(f"\"{f}\"" for f in fields)
        c.add(path, f"a {kind} fault names exactly one target: {wanted}" + (f", not {', '.join(given)}" if given else ""))
    elif given[0] == "node":
        node = spec["node"]
        if isinstance(node, str) and node in broken:
            pass  # the node exists; its own problem is reported already
        elif not isinstance(node, str) or node not in nodes:
            c.add(f"{path}.node", f"the fault targets node {show(node)}, which does not exist{suggest(node, list(nodes))}")
        elif REGISTRY[nodes[node]["kind"]].is_source:
            c.add(f"{path}.node", f"{node!r} is a traffic source, which nothing calls, so it cannot fail; "
                                  "lower its rate to model fewer users")
        elif kind == "crash_instances" and not supports_instance_crashes(REGISTRY[nodes[node]["kind"]]):
            c.add(f"{path}.node", f"{node!r} is a {nodes[node]['kind']}, which has no instances to crash; crash the node instead")
    elif given[0] == "edge":
        if spec["edge"] not in (edge_ids or ()):
            c.add(f"{path}.edge", f"the fault targets edge {show(spec['edge'])}, which does not exist"
                                  f"{suggest(spec['edge'], list(edge_ids or ()))}")
    elif given[0] in ("zone", "region"):
        place = spec[given[0]]
        known = places.get(given[0], set()) if places is not None else set()
        if not isinstance(place, str) or place not in known:
            c.add(f"{path}.{given[0]}", f"no node is placed in {given[0]} {show(place)}{suggest(place, sorted(known))}")
    else:
        pair = spec["between"]
        known = (places.get("zone", set()) | places.get("region", set())) if places is not None else set()
        if not (isinstance(pair, list) and len(pair) == 2 and all(isinstance(p, str) for p in pair) and pair[0] != pair[1]):
            c.add(f"{path}.between", "a partition is between two different zones or two different regions, "
                                     "e.g. \"between\": [\"us-west\", \"us-east\"]")
        elif any(p not in known for p in pair):
            missing = next(p for p in pair if p not in known)
            c.add(f"{path}.between", f"no node is placed in zone or region {missing!r}")
    params = {k: v for k, v in spec.items() if k not in ("id", "kind") + TARGET_FIELDS}
    c.params(params, FAULT_KINDS[kind]["params"], path, f"the {kind} fault")
