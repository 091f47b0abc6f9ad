"""Third-party API: a service someone else runs (payments, delegated sign-in, maps, e-mail). You
cannot add capacity to it or see its queue; what you see is its latency, its errors, its rate
limit and its bill. So it is modelled from the outside: every call takes a latency drawn from a
distribution, however many are in flight (its concurrency is the provider's problem), fails with
500 at the error rate, and is refused with 429 beyond the rate limit (a token bucket, as most
providers document theirs).

Its behaviour is the remote-service part (lab/sim/parts/remote.py), shared with object storage.
"""
from __future__ import annotations

import math
from typing import Any
from ..params import Param
from ..kernel.request import Request
from ..metrics.declared import count
from ..parts.remote import MAX_LATENCY_MS, RemoteService, check_latency, error_rate_param, latency_params


class ThirdPartyApi(RemoteService):
    kind = "third_party_api"
    title = "Third-party API"
    group = "external"
    icon = "globe"
    summary = ("An outside service (payments, sign-in, maps): its own latency, error rate and rate limit, "
               "no queue you can see, and a price per call.")
    max_callees = 0
    metrics = (count("billed_calls", attr="billed"), *RemoteService.metrics)
    params = (
        Param("latency_ms", "number", 200.0, "Mean time the provider takes to answer a call.", unit="ms",
              minimum=0.0, maximum=MAX_LATENCY_MS),
        *latency_params(" (the means are then not used)"),
        Param("latency_ms_by_class", "weights", {},
              "Mean latency per request class where it differs, e.g. {\"refund\": 900}.", unit="ms",
              minimum=0.0, maximum=MAX_LATENCY_MS),
        error_rate_param(0.001),
        Param("rate_limit_per_s", "number", 100.0,
              "Calls per second the provider accepts from you (a token bucket); beyond it calls fail at once "
              "with 429. 0: no limit.", unit="requests/s", minimum=0.0, maximum=1_000_000.0),
        Param("rate_limit_burst", "integer", 0,
              "Calls the bucket holds: how many may come at once after a quiet spell. "
              "0: one second's worth (rate_limit_per_s).", minimum=0, maximum=10_000_000),
        Param("price_per_call_usd", "number", 0.001, "What one successful call costs you.", unit="USD",
              minimum=0.0, maximum=1000.0),
    )

    @classmethod
    def check(cls, values: dict[str, Any], callees: int) -> list[tuple[str, str]]:
        problems = check_latency(values)
        rate = values["rate_limit_per_s"]
        if 0 < rate and values["rate_limit_burst"] == 0 and rate < 1:
            problems.append(("rate_limit_burst", f"with a rate limit of {rate:g} calls/s, one second's worth is "
                                                 "less than one call, so every call would be refused: set "
                                                 "rate_limit_burst to at least 1"))
        return problems

    def build(self) -> None:
        super().build()
        self._tokens = math.inf  # the bucket starts full (`configure` caps it at the burst)
        self._t_tokens = self.sim.t_start
        self.billed = 0

    def configure(self) -> None:
        p = self.p
        self._default = self._distribution("latency", p["latency_ms"])
        self._by_class = {c: self._distribution(f"latency:{c}", ms)
                          for c, ms in sorted(p["latency_ms_by_class"].items())} or None
        self._configure_remote()
        rate = p["rate_limit_per_s"]
        burst = float(p["rate_limit_burst"] or rate)
        self._tokens = min(self._tokens, burst)
        self._rate = rate
        self._burst = burst

    def admit(self, req: Request, t: float) -> bool:
        rate = self._rate
        if not rate:
            return True
        tokens = self._tokens + (t - self._t_tokens) * rate
        if tokens > self._burst:
            tokens = self._burst
        self._t_tokens = t
        if tokens >= 1.0:
            self._tokens = tokens - 1.0
            return True
        self._tokens = tokens
        self.fail(req, t, "rate_limited")
        return False

    def answered(self, req: Request) -> None:
        self.billed += 1

    def accrue_cost(self, raw: dict[str, Any], span: float) -> float:
        return self.p["price_per_call_usd"] * raw["billed_calls"]

    @staticmethod
    def present_extra(raw: dict[str, Any], span: float) -> dict[str, Any]:
        return {"rate_limited": raw["failures"].get("rate_limited", 0)}
