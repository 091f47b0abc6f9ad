"""Serverless function (AWS Lambda, Google Cloud Functions, Azure Functions): instances exist only
while there is work for them, and the price follows the work instead of the clock.

Each invocation needs an instance of its own for as long as it runs. One that finds an idle warm
instance starts at once; otherwise a new instance starts with a cold start (loading the runtime
and the code), up to a concurrency limit beyond which invocations are throttled (429). An
instance idle for longer than the keep-alive (`idle_timeout_s`) is reclaimed, so a quiet
function pays a cold start on its next request. Provisioned concurrency keeps that many
instances initialised for good, billed whether used or not.

Memory buys CPU: the platform gives a function CPU in proportion to its memory (on Lambda,
1769 MB is one vCPU), so the CPU-bound share of the work runs faster with more memory while the
rest (waiting on I/O) does not. `duration_ms` is the own work measured at `reference_memory_mb`;
at `memory_mb` it takes `duration_ms * ((1 - s) + s * reference_memory_mb / memory_mb)`, with
`s = cpu_bound_share`. This assumes the code can use all the CPU it gets (above 1769 MB, that is
several threads).

Price: GB-seconds (memory times billed time: initialisation, own work and the time spent waiting
on dependencies, since a function is synchronous) times `function_gb_second`, plus invocations
times `function_request_million`, plus provisioned instances times their memory times
`function_provisioned_gb_second` for every second they exist.

An invocation runs at most `timeout_s` (its handler; a cold start comes before): then it fails
with 504 wherever it is. To give up on a dependency that has not answered, the function calls
its dependencies with requests of its own (`spawn`); an answer that comes after the timeout is
thrown away, as the platform does. An instance that timed out is reset, so it is not reused.
"""
from __future__ import annotations

from collections import deque
from typing import Any

from ..params import Param
from ..cloud.pricing import per_million
from ..kernel.randomness import make_distribution
from ..kernel.request import Request
from ..metrics.declared import count, level, peak, per
from .base import Component
from ..parts.service_time import build_samplers, service_params



class Invocation:
    """One request while it holds an instance."""

    __slots__ = ("req", "arrived", "provisioned", "epoch", "step", "done")

    def __init__(self, req: Request, arrived: float, provisioned: bool, epoch: int) -> None:
        self.req = req
        self.arrived = arrived
        self.provisioned = provisioned
        self.epoch = epoch  # instances from before a crash are not reused
        self.step = 0
        self.done = False


class ServerlessFunction(Component):
    kind = "serverless_function"
    title = "Serverless function"
    group = "compute"
    icon = "lambda"
    summary = ("Instances created on demand (like AWS Lambda): cold starts after idle periods, a concurrency "
               "limit, and a price per request and per GB-second instead of per hour.")
    params = (
        Param("memory_mb", "integer", 1024,
              "Memory of each instance. The platform gives CPU in proportion (1769 MB is one vCPU), so the "
              "CPU-bound share of the work speeds up with it; the price per second rises with it too.",
              unit="MB", minimum=128, maximum=10_240),
        *service_params("duration", 100.0),
        Param("reference_memory_mb", "integer", 1024,
              "The memory at which duration_ms was measured: at any other memory_mb, the CPU-bound share of "
              "the work takes reference_memory_mb / memory_mb times as long.", unit="MB", minimum=128,
              maximum=10_240),
        Param("cpu_bound_share", "number", 0.5,
              "Share of the own work that is computing (it scales with memory) rather than waiting on "
              "I/O (it does not). 0: memory does not change the duration; 1: twice the memory, half the time.",
              minimum=0.0, maximum=1.0),
        Param("cold_start_ms", "number", 300.0,
              "Mean time to start a new instance (runtime, code and its initialisation) before it can run "
              "the request that made it start.", unit="ms", minimum=0.0, maximum=60_000.0),
        Param("cold_start_distribution", "choice", "lognormal",
              "Shape of the cold start time: lognormal (a long tail), exponential or deterministic.",
              choices=("lognormal", "exponential", "deterministic")),
        Param("cold_start_cv", "number", 0.5, "Variability of a lognormal cold start: standard deviation / mean.",
              minimum=0.01, maximum=20.0, when={"cold_start_distribution": ("lognormal",)}),
        Param("idle_timeout_s", "number", 300.0,
              "Keep-alive: an instance idle for longer than this is reclaimed, and the next request that "
              "needs it pays a cold start.", unit="s", minimum=0.0, maximum=86_400.0),
        Param("max_concurrency", "integer", 1000,
              "Invocations that may run at the same time (the account or function limit); more are "
              "throttled with 429.", minimum=1, maximum=100_000),
        Param("provisioned_concurrency", "integer", 0,
              "Instances kept initialised at all times: never reclaimed, no cold start, billed whether used "
              "or not.", minimum=0, maximum=100_000),
        Param("timeout_s", "number", 30.0,
              "Longest an invocation may run, dependencies included; then it fails with 504.", unit="s",
              minimum=0.001, maximum=900.0),
    )

    @classmethod
    def check(cls, values: dict[str, Any], callees: int) -> list[tuple[str, str]]:
        if values["provisioned_concurrency"] > values["max_concurrency"]:
            return [("provisioned_concurrency",
                     f"provisioned_concurrency ({values['provisioned_concurrency']}) cannot exceed "
                     f"max_concurrency ({values['max_concurrency']}): provisioned instances count against "
                     "the limit")]
        return []

    # -- set-up ---------------------------------------------------------------------------------

    metrics = (
        level("instances", attr="n_warm"), level("busy", attr="n"), level("provisioned", attr="_provisioned"),
        peak("concurrency_max", attr="_conc_max", start="n"),
        count("invocations"), count("cold_starts"), per("cold_start_ratio", "cold_starts", "invocations"),
        count("throttled"), count("timeouts"), count("gb_seconds", zero=0.0, digits=6),
    )

    def build(self) -> None:
        # Idle on-demand instances, by the time each became idle. They are appended in time
        # order and the newest is reused first, so the oldest (the first to be reclaimed)
        # are on the left: reclaiming is a pop from the left, done lazily when an arrival or
        # a window looks (an idle instance costs nothing, so nothing else needs to know).
        self._idle: deque[float] = deque()
        self._prov_idle = 0
        self._prov_busy = 0
        self.invocations = self.cold_starts = self.throttled = self.timeouts = 0
        self.gb_seconds = 0.0
        self._conc_max = 0
        self.n_warm = 0  # as of the last window (`measure`)
        self._epoch = 0
        self._work_done_cb = self._work_done
        self._finish_cb = self._finish
        # Requests present (Little's L) as sums of the times they came and went, like a
        # Station's: one addition per change instead of a mark (see `harvest`).
        self._s_in = self._s_out = 0.0
        self._n_open = 0
        self._t_open = self.sim.t_start
        self._deadline_cb = self._deadline

    def configure(self) -> None:
        p = self.p
        work, by_class = build_samplers(self, "duration", "work")
        self._work_pop, self._work_refill = work.buf.pop, work.refill
        self._work_by_class = by_class or None
        share = p["cpu_bound_share"]
        self._scale = (1.0 - share) + share * p["reference_memory_mb"] / p["memory_mb"]
        self._cold = make_distribution(p["cold_start_distribution"], p["cold_start_ms"] / 1000.0,
                                       p["cold_start_cv"], (), self.sim.streams.generator(f"node:{self.id}:cold"))
        self._memory_gb = p["memory_mb"] / 1024.0
        self._keep_s = p["idle_timeout_s"]
        self._limit = p["max_concurrency"]
        self._timeout = p["timeout_s"]
        self._routes = {c: self.edges_for(c) for c in self.sim.class_names}
        self._provisioned = p["provisioned_concurrency"]
        # New provisioned instances are initialised ahead of need; fewer retire once idle.
        self._prov_idle = max(0, self._provisioned - self._prov_busy)

    def wire(self) -> None:
        if self.down:
            # A crash loses the execution environments, idle or running (those running finish
            # their request first): after it, requests start cold. Provisioned ones are
            # re-provisioned by the platform.
            self._idle.clear()
            self._epoch += 1

    # -- invocations ----------------------------------------------------------------------------

    def receive(self, req: Request, t: float) -> None:
        self.arrivals += 1
        idle = self._idle
        if self._prov_idle:
            self._prov_idle -= 1
            self._prov_busy += 1
            provisioned, cold = True, 0.0
        else:
            provisioned = False
            # Reclaim the instances idle past their keep-alive (the oldest are on the left).
            limit = t - self._keep_s
            while idle and idle[0] < limit:
                idle.popleft()
            if idle:
                idle.pop()
                cold = 0.0
            elif self.n < self._limit:
                cold = self._cold.sample()
                self.cold_starts += 1
            else:
                self.throttled += 1
                self.fail(req, t, "throttled")
                return
        self.invocations += 1
        self._s_in += t
        n = self.n = self.n + 1
        if n > self._conc_max:
            self._conc_max = n
        req.t_node = t
        if self._work_by_class is not None and req.cls in self._work_by_class:
            work = self._work_by_class[req.cls].sample()
        else:
            try:
                work = self._work_pop()
            except IndexError:
                work = self._work_refill()
        work *= self._scale
        if req.trace is not None:
            req.trace.append((self.id, t, cold, work, None))  # a cold start shows as the wait
        inv = Invocation(req, t, provisioned, self._epoch)
        timeout = self._timeout
        if work > timeout:
            self.schedule(t + cold + timeout, self._deadline_cb, inv)
        elif self._routes[req.cls]:
            self.schedule(t + cold + work, self._work_done_cb, inv)
            # The clock also runs while it waits on its dependencies.
            self.schedule(t + cold + timeout, self._deadline_cb, inv)
        else:
            self.schedule(t + cold + work, self._finish_cb, inv)

    def _work_done(self, inv: Invocation, t: float) -> None:
        inv.step = 1
        self.spawn(inv.req, self._routes[inv.req.cls][0], t, inv)

    def _finish(self, inv: Invocation, t: float) -> None:
        self._end(inv, t, None)

    def resume(self, child: Request, inv: Invocation, t: float) -> None:
        if inv.done:
            return  # the invocation timed out; the late answer is thrown away
        routes = self._routes[inv.req.cls]
        step = inv.step
        if step < len(routes):
            inv.step = step + 1
            self.spawn(inv.req, routes[step], t, inv)
        else:
            self._end(inv, t, None)

    def abort(self, child: Request, inv: Invocation, t: float, cause: str) -> bool:
        if not inv.done:
            self._end(inv, t, "dependency")
        return True  # the call was the function's own request

    def _deadline(self, inv: Invocation, t: float) -> None:
        if not inv.done:
            self.timeouts += 1
            self._end(inv, t, "timeout")

    def _end(self, inv: Invocation, t: float, cause: str | None) -> None:
        """The invocation is over: bill it, free its instance, answer or fail the request."""
        inv.done = True
        spent = t - inv.arrived
        self.gb_seconds += spent * self._memory_gb  # the cold start is billed too
        self._s_out += t
        self.n -= 1
        if inv.provisioned:
            self._prov_busy -= 1
            if self._prov_idle + self._prov_busy < self._provisioned:
                self._prov_idle += 1
            elif cause != "timeout" and inv.epoch == self._epoch:
                self._idle.append(t)  # provisioned concurrency was lowered: it stays as on-demand
        elif cause != "timeout" and inv.epoch == self._epoch:  # one that timed out is reset
            self._idle.append(t)
        if cause is None:
            self.lat.append(spent)
            self.completions += 1
            self.sim.reply(inv.req, t)
        else:
            self.dropped_time += spent
            self.fail(inv.req, t, cause)

    # -- metrics and cost -----------------------------------------------------------------------

    def warm_instances(self, t: float) -> int:
        """Instances that exist now: running, idle within their keep-alive, or provisioned."""
        idle = self._idle
        limit = t - self._keep_s
        while idle and idle[0] < limit:
            idle.popleft()
        return self.n + len(idle) + self._prov_idle

    def mark(self, t: float) -> None:
        """Nothing to do: the time integral of requests present is kept as sums (`harvest`)."""

    def harvest(self, t: float) -> dict[str, Any]:
        n = self.n
        self.area_n = self._s_out - self._s_in + n * t - self._n_open * self._t_open
        self._s_in = self._s_out = 0.0
        self._n_open, self._t_open = n, t
        return super().harvest(t)

    def measure(self, t: float) -> None:
        self.n_warm = self.warm_instances(t)

    def accrue_cost(self, raw: dict[str, Any], span: float) -> float:
        prices = self.sim.prices
        return (raw["gb_seconds"] * prices["function_gb_second"]
                + per_million(prices["function_request_million"], raw["invocations"])
                + self._provisioned * self._memory_gb * span * prices["function_provisioned_gb_second"])
