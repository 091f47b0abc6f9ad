"""How a window's raw counters become the figures of the window and results documents
(docs/results.md): a stream's flow (throughput, errors, latency), a node's view, costs, the split
of a queue's time into waiting and service, and a node's totals over the measured windows, each
raw figure combined by its kind's rule. metrics/windows.py assembles the documents from these."""
from __future__ import annotations

from typing import Any, Mapping, cast

from ..components.registry import REGISTRY
from .declared import MAX, SUM
from .documents import Cost, Flow, NodeView
from .histogram import Histogram

# Keys of a node's raw window that are not numbers: they are totalled on their own.
RAW_SPECIAL = {"failures", "lat", "class_arrivals"}
_SKIP = "skip"


def per_second(count: float, span: float) -> float:
    return round(count / span, 6) if span > 0 else 0.0


def add_failures(into: dict[str, int], more: dict[str, int]) -> None:
    for cause, n in more.items():
        into[cause] = into.get(cause, 0) + n


def by_cause(d: dict[str, int]) -> dict[str, int]:
    return {k: d[k] for k in sorted(d)}


class Split:
    """A window's (or the run's) split of time in a node with queues: the service times of the
    requests that started service, and their waits, zeros included (kernel/station.py
    records only the waits of those that started from the queue)."""

    __slots__ = ("service", "wait", "waited")

    def __init__(self, service: Histogram, wait: Histogram, waited: int) -> None:
        self.service = service
        self.wait = wait
        self.waited = waited  # of them, how many waited more than 0

    def merge(self, other: "Split") -> None:
        self.service.merge(other.service)
        self.wait.merge(other.wait)
        self.waited += other.waited

    def view(self) -> dict[str, Any]:
        started = self.service.n
        return {"wait_ms": self.wait.summary_ms(), "service_ms": self.service.summary_ms(),
                "wait_probability": round(self.waited / started, 6) if started else 0.0}


def take_splits(nodes: Mapping[str, Any]) -> dict[str, tuple[list[float], list[float]]]:
    """Each node with queues: its stations' service times and waits since the last window."""
    out: dict[str, tuple[list[float], list[float]]] = {}
    for node_id, node in nodes.items():
        stations = node.stations()
        if not stations:
            continue
        if len(stations) == 1:
            out[node_id] = stations[0].take_split()
            continue
        svc: list[float] = []
        waits: list[float] = []
        for station in stations:
            s, w = station.take_split()
            svc += s
            waits += w
        out[node_id] = (svc, waits)
    return out


class NodeTotals:
    """A node's raw counters combined over the measured windows, each by its kind's rule
    (`Component.combine_rules`: added up, the highest, or the last)."""

    def __init__(self, rules: dict[str, str]) -> None:
        # The keys totalled on their own are skipped by the same lookup that finds a key's rule.
        self.rules = {**rules, **{key: _SKIP for key in RAW_SPECIAL}}
        self.raw: dict[str, Any] = {}
        self.failures: dict[str, int] = {}
        self.hist = Histogram()
        self.split: Split | None = None

    def add(self, raw: dict[str, Any], hist: Histogram, split: "Split | None") -> None:
        add_failures(self.failures, raw["failures"])
        self.hist.merge(hist)
        if split is not None:
            if self.split is None:
                self.split = Split(Histogram(), Histogram(), 0)
            self.split.merge(split)
        rule_of = self.rules.get
        totals = self.raw
        for key, value in raw.items():
            rule = rule_of(key, SUM)
            if rule == SUM:
                totals[key] = totals.get(key, 0) + value
            elif rule == MAX:
                totals[key] = max(totals.get(key, value), value)
            elif rule != _SKIP:
                totals[key] = value


def failures_since(now: dict[str, int], before: dict[str, int]) -> dict[str, int]:
    return {k: v - before.get(k, 0) for k, v in now.items() if v - before.get(k, 0)}


def cost_figures(usd: float, span: float) -> Cost:
    """Dollars accrued over `span` seconds, and the hourly rate they were accrued at."""
    return {"cost_usd": round(usd, 9), "cost_per_hour_usd": round(usd / span * 3600.0, 6) if span > 0 else 0.0}


def flow_figures(hist: Histogram, failures: dict[str, int], span: float) -> Flow:
    """Throughput, errors and latency of a stream of requests over `span` seconds."""
    errors = sum(failures.values())
    done = hist.n + errors
    return {
        "completions": hist.n,
        "throughput_per_s": per_second(hist.n, span),
        "errors": errors,
        "failures": by_cause(failures),
        "error_rate": round(errors / done, 6) if done else 0.0,
        "latency_ms": hist.summary_ms(),
    }


def node_view(kind: str, raw: dict[str, Any], hist: Histogram, span: float, split: Split | None = None) -> NodeView:
    failures = raw["failures"]
    arrivals, completions, usd = raw["arrivals"], raw["completions"], raw.get("cost_usd", 0.0)
    # per_second and cost_figures written out: a window closes with one view per node.
    view: dict[str, Any] = {
        "kind": kind,
        "arrivals": arrivals,
        "arrival_rate_per_s": round(arrivals / span, 6) if span > 0 else 0.0,
        "completions": completions,
        "throughput_per_s": round(completions / span, 6) if span > 0 else 0.0,
        "errors": sum(failures.values()) if failures else 0,
        "failures": by_cause(failures) if failures else {},
        "latency_ms": hist.summary_ms(),
        "in_node": round(raw["area_n"] / span, 6) if span > 0 else 0.0,
        "in_node_now": raw["in_node_now"],
        "cost_usd": round(usd, 9),
        "cost_per_hour_usd": round(usd / span * 3600.0, 6) if span > 0 else 0.0,
    }
    if "area_cap" in raw:
        view["utilization"] = round(raw["area_busy"] / raw["area_cap"], 6) if raw["area_cap"] > 0 else 0.0
        view["queue_length"] = round((raw["area_n"] - raw["area_busy"]) / span, 6) if span > 0 else 0.0
    if split is not None:
        view.update(split.view())
    view.update(REGISTRY[kind].present(raw, span))
    # A node view is open-ended: its kind adds figures of its own (Component.present) that a
    # TypedDict cannot list. The common part is built above; tests/sim/test_result_types.py holds
    # every example's views to the type.
    return cast(NodeView, view)
