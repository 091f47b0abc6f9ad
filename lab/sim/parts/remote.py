"""A remote service: a node with no queue of its own, whose calls each take a latency drawn from a
distribution however many are in flight, fail at an error rate, and are refused beyond a rate
limit (a token bucket). The part third-party APIs and object storage are built from."""
from __future__ import annotations

from typing import Any, ClassVar

from ..params import Param
from ..kernel.randomness import DISTRIBUTIONS, Distribution, Draws, make_distribution
from ..kernel.request import Request
from ..components.base import Component
from ..metrics.declared import Metric, peak

MAX_LATENCY_MS = 600_000.0


def latency_params(samples_note: str = "") -> tuple[Param, ...]:
    """The shape of a remote service's latency (the mean is declared by each kind)."""
    return (
        Param("latency_distribution", "choice", "lognormal",
              "Shape of the latency: exponential (memoryless), deterministic (always the same), lognormal "
              "(a long tail, set by its variability; what measured API latencies usually look like), "
              "empirical (resampled from measured latencies).", choices=DISTRIBUTIONS),
        Param("latency_cv", "number", 1.0, "Variability of a lognormal latency: standard deviation / mean.",
              minimum=0.01, maximum=20.0, when={"latency_distribution": ("lognormal",)}),
        Param("latency_samples_ms", "numbers", [], f"Measured latencies to resample from{samples_note}.", unit="ms",
              minimum=0.0, maximum=MAX_LATENCY_MS, when={"latency_distribution": ("empirical",)}),
    )


def error_rate_param(default: float) -> Param:
    return Param("error_rate", "number", default,
                 "Share of calls that come back with an error (500) after their latency.", minimum=0.0, maximum=1.0)


def check_latency(values: dict[str, Any]) -> list[tuple[str, str]]:
    if values["latency_distribution"] == "empirical" and not values["latency_samples_ms"]:
        return [("latency_samples_ms", "latency_distribution is empirical, so latency_samples_ms needs at least "
                                       "one measured latency to resample from")]
    return []


class RemoteService(Component):
    """A node with no queue: each call is answered (or fails) after its own latency, however many
    are in flight. A subclass sets, in `configure`, `_default` (the latency distribution),
    `_by_class` (class -> distribution where it differs, or None) and calls `_configure_remote`;
    a subclass that builds anything of its own calls `super().build()`."""

    _default: Distribution
    _by_class: dict[str, Distribution] | None
    metrics: ClassVar[tuple[Metric, ...]] = (peak("in_flight_max", start="n"),)

    def _distribution(self, stream: str, mean_ms: float) -> Distribution:
        p = self.p
        gen = self.sim.streams.generator(f"node:{self.id}:{stream}")
        samples = [x / 1000.0 for x in p["latency_samples_ms"]]
        return make_distribution(p["latency_distribution"], mean_ms / 1000.0, p["latency_cv"], samples, gen)

    def build(self) -> None:
        self._done_cb = self._done
        self._errors = Draws(self.sim.streams.generator(f"node:{self.id}:errors"), "uniform")
        self.in_flight_max = 0

    def _configure_remote(self) -> None:
        self._pop = self._default.buf.pop
        self._refill = self._default.refill
        self._error_rate = self.p["error_rate"]

    def admit(self, req: Request, t: float) -> bool:
        """Whether the call is let in (a rate limit says no by failing it)."""
        return True

    def receive(self, req: Request, t: float) -> None:
        self.arrivals += 1
        if not self.admit(req, t):
            return
        by_class = self._by_class
        dist = by_class.get(req.cls) if by_class is not None else None
        if dist is not None:
            svc = dist.sample()
        else:
            try:
                svc = self._pop()
            except IndexError:
                svc = self._refill()
        self.mark(t)
        n = self.n = self.n + 1
        if n > self.in_flight_max:
            self.in_flight_max = n
        req.t_node = t
        if req.trace is not None:
            req.trace.append((self.id, t, 0.0, svc, None))
        self.schedule(t + svc, self._done_cb, req)

    def _done(self, req: Request, t: float) -> None:
        self.mark(t)
        self.n -= 1
        if self._error_rate and self._errors.next() < self._error_rate:
            # Little's law counts the time the failed call spent here.
            self.dropped_time += t - req.t_node
            self.fail(req, t, "error")
            return
        self.completions += 1
        self.answered(req)
        self.lat.append(t - req.t_node)
        self.sim.reply(req, t)

    def answered(self, req: Request) -> None:
        """A call succeeded (for the bill)."""
