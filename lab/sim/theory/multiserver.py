"""Multi-server formulas beyond queues.py: the Allen-Cunneen approximation for a GI/G/c queue
(general arrivals, general service), and E_k/M/c exactly (Erlang-k arrivals, exponential
service). Erlang B, the loss system, is in queues.py beside Erlang C,
which is computed through it."""
from __future__ import annotations

import math

from .base import QueueMetrics, non_negative, positive, queue_metrics, require_stable, whole_count
from .queues import gim1_sigma, mmc


def allen_cunneen(arrival_rate: float, mean_service_s: float, servers: int, arrival_scv: float,
                  service_scv: float) -> QueueMetrics:
    """GI/G/c by the Allen-Cunneen approximation: the M/M/c wait scaled by the variability of
    arrivals (ca2) and service (cs2),
        Wq ~ Wq(M/M/c) * (ca2 + cs2) / 2,    W = Wq + E[S].
    Exact for M/M/c (ca2 = cs2 = 1) and, with c = 1 and Poisson arrivals, for M/G/1 (it is then
    the Pollaczek-Khinchine formula); for M/G/c it is the Lee-Longton approximation, usually
    within a few percent for moderate service variability (cs2 <= 2) and less good at very
    high variability or light load with many servers."""
    lam = positive("arrival_rate", arrival_rate, "requests per second")
    es = positive("mean_service_s", mean_service_s, "mean service time in seconds")
    c = whole_count("servers", servers, 1, "the number of servers")
    ca2 = non_negative("arrival_scv", arrival_scv, "variance / mean**2 of the interarrival time")
    cs2 = non_negative("service_scv", service_scv, "variance / mean**2 of the service time")
    require_stable(lam * es / c)
    base = mmc(lam, 1.0 / es, c)
    return queue_metrics(lam, base.utilization, base.mean_wait_s * (ca2 + cs2) / 2.0, es)


def ekmc(k: int, arrival_rate: float, service_rate: float, servers: int) -> tuple[QueueMetrics, float]:
    """E_k/M/c exactly, by Takacs' GI/M/c solution (Kleinrock, Vol. 1, section 6.5): with the
    Erlang-k interarrival transform A*(s) = (k lambda / (k lambda + s))**k, sigma the root of
    sigma = A*(c mu (1 - sigma)), g_j = A*(j mu) and C_j = prod_{i<=j} g_i / (1 - g_i),
        J = [1 / (1 - sigma) + sum_{j=1..c} binom(c, j) / (C_j (1 - g_j))
                                 * (c (1 - g_j) - j) / (c (1 - sigma) - j)]**-1,
        P(wait) = J / (1 - sigma),   Wq = J / (c mu (1 - sigma)**2).
    It is Erlang C for k = 1 and E_k/M/1 for c = 1. Returns the metrics and P(wait). A
    round-robin share of a Poisson stream has Erlang-k gaps: this is what its targets see.
    The products lose precision past about 60 servers: it raises ValueError there."""
    phases = whole_count("k", k, 1, "the number of Erlang phases per interarrival time")
    lam = positive("arrival_rate", arrival_rate, "requests per second")
    mu = positive("service_rate", service_rate, "requests per second one server completes")
    c = whole_count("servers", servers, 1, "the number of servers")
    if c > 60:
        raise ValueError(f"E_k/M/c is not solved here for {c} servers (the products lose precision)")
    require_stable(lam / (c * mu))
    found = _takacs(phases, lam, mu, c)
    if found is None:
        # At c (1 - sigma) = j a term is 0/0 (the root then gives sigma = g_j); the solution is
        # continuous in lambda, so take the mean of two neighbours a hair either side.
        low, high = _takacs(phases, lam * (1 - 1e-7), mu, c), _takacs(phases, lam * (1 + 1e-7), mu, c)
        assert low is not None and high is not None  # the singular rates are isolated points
        found = ((low[0] + high[0]) / 2, (low[1] + high[1]) / 2)
    wait_s, p_wait = found
    return queue_metrics(lam, lam / (c * mu), wait_s, 1.0 / mu), p_wait


def _takacs(phases: int, lam: float, mu: float, c: int) -> tuple[float, float] | None:
    """(Wq, P(wait)) of E_k/M/c, None at a rate where a term is 0/0."""
    phase_rate = phases * lam

    def lst(s: float) -> float:
        return math.exp(-phases * math.log1p(s / phase_rate))

    sigma = gim1_sigma(lst, c * mu)
    total = 1.0 / (1.0 - sigma)
    products = 1.0
    for j in range(1, c + 1):
        g = lst(j * mu)
        products *= g / (1.0 - g)
        gap = c * (1.0 - sigma) - j
        if abs(gap) < 1e-9:
            return None
        total += math.comb(c, j) / (products * (1.0 - g)) * (c * (1.0 - g) - j) / gap
    j_const = 1.0 / total
    return j_const / (c * mu * (1.0 - sigma) ** 2), j_const / (1.0 - sigma)
