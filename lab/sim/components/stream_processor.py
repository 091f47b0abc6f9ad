"""Stream processor (a Flink, Kafka Streams or Lambda-on-a-stream stage): takes events one at a
time, does `processing_ms` of work on a pool of slots, and sends what it produces on to every
outgoing edge that accepts the event's class. One kind, four shapes:

- copier: every event goes on unchanged (fan-out to every edge);
- filter: an event goes on with probability `pass_fraction` (or its class's own probability);
- splitter: one event becomes `split_into` events (an order into its line items);
- merger: `merge_count` events become one (a batch, a window's aggregate).

The processing is asynchronous, as in a real pipeline: the incoming event is acknowledged as soon
as its processing is done, and the events it produced travel on as requests the processor owns
(a downstream failure is counted as `forward_failed`, not returned to the sender; put a pub/sub
topic in between when delivery must be retried). So the sender's latency is the queue wait plus
the processing time, and what happens downstream shows in the downstream nodes. A merger's
partial batch is operator state, kept across a crash (it is checkpointed).
"""
from __future__ import annotations

from typing import Any

from ..params import Param
from ..cloud.pricing import per_hour, size_param
from ..kernel.randomness import Deterministic, Draws
from ..kernel.request import Request
from ..kernel.station import Station
from ..metrics.declared import count, level
from .base import Component
from ..parts.service_time import build_samplers, service_params

SHAPES = ("copier", "filter", "splitter", "merger")


class StreamProcessor(Component):
    kind = "stream_processor"
    has_instances = True
    title = "Stream processor"
    group = "messaging"
    icon = "funnel"
    summary = ("A stage of an event pipeline that copies, filters, splits or merges events and sends the "
               "results on asynchronously.")
    min_callees = 1
    params = (
        Param("shape", "choice", "copier",
              "Copier: every event to every outgoing edge. Filter: only a share of the events goes on. "
              "Splitter: one event becomes several. Merger: several events become one.", choices=SHAPES),
        Param("pass_fraction", "number", 0.5, "Share of the events the filter lets through.",
              minimum=0.0, maximum=1.0, when={"shape": ("filter",)}),
        Param("pass_probability_by_class", "weights", {},
              "Chance an event of a class passes, where it differs from pass_fraction, e.g. {\"write\": 1}.",
              minimum=0.0, maximum=1.0, when={"shape": ("filter",)}),
        Param("split_into", "integer", 3, "Events one incoming event becomes.", minimum=1, maximum=1000,
              when={"shape": ("splitter",)}),
        Param("merge_count", "integer", 10, "Incoming events combined into one outgoing event.",
              minimum=1, maximum=100_000, when={"shape": ("merger",)}),
        Param("instances", "integer", 1, "Instances (task managers) running the stage.", minimum=1, maximum=1000),
        Param("slots_per_instance", "integer", 4, "Events one instance processes at the same time.",
              minimum=1, maximum=10_000),
        Param("queue_capacity", "integer", 10_000, "Events that may wait for a slot; more are refused with 503.",
              minimum=0, maximum=10_000_000),
        *service_params("processing", 1.0),
        size_param("instance"),
    )

    @classmethod
    def calls_made(cls, values: dict[str, Any], request_class: str, operation: str | None) -> tuple[str, float]:
        # A copy to every edge, times the filter's pass share, the split, or one over the merge count.
        shape = values["shape"]
        if shape == "filter":
            return ("each", values["pass_probability_by_class"].get(request_class, values["pass_fraction"]))
        if shape == "splitter":
            return ("each", values["split_into"])
        if shape == "merger":
            return ("each", 1.0 / values["merge_count"])
        return ("each", 1.0)

    metrics = (
        count("events_in"), count("events_out"), count("dropped"), count("forwarded"), count("forward_failed"),
        level("pending_merge"), level("instances", attr="n_instances"), level("queue_now", provided=True),
    )

    def build(self) -> None:
        p = self.p
        # Its processing times are set by `configure`.
        self.station = Station(self, p["instances"] * p["slots_per_instance"], p["queue_capacity"],
                               Deterministic(0.0), self._processed)
        self.fast_receive = self.station.arrive
        self.events_in = self.events_out = self.dropped = self.forwarded = self.forward_failed = 0
        self.pending_merge = 0
        self.n_instances = 0  # as of the last window (`measure`)
        draws = Draws(self.sim.streams.generator(f"node:{self.id}:filter"), "uniform")
        self._u_pop = draws.buf.pop
        self._u_refill = draws.refill

    def configure(self) -> None:
        p = self.p
        dist, by_class = build_samplers(self, "processing", "processing")
        workers = p["instances"] * p["slots_per_instance"]
        st = self.station
        st.set_distribution(dist, by_class)
        st.queue_limit = p["queue_capacity"]
        if workers != st.workers:
            st.resize(workers, self.sim.now)
        self.shape = p["shape"]
        self._pass = {c: p["pass_probability_by_class"].get(c, p["pass_fraction"]) for c in self.sim.class_names}
        self._split = p["split_into"]
        self._merge = p["merge_count"]
        self._routes = {c: self.edges_for(c) for c in self.sim.class_names}

    def stations(self) -> list[Station]:
        return [self.station]

    def _processed(self, req: Request, t: float) -> None:
        """The event's processing is done: produce the outgoing events, then acknowledge it."""
        self.events_in += 1
        shape = self.shape
        copies = 1
        if shape == "filter":
            try:
                u = self._u_pop()
            except IndexError:
                u = self._u_refill()
            if u >= self._pass[req.cls]:
                copies = 0
                self.dropped += 1
        elif shape == "splitter":
            copies = self._split
        elif shape == "merger":
            self.pending_merge += 1
            if self.pending_merge < self._merge:
                copies = 0
            else:
                self.pending_merge = 0  # the batch goes on as one event of the class that closed it
        if copies:
            # The produced events are this node's own, not part of the sender's request: they do
            # not share its trace.
            trace = req.trace
            req.trace = None
            spawn = self.spawn
            for edge in self._routes[req.cls]:
                for _ in range(copies):
                    self.events_out += 1
                    spawn(req, edge, t, None)
            req.trace = trace
        self.sim.reply(req, t)

    def resume(self, child: Request, state: Any, t: float) -> None:
        self.forwarded += 1

    def abort(self, child: Request, state: Any, t: float, cause: str) -> bool:
        self.forward_failed += 1
        return True  # the event was ours; its sender has had its acknowledgement

    def instances_changed(self, before: int, t: float) -> None:
        alive = max(0, self.p["instances"] - self.lost_instances)
        self.station.resize(alive * self.p.get("workers_per_instance", 1), t)
        if alive == 0:
            self.station.drop_waiting(t, "fault")

    def measure(self, t: float) -> None:
        self.n_instances = self.p["instances"]

    def accrue_cost(self, raw: dict[str, Any], span: float) -> float:
        return per_hour(self.sim.prices[f"vm_{self.p['instance_size']}_hour"] * self.p["instances"], span)
