"""API gateway: the single front door of an API. It terminates TLS, checks who is calling,
rewrites the request if asked to, and routes each request class to the service behind it (its
outgoing edges, filtered by their `classes`). It holds every request until the service's answer
comes back through it, so it can cap how many it holds at once.

Its own work is a fixed time per request (TLS + authentication + transformation): a managed
gateway scales out by itself, so it adds latency rather than queueing. Authentication can be
cheapened by a token cache: a request whose token was checked recently skips the check.

A class no edge accepts fails at once with cause `error` (500): a real gateway would answer 404
(no route), which the engine's causes do not distinguish from other errors in a component.
Beyond `max_in_flight` requests held at once, new ones are refused with 429 (`throttled`), as
managed gateways throttle.
"""
from __future__ import annotations

from typing import Any

from ..params import Param
from ..cloud.pricing import per_million
from ..kernel.randomness import Draws
from ..kernel.request import Request
from ..metrics.declared import count, level, peak
from .base import Component, Edge


class ApiGateway(Component):
    kind = "api_gateway"
    title = "API gateway"
    group = "edge"
    icon = "door"
    summary = "One front door for an API: TLS, authentication and routing of each request class to its service."
    min_callees = 1
    params = (
        Param("tls_ms", "number", 0.5,
              "Time to decrypt a request and encrypt its response (TLS termination, on a kept-alive connection).",
              unit="ms", minimum=0.0, maximum=10_000.0),
        Param("auth_ms", "number", 1.0,
              "Time to check the caller's credentials (verify a token's signature, look up an API key). 0: no check.",
              unit="ms", minimum=0.0, maximum=60_000.0),
        Param("token_cache_hit", "number", 0.0,
              "Share of requests whose token the gateway checked recently and cached; they skip the check.",
              minimum=0.0, maximum=1.0),
        Param("transform_ms", "number", 0.0,
              "Time to rewrite each request and its response (headers, payload mapping), if the gateway does.",
              unit="ms", minimum=0.0, maximum=60_000.0),
        Param("max_in_flight", "integer", 0,
              "Requests the gateway holds at once, including those waiting on the services behind it; "
              "more are refused with 429 (throttled). 0: no limit.",
              minimum=0, maximum=10_000_000),
    )

    metrics = (
        count("unrouted"), count("throttled"), count("auth_checks"),
        count("token_cache_hits", attr="token_hits"),
        level("in_flight"), peak("in_flight_max", start="in_flight"),
    )

    @classmethod
    def calls_made(cls, values: dict[str, Any], request_class: str, operation: str | None) -> tuple[str, float]:
        return ("first", 1.0)  # along its first route (its route for the class)

    def build(self) -> None:
        self.in_flight = 0
        self.in_flight_max = 0
        self.unrouted = self.throttled = self.auth_checks = self.token_hits = 0
        draws = Draws(self.sim.streams.generator(f"node:{self.id}:tokens"), "uniform")
        self._u_pop = draws.buf.pop
        self._u_refill = draws.refill
        self._forward_cb = self._forward

    def configure(self) -> None:
        p = self.p
        self._base_s = (p["tls_ms"] + p["transform_ms"]) / 1000.0
        self._auth_s = p["auth_ms"] / 1000.0
        self._p_hit = p["token_cache_hit"]
        self._limit = p["max_in_flight"]
        # The first edge that accepts a class is its route, as for a traffic source.
        self._routes: dict[str, Edge] = {}  # classes with no route are not in it
        for cls in self.sim.class_names:
            routes = self.edges_for(cls)
            if routes:
                self._routes[cls] = routes[0]

    def receive(self, req: Request, t: float) -> None:
        self.arrivals += 1
        if req.cls not in self._routes:
            self.unrouted += 1
            self.fail(req, t, "error")
            return
        in_flight = self.in_flight
        if self._limit and in_flight >= self._limit:
            self.throttled += 1
            self.fail(req, t, "throttled")
            return
        in_flight += 1
        self.in_flight = in_flight
        if in_flight > self.in_flight_max:
            self.in_flight_max = in_flight
        work = self._base_s
        if self._auth_s:
            if self._p_hit:
                try:
                    u = self._u_pop()
                except IndexError:
                    u = self._u_refill()
                if u < self._p_hit:
                    self.token_hits += 1
                else:
                    self.auth_checks += 1
                    work += self._auth_s
            else:
                self.auth_checks += 1
                work += self._auth_s
        req.t_node = t
        if req.trace is not None:
            req.trace.append((self.id, t, 0.0, work, None))
        if work:
            self.mark(t)
            self.n += 1
            self.schedule(t + work, self._forward_cb, req)
        else:
            self.completions += 1
            self.lat.append(0.0)
            self._route(req, t)

    def _forward(self, req: Request, t: float) -> None:
        self.mark(t)
        self.n -= 1
        self.completions += 1
        self.lat.append(t - req.t_node)
        self._route(req, t)

    def _route(self, req: Request, t: float) -> None:
        # A frame, so the gateway knows when the answer has passed back through it. (Routes
        # change only with the edges, never while a request is being processed.)
        self.call(req, self._routes[req.cls], t, None)

    def resume(self, req: Request, state: Any, t: float) -> None:
        self.in_flight -= 1
        self.sim.reply(req, t)

    def abort(self, req: Request, state: Any, t: float, cause: str) -> bool:
        self.in_flight -= 1
        return False

    # -- metrics --------------------------------------------------------------------------------

    def accrue_cost(self, raw: dict[str, Any], span: float) -> float:
        return per_million(self.sim.prices["api_gateway_million"], raw["arrivals"])
