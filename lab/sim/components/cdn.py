"""CDN (CloudFront / Cloud CDN style): edge locations next to the users answer static requests
from their own cache and forward misses, and every dynamic request, to the origin (an outgoing
edge). With several origins (static files in a bucket, the API behind a load balancer), request
classes on the edges choose one, like CloudFront's cache behaviours: the first edge that accepts
the class.

Users reach the edge location in their own region, so the CDN is not placed: it charges the
users' access network itself (leave `latency_ms` unset on the users' edge to it; an unplaced
node's edges get none from placement). A hit costs that and the edge server's time; a miss also
travels from the users' region to the origin's region and back, plus any latency set on the edge
to the origin (an unplaced node's edges get none from placement).

Each origin region of the users has its own edge cache (an LRU of `capacity_items` keys with a
TTL), so Asian users do not warm the cache for American ones: the hit ratio emerges from the keys,
the capacity, the TTL and how the traffic is spread over regions. Concurrent misses for one key
all go to the origin (no request collapsing).
"""
from __future__ import annotations

from typing import Any

from ..parts.cache_policies import Store, make_store
from ..params import Param
from ..cloud.pricing import per_million
from ..kernel.request import Request
from ..metrics.declared import count, level, per
from .base import Component

_DYNAMIC = "dynamic"  # the state of a forwarded request that is not cached on its way back


class Cdn(Component):
    kind = "cdn"
    title = "CDN"
    group = "edge"
    icon = "cloud"
    bills_user_egress = True  # it bills cdn_egress_gb for what it serves
    summary = "Edge locations near the users cache static content; misses and dynamic requests go on to the origin."
    min_callees = 1
    uses_keys = True
    params = (
        Param("static_classes", "weights", {},
              "The request classes the edge caches, e.g. {\"asset\": 1} (a class with weight 0 is not cached). "
              "Empty: every class whose operation is read. The others are dynamic and always go to the origin.",
              minimum=0.0, maximum=1.0),
        Param("capacity_items", "integer", 100_000, "Objects each edge location (one per users' region) holds; "
                                                    "the least recently used goes first.",
              minimum=1, maximum=10_000_000),
        Param("ttl_s", "number", 3600.0, "How long an object is served before the edge fetches it again "
                                        "(the origin's Cache-Control max-age). 0: never expires.",
              unit="s", minimum=0.0, maximum=1e7),
        Param("edge_latency_ms", "number", 1.0, "Time the edge server takes for each request (a lookup, TLS "
                                                "already open), on top of the users' access network.",
              unit="ms", minimum=0.0, maximum=10_000.0),
    )

    metrics = (
        count("hits"), count("misses"), per("hit_ratio", "hits", ("hits", "misses")), count("dynamic"),
        count("served_kb", zero=0.0, shown=None), count("evictions"), count("expired"), level("items"),
    )

    @classmethod
    def calls_made(cls, values: dict[str, Any], request_class: str, operation: str | None) -> tuple[str, float]:
        return ("first", 1.0)  # along its first route (all of it: an upper bound, the hit ratio emerges from the run)

    def build(self) -> None:
        self.hits = self.misses = self.dynamic = 0
        self.served_kb = 0.0
        self.evictions = self.expired = self.items = 0  # the stores', as of the last window
        self._flushed = 0
        self._stores: dict[str, Store] = {}
        self._forward_cb = self._forward

    def configure(self) -> None:
        p = self.p
        sim = self.sim
        for store in self._stores.values():
            store.ttl = p["ttl_s"]
            store.resize(p["capacity_items"])
        chosen = p["static_classes"]
        if chosen:
            self._static = frozenset(c for c, w in chosen.items() if w > 0 and c in sim.operations)
        else:
            self._static = frozenset(c for c, op in sim.operations.items() if op == "read")
        self._kb = {c["name"]: float(c["response_kb"]) for c in sim.topology["workload"]["classes"]}
        self._edge_s = p["edge_latency_ms"] / 1000.0
        self._routes = {c: self.edges_for(c) for c in sim.class_names}
        geo = sim.geo
        # One-way seconds for users of each origin region: to the edge location (their access
        # network), and from it to the region of the origin that serves each class.
        self._access: dict[str, float] = {}
        self._to_origin: dict[str, dict[str, float]] = {}
        # A CDN placed in a region (against the advice above) has edges that carry the latency
        # from placement: it charges nothing more.
        here = self.region is None
        for origin in set(sim.origin_of.values()) | {""}:
            placed = origin or None
            self._access[origin] = geo.access / 1000.0 if placed and here else 0.0
            self._to_origin[origin] = {c: geo.region_ms(placed, routes[0].target.region) / 1000.0 if here else 0.0
                                       for c, routes in self._routes.items() if routes}

    def receive(self, req: Request, t: float) -> None:
        origin = self.sim.origin_of.get(req.source, "")
        access = self._access.get(origin, 0.0)
        cls = req.cls
        routes = self._routes[cls]
        if not routes:
            self.arrivals += 1
            self.fail(req, t, "dependency")
            return
        if cls in self._static:
            store = self._stores.get(origin)
            if store is None:
                store = self._stores[origin] = make_store("lru", self.p["capacity_items"], self.p["ttl_s"])
            if store.get(req.key, t):
                self.hits += 1
                self.served_kb += self._kb[cls]
                if req.trace is not None:
                    req.trace.append((self.id, t, 0.0, self._edge_s, None))
                # Nothing else happens on the way back, so it is paid like network latency.
                req.back += access + access + self._edge_s
                self.sim.reply(req, t)
                return
            self.misses += 1
            state: Any = store
        else:
            self.dynamic += 1
            state = _DYNAMIC
        if req.trace is not None:
            req.trace.append((self.id, t, 0.0, self._edge_s, None))
        # A call frame by hand (Component.call) so the way back from the origin's region is paid
        # before `resume` (the object reaches the edge then) and the access network after it.
        stack = req.stack
        if stack is None:
            stack = req.stack = []
        stack.append((self, state, req.back + access))
        distance = self._to_origin[origin][cls]
        req.back = distance
        delay = access + self._edge_s + distance
        if not delay:
            routes[0].deliver(req, t)
        else:
            self.schedule(t + delay, self._forward_cb, req)

    def _forward(self, req: Request, t: float) -> None:
        self._routes[req.cls][0].deliver(req, t)

    def resume(self, req: Request, state: Any, t: float) -> None:
        if state is not _DYNAMIC:
            state.put(req.key, t)
        self.served_kb += self._kb[req.cls]
        self.sim.reply(req, t)

    def set_param(self, name: str, value: Any, t: float) -> None:
        self._flush_time()  # requests so far took the old edge latency
        super().set_param(name, value, t)

    def _flush_time(self) -> None:
        """Every request the edge handled spent `edge_latency_ms` there (nothing waits at an edge
        location): its time samples and time integral, added in bulk."""
        handled = self.hits + self.misses + self.dynamic
        count = handled - self._flushed
        self._flushed = handled
        if count:
            self.lat.extend([self._edge_s] * count)
            self.area_n += count * self._edge_s

    def harvest(self, t: float) -> dict[str, Any]:
        self._flush_time()
        # Every request handled is passed on or answered; those refused (a crash, a class with
        # no route) are counted where they are refused.
        handled = self.hits + self.misses + self.dynamic
        self.arrivals += handled
        self.completions += handled
        return super().harvest(t)

    def measure(self, t: float) -> None:
        # Each edge location's store counts its evictions and expiries; the window takes them.
        self._flushed = 0  # `harvest` has just flushed the time of what was handled
        stores = self._stores.values()
        self.evictions = sum(s.evictions for s in stores)
        self.expired = sum(s.expired for s in stores)
        self.items = sum(len(s) for s in stores)
        for s in stores:
            s.evictions = s.expired = 0

    def accrue_cost(self, raw: dict[str, Any], span: float) -> float:
        prices = self.sim.prices
        return (per_million(prices["cdn_request_million"], raw["arrivals"])
                + prices["cdn_egress_gb"] * raw["served_kb"] / 1e6)

    @staticmethod
    def present_extra(raw: dict[str, Any], span: float) -> dict[str, Any]:
        hits, misses, dynamic = raw.get("hits", 0), raw.get("misses", 0), raw.get("dynamic", 0)
        handled = hits + misses + dynamic
        to_origin = misses + dynamic
        return {
            "origin_requests": to_origin,
            "offload": round(1.0 - to_origin / handled, 6) if handled else 0.0,
            "served_gb": round(raw.get("served_kb", 0.0) / 1e6, 9),
        }
