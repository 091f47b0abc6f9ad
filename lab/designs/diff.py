"""What changed between two revisions of a topology, in the terms a student thinks in: nodes and
edges added, removed and changed (which fields), and whether the workload, settings, faults or
the rest changed."""
from __future__ import annotations

from typing import Any

SECTIONS = ("settings", "workload", "regions", "faults", "latency", "pricing", "name", "description")


def _edge_key(edge: dict[str, Any]) -> str:
    return f"{edge.get('from')} -> {edge.get('to')}"


def _changed_fields(a: dict[str, Any], b: dict[str, Any], ignore: tuple[str, ...] = ()) -> list[str]:
    fields = []
    for key in sorted(set(a) | set(b)):
        if key in ignore:
            continue
        if key == "params":
            pa, pb = a.get("params") or {}, b.get("params") or {}
            fields += [f"params.{name}" for name in sorted(set(pa) | set(pb)) if pa.get(name) != pb.get(name)]
        elif a.get(key) != b.get(key):
            fields.append(key)
    return fields


def _compare(old: list[dict[str, Any]], new: list[dict[str, Any]], key: Any, ignore: tuple[str, ...]) -> dict[str, Any]:
    before = {key(item): item for item in old if isinstance(item, dict)}
    after = {key(item): item for item in new if isinstance(item, dict)}
    changed = []
    for name in sorted(set(before) & set(after)):
        fields = _changed_fields(before[name], after[name], ignore)
        if fields:
            changed.append({"id": name, "fields": fields})
    return {"added": sorted(set(after) - set(before)), "removed": sorted(set(before) - set(after)), "changed": changed}


def topology_diff(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """Moving a node on the canvas is a change of `position`; it is reported separately so a
    list of "what changed" is not drowned in layout moves."""
    nodes = _compare(old.get("nodes") or [], new.get("nodes") or [], lambda n: str(n.get("id")), ("position",))
    moved = [n["id"] for n in _compare(old.get("nodes") or [], new.get("nodes") or [], lambda n: str(n.get("id")), ())
             ["changed"] if n["fields"] == ["position"]]
    edges = _compare(old.get("edges") or [], new.get("edges") or [], _edge_key, ("id",))
    sections = [s for s in SECTIONS if old.get(s) != new.get(s)]
    return {"nodes": nodes, "moved": moved, "edges": edges, "sections": sections,
            "same": not (nodes["added"] or nodes["removed"] or nodes["changed"] or moved or edges["added"]
                         or edges["removed"] or edges["changed"] or sections)}
