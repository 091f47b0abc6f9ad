"""Cache (memcached or Redis style, cache-aside): a read is looked up by its key; a hit answers
from the cache, a miss goes to the backend (the cache's outgoing edge) and the answer is stored
on the way back. A write goes to the backend and deletes the cached key.

The hit ratio emerges from the keys, the capacity, the eviction policy and the TTL. For teaching
what-ifs (and the benchmark) a fixed hit probability can replace the keys."""
from __future__ import annotations

from typing import Any

from ..parts.cache_policies import POLICIES, Store, make_store
from ..params import Param
from ..cloud.pricing import per_hour
from ..kernel.randomness import Draws
from ..kernel.request import Request
from ..metrics.declared import count, level, per
from .base import Component


class Cache(Component):
    kind = "cache"
    title = "Cache"
    group = "data"
    icon = "bolt"
    summary = "An in-memory cache in front of a slower backend: hits are fast, misses go on to the backend."
    min_callees = 1
    params = (
        Param("mode", "choice", "keyed",
              "Keyed: the hit ratio emerges from the request keys, capacity, eviction and TTL. "
              "Fixed probability: every read hits with the probability you set.",
              choices=("keyed", "fixed_probability")),
        Param("hit_probability", "number", 0.8, "Chance that a read is a hit.", minimum=0.0, maximum=1.0,
              when={"mode": ("fixed_probability",)}),
        Param("capacity_items", "integer", 10_000, "How many items fit in the cache.", minimum=1, maximum=10_000_000,
              when={"mode": ("keyed",)}),
        Param("eviction", "choice", "lru", "Which item goes when the cache is full: least recently used, least frequently used, or first in first out.",
              choices=tuple(POLICIES), when={"mode": ("keyed",)}),
        Param("ttl_s", "number", 0.0, "Time to live of an item; an older item counts as a miss. 0: items never expire.",
              unit="s", minimum=0.0, maximum=1e7, when={"mode": ("keyed",)}),
        Param("hit_latency_ms", "number", 0.5, "Time to answer a hit.", unit="ms", minimum=0.0, maximum=60_000.0),
        Param("miss_latency_ms", "number", 0.5, "Time to find out it is a miss, before the backend is asked.",
              unit="ms", minimum=0.0, maximum=60_000.0),
        Param("memory_gb", "number", 1.0, "Memory provisioned for the cache, for its price.", unit="GB",
              minimum=0.1, maximum=100_000.0),
    )

    metrics = (
        count("hits"), count("misses"), per("hit_ratio", "hits", ("hits", "misses")),
        count("writes", shown=None), count("evictions"), count("expired"), level("items"),
    )

    @classmethod
    def uses_keys_with(cls, values: dict[str, Any]) -> bool:
        return values["mode"] == "keyed"

    @classmethod
    def calls_made(cls, values: dict[str, Any], request_class: str, operation: str | None) -> tuple[str, float]:
        # Writes and misses go to the backend: 1 - hit_probability of the reads in fixed mode,
        # all of them when the hit ratio emerges from the keys (an upper bound).
        forwarded = 1.0
        if operation != "write" and values.get("mode") == "fixed_probability":
            forwarded = 1.0 - values["hit_probability"]
        return ("first", forwarded)

    def build(self) -> None:
        self.hits = self.misses = self.writes = 0
        self.evictions = self.expired = self.items = 0  # the store's, as of the last window
        self._flushed_hits = self._flushed_misses = 0
        draws = Draws(self.sim.streams.generator(f"node:{self.id}:hits"), "uniform")
        self._u_pop = draws.buf.pop
        self._u_refill = draws.refill
        self._miss_cb = self._to_backend_cb
        self._reply = self.sim.reply  # bound once: a hit, most requests, ends with it
        self.store: Store | None = None  # made when keyed mode is first configured

    def configure(self) -> None:
        p = self.p
        self._keyed = p["mode"] == "keyed"
        self._p_hit = p["hit_probability"]
        self._hit_s = p["hit_latency_ms"] / 1000.0
        self._miss_s = p["miss_latency_ms"] / 1000.0
        if self._keyed:
            store = self.store
            if store is None or type(store) is not POLICIES[p["eviction"]]:
                self.store = make_store(p["eviction"], p["capacity_items"], p["ttl_s"])
            else:
                store.ttl = p["ttl_s"]
                store.resize(p["capacity_items"])
        # The store lookups use: None in fixed-probability mode (a store kept from keyed mode
        # waits, unused, in case the mode changes back).
        self._in_use = self.store if self._keyed else None
        self._writes = {c for c, op in self.sim.operations.items() if op == "write"}
        self._routes = {c: self.edges_for(c) for c in self.sim.class_names}

    def receive(self, req: Request, t: float) -> None:
        if self._writes and req.cls in self._writes:
            # Cache-aside write: the backend is the truth; drop the stale copy.
            self.writes += 1
            store = self._in_use
            if store is not None:
                store.delete(req.key)
            self._to_backend(req, t, fill=False)
            return
        store = self._in_use
        if store is not None:
            hit = store.get(req.key, t)
        else:
            try:
                u = self._u_pop()
            except IndexError:
                u = self._u_refill()
            hit = u < self._p_hit
        if hit:
            self.hits += 1
            if req.trace is not None:
                req.trace.append((self.id, t, 0.0, self._hit_s, None))
            # A hit interacts with nothing else, so its time is paid like network latency on
            # the way back (Simulation.reply) rather than by an event of its own.
            req.back += self._hit_s
            self._reply(req, t)
            return
        self.misses += 1
        delay = self._miss_s
        if req.trace is not None:
            req.trace.append((self.id, t, 0.0, delay, None))
        if delay:
            self.schedule(t + delay, self._miss_cb, req)
        else:
            self._to_backend(req, t, fill=self._keyed)

    def set_param(self, name: str, value: Any, t: float) -> None:
        self._flush_lookups()  # lookups so far took the old latencies
        super().set_param(name, value, t)

    def _flush_lookups(self) -> None:
        """Turn the hit and miss counts into time-in-node samples. A lookup never waits, so
        each one's time is the latency in force, and the time integral is their sum."""
        hits, misses = self.hits - self._flushed_hits, self.misses - self._flushed_misses
        self._flushed_hits, self._flushed_misses = self.hits, self.misses
        if hits:
            self.lat.extend([self._hit_s] * hits)
            self.area_n += hits * self._hit_s
        if misses:
            self.lat.extend([self._miss_s] * misses)
            self.area_n += misses * self._miss_s

    def harvest(self, t: float) -> dict[str, Any]:
        self._flush_lookups()
        lookups = self.hits + self.misses + self.writes
        self.arrivals += lookups
        self.completions += lookups
        return super().harvest(t)

    def _to_backend_cb(self, req: Request, t: float) -> None:
        self._to_backend(req, t, fill=self._keyed)

    def _to_backend(self, req: Request, t: float, fill: bool) -> None:
        routes = self._routes[req.cls]
        if not routes:
            self.fail(req, t, "dependency")
        elif fill:
            self.call(req, routes[0], t, None)
        else:
            routes[0].deliver(req, t)

    def resume(self, req: Request, state: Any, t: float) -> None:
        # The backend answered a miss: store the item for the next reader.
        store = self._in_use
        if store is not None:
            store.put(req.key, t)
        self.sim.reply(req, t)

    def forwarded_counters(self) -> tuple[str, ...]:
        return ("misses", "writes")  # hits are answered here

    def measure(self, t: float) -> None:
        # The store counts its evictions and expiries; the window takes them over.
        self._flushed_hits = self._flushed_misses = 0  # `harvest` has just flushed the lookups
        store = self.store if self._keyed else None
        self.evictions = store.evictions if store else 0
        self.expired = store.expired if store else 0
        self.items = len(store) if store else 0
        if store:
            store.evictions = store.expired = 0

    def accrue_cost(self, raw: dict[str, Any], span: float) -> float:
        return per_hour(self.sim.prices["cache_gb_hour"] * self.p["memory_gb"], span)
