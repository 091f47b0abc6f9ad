"""Checks of a topology as a graph: callee counts per kind, loops, depth, reachability, class
routing and the expected size of a run. Called by validation.py with the nodes and edges it has
already checked one by one."""
from __future__ import annotations

from typing import Any

from .checker import CheckedEdge, CheckedNode, Checker
from ..components.registry import REGISTRY
from .format import LIMITS


def article(word: str) -> str:
    return ("an " if word[:1].lower() in "aeiou" else "a ") + word


def check_graph(nodes: dict[str, CheckedNode], edges: list[CheckedEdge], classes: dict[str, str],
                settings: dict[str, Any], c: Checker) -> None:
    out: dict[str, list[CheckedEdge]] = {n: [] for n in nodes}
    for edge in edges:
        out[edge["from"]].append(edge)
    for node_id, info in nodes.items():
        kind = REGISTRY[info["kind"]]
        count = len(out[node_id])
        path = f"$.nodes[{info['index']}]"
        title = kind.title.lower()
        if kind.max_callees == 0 and count:
            c.add(path, f"{node_id!r} is {article(title)}, which does not call other nodes, but {count} edge(s) start at it")
        elif kind.max_callees is not None and count > kind.max_callees:
            c.add(path, f"{node_id!r} is {article(title)}, which calls at most {kind.max_callees} node(s), but {count} edges start at it")
        if count < kind.min_callees:
            c.add(path, f"{node_id!r} is {article(title)} with nowhere to send requests: connect it to "
                        f"{'at least one node' if kind.min_callees == 1 else f'{kind.min_callees} nodes'}")
        if info["params_ok"]:
            for name, message in kind.check(info["params"], count):
                c.add(f"{path}.params.{name}" if name else path, f"{node_id!r}: {message}")

    sources = [n for n, info in nodes.items() if REGISTRY[info["kind"]].is_source]
    if nodes and not sources:
        c.add("$.nodes", "the topology has no traffic source, so no request would ever start")

    cycle = _find_cycle(nodes, out)
    if cycle:
        c.add("$.edges", "these nodes form a loop that a request could go around forever: " + " -> ".join(cycle))
    else:
        depth = _longest_path(nodes, out)
        if depth > LIMITS["path_hops"]:
            c.add("$.edges", f"the longest chain of calls has {depth} hops; the limit is {LIMITS['path_hops']}")

    # Every class a source sends needs an edge that accepts it.
    for node_id in sources:
        info = nodes[node_id]
        mix = info["params"].get("mix") or {}
        sent = [n for n, w in mix.items() if w > 0 and n in classes] if mix else list(classes)
        for name in sent:
            if out[node_id] and not any(e["classes"] is None or name in e["classes"] for e in out[node_id]):
                c.add(f"$.nodes[{info['index']}]", f"source {node_id!r} sends {name!r} requests, but none of its edges accepts that class")

    expected = sum(REGISTRY[nodes[s]["kind"]].peak_rate(nodes[s]["params"]) for s in sources) * settings["duration_s"]
    if expected > LIMITS["expected_requests"]:
        c.add("$.settings.duration_s", f"this run would start about {expected:,.0f} requests; the limit is "
                                       f"{LIMITS['expected_requests']:,}. Shorten the duration or lower the rates")

    reachable = _reachable(sources, out)
    for node_id, info in nodes.items():
        if node_id not in reachable and not REGISTRY[info["kind"]].is_source:
            c.add(f"$.nodes[{info['index']}]", f"no traffic source reaches {node_id!r}, so it will stay idle", "warning")


def _find_cycle(nodes: dict[str, Any], out: dict[str, list[CheckedEdge]]) -> list[str] | None:
    """A cycle as a list of ids (first repeated at the end), found without recursion."""
    state = {n: 0 for n in nodes}  # 0 new, 1 on the current path, 2 done
    for root in nodes:
        if state[root]:
            continue
        path: list[str] = []
        stack: list[tuple[str, int]] = [(root, 0)]
        while stack:
            node, i = stack.pop()
            if i == 0:
                state[node] = 1
                path.append(node)
            targets = out[node]
            if i < len(targets):
                stack.append((node, i + 1))
                nxt = targets[i]["to"]
                if state[nxt] == 1:
                    return path[path.index(nxt):] + [nxt]
                if state[nxt] == 0:
                    stack.append((nxt, 0))
            else:
                state[node] = 2
                path.pop()
    return None


def _longest_path(nodes: dict[str, Any], out: dict[str, list[CheckedEdge]]) -> int:
    """Edges on the longest path of an acyclic graph."""
    indegree = {n: 0 for n in nodes}
    for edges in out.values():
        for e in edges:
            indegree[e["to"]] += 1
    order = [n for n, d in indegree.items() if d == 0]
    depth = {n: 0 for n in nodes}
    for node in order:  # the list grows while we walk it (Kahn's algorithm)
        for e in out[node]:
            depth[e["to"]] = max(depth[e["to"]], depth[node] + 1)
            indegree[e["to"]] -= 1
            if indegree[e["to"]] == 0:
                order.append(e["to"])
    return max(depth.values(), default=0)


def _reachable(sources: list[str], out: dict[str, list[CheckedEdge]]) -> set[str]:
    seen = set(sources)
    todo = list(sources)
    while todo:
        for e in out[todo.pop()]:
            if e["to"] not in seen:
                seen.add(e["to"])
                todo.append(e["to"])
    return seen
