""""What to look at": one sentence derived from the run, pointing at the likely cause of a
goal's number (the saturated node, the failure cause that dominates and where it happens, the
users' origin that waits longest, the biggest part of the latency, the costliest node)."""
from __future__ import annotations

from typing import Any

SATURATED = 0.85  # a node this busy queues: the usual cause of latency and overload


def _busiest(view: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    nodes = [(n, e) for n, e in view.get("nodes", {}).items() if e.get("utilization") is not None]
    return max(nodes, key=lambda ne: ne[1]["utilization"]) if nodes else None


def _saturated(view: dict[str, Any]) -> str:
    busiest = _busiest(view)
    if busiest is None or busiest[1]["utilization"] < SATURATED:
        return ""
    node, e = busiest
    waiting = e.get("queue_length", 0.0)
    more = f", with {waiting:,.0f} requests waiting for a worker on average" if waiting >= 1 else ""
    return f"look at {node}: it is {e['utilization'] * 100:.0f}% busy, the busiest node{more}"


def _dominant_failure(entry: dict[str, Any], view: dict[str, Any]) -> str:
    failures = entry.get("failures") or {}
    if not failures:
        return ""
    cause, count = max(failures.items(), key=lambda kv: kv[1])
    total = sum(failures.values())
    at = [(n, e.get("failures", {}).get(cause, 0)) for n, e in view.get("nodes", {}).items()]
    at = [(n, c) for n, c in at if c]
    where = f", most of them at {max(at, key=lambda nc: nc[1])[0]}" if at else ""
    return f"look at the failures: {count:,} of {total:,} are {cause}{where}"


def _worst_origin(view: dict[str, Any]) -> str:
    origins = [(o, e) for o, e in view.get("origins", {}).items() if e.get("completions")]
    if len(origins) < 2:
        return ""
    worst = max(origins, key=lambda oe: oe[1]["latency_ms"]["p95"])
    best = min(origins, key=lambda oe: oe[1]["latency_ms"]["p95"])
    if worst[1]["latency_ms"]["p95"] < 1.5 * best[1]["latency_ms"]["p95"]:
        return ""
    return (f"look at where users come from: users in {worst[0]} wait longest (p95 "
            f"{worst[1]['latency_ms']['p95']:.0f} ms, against {best[1]['latency_ms']['p95']:.0f} ms in {best[0]})")


def _latency_parts(spec: dict[str, Any], run: dict[str, Any]) -> str:
    """Split the sampled requests' latency into network time and time in each node (queue +
    service) and name the biggest part. Sampled traces are the latest every-100th requests of
    the run, so this describes the end of the run; it is a pointer, not the measurement."""
    results = run.get("results") or {}
    traces = results.get("traces", {}).get("sampled", [])
    scope = spec.get("scope", {"overall": True})
    kind, name = next(iter(scope.items()))
    if kind == "class":
        traces = [t for t in traces if t["class"] == name]
    elif kind == "origin":
        sources = {n["id"] for n in (run.get("topology") or {}).get("nodes", []) if n.get("region") == name}
        traces = [t for t in traces if t["source"] in sources]
    if not traces:
        return ""
    inside: dict[str, float] = {}
    total = network = 0.0
    for t in traces:
        spent = 0.0
        for hop in t["hops"]:
            here = hop["queue_ms"] + hop["service_ms"]
            inside[hop["node"]] = inside.get(hop["node"], 0.0) + here
            spent += here
        total += t["latency_ms"]
        network += max(0.0, t["latency_ms"] - spent)
    n = len(traces)
    node, node_ms = max(inside.items(), key=lambda kv: kv[1]) if inside else ("", 0.0)
    if network >= node_ms:
        return (f"look at the network: of the sampled requests' {total / n:.0f} ms, {network / n:.0f} ms is "
                f"time on the wire between nodes (where each part runs, and how far apart)")
    return f"look at {node}: of the sampled requests' {total / n:.0f} ms, {node_ms / n:.0f} ms is spent there (queue + service)"


def _costliest(view: dict[str, Any]) -> str:
    nodes = [(n, e.get("cost_per_hour_usd") or 0.0) for n, e in view.get("nodes", {}).items()]
    if not nodes:
        return ""
    node, per_hour = max(nodes, key=lambda nc: nc[1])
    total = view.get("overall", {}).get("cost_per_hour_usd") or 0.0
    if view["nodes"][node].get("kind") == "traffic_source":
        node = f"the data sent back to the users of {node} (internet egress)"
    share = f" ({per_hour / total * 100:.0f}% of the total)" if total else ""
    return f"look at {node}: it costs the most, ${per_hour:,.2f} per hour{share}"


def _node_detail(spec: dict[str, Any], view: dict[str, Any], family: str) -> str:
    name = spec.get("scope", {}).get("node")
    e = view.get("nodes", {}).get(name)
    if not e:
        return ""
    if family == "hit_ratio":
        bits = [f"{e[k]:,} {k.replace('_', ' ')}" for k in ("evictions", "expired") if e.get(k)]
        return f"look at {name}'s capacity and TTL" + (f": {' and '.join(bits)} so far" if bits else "")
    waiting = e.get("queue_length", 0.0)
    serving = f"{e['instances']} instances serving, " if "instances" in e else ""
    return f"look at {name}'s capacity: {serving}{waiting:,.1f} requests waiting for a worker on average"


def look_at(family: str, spec: dict[str, Any], view: dict[str, Any], run: dict[str, Any]) -> str:
    """A sentence, or "" when the run points at nothing in particular."""
    scope = spec.get("scope", {"overall": True})
    kind, name = next(iter(scope.items()))
    section = {"overall": None, "class": "classes", "origin": "origins", "node": "nodes", "edge": "edges"}[kind]
    entry = view.get("overall", {}) if section is None else view.get(section, {}).get(name, {})
    if family in ("utilization", "hit_ratio"):
        candidates = [_node_detail(spec, view, family)]
    elif family == "cost":
        candidates = [_costliest(view)]
    elif family == "errors":
        candidates = [_dominant_failure(entry, view), _saturated(view)]
    elif family == "throughput":
        candidates = [_saturated(view), _dominant_failure(entry, view)]
    else:
        candidates = [_saturated(view), _worst_origin(view) if kind == "overall" else "",
                      _latency_parts(spec, run), _dominant_failure(entry, view)]
    chosen = next((c for c in candidates if c), "")
    return f"{chosen[0].upper()}{chosen[1:]}." if chosen else ""
