"""Queues with a limit, and how a choice of queue spreads the load: M/M/c/K (a bounded backlog),
M/D/1/K (a token bucket seen as the queue of its unfinished work), the fluid limit of a rate
cap, and the supermarket model of "the shortest of d queues" (power of two choices).

Like the rest of lab/sim/theory, standard library only: these are the references the engine is
judged against.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from .base import non_negative, positive, whole_count


@dataclass(frozen=True)
class FiniteQueue:
    """Steady state of a queue that turns arrivals away when it holds K.

    blocking:        share of arrivals that find it full (PASTA: the time-average P(N = K)).
    utilization:     fraction of time each server is busy.
    mean_wait_s:     mean wait of an admitted request (Wq = Lq / lambda_eff).
    mean_sojourn_s:  Wq + E[S].
    mean_in_queue:   time-average number waiting (Lq).
    mean_in_system:  time-average number held (L).
    wait_probability: share of admitted requests that wait at all.
    """

    blocking: float
    utilization: float
    mean_wait_s: float
    mean_sojourn_s: float
    mean_in_queue: float
    mean_in_system: float
    wait_probability: float


def _logsumexp(values: list[float]) -> float:
    top = max(values)
    return top + math.log(sum(math.exp(v - top) for v in values))


def _geometric_logs(rho: float, m: int) -> tuple[float, float]:
    """log of S0 = sum_{j=0..m} rho**j and of S1 = sum_{j=0..m} j rho**j, computed without
    overflow for rho > 1 (factored by rho**m) and without cancellation near rho = 1.
    S1's log is -inf when it is 0 (m = 0)."""
    if m == 0:
        return 0.0, -math.inf
    if abs(rho - 1.0) < 1e-9:
        return math.log(m + 1), math.log(m * (m + 1) / 2.0)
    if rho < 1.0:
        s0 = sum(rho ** j for j in range(m + 1)) if m < 64 else (1.0 - rho ** (m + 1)) / (1.0 - rho)
        s1 = (sum(j * rho ** j for j in range(m + 1)) if m < 64
              else rho * (1.0 - (m + 1) * rho ** m + m * rho ** (m + 1)) / (1.0 - rho) ** 2)
        return math.log(s0), math.log(s1)
    # rho > 1: sum_j rho**j = rho**m sum_i sigma**i, sum_j j rho**j = rho**m sum_i (m - i) sigma**i
    sigma = 1.0 / rho
    log_s0, log_s1 = _geometric_logs(sigma, m)
    s0, s1 = math.exp(log_s0), math.exp(log_s1)
    return m * math.log(rho) + log_s0, m * math.log(rho) + math.log(m * s0 - s1)


def mmck(arrival_rate: float, service_rate: float, servers: int, capacity: int) -> FiniteQueue:
    """M/M/c/K: Poisson arrivals, c exponential servers, room for K requests in all (K - c
    waiting); an arrival that finds K is turned away. Any load is allowed.
        p_n = p_0 A**n / n!                  n <= c,   A = lambda / mu
        p_n = p_c rho**(n - c)               c <= n <= K,   rho = A / c
    Blocking p_K; lambda_eff = lambda (1 - p_K); Wq = Lq / lambda_eff (Little). K = c is
    Erlang B; K -> infinity with rho < 1 is M/M/c. Sums are taken in logs, so K in the millions
    and rho > 1 neither loop for long nor overflow."""
    lam = positive("arrival_rate", arrival_rate, "requests per second")
    mu = positive("service_rate", service_rate, "requests per second one server completes")
    c = whole_count("servers", servers, 1, "the number of servers")
    k = whole_count("capacity", capacity, c, "requests held in all, at least the servers")
    load = lam / mu
    rho = load / c
    log_load = math.log(load)
    lower = [n * log_load - math.lgamma(n + 1) for n in range(c)]  # log p_n / p_0, n < c
    log_pc = c * log_load - math.lgamma(c + 1)
    m = k - c
    log_s0, log_s1 = _geometric_logs(rho, m)
    log_z = _logsumexp(lower + [log_pc + log_s0])
    blocking = math.exp(log_pc + m * math.log(rho) - log_z)
    at_least_c = math.exp(log_pc + log_s0 - log_z)
    lq = math.exp(log_pc + log_s1 - log_z) if m else 0.0
    busy = sum(n * math.exp(v - log_z) for n, v in enumerate(lower)) + c * at_least_c
    admitted = lam * (1.0 - blocking)
    wait = lq / admitted if admitted > 0 else 0.0
    p_wait = (at_least_c - blocking) / (1.0 - blocking) if blocking < 1.0 else 1.0
    return FiniteQueue(blocking, busy / c, wait, wait + 1.0 / mu, lq, lq + busy, max(0.0, p_wait))


def md1k(arrival_rate: float, service_s: float, capacity: int) -> FiniteQueue:
    """M/D/1/K by the chain embedded at departures (Gross and Harris, M/G/1/K). With
    a_j = P(j Poisson arrivals in one service) and pi the departure-epoch distribution over
    0 .. K-1, whose first K-1 balance equations are those of M/G/1,
        pi_{j+1} a_0 = pi_j - pi_0 a_j - sum_{i=1..j} pi_i a_{j-i+1},
    the time-average state is p_n = pi_n / (pi_0 + rho) (n < K), p_K = 1 - 1 / (pi_0 + rho).
    A token bucket of `burst` K refilled at r is this queue with D = 1 / r: its level is the
    unfinished work, and a request passes exactly when the queue would have room.
    The recursion loses precision when a_0 = e^(-rho) is tiny and K large; past K = 1000 or
    rho = 30 it raises ValueError (use the fluid limit, `fluid_refused`)."""
    lam = positive("arrival_rate", arrival_rate, "requests per second")
    d = positive("service_s", service_s, "the fixed service time in seconds")
    k = whole_count("capacity", capacity, 1, "requests held in all")
    rho = lam * d
    if k > 1000 or rho > 30:
        raise ValueError(f"M/D/1/K is not solved here for K = {k} and load {rho:.3g} (the embedded chain's "
                         "recursion loses its precision); the fluid limit still applies")
    a = [math.exp(-rho)]
    for j in range(1, k):
        a.append(a[-1] * rho / j)
    pi = [1.0]
    for j in range(k - 1):
        nxt = pi[j] - pi[0] * a[j] - sum(pi[i] * a[j - i + 1] for i in range(1, j + 1))
        pi.append(max(nxt, 0.0) / a[0])
        if pi[-1] > 1e150:  # overload grows pi geometrically; the equations are homogeneous
            pi = [x * 1e-150 for x in pi]
    total = sum(pi)
    pi = [x / total for x in pi]
    norm = pi[0] + rho
    p = [x / norm for x in pi] + [1.0 - 1.0 / norm]
    blocking = min(1.0, max(0.0, p[k]))
    in_system = sum(n * pn for n, pn in enumerate(p))
    busy = 1.0 - p[0]
    admitted = lam * (1.0 - blocking)
    sojourn = in_system / admitted
    wait = max(0.0, sojourn - d)
    # An admitted arrival sees the departure-epoch distribution (pi), so it waits unless pi_0.
    return FiniteQueue(blocking, busy, wait, wait + d, in_system - busy, in_system, 1.0 - pi[0])


def fluid_refused(arrival_rate: float, cap_rate: float) -> float:
    """The long-run share a rate cap r must refuse of a steady stream lambda, whatever its
    bucket: max(0, 1 - r / lambda). A bound the real share approaches from above as the bucket
    grows (bursts make a small bucket refuse more) and equals for constant arrivals."""
    lam = positive("arrival_rate", arrival_rate, "requests per second")
    r = positive("cap_rate", cap_rate, "requests per second the cap lets through")
    return max(0.0, 1.0 - r / lam)


def supermarket_tail(load: float, choices: int, i: int) -> float:
    """Mitzenmacher's supermarket model (N -> infinity single-server queues, exponential service
    at rate 1, Poisson arrivals at rate N lambda, each joining the shortest of d queues picked
    at random): the fraction of queues holding at least i requests is
        s_i = lambda**((d**i - 1) / (d - 1))    (s_i = lambda**i for d = 1: M/M/1)."""
    lam = non_negative("load", load, "arrivals per server per mean service time")
    d = whole_count("choices", choices, 1, "queues compared")
    n = whole_count("i", i, 0, "requests in a queue")
    if lam >= 1:
        raise ValueError(f"the queues are unstable: load {lam:.2f} >= 1 per server")
    if d == 1:
        return lam ** n
    return lam ** ((d ** n - 1) / (d - 1))


def supermarket_sojourn(load: float, choices: int, service_s: float) -> float:
    """Mean time in the system of the supermarket model, by Little's law on one queue: it holds
    L = sum_{i>=1} s_i on average and receives lambda / E[S] per second, so
        T = E[S] sum_{i>=1} s_i / lambda.
    d = 1 gives M/M/1's E[S] / (1 - lambda)."""
    lam = non_negative("load", load, "arrivals per server per mean service time")
    es = positive("service_s", service_s, "mean service time in seconds")
    if lam == 0:
        return es
    total = 0.0
    for i in range(1, 10_000):
        term = supermarket_tail(lam, choices, i)
        total += term
        if term < 1e-15:
            break
    return es * total / lam
