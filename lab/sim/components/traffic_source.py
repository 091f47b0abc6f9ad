"""Traffic source: the users. Starts requests with an arrival process and a rate curve, gives
each one a request class from a mix, and a key and a client id when something downstream needs
them (a keyed cache, a hashing load balancer)."""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..params import Param
from ..kernel.randomness import BLOCK, Choice, Draws, IntDraws, zipf_weights
from ..kernel.request import Request
from ..parts.traffic_patterns import MAX_RATE_PER_S, PATTERNS, cumulative, peak_rate, rate_at, schedule_table
from .base import Component

class TrafficSource(Component):
    kind = "traffic_source"
    title = "Traffic source"
    group = "edge"
    icon = "users"
    summary = "Users sending requests: an arrival process, a rate that can change over time, a mix of request classes."
    is_source = True
    min_callees = 1
    params = (
        Param("arrival", "choice", "poisson", "Poisson: independent users, random gaps. Constant: a fixed gap, like a load generator.",
              choices=("poisson", "constant")),
        Param("rate_per_s", "number", 100.0, "Requests per second (the base rate of the pattern).",
              unit="requests/s", minimum=0.0, maximum=MAX_RATE_PER_S),
        Param("pattern", "choice", "steady", "How the rate changes over time.", choices=PATTERNS),
        Param("ramp_to_per_s", "number", 200.0, "Rate at the end of the ramp.", unit="requests/s",
              minimum=0.0, maximum=MAX_RATE_PER_S, when={"pattern": ("ramp",)}),
        Param("ramp_start_s", "number", 0.0, "When the ramp starts.", unit="s", minimum=0.0, maximum=1e6,
              when={"pattern": ("ramp",)}),
        Param("ramp_duration_s", "number", 60.0, "How long the ramp takes.", unit="s", minimum=0.0, maximum=1e6,
              when={"pattern": ("ramp",)}),
        Param("spike_rate_per_s", "number", 1000.0, "Rate during the spike.", unit="requests/s",
              minimum=0.0, maximum=MAX_RATE_PER_S, when={"pattern": ("spike",)}),
        Param("spike_start_s", "number", 30.0, "When the spike starts.", unit="s", minimum=0.0, maximum=1e6,
              when={"pattern": ("spike",)}),
        Param("spike_duration_s", "number", 10.0, "How long the spike lasts.", unit="s", minimum=0.0, maximum=1e6,
              when={"pattern": ("spike",)}),
        Param("diurnal_period_s", "number", 300.0, "Length of one day-night cycle (shortened so a run shows several).",
              unit="s", minimum=1.0, maximum=1e6, when={"pattern": ("diurnal",)}),
        Param("diurnal_amplitude", "number", 0.5, "Swing around the base rate: 0.5 means from half to one and a half times it.",
              minimum=0.0, maximum=1.0, when={"pattern": ("diurnal",)}),
        Param("schedule", "points", [[0.0, 100.0]], "Piecewise-constant rate: [time_s, requests/s] points; each holds until the next.",
              unit="requests/s", minimum=0.0, maximum=MAX_RATE_PER_S, when={"pattern": ("schedule",)}),
        Param("mix", "weights", {}, "Share of each request class, e.g. {\"read\": 9, \"write\": 1}. Empty: the workload's own shares.",
              minimum=0.0, maximum=1e6),
        Param("clients", "integer", 1000, "Number of distinct clients (sessions), for sticky load balancing.",
              minimum=1, maximum=10_000_000),
    )

    def build(self) -> None:
        sim = self.sim
        self._gen = sim.streams.generator(f"source:{self.id}:arrivals")
        self._exp = Draws(self._gen, "exponential")
        self._e_pop = self._exp.buf.pop
        self._e_refill = self._exp.refill
        self._uniform = Draws(sim.streams.generator(f"source:{self.id}:thinning"), "uniform")
        self._generation = 0
        self._times: list[float] = []  # the streamed source's next arrival times, latest first
        self.streamed = False
        self.next_at = math.inf
        self.class_arrivals: dict[str, int] = {}
        self.active = False
        self._arrive_cb = self._arrive

    def configure(self) -> None:
        p = self.p
        sim = self.sim
        shares = p["mix"] or {c["name"]: c["share"] for c in sim.topology["workload"]["classes"]}
        names = [n for n in sim.class_names if shares.get(n, 0) > 0]
        self._classes = names
        self._class_choice = (
            Choice([shares[n] for n in names], sim.streams.generator(f"source:{self.id}:classes"))
            if len(names) > 1 else None
        )
        self._only_class = names[0] if names else sim.class_names[0]
        self._sinks = {c: sim.e2e_sink(self.region, c) for c in sim.class_names}
        self._only_sink = self._sinks[self._only_class]
        self._routes = {c: self.edges_for(c) for c in sim.class_names}
        keys = sim.keys
        self._keys: Choice | IntDraws | None = None
        if sim.needs_keys:
            gen = sim.streams.generator(f"source:{self.id}:keys")
            if keys["distribution"] == "zipf" and keys["exponent"] > 0:
                self._keys = Choice(zipf_weights(keys["count"], keys["exponent"]).tolist(), gen)
            else:
                self._keys = IntDraws(keys["count"], gen)
        self._clients = IntDraws(p["clients"], sim.streams.generator(f"source:{self.id}:clients")) if sim.needs_clients else None
        self._constant = p["arrival"] == "constant"
        if p["pattern"] == "schedule":
            self._build_schedule_table()
        self._steady = p["pattern"] == "steady"
        self._rate_max = self._max_rate()
        # Steady Poisson arrivals, the common case, take a short path in `_arrive`.
        self._fast = self._steady and not self._constant and self._rate_max > 0
        self._inv_rate = 1.0 / self._rate_max if self._rate_max > 0 else 0.0

    def start(self, t: float) -> None:
        self.active = True
        if self.streamed:
            self.next_at = self._stream_next(t)
        else:
            self._schedule_next(t)

    def set_param(self, name: str, value: Any, t: float) -> None:
        self._credit_classes()
        super().set_param(name, value, t)
        # Poisson arrivals are memoryless, so drawing the next gap afresh at the new rate is
        # exact; the old pending arrival is dropped by bumping the generation.
        if self.active:
            self._generation += 1
            if self.streamed:
                self._times.clear()  # drawn at the old rate
                self.next_at = self._stream_next(t)
            else:
                self._schedule_next(t)

    @classmethod
    def calls_made(cls, values: dict[str, Any], request_class: str, operation: str | None) -> tuple[str, float]:
        return ("first", 1.0)  # along its first route (a source starts each request once)

    @classmethod
    def peak_rate(cls, values: dict[str, Any]) -> float:
        return peak_rate(values)

    @classmethod
    def expected_requests(cls, values: dict[str, Any], duration_s: float) -> float:
        return cumulative(values, duration_s) if peak_rate(values) > 0 else 0.0

    def forwarded_counters(self) -> tuple[str, ...]:
        return ("arrivals",)

    # -- the rate curve -------------------------------------------------------------------------

    def rate_at(self, t: float) -> float:
        return rate_at(self.p, t)

    def _max_rate(self) -> float:
        return peak_rate(self.p)

    # -- arrivals -------------------------------------------------------------------------------

    def cumulative(self, t: float) -> float:
        """Expected requests from time 0 to `t` (see `cumulative`). Arrivals are placed by
        inverting it."""
        return cumulative(self.p, t, self._schedule_table if self.p["pattern"] == "schedule" else None)

    def _build_schedule_table(self) -> None:
        self._schedule_table = schedule_table(self.p)

    def advance(self, t: float, amount: float) -> float | None:
        """The time by which `amount` more requests are expected after `t`, or None if the rate
        curve never delivers them (it stays at zero)."""
        target = self.cumulative(t) + amount
        step = amount / self._rate_max if self._rate_max > 0 else 1.0
        hi = t + step
        while self.cumulative(hi) < target:
            step *= 2.0
            hi = t + step
            if step > 1e7:
                return None
        lo = t
        for _ in range(200):
            mid = (lo + hi) / 2.0
            if mid <= lo or mid >= hi:
                break
            if self.cumulative(mid) < target:
                lo = mid
            else:
                hi = mid
        return hi

    def _next_time(self, t: float) -> float | None:
        rate_max = self._rate_max
        if rate_max <= 0:
            return None
        if self._steady:
            return t + (1.0 if self._constant else self._exp.next()) / rate_max
        if self._constant:
            # Evenly spaced in expected count: one request per unit of the integrated rate.
            return self.advance(t, 1.0)
        # A time-varying Poisson process by thinning: candidates at the peak rate, each kept with
        # probability rate(t) / peak (Lewis and Shedler). Where the curve sits at zero for long,
        # thinning would spin, so after many rejections it inverts the integrated rate instead
        # (also exact: a Poisson process is its integrated rate run at unit speed).
        for _ in range(1000):
            t += self._exp.next() / rate_max
            if self._uniform.next() * rate_max < self.rate_at(t):
                return t
        return self.advance(t, self._exp.next())

    def _schedule_next(self, t: float) -> None:
        at = self._next_time(t)
        if at is not None:
            self.schedule(at, self._arrive_cb, self._generation)

    def wire(self) -> None:
        # With one request class the route never changes between rewires: bind it once.
        only = self._routes.get(self._only_class) if self._class_choice is None else None
        simple = only and self._keys is None and self._clients is None
        self._deliver_simple = only[0].deliver if only and simple else None

    def stop(self) -> None:
        """No more arrivals: the pending one is dropped by bumping the generation."""
        self.active = False
        self._generation += 1
        self.next_at = math.inf

    # -- the streamed source --------------------------------------------------------------------
    # One source (the first) keeps its arrivals off the event heap: the run loop compares its
    # next arrival time with the top of the heap and calls `send` directly. Steady Poisson
    # arrival times are drawn a block at a time (a cumulative sum of exponential gaps).

    def stream(self) -> "TrafficSource":
        return self

    def _stream_next(self, t: float) -> float:
        """The next arrival after `t` for the streamed source."""
        if self._fast:
            try:
                return self._times.pop()
            except IndexError:
                gaps = self._gen.standard_exponential(BLOCK) * self._inv_rate
                times = (t + np.cumsum(gaps)).tolist()
                times.reverse()
                self._times.extend(times)
                return self._times.pop()
        at = self._next_time(t)
        return math.inf if at is None else at

    def _arrive(self, generation: int, t: float) -> None:
        if generation != self._generation:
            return
        # Schedule the next arrival first so it is on the heap in a stable order.
        if self._fast:
            try:
                gap = self._e_pop()
            except IndexError:
                gap = self._e_refill()
            self.schedule(t + gap * self._inv_rate, self._arrive_cb, generation)
        else:
            self._schedule_next(t)
        self.send(t)

    def send(self, t: float) -> None:
        """Start one request at `t` and hand it to the first node. The one place a client's
        request starts: it takes the next id from the ledger (`sim.created`) and is traced if its
        id says so; written out here because it runs once per request. The streamed source is
        called by the run loop and first draws when its next request is due (`next_at`): one call
        per request, not two."""
        if self.streamed:
            try:
                self.next_at = self._times.pop()
            except IndexError:
                self.next_at = self._stream_next(t)
        self.arrivals += 1
        sim = self.sim
        rid = sim.created
        sim.created = rid + 1
        deliver = self._deliver_simple
        if deliver is not None:
            req = Request(rid, self._only_class, 0, 0, t, self.id, self._only_sink)
            if rid % sim.trace_every == 0:
                req.trace = []
            deliver(req, t)
        else:
            self._start_request(rid, t)

    def _start_request(self, rid: int, t: float) -> None:
        """The general case: a class from the mix, a key and a client when they are used."""
        sim = self.sim
        choice = self._class_choice
        cls = self._classes[choice.next()] if choice is not None else self._only_class
        self.class_arrivals[cls] = self.class_arrivals.get(cls, 0) + 1
        keys = self._keys
        clients = self._clients
        req = Request(rid, cls, keys.next() if keys is not None else 0,
                      clients.next() if clients is not None else 0, t, self.id, self._sinks[cls])
        if rid % sim.trace_every == 0:
            req.trace = []
        routes = self._routes[cls]
        if routes:
            routes[0].deliver(req, t)
        else:
            self.fail(req, t, "dependency")

    def _credit_classes(self) -> None:
        """Requests started by class are counted on the general path; on the one-class fast path
        every request is of that class, credited here (before the class can change)."""
        by_class = self.class_arrivals
        counted = sum(by_class.values())
        if self.arrivals > counted:
            by_class[self._only_class] = by_class.get(self._only_class, 0) + self.arrivals - counted

    def harvest_extra(self, t: float) -> dict[str, Any]:
        """The window's requests started by class (the windows add them up per class), and as
        many completions as arrivals: a source "completes" a request by sending it."""
        self._credit_classes()
        by_class = self.class_arrivals
        self.class_arrivals = {}
        return {"completions": self.arrivals, "class_arrivals": by_class}
