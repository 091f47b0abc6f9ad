"""Windows of metrics, the run's measured totals, and sampled request traces.

When a window of simulated time closes, every node hands over its raw counters (`harvest`), this
module turns them into the window document (docs/results.md) and passes it to the callback, and
adds them into the totals if the window lies past the warm-up. Latency percentiles come from
`Histogram`, so memory stays flat however long the run.
"""
from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Any, Callable

from .documents import (ClassFlow, EdgeWindow, Flow, Hop, MeasuredNode, MeasuredOverall, NodeView, Results, Trace,
                        Window, WindowOverall)
from .histogram import Histogram, histograms
from .views import (NodeTotals, Split, add_failures, cost_figures, failures_since, flow_figures, node_view,
                    per_second, take_splits)
from ..cloud.pricing import HOURS_PER_MONTH
from ..kernel.request import CAUSES

if TYPE_CHECKING:
    from ..kernel.interface import Kernel

RESULTS_FORMAT = "archlab.results"
RESULTS_VERSION = 1


class Metrics:
    def __init__(self, sim: "Kernel", *, on_window: Callable[[Window], None] | None,
                 trace_cap: int) -> None:
        self.sim = sim
        self.on_window = on_window
        self.window_start = sim.t_start
        self.index = 0
        self.events: list[dict[str, Any]] = []
        self._last = (0, 0, 0)  # created, completed, failed at the previous close
        self._last_failures: dict[str, dict[str, int]] = {c: {} for c in sim.class_names}
        # Measured totals: windows that start at or after the warm-up.
        self.measured_from: float | None = None
        self.measured_to = 0.0
        self.totals_created = 0
        self.totals_class: dict[str, Histogram] = {c: Histogram() for c in sim.class_names}
        self.totals_class_failures: dict[str, dict[str, int]] = {c: {} for c in sim.class_names}
        self.totals_class_arrivals: dict[str, int] = {c: 0 for c in sim.class_names}
        self.totals_nodes: dict[str, NodeTotals] = {
            n: NodeTotals(type(node).combine_rules()) for n, node in sim.nodes.items()}
        self.sampled: deque[tuple] = deque(maxlen=trace_cap)
        self.failed: dict[str, deque[tuple]] = {}
        self.trace_cap = trace_cap
        self._edge_sent: dict[str, int] = {}
        self._last_origin_failures: dict[str, dict[str, int]] = {o: {} for o in sim.origins}
        self.totals_origin: dict[str, Histogram] = {o: Histogram() for o in sim.origins}
        self.totals_origin_failures: dict[str, dict[str, int]] = {o: {} for o in sim.origins}

    # -- traces ---------------------------------------------------------------------------------

    def keep_trace(self, req: Any, t: float, cause: str | None, node_id: str | None) -> None:
        record = (req.id, req.cls, req.source, req.t0, t, cause, node_id, req.trace,
                  req.id % self.sim.trace_every != 0)
        if cause is None:
            self.sampled.append(record)
        else:
            bucket = self.failed.get(cause)
            if bucket is None:
                bucket = self.failed[cause] = deque(maxlen=self.trace_cap)
            bucket.append(record)

    @staticmethod
    def _trace_json(record: tuple) -> Trace:
        rid, cls, source, t0, t, cause, node_id, hops, partial = record
        steps: list[Hop] = []
        for node, at, wait, svc, hop_cause in (hops or ()):
            step: Hop = {"node": node, "arrived_s": round(at, 6), "queue_ms": round(wait * 1000.0, 3),
                         "service_ms": round(svc * 1000.0, 3)}
            if hop_cause:
                step["failed"] = hop_cause
            steps.append(step)
        start, latency = round(t0, 6), round((t - t0) * 1000.0, 3)
        if cause is None:
            return {"request": rid, "class": cls, "source": source, "start_s": start, "latency_ms": latency,
                    "outcome": "completed", "hops": steps}
        # Only every Nth request records its whole path; others record the hop that failed.
        return {"request": rid, "class": cls, "source": source, "start_s": start, "latency_ms": latency,
                "outcome": "failed", "cause": cause, "status": CAUSES[cause].status, "failed_at": node_id,
                "partial": partial, "hops": steps}

    # -- windows --------------------------------------------------------------------------------

    def close(self, t: float) -> Window:
        sim = self.sim
        start = self.window_start
        span = t - start
        measured = start >= sim.warmup_s - 1e-9

        created, completed, failed = sim.created, sim.completed, sim.failed
        last_created, _, _ = self._last
        self._last = (created, completed, failed)

        # The stations' waits and service times first: a retiring shard leaves in its harvest.
        split_lists = take_splits(sim.nodes)
        nodes_raw = {node_id: node.harvest(t) for node_id, node in sim.nodes.items()}
        class_arrivals: dict[str, int] = {c: 0 for c in sim.class_names}
        for raw in nodes_raw.values():
            for cls, n in raw.get("class_arrivals", {}).items():
                class_arrivals[cls] += n

        node_ids = list(sim.nodes)
        sink_keys = list(sim.e2e)
        sink_lists = []
        for key in sink_keys:
            sink = sim.e2e[key]
            sink_lists.append(sink[:])
            sink.clear()  # in place: sources and requests in flight hold this very list
        split_ids = list(split_lists)
        # Waits are recorded only for requests that started from the queue: the others waited 0.
        no_wait = [0] * (len(sink_keys) + len(node_ids) + len(split_ids)) + [
            len(split_lists[n][0]) - len(split_lists[n][1]) for n in split_ids]
        hists = histograms(sink_lists + [nodes_raw[n]["lat"] for n in node_ids]
                           + [split_lists[n][0] for n in split_ids] + [split_lists[n][1] for n in split_ids], no_wait)
        sink_hists = hists[: len(sink_keys)]
        node_hists = hists[len(sink_keys): len(sink_keys) + len(node_ids)]
        service_hists = hists[len(sink_keys) + len(node_ids): len(sink_keys) + len(node_ids) + len(split_ids)]
        wait_hists = hists[len(sink_keys) + len(node_ids) + len(split_ids):]
        splits: dict[str, Split] = {}
        for node_id, service_hist, wait_hist in zip(split_ids, service_hists, wait_hists):
            waits = split_lists[node_id][1]
            waited = len(waits) - waits.count(0.0)  # a worker freed at the very moment it arrived
            splits[node_id] = Split(service_hist, wait_hist, waited)
        class_hists = [Histogram() for _ in sim.class_names]
        origin_hists = {o: Histogram() for o in sim.origins}
        position = {c: i for i, c in enumerate(sim.class_names)}
        for (origin, cls), hist in zip(sink_keys, sink_hists):
            class_hists[position[cls]].merge(hist)
            if origin:
                origin_hists[origin].merge(hist)

        overall_hist = Histogram()
        overall_failures: dict[str, int] = {}
        classes_out: dict[str, ClassFlow] = {}
        for cls, hist in zip(sim.class_names, class_hists):
            overall_hist.merge(hist)
            now_failures = sim.failures_by_class[cls]
            window_failures = failures_since(now_failures, self._last_failures[cls])
            if window_failures:
                self._last_failures[cls] = dict(now_failures)
            add_failures(overall_failures, window_failures)
            classes_out[cls] = {"arrivals": class_arrivals[cls], **flow_figures(hist, window_failures, span)}
            if measured:
                self.totals_class[cls].merge(hist)
                add_failures(self.totals_class_failures[cls], window_failures)
                self.totals_class_arrivals[cls] += class_arrivals[cls]

        edges_out = self._edge_rates(nodes_raw, span)
        nodes_out: dict[str, NodeView] = {}
        for node_id, hist in zip(node_ids, node_hists):
            raw = nodes_raw[node_id]
            split = splits.get(node_id)
            nodes_out[node_id] = node_view(sim.nodes[node_id].kind, raw, hist, span, split)
            if measured:
                self.totals_nodes[node_id].add(raw, hist, split)

        if measured:
            if self.measured_from is None:
                self.measured_from = start
            self.measured_to = t
            self.totals_created += created - last_created

        cost = sum(raw["cost_usd"] for raw in nodes_raw.values())
        overall: WindowOverall = {"arrivals": created - last_created, **flow_figures(overall_hist, overall_failures, span),
                   "in_flight": sim.in_flight(), **cost_figures(cost, span)}
        origins_out: dict[str, Flow] = {}
        for origin, hist in origin_hists.items():
            now_failures = sim.failures_by_origin[origin]
            window_failures = failures_since(now_failures, self._last_origin_failures[origin])
            self._last_origin_failures[origin] = dict(now_failures)
            origins_out[origin] = flow_figures(hist, window_failures, span)
            if measured:
                self.totals_origin[origin].merge(hist)
                add_failures(self.totals_origin_failures[origin], window_failures)
        window: Window = {
            "index": self.index,
            "t_start": round(start, 6),
            "t_end": round(t, 6),
            "measured": measured,
            "overall": overall,
            "classes": classes_out,
            "nodes": nodes_out,
            "edges": edges_out,
            "origins": origins_out,
            "events": self.events,
        }
        self.events = []
        self.index += 1
        self.window_start = t
        if self.on_window is not None:
            self.on_window(window)
        return window

    def _edge_rates(self, nodes_raw: dict[str, dict[str, Any]], span: float) -> dict[str, EdgeWindow]:
        """Requests per second along each edge (see `edge_rules` for how each is known)."""
        out: dict[str, EdgeWindow] = {}
        for edge in self.sim.edges:
            rule = edge.rule
            source, target = edge.source, edge.target
            if rule == "balancer":
                count = edge.sent - self._edge_sent.get(edge.id, 0)
                self._edge_sent[edge.id] = edge.sent
            elif rule == "counted":
                count = edge.passed - self._edge_sent.get(edge.id, 0)
                self._edge_sent[edge.id] = edge.passed
            elif rule == "target":
                count = nodes_raw[target.id]["arrivals"]
            else:  # "forwarded"
                raw = nodes_raw[source.id]
                count = sum(raw.get(name, 0) for name in source.forwarded_counters())
            out[edge.id] = {"from": source.id, "to": target.id, "rate_per_s": per_second(count, span)}
            if edge.guard is not None:
                out[edge.id]["policy"] = edge.guard.window()
            transfer = self.sim.transfer_usd.get(edge.id)
            if transfer:
                usd = transfer * count
                out[edge.id]["cost_usd"] = round(usd, 9)
                # The caller pays for the data its calls move across zones and regions.
                nodes_raw[source.id]["cost_usd"] += usd
        return out

    # -- the run's results ----------------------------------------------------------------------

    def results(self) -> Results:
        sim = self.sim
        start = self.measured_from if self.measured_from is not None else self.measured_to
        span = self.measured_to - start
        overall_hist = Histogram()
        overall_failures: dict[str, int] = {}
        classes: dict[str, ClassFlow] = {}
        for cls in sim.class_names:
            hist = self.totals_class[cls]
            overall_hist.merge(hist)
            add_failures(overall_failures, self.totals_class_failures[cls])
            classes[cls] = {"arrivals": self.totals_class_arrivals[cls],
                            **flow_figures(hist, self.totals_class_failures[cls], span)}
        flow = flow_figures(overall_hist, overall_failures, span)
        cost_total = 0.0
        nodes: dict[str, MeasuredNode] = {}
        for node_id, node in sim.nodes.items():
            totals = self.totals_nodes[node_id]
            raw = dict(totals.raw)
            raw.setdefault("arrivals", 0)
            raw.setdefault("completions", 0)
            raw.setdefault("area_n", 0.0)
            raw.setdefault("dropped_time", 0.0)
            raw.setdefault("in_node_now", 0)
            raw["failures"] = totals.failures
            split = totals.split
            if split is None and node.stations():  # no measured window: an empty split
                split = Split(Histogram(), Histogram(), 0)
            view = node_view(node.kind, raw, totals.hist, span, split)
            # Little's law, L = lambda * W: W is the mean time in the node over every arrival
            # (one turned away at the door counts as zero, one that gave up waiting counts its
            # wait), so `in_node` can be compared with `arrival_rate_per_s` * W.
            nodes[node_id] = {**view, "residence_ms_mean": round(
                (totals.hist.total + raw["dropped_time"]) / max(1, raw["arrivals"]) * 1000.0, 6)}
            cost_total += raw.get("cost_usd", 0.0)
        cost = cost_figures(cost_total, span)
        overall: MeasuredOverall = {
            "arrivals": self.totals_created, **flow, **cost,
            "cost_monthly_usd": round(cost["cost_per_hour_usd"] * HOURS_PER_MONTH, 2),
            "cost_per_million_usd": round(cost_total / flow["completions"] * 1e6, 4) if flow["completions"] else None,
        }
        topology = sim.topology
        return {
            "format": RESULTS_FORMAT,
            "version": RESULTS_VERSION,
            "topology": {"name": topology.get("name", ""), "nodes": len(sim.nodes), "edges": len(sim.edges)},
            "seed": sim.seed,
            "duration_s": round(sim.now, 6),
            "warmup_s": sim.warmup_s,
            "window_s": sim.window_s,
            "windows": self.index,
            "requests": {
                "created": sim.created,
                "completed": sim.completed,
                "failed": sim.failed,
                "in_flight": sim.in_flight(),
            },
            "measured": {
                "from_s": round(start, 6),
                "to_s": round(self.measured_to, 6),
                "span_s": round(span, 6),
                "overall": overall,
                "classes": classes,
                "origins": {o: flow_figures(self.totals_origin[o], self.totals_origin_failures[o], span)
                            for o in sim.origins},
                "nodes": nodes,
            },
            "timeline": list(sim.timeline),
            "traces": {
                "sampled": [self._trace_json(r) for r in self.sampled],
                "failed": {c: [self._trace_json(r) for r in self.failed[c]] for c in sorted(self.failed)},
            },
        }


def edge_rule(edge: Any, sim: "Kernel", incoming: dict[str, int]) -> str:
    """How an edge's request rate is known. From the nodes' own counters where they determine it
    exactly ("balancer": its source counts what it sends; "target": the target has no other
    incoming edge; "forwarded": its source passes everything it takes on through this one edge
    and says which of its counters count it, `Component.forwarded_counters`); otherwise the edge
    counts ("counted"), which costs one addition per request on that edge only. Edges whose data
    is billed always count."""
    source, target = edge.source, edge.target
    if edge.guard is not None or (edge.id in sim.transfer_usd and not source.is_source):
        return "counted"  # a guarded edge counts its attempts, retries included
    if source.counts_sent:
        return "balancer"
    if incoming[target.id] == 1:
        return "target"
    if len(source.out) == 1 and source.forwarded_counters():
        return "forwarded"
    return "counted"
