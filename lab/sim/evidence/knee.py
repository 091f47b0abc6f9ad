"""The knee of a curve in words: where a figure crosses a threshold along a sweep's axis, and
which node saturates first there.

    "p99 latency stays under 200 ms up to about 1,850 requests/s; past that db saturates first"

The crossing is linear interpolation between the two measured points either side of it (the
first crossing from the start of the axis); the curve is each point's mean over the seeds. The
node named is the one whose mean utilization reaches `saturated` (0.95: a pool's queue grows
without bound as it nears 1) closest to the under-threshold side, also by interpolation; if no
node gets there, the busiest one (highest utilization; the longest queue for kinds without a
utilization) at the first point past the threshold is named as the busiest, not as saturated.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .wording import METRIC_INFO, Metric, amount, sig

SATURATED = 0.95


def knee(xs: Sequence[float], ys: Sequence[float | None], *, metric: str, threshold: float,
         nodes: Mapping[str, Mapping[str, Sequence[float | None]]], labels: dict[str, str], axis_param: str,
         axis_unit: str | None, saturated: float = SATURATED) -> dict[str, Any]:
    """The knee of `ys` over `xs` (ascending): `{"metric", "threshold", "value", "direction",
    "saturates_first", "busiest", "sentence"}`. `value` is the interpolated crossing (None when
    the curve never crosses); `direction` is "rises" (under, then over: a load sweep), "falls"
    (over, then under: more instances), "under" or "over" (never crosses). `nodes` holds each
    node's per-point `utilization` and/or `queue_length` means, `labels` their names."""
    info = METRIC_INFO.get(metric, Metric(metric, metric, "", True))
    pts = [(float(x), float(y)) for x, y in zip(xs, ys) if y is not None]
    out: dict[str, Any] = {"metric": metric, "threshold": threshold, "value": None, "direction": None,
                           "saturates_first": None, "busiest": None, "sentence": ""}
    limit = amount(threshold, info.unit)

    def at(x: float) -> str:
        return f"{sig(x)} {axis_unit}" if axis_unit == "requests/s" else f"{axis_param} = {sig(x)}"

    if not pts:
        out["sentence"] = f"no run measured a {info.label}, so there is no knee to name"
        return out
    over = [y > threshold for _, y in pts]
    first = next((i for i in range(1, len(pts)) if over[i] != over[i - 1]), None)
    if first is None:
        side = len(pts) - 1 if not over[0] else 0
        out["direction"] = "over" if over[0] else "under"
        node, value, is_saturated = _bottleneck(nodes, xs, side, side, saturated)
        busy = _node_words(node, value, is_saturated, labels, at(pts[side][0]))
        if over[0]:
            out["sentence"] = (f"{info.label} is over {limit} at every value measured "
                               f"(from {at(pts[0][0])} to {at(pts[-1][0])})" + busy)
        else:
            out["sentence"] = (f"{info.label} stays under {limit} over the whole range measured "
                               f"(from {at(pts[0][0])} to {at(pts[-1][0])})" + busy)
        out["saturates_first" if is_saturated else "busiest"] = node
        return out
    (x0, y0), (x1, y1) = pts[first - 1], pts[first]
    crossing = x0 + (threshold - y0) / (y1 - y0) * (x1 - x0)
    out["value"] = crossing
    rises = over[first]
    out["direction"] = "rises" if rises else "falls"
    # The over side of the crossing: where a bottleneck shows.
    under_i = _index(xs, x0 if rises else x1)
    over_i = _index(xs, x1 if rises else x0)
    node, value, is_saturated = _bottleneck(nodes, xs, under_i, over_i, saturated)
    if rises:
        sentence = f"{info.label} stays under {limit} up to about {at(crossing)}"
        where = "past that"
    else:
        sentence = f"{info.label} falls under {limit} from about {at(crossing)} on"
        where = "below that"
    if node is not None and is_saturated:
        sentence += f"; {where} {_name(node, labels)} saturates first"
    elif node is not None:
        sentence += f"; {where} the busiest node is {_name(node, labels)} ({_figure(value)})"
    out["saturates_first" if is_saturated else "busiest"] = node
    out["sentence"] = sentence
    return out


def _bottleneck(nodes: Mapping[str, Mapping[str, Sequence[float | None]]], xs: Sequence[float], under_i: int,
                over_i: int, saturated: float) -> tuple[str | None, tuple[str, float] | None, bool]:
    """(node, (figure, value) at the over point, saturated?) of the node to name."""
    step = 1 if over_i >= under_i else -1
    best: tuple[float, str] | None = None  # (how far from the under side it saturates, node)
    for node_id, figures in nodes.items():
        util = figures.get("utilization")
        if util is None:
            continue
        # Walk from the under side across the over side to the end of the axis; the first point
        # at or above `saturated`, interpolated from the one before it.
        span = range(under_i, len(xs) if step > 0 else -1, step)
        prev: tuple[float, float] | None = None
        for i in span:
            u = util[i]
            if u is None:
                continue
            if u >= saturated:
                distance = 0.0
                if prev is not None and u != prev[1]:
                    distance = abs((prev[0] + (saturated - prev[1]) / (u - prev[1]) * (xs[i] - prev[0])) - xs[under_i])
                elif prev is None:
                    distance = abs(xs[i] - xs[under_i]) - 1e-12  # saturated already at the start
                if best is None or distance < best[0]:
                    best = (distance, node_id)
                break
            prev = (xs[i], u)
    if best is not None:
        u = nodes[best[1]]["utilization"][over_i]
        return best[1], ("utilization", float(u)) if u is not None else None, True
    for figure in ("utilization", "queue_length"):
        ranked = [(v, n) for n, f in nodes.items() if (v := _get(f.get(figure), over_i)) is not None]
        if ranked and max(ranked)[0] > 0:
            value, node_id = max(ranked)
            return node_id, (figure, value), False
    return None, None, False


def _get(series: Sequence[float | None] | None, i: int) -> float | None:
    if series is None or i >= len(series):
        return None
    return series[i]


def _index(xs: Sequence[float], x: float) -> int:
    return min(range(len(xs)), key=lambda i: abs(float(xs[i]) - x))


def _name(node_id: str, labels: dict[str, str]) -> str:
    label = labels.get(node_id, node_id)
    return node_id if label == node_id else f"{label} ({node_id})"


def _figure(value: tuple[str, float] | None) -> str:
    if value is None:
        return ""
    figure, v = value
    return f"utilization {v:.2f}" if figure == "utilization" else f"queue length {sig(v)}"


def _node_words(node: str | None, value: tuple[str, float] | None, is_saturated: bool, labels: dict[str, str],
                where: str) -> str:
    if node is None:
        return ""
    if is_saturated:
        return f"; {_name(node, labels)} is saturated at {where}"
    return f"; the busiest node is {_name(node, labels)} ({_figure(value)} at {where})"
