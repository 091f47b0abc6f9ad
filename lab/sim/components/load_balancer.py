"""Load balancer: spreads requests over its targets (its outgoing edges) by a policy, and stops
sending to a target that its health checks find dead."""
from __future__ import annotations

import bisect
import hashlib
from typing import Any

from ..params import Param
from ..cloud.pricing import per_hour, per_million
from ..kernel.randomness import Draws
from ..kernel.request import Request
from ..parts.hashing import mix64
from ..metrics.declared import level
from .base import Component, Edge

POLICIES = ("round_robin", "random", "least_connections", "power_of_two", "sticky", "consistent_hash")


def ring_point(label: str) -> int:
    return int.from_bytes(hashlib.blake2b(label.encode("utf-8"), digest_size=8).digest(), "little")


class LoadBalancer(Component):
    kind = "load_balancer"
    watches_health = True
    counts_sent = True
    title = "Load balancer"
    group = "edge"
    icon = "split"
    summary = "Spreads requests over several targets; health checks take dead targets out of rotation."
    min_callees = 1
    params = (
        Param("policy", "choice", "round_robin",
              "Round robin: in turn. Random. Least connections: the target with fewest requests in flight. "
              "Power of two: the less busy of two random targets. Sticky: the same client always to the same target "
              "(hash mod N). Consistent hash: a hash ring, so few clients move when targets change.",
              choices=POLICIES),
        Param("hash_on", "choice", "client", "What sticky and consistent hashing hash: the client (session) or the data key.",
              choices=("client", "key"), when={"policy": ("sticky", "consistent_hash")}),
        Param("virtual_nodes", "integer", 100, "Points per target on the consistent-hash ring; more points, more even spread.",
              minimum=1, maximum=1000, when={"policy": ("consistent_hash",)}),
        Param("latency_ms", "number", 0.0, "Time the balancer adds to each request.", unit="ms", minimum=0.0, maximum=10_000.0),
        Param("health_check_interval_s", "number", 5.0, "Time between health checks of each target.",
              unit="s", minimum=0.1, maximum=3600.0),
        Param("unhealthy_threshold", "integer", 2, "Failed checks in a row before a target is taken out (and passed checks before it is put back).",
              minimum=1, maximum=100),
    )

    @classmethod
    def uses_keys_with(cls, values: dict[str, Any]) -> bool:
        return values["policy"] in ("sticky", "consistent_hash") and values["hash_on"] == "key"

    @classmethod
    def uses_clients_with(cls, values: dict[str, Any]) -> bool:
        return values["policy"] in ("sticky", "consistent_hash") and values["hash_on"] == "client"

    metrics = (level("healthy_targets", attr="n_healthy"), level("targets", attr="n_targets"))

    @classmethod
    def calls_made(cls, values: dict[str, Any], request_class: str, operation: str | None) -> tuple[str, float]:
        return ("one_of", 1.0)  # each request goes to one target

    def build(self) -> None:
        self.active: list[Edge] = list(self.out)
        self.outstanding: dict[str, int] = {e.id: 0 for e in self.out}
        self._sent_counted = 0
        self.n_healthy = self.n_targets = 0  # as of the last window
        self._rr = 0
        gen = self.sim.streams.generator(f"lb:{self.id}")
        self._uniform = Draws(gen, "uniform")
        self._probe_phase = Draws(self.sim.streams.generator(f"lb:{self.id}:probes"), "uniform")
        self._forward_cb = self._forward

    def configure(self) -> None:
        p = self.p
        self.policy = p["policy"]
        self._by_key = p["hash_on"] == "key"
        self._delay = p["latency_ms"] / 1000.0
        self._tracks_connections = self.policy in ("least_connections", "power_of_two")
        self._filtered = any(e.classes is not None for e in self.out)
        self._build_ring()
        simple = not self._delay and not self._filtered
        self.fast_receive = self._receive_round_robin if simple and self.policy == "round_robin" else None

    def _build_ring(self) -> None:
        if self.p["policy"] != "consistent_hash":
            self._ring_points: list[int] = []
            self._ring_edges: list[Edge] = []
            return
        points = []
        for edge in self.active:
            for i in range(self.p["virtual_nodes"]):
                points.append((ring_point(f"{edge.target.id}#{i}"), edge.id, edge))
        points.sort(key=lambda item: (item[0], item[1]))
        self._ring_points = [pt for pt, _, _ in points]
        self._ring_edges = [edge for _, _, edge in points]

    def _receive_round_robin(self, req: Request, t: float) -> None:
        """The common case, without the general path's branches. (Arrivals are counted from
        the edges' `sent` counters when the window closes.)"""
        active = self.active
        i = self._rr
        if i >= len(active):
            if not active:
                self.arrivals += 1
                self.fail(req, t, "overloaded")
                return
            i = 0
        self._rr = i + 1
        edge = active[i]
        edge.sent += 1
        edge.deliver(req, t)

    # -- choosing a target ----------------------------------------------------------------------

    def receive(self, req: Request, t: float) -> None:
        if self._delay:
            self.mark(t)
            self.n += 1
            req.t_node = t
            self.schedule(t + self._delay, self._forward_cb, req)
        else:
            self._forward(req, t)

    def _forward(self, req: Request, t: float) -> None:
        if self._delay:
            self.mark(t)
            self.n -= 1
            self.lat.append(t - req.t_node)
        candidates = self.active
        if self._filtered:
            candidates = [e for e in candidates if e.classes is None or req.cls in e.classes]
        if not candidates:
            # No healthy target: the balancer answers 503 itself, as real ones do.
            self.arrivals += 1
            self.fail(req, t, "overloaded")
            return
        edge = self._choose(req, candidates)
        edge.sent += 1
        if self._tracks_connections:
            self.outstanding[edge.id] += 1
            self.call(req, edge, t, edge.id)
        else:
            edge.deliver(req, t)

    def _choose(self, req: Request, candidates: list[Edge]) -> Edge:
        policy = self.policy
        n = len(candidates)
        if policy == "round_robin":
            i = self._rr
            if i >= n:
                i = 0
            self._rr = i + 1
            return candidates[i]
        if policy == "random":
            return candidates[int(self._uniform.next() * n)]
        if policy == "least_connections":
            outstanding = self.outstanding
            # Ties go to the first in edge order, which keeps runs reproducible.
            return min(candidates, key=lambda e: outstanding[e.id])
        if policy == "power_of_two":
            if n == 1:
                return candidates[0]
            a = int(self._uniform.next() * n)
            b = int(self._uniform.next() * (n - 1))
            if b >= a:
                b += 1
            ea, eb = candidates[a], candidates[b]
            return eb if self.outstanding[eb.id] < self.outstanding[ea.id] else ea
        value = mix64(req.key if self._by_key else req.client)
        if policy == "sticky":
            return candidates[value % n]
        points = self._ring_points
        if not points or candidates is not self.active:
            return candidates[value % n]
        i = bisect.bisect_left(points, value)
        return self._ring_edges[i if i < len(points) else 0]

    def resume(self, req: Request, state: Any, t: float) -> None:
        self.outstanding[state] -= 1
        self.sim.reply(req, t)

    def abort(self, req: Request, state: Any, t: float, cause: str) -> bool:
        self.outstanding[state] -= 1
        return False

    # -- health checks --------------------------------------------------------------------------

    def detection_delay(self) -> float:
        """Time from a target's change of health to the balancer acting on it: the first probe
        comes at a random point of the interval, then `unhealthy_threshold - 1` more."""
        interval = self.p["health_check_interval_s"]
        return interval * (self._probe_phase.next() + self.p["unhealthy_threshold"] - 1)

    def set_target_health(self, target_id: str, healthy: bool, t: float) -> None:
        edges = [e for e in self.out if e.target.id == target_id]
        changed = False
        for edge in edges:
            if healthy and edge not in self.active:
                self.active.append(edge)
                changed = True
            elif not healthy and edge in self.active:
                self.active.remove(edge)
                changed = True
        if changed:
            # Keep edge order so round robin and the ring stay reproducible.
            order = {e.id: i for i, e in enumerate(self.out)}
            self.active.sort(key=lambda e: order[e.id])
            self._build_ring()
            self.sim.record({"type": "health_check", "node": self.id, "target": target_id,
                             "healthy": healthy}, t)

    def harvest(self, t: float) -> dict[str, Any]:
        # Every request that reached the balancer was either sent on (edge counters) or refused
        # (counted where it is refused): no per-request counter on the hot path.
        sent = sum(e.sent for e in self.out)
        self.arrivals += sent - self._sent_counted
        self._sent_counted = sent
        raw = super().harvest(t)
        # A balancer passes on every request it does not refuse.
        raw["completions"] = raw["arrivals"] - sum(raw["failures"].values())
        return raw

    def measure(self, t: float) -> None:
        self.n_healthy = len(self.active)
        self.n_targets = len(self.out)

    def accrue_cost(self, raw: dict[str, Any], span: float) -> float:
        prices = self.sim.prices
        return per_hour(prices["load_balancer_hour"], span) + per_million(prices["load_balancer_million"], raw["arrivals"])
