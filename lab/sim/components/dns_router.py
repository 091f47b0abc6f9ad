"""DNS routing (Route 53 / Cloud DNS style): sends each user to one of several regional entry
points (its outgoing edges, e.g. each region's load balancer) by latency, by geography or by
weights, and takes a region out of its answers when health checks find its entry point dead.

DNS is resolved at the client, so the router is not placed in a region. It charges the path the
answer sends the user on: the users' access network plus the distance from their origin region
to the chosen region (both ways: the response travels back), plus the resolver's latency when the
client had to resolve. (Leave `latency_ms` unset on the users' edge to it: an unplaced node's
edges get none from placement. A router placed in a region charges nothing itself: its edges
carry the latency.)

Each client caches its answer for the TTL (its first answer for a random part of it, so that
clients do not all resolve again at the same moment). That is the lesson of DNS failover: once health checks
notice a dead region, new answers avoid it, but clients holding a cached answer keep going to the
dead region until it expires, so an outage lasts about detection delay + TTL for them.
"""
from __future__ import annotations

import bisect
from typing import Any

from ..params import Param
from ..cloud.pricing import HOURS_PER_MONTH, per_hour, per_million
from ..kernel.randomness import Draws
from ..kernel.request import Request
from ..metrics.declared import count, level, per
from .base import Component, Edge

POLICIES = ("latency", "geo", "weighted")
_REGION = "region:"  # raw counter prefix: requests sent to each target region


class DnsRouter(Component):
    kind = "dns_router"
    watches_health = True
    title = "DNS router"
    group = "edge"
    icon = "globe"
    summary = ("DNS with latency, geo or weighted routing to regional entry points; health checks fail over, "
               "but clients keep a cached answer until its TTL expires.")
    min_callees = 1
    uses_clients = True
    params = (
        Param("policy", "choice", "latency",
              "Latency: each user to the nearest healthy region by the latency table. Geo: users to a target in "
              "their own region; users from elsewhere (or whose region is unhealthy) to the default, the first "
              "healthy target in edge order. Weighted: split by the weights.",
              choices=POLICIES),
        Param("weights", "weights", {},
              "Share of answers for each target, named by its node id or its region, e.g. "
              "{\"us-west\": 3, \"ap-northeast\": 1}. A target not named gets none; empty: equal shares.",
              minimum=0.0, maximum=1e6, when={"policy": ("weighted",)}),
        Param("ttl_s", "number", 60.0, "How long a client caches its answer before resolving again. "
              "0: every request resolves.", unit="s", minimum=0.0, maximum=86_400.0),
        Param("resolution_ms", "number", 30.0, "Extra time a client waits when it has to resolve "
              "(its cached answer expired): the recursive resolver asking the authoritative servers.",
              unit="ms", minimum=0.0, maximum=10_000.0),
        Param("health_check_interval_s", "number", 10.0, "Time between health checks of each target.",
              unit="s", minimum=1.0, maximum=3600.0),
        Param("unhealthy_threshold", "integer", 3,
              "Failed checks in a row before a target leaves the answers (and passed checks before it returns).",
              minimum=1, maximum=100),
    )

    @classmethod
    def check(cls, values: dict[str, Any], callees: int) -> list[tuple[str, str]]:
        weights = values.get("weights") or {}
        if values.get("policy") == "weighted" and weights and not any(w > 0 for w in weights.values()):
            return [("weights", "weighted routing needs at least one target with a weight above 0")]
        return []

    metrics = (
        count("resolutions"), count("cached_answers", attr="cached"),
        per("cache_ratio", "cached_answers", ("resolutions", "cached_answers")),
        count("misrouted"), count("stale_answers", attr="stale"), count("failovers"),
        level("healthy_targets", attr="n_healthy"), level("targets", attr="n_targets"),
    )

    @classmethod
    def calls_made(cls, values: dict[str, Any], request_class: str, operation: str | None) -> tuple[str, float]:
        return ("one_of", 1.0)  # each request goes to one target

    def build(self) -> None:
        self._healthy = [True] * len(self.out)
        self._answers: dict[int, tuple[int, float]] = {}  # client -> (edge index, expires at)
        self._sources: dict[str, tuple[list[float], list[int], int]] = {}
        self._bases: dict[str, int] = {}
        self._sent = [0] * len(self.out)
        self.resolutions = self.cached = self.misrouted = self.stale = self.failovers = 0
        self.n_healthy = self.n_targets = 0  # as of the last window
        self._uniform = Draws(self.sim.streams.generator(f"node:{self.id}:weights"), "uniform")
        self._probe_phase = Draws(self.sim.streams.generator(f"node:{self.id}:probes"), "uniform")
        self._phase = Draws(self.sim.streams.generator(f"node:{self.id}:phases"), "uniform")
        self._forward_cb = self._forward
        self._paths: dict[str, tuple[list[float], list[int]]] = {}

    def configure(self) -> None:
        p = self.p
        self.policy = p["policy"]
        self._ttl = p["ttl_s"]
        self._resolve_s = p["resolution_ms"] / 1000.0
        self._paths.clear()  # the policy decides each origin's order of preference
        self._sources.clear()
        self._filtered = any(e.classes is not None for e in self.out)
        self._labels = [e.target.region or e.target.id for e in self.out]
        self._build_weights()

    # -- answering ------------------------------------------------------------------------------

    def receive(self, req: Request, t: float) -> None:
        self._route(req, t, False)

    def refuse(self, req: Request, t: float) -> None:
        # The DNS service is down: only clients whose cached answer is still fresh get anywhere.
        self._route(req, t, True)

    def _route(self, req: Request, t: float, down: bool) -> None:
        self.arrivals += 1
        source = self._sources.get(req.source)
        if source is None:
            source = self._source(req.source)
        dist, order, base = source
        ttl = self._ttl
        out = self.out
        key = base + req.client
        entry = self._answers.get(key) if ttl else None
        if entry is not None and entry[1] > t and (not self._filtered or out[entry[0]].accepts(req.cls)):
            i = entry[0]
            delay = 0.0
            self.cached += 1
            if not self._healthy[i]:
                self.stale += 1  # the router already knows better, but the client's cache does not
        else:
            if down:
                self.fail(req, t, "fault")
                return
            i = self._resolve(order, req.cls)
            if i < 0:
                self.fail(req, t, "dependency")
                return
            self.resolutions += 1
            delay = self._resolve_s
            if ttl:
                if entry is None:
                    # A client's first answer lasts a random part of the TTL, so the clients'
                    # answers expire at scattered times, as in a system that has been running
                    # for a while, not all together one TTL after the run starts.
                    self._answers[key] = (i, t + ttl * (1.0 - self._phase.next()))
                else:
                    self._answers[key] = (i, t + ttl)
        self._sent[i] += 1
        edge = out[i]
        if edge.target.down:
            self.misrouted += 1
        one_way = dist[i]
        req.back += one_way  # the response comes back the same way
        delay += one_way
        if req.trace is not None:
            req.trace.append((self.id, t, 0.0, delay, None))
        if not delay:
            self.completions += 1
            self.lat.append(0.0)
            edge.deliver(req, t)
            return
        self.mark(t)
        self.n += 1
        req.t_node = t
        self.schedule(t + delay, self._forward_cb, (req, i))

    def _source(self, source_id: str) -> tuple[list[float], list[int], int]:
        """What the router keeps per traffic source: the paths of its users' origin region, and
        where its clients' ids start in the answer cache."""
        origin = self.sim.origin_of.get(source_id, "")
        paths = self._paths.get(origin)
        if paths is None:
            paths = self._paths[origin] = self._paths_from(origin)
        base = self._bases.setdefault(source_id, len(self._bases) << 32)  # stable across setups
        entry = self._sources[source_id] = (paths[0], paths[1], base)
        return entry

    def _forward(self, arg: tuple[Request, int], t: float) -> None:
        req, i = arg
        self.mark(t)
        self.n -= 1
        self.completions += 1
        self.lat.append(t - req.t_node)
        self.out[i].deliver(req, t)

    def _paths_from(self, origin: str) -> tuple[list[float], list[int]]:
        """For users of one origin region: the one-way time to each target (access network plus
        the distance between regions) and the targets in this policy's order of preference."""
        geo = self.sim.geo
        placed = origin or None
        ms = [geo.access + geo.region_ms(placed, e.target.region) if placed else 0.0 for e in self.out]
        indices = list(range(len(self.out)))
        if self.policy == "geo":
            order = [i for i in indices if placed and self.out[i].target.region == placed] + indices
        else:
            order = sorted(indices, key=lambda i: (ms[i], i))  # ties: edge order, reproducibly
        # A router placed in a region (against the advice above) has edges that carry the
        # latency from placement: it charges nothing more.
        dist = [0.0 if self.region else x / 1000.0 for x in ms]
        return dist, order

    def _resolve(self, order: list[int], cls: str) -> int:
        """The edge index of the answer, or -1 if no target takes this class. When every target
        is unhealthy, DNS answers as if all were healthy (as Route 53 does): better a chance than
        nothing."""
        healthy = self._healthy
        anyone = any(healthy)
        if self.policy == "weighted":
            cum, picks = self._cum if anyone else self._cum_all
            if cum:
                i = picks[bisect.bisect_right(cum, self._uniform.next() * cum[-1])]
                if self.out[i].accepts(cls):
                    return i
            order = picks or list(range(len(self.out)))
        out = self.out
        for i in order:
            if (healthy[i] or not anyone) and out[i].accepts(cls):
                return i
        return -1

    def _build_weights(self) -> None:
        weights = self.p["weights"]

        def weight(e: Edge) -> float:
            if not weights:
                return 1.0
            return float(weights.get(e.target.id, weights.get(e.target.region or "", 0.0)))

        def table(only_healthy: bool) -> tuple[list[float], list[int]]:
            cum: list[float] = []
            picks: list[int] = []
            total = 0.0
            for i, e in enumerate(self.out):
                w = weight(e)
                if w > 0 and (self._healthy[i] or not only_healthy):
                    total += w
                    cum.append(total)
                    picks.append(i)
            return cum, picks

        self._cum = table(True)
        self._cum_all = table(False)

    # -- health checks (called by lab/sim/faults.py, as for a load balancer) --------------------

    def detection_delay(self) -> float:
        """Time from a target's change of health to the answers changing: the first probe comes
        at a random point of the interval, then `unhealthy_threshold - 1` more."""
        interval = self.p["health_check_interval_s"]
        return interval * (self._probe_phase.next() + self.p["unhealthy_threshold"] - 1)

    def set_target_health(self, target_id: str, healthy: bool, t: float) -> None:
        changed = False
        for i, e in enumerate(self.out):
            if e.target.id == target_id and self._healthy[i] != healthy:
                self._healthy[i] = healthy
                changed = True
        if changed:
            self._build_weights()
            if not healthy:
                self.failovers += 1
            self.sim.record({"type": "dns_failover", "node": self.id, "target": target_id, "healthy": healthy}, t)

    # -- metrics and cost -----------------------------------------------------------------------

    def measure(self, t: float) -> None:
        self.n_healthy = sum(self._healthy)
        self.n_targets = len(self.out)

    def harvest_extra(self, t: float) -> dict[str, Any]:
        # Requests sent to each target region, by the regions' labels.
        out: dict[str, Any] = {}
        for label in self._labels:
            out.setdefault(_REGION + label, 0)
        for label, sent in zip(self._labels, self._sent):
            out[_REGION + label] += sent
        self._sent = [0] * len(self.out)
        return out

    def accrue_cost(self, raw: dict[str, Any], span: float) -> float:
        prices = self.sim.prices
        return (per_million(prices["dns_query_million"], raw["resolutions"])
                + per_hour(prices["dns_zone_month"] / HOURS_PER_MONTH, span))

    @staticmethod
    def present_extra(raw: dict[str, Any], span: float) -> dict[str, Any]:
        by_region = {k[len(_REGION):]: v for k, v in sorted(raw.items()) if k.startswith(_REGION)}
        sent = sum(by_region.values())
        return {
            "requests_by_region": by_region,
            "share_by_region": {r: round(n / sent, 6) if sent else 0.0 for r, n in by_region.items()},
        }
