"""Validation of a topology document: every problem at once, each with its JSON path and a
sentence a student understands. It never raises, whatever it is given."""
from __future__ import annotations

from typing import Any

from .checker import ID_RE, CheckedEdge, CheckedNode, Checker, show, suggest
from ..components.registry import REGISTRY
from .section_checks import check_latency, nul_path, check_pricing
from .fault_checks import check_faults, validate_fault
from .graph_checks import article, check_graph
from ..params import Param, is_number
from ..parts.resilience import POLICY_FIELDS
from .format import DEFAULT_CLASSES, FORMAT, LIMITS, VERSION
from ..problems import Problem

__all__ = ["validate", "validate_fault", "Checker", "show", "suggest", "CLASS_FIELDS", "EDGE_LATENCY", "KEYS",
           "SETTINGS"]

TOP_LEVEL = ("format", "version", "name", "description", "settings", "workload", "regions", "nodes", "edges", "faults",
             "pricing", "latency")
NODE_FIELDS = ("id", "kind", "label", "region", "zone", "position", "params")
EDGE_FIELDS = ("id", "from", "to", "latency_ms", "classes", "policy")

SETTINGS = (
    Param("duration_s", "number", 60.0, "Simulated time to run.", unit="s", minimum=0.001, maximum=LIMITS["duration_s"]),
    Param("warmup_s", "number", 0.0, "Simulated time left out of the measured results.", unit="s", minimum=0.0,
          maximum=LIMITS["duration_s"]),
    Param("window_s", "number", 1.0, "Length of one metrics window.", unit="s", minimum=LIMITS["window_s_min"],
          maximum=LIMITS["window_s_max"]),
    Param("seed", "integer", 1, "Seed of the run's random numbers: same seed, same results.", minimum=0, maximum=2**63 - 1),
)
KEYS = (
    Param("distribution", "choice", "zipf", "How popular each key is: zipf (a few keys are hot) or uniform.", choices=("zipf", "uniform")),
    Param("count", "integer", 10_000, "Number of distinct keys.", minimum=1, maximum=LIMITS["keys"]),
    Param("exponent", "number", 1.0, "Zipf exponent: 0 is uniform, 1 is typical web traffic, higher is more skewed.",
          minimum=0.0, maximum=5.0),
)
CLASS_FIELDS = (
    Param("name", "text", "read", "Name of the request class."),
    Param("operation", "choice", "read", "Whether the class reads or writes data (caches and databases treat them differently).",
          choices=("read", "write")),
    Param("share", "number", 1.0, "Default share of traffic for sources without their own mix.", minimum=0.0, maximum=1e6),
    Param("request_kb", "number", 1.0, "Size of a request, for the price of moving it between zones and regions.",
          unit="KB", minimum=0.0, maximum=1e7),
    Param("response_kb", "number", 10.0, "Size of a response, for the price of data transfer and internet egress.",
          unit="KB", minimum=0.0, maximum=1e7),
)
EDGE_LATENCY = Param("latency_ms", "number", 0.0, "One-way network latency of the call, paid again by the response. "
                     "Left out: it follows from where the two nodes are placed (see the topology's `latency`).",
                     unit="ms", minimum=0.0, maximum=LIMITS["edge_latency_ms"])


def validate(doc: Any) -> list[Problem]:
    """Every problem in `doc` (a parsed JSON value). Errors make it unrunnable; warnings do not."""
    c = Checker()
    try:
        _validate(doc, c)
    except RecursionError:
        c.add("$", "the document is nested too deeply to be a topology")
    return c.problems


def _validate(doc: Any, c: Checker) -> None:
    if not isinstance(doc, dict):
        c.add("$", "a topology must be a JSON object with nodes and edges")
        return
    nul = nul_path(doc, "$")
    if nul is not None:
        # PostgreSQL cannot store it in text or JSON, and no name needs it.
        c.add(nul, "text may not contain the NUL character (\\u0000)")
        return
    c.unknown_fields(doc, TOP_LEVEL, "$", "the topology")
    if "format" in doc and doc["format"] != FORMAT:
        c.add("$.format", f"format must be {FORMAT!r}, not {show(doc['format'])}")
    version = doc.get("version")
    if version is None:
        c.add("$.version", f"the topology must say which version of the format it uses: \"version\": {VERSION}")
    elif version != VERSION or isinstance(version, bool):
        c.add("$.version", f"this lab reads version {VERSION} of the format, not version {show(version)}")
    for field, limit in (("name", LIMITS["text"]), ("description", LIMITS["description"])):
        if field in doc and not (isinstance(doc[field], str) and len(doc[field]) <= limit):
            c.add(f"$.{field}", f"the {field} must be text of at most {limit} characters")

    settings = c.params(doc.get("settings", {}), SETTINGS, "$.settings", "settings")
    if settings["warmup_s"] >= settings["duration_s"]:
        c.add("$.settings.warmup_s", f"the warm-up ({settings['warmup_s']:g} s) must be shorter than the run ({settings['duration_s']:g} s)")

    classes = _workload(doc.get("workload", {}), c)
    regions = _regions(doc.get("regions", []), c)
    nodes, broken = _nodes(doc.get("nodes"), classes, regions, c)
    edges = _edges(doc.get("edges"), nodes, broken, classes, c)
    check_graph(nodes, edges, classes, settings, c)
    check_faults(doc.get("faults", []), nodes, broken, c, doc)
    check_pricing(doc.get("pricing", {}), c)
    check_latency(doc.get("latency", {}), c)


def _workload(workload: Any, c: Checker) -> dict[str, str]:
    """Check the workload; return the request classes as name -> operation."""
    if not isinstance(workload, dict):
        c.add("$.workload", "the workload must be an object with classes and keys")
        return {d["name"]: d["operation"] for d in DEFAULT_CLASSES}
    c.unknown_fields(workload, ("classes", "keys"), "$.workload", "the workload")
    c.params(workload.get("keys", {}), KEYS, "$.workload.keys", "the key space")
    raw = workload.get("classes", DEFAULT_CLASSES)
    if not isinstance(raw, list) or not raw:
        c.add("$.workload.classes", "the workload must list at least one request class")
        return {d["name"]: d["operation"] for d in DEFAULT_CLASSES}
    if len(raw) > LIMITS["classes"]:
        c.add("$.workload.classes", f"at most {LIMITS['classes']} request classes are allowed, not {len(raw)}")
    classes: dict[str, str] = {}
    shares: list[float] = []
    for i, item in enumerate(raw[: LIMITS["classes"]]):
        path = f"$.workload.classes[{i}]"
        if not isinstance(item, dict) or "name" not in item:
            c.add(path, "a request class must be an object with a name, e.g. {\"name\": \"read\"}")
            continue
        values = c.params(item, CLASS_FIELDS, path, f"request class {i}")
        name = item.get("name")
        if not isinstance(name, str) or not ID_RE.match(name):
            c.add(f"{path}.name", f"request class name {show(name)} must be 1 to 64 letters, digits, '_', '.' or '-'")
            continue
        if name in classes:
            c.add(f"{path}.name", f"request class {name!r} is listed twice")
            continue
        classes[name] = values["operation"]
        shares.append(values["share"])
    if shares and not any(share > 0 for share in shares):
        c.add("$.workload.classes", "every request class has share 0, so a source without its own mix would send nothing")
    return classes


def _regions(raw: Any, c: Checker) -> dict[str, set[str]]:
    if not isinstance(raw, list):
        c.add("$.regions", "regions must be a list")
        return {}
    if len(raw) > LIMITS["regions"]:
        c.add("$.regions", f"at most {LIMITS['regions']} regions are allowed, not {len(raw)}")
    regions: dict[str, set[str]] = {}
    for i, item in enumerate(raw[: LIMITS["regions"]]):
        path = f"$.regions[{i}]"
        if not isinstance(item, dict) or not isinstance(item.get("id"), str) or not ID_RE.match(item["id"]):
            c.add(path, "a region must be an object with an id of letters, digits, '_', '.' or '-'")
            continue
        c.unknown_fields(item, ("id", "label", "zones"), path, f"region {item['id']!r}")
        if "label" in item and not (isinstance(item["label"], str) and len(item["label"]) <= 100):
            c.add(f"{path}.label", f"the label of region {item['id']!r} must be text of at most 100 characters")
        zones = item.get("zones", [])
        if not isinstance(zones, list) or not all(isinstance(z, str) and ID_RE.match(z) for z in zones):
            c.add(f"{path}.zones", f"the zones of region {item['id']!r} must be a list of ids")
            zones = []
        if item["id"] in regions:
            c.add(f"{path}.id", f"region {item['id']!r} is listed twice")
        regions[item["id"]] = set(zones)
    return regions


def _nodes(raw: Any, classes: dict[str, str], regions: dict[str, set[str]],
           c: Checker) -> tuple[dict[str, CheckedNode], set[str]]:
    """Check the nodes; return the usable ones by id (CheckedNode), and the ids
    of nodes that exist but are unusable (their problem is reported; edges to them are not)."""
    if raw is None:
        c.add("$.nodes", "the topology has no nodes list")
        return {}, set()
    if not isinstance(raw, list):
        c.add("$.nodes", "nodes must be a list")
        return {}, set()
    if len(raw) > LIMITS["nodes"]:
        c.add("$.nodes", f"a topology may have at most {LIMITS['nodes']} nodes, not {len(raw)}")
        raw = raw[: LIMITS["nodes"]]
    nodes: dict[str, CheckedNode] = {}
    broken: set[str] = set()  # ids of nodes that exist but are unusable (already reported)
    kinds = sorted(REGISTRY)
    for i, spec in enumerate(raw):
        path = f"$.nodes[{i}]"
        if not isinstance(spec, dict):
            c.add(path, f"node {i} must be an object with an id and a kind")
            continue
        node_id = spec.get("id")
        if not isinstance(node_id, str) or not ID_RE.match(node_id):
            c.add(f"{path}.id", f"node {i} needs an id of 1 to 64 letters, digits, '_', '.' or '-', not {show(node_id)}")
            if isinstance(node_id, str):
                broken.add(node_id)
            continue
        name = f"node {node_id!r}"
        c.unknown_fields(spec, NODE_FIELDS, path, name)
        if node_id in nodes:
            c.add(f"{path}.id", f"two nodes have the id {node_id!r}; ids must be unique")
            continue
        kind = spec.get("kind")
        if not isinstance(kind, str) or kind not in REGISTRY:
            hint = suggest(kind, kinds) or f"; known kinds: {', '.join(kinds)}"
            c.add(f"{path}.kind", f"{name} has an unknown kind {show(kind)}{hint}")
            broken.add(node_id)
            continue
        cls = REGISTRY[kind]
        label = spec.get("label", node_id)
        if not isinstance(label, str) or len(label) > 100:
            c.add(f"{path}.label", f"the label of {name} must be text of at most 100 characters")
        position = spec.get("position", {})
        if not (isinstance(position, dict) and set(position) <= {"x", "y"} and all(
                is_number(v) and abs(v) <= 1e6 for v in position.values())):
            c.add(f"{path}.position", f"the position of {name} must be {{\"x\": number, \"y\": number}}")
        region, zone = spec.get("region"), spec.get("zone")
        if region is not None and not (isinstance(region, str) and ID_RE.match(region)):
            c.add(f"{path}.region", f"the region of {name} must be a region id (text), not {show(region)}")
        elif zone is not None and not (isinstance(zone, str) and ID_RE.match(zone)):
            c.add(f"{path}.zone", f"the zone of {name} must be a zone id (text), not {show(zone)}")
        elif region is not None:
            if regions and region not in regions:
                c.add(f"{path}.region", f"{name} is placed in region {region!r}, which the topology does not list")
            elif zone is not None and regions and zone not in regions[region]:
                c.add(f"{path}.zone", f"{name} is placed in zone {zone!r}, which region {region!r} does not have")
        elif zone is not None:
            c.add(f"{path}.zone", f"{name} has a zone but no region")
        before = len(c.problems)
        values = c.params(spec.get("params", {}), cls.params, f"{path}.params", name)
        for key in ("mix",) + tuple(p.name for p in cls.params if p.name.endswith("_by_class")):
            if key in values:
                for cls_name in values[key]:
                    if cls_name not in classes:
                        c.add(f"{path}.params.{key}", f"{name} names request class {cls_name!r}, which the workload does not define"
                              f"{suggest(cls_name, list(classes))}")
        if "mix" in values and values["mix"] and not any(v > 0 for v in values["mix"].values()):
            c.add(f"{path}.params.mix", f"{name} has a mix in which every share is 0, so it would send nothing")
        nodes[node_id] = {"kind": kind, "params": values, "index": i, "params_ok": len(c.problems) == before}
    return nodes, broken


def _edges(raw: Any, nodes: dict[str, CheckedNode], broken: set[str], classes: dict[str, str],
           c: Checker) -> list[CheckedEdge]:
    if raw is None:
        c.add("$.edges", "the topology has no edges list (use [] for none)")
        return []
    if not isinstance(raw, list):
        c.add("$.edges", "edges must be a list")
        return []
    if len(raw) > LIMITS["edges"]:
        c.add("$.edges", f"a topology may have at most {LIMITS['edges']} edges, not {len(raw)}")
        raw = raw[: LIMITS["edges"]]
    edges: list[CheckedEdge] = []
    seen_ids: set[str] = set()
    seen_pairs: set[tuple[str, str]] = set()
    for i, spec in enumerate(raw):
        path = f"$.edges[{i}]"
        if not isinstance(spec, dict):
            c.add(path, f"edge {i} must be an object with \"from\" and \"to\"")
            continue
        c.unknown_fields(spec, EDGE_FIELDS, path, f"edge {i}")
        edge_id = spec.get("id", f"e{i + 1}")
        if not isinstance(edge_id, str) or not ID_RE.match(edge_id):
            c.add(f"{path}.id", f"edge {i} needs an id of letters, digits, '_', '.' or '-', not {show(edge_id)}")
        elif edge_id in seen_ids:
            c.add(f"{path}.id", f"two edges have the id {edge_id!r}; ids must be unique")
        else:
            seen_ids.add(edge_id)
        ok = True
        for end in ("from", "to"):
            target = spec.get(end)
            if target is None:
                c.add(f"{path}.{end}", f"edge {i} has no \"{end}\" node")
                ok = False
            elif isinstance(target, str) and target in broken:
                ok = False  # the node exists; its own problem is reported already
            elif not isinstance(target, str) or target not in nodes:
                c.add(f"{path}.{end}", f"edge {i} points {'from' if end == 'from' else 'to'} node {show(target)}, which does not exist"
                      f"{suggest(target, list(nodes))}")
                ok = False
        reason = EDGE_LATENCY.check(spec.get("latency_ms", 0.0))
        if reason:
            c.add(f"{path}.latency_ms", f"edge {i}: latency_ms {reason}")
        edge_classes = spec.get("classes")
        if edge_classes is not None:
            if not isinstance(edge_classes, list) or not all(isinstance(x, str) for x in edge_classes):
                c.add(f"{path}.classes", f"edge {i}: classes must be a list of request class names, or null for all")
            elif not edge_classes:
                c.add(f"{path}.classes", f"edge {i} lists no request classes, so nothing could use it; "
                                         "leave classes out (or null) to carry every class")
            else:
                for name in edge_classes:
                    if name not in classes:
                        c.add(f"{path}.classes", f"edge {i} names request class {name!r}, which the workload does not define"
                              f"{suggest(name, list(classes))}")
        policy = spec.get("policy")
        if policy is not None:
            if not isinstance(policy, dict):
                c.add(f"{path}.policy", f"edge {i}: policy must be an object, e.g. {{\"timeout_ms\": 500, \"retries\": 2}}")
            else:
                values = c.params(policy, POLICY_FIELDS, f"{path}.policy", f"the policy of edge {i}")
                if values["min_calls"] > values["window_calls"]:
                    c.add(f"{path}.policy.min_calls", f"edge {i}: min_calls ({values['min_calls']}) cannot be more than "
                                                      f"window_calls ({values['window_calls']}), or the breaker never judges")
                if values["retries"] and not values["timeout_ms"]:
                    c.add(f"{path}.policy.timeout_ms", f"edge {i} retries failed calls but has no timeout, so a slow "
                                                       "call is never retried; set timeout_ms too", severity="warning")
        if not ok:
            continue
        source, target = spec["from"], spec["to"]
        if source == target:
            c.add(path, f"edge {i} connects node {source!r} to itself; a request would loop forever")
            continue
        if (source, target) in seen_pairs:
            c.add(path, f"edge {i} repeats the connection from {source!r} to {target!r}")
            continue
        seen_pairs.add((source, target))
        target_kind = REGISTRY[nodes[target]["kind"]]
        if target_kind.is_source:
            c.add(f"{path}.to", f"edge {i} points to {target!r}, {article(target_kind.title.lower())}: nothing can call it")
            continue
        usable = isinstance(edge_classes, list) and all(isinstance(x, str) for x in edge_classes)
        only = set(edge_classes) if isinstance(edge_classes, list) and usable else None
        edges.append({"index": i, "from": source, "to": target, "classes": only})
    return edges
