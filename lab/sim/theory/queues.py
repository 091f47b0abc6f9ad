"""Queues: Poisson and renewal arrivals, splitting, Little's law, the benchmark's reference."""
from __future__ import annotations

import math
from collections.abc import Callable

from .base import whole_count, is_real, queue_metrics, non_negative, positive, require_stable, QueueMetrics

# --------------------------------------------------------------------------
# Poisson arrivals
# --------------------------------------------------------------------------


def mm1(arrival_rate: float, service_rate: float) -> QueueMetrics:
    """M/M/1: Poisson arrivals, one server, exponential service, FIFO.

    With rho = lambda / mu < 1:
        W  = 1 / (mu - lambda)            Wq = rho / (mu - lambda)
        L  = rho / (1 - rho)              Lq = rho**2 / (1 - rho)
    """
    lam = positive("arrival_rate", arrival_rate, "requests per second")
    mu = positive("service_rate", service_rate, "requests per second one server completes")
    rho = lam / mu
    require_stable(rho)
    # Wq = rho / (mu - lambda) directly, rather than W - 1/mu, to avoid the
    # cancellation of two nearly equal numbers at low load.
    return queue_metrics(lam, rho, rho / (mu - lam), 1.0 / mu)


def erlang_b(servers: int, offered_load: float) -> float:
    """Erlang B: the share of arrivals an M/G/c/c loss system turns away (all c servers busy,
    no room to wait), with offered load A = lambda * E[S] in Erlangs:
        B(c, A) = (A**c / c!) / sum_{k<=c} A**k / k!
    By the recursion B(0) = 1, B(k) = A B(k-1) / (k + A B(k-1)), every step in [0, 1] (the sum
    overflows long before c = 1000). Insensitive: only the mean service time matters, and any
    load is allowed (a loss system is always stable)."""
    c = whole_count("servers", servers, 1, "the number of servers")
    load = non_negative("offered_load", offered_load, "arrival rate x mean holding time, in Erlangs")
    blocking = 1.0
    for k in range(1, c + 1):
        blocking = load * blocking / (k + load * blocking)
    return blocking


def erlang_c(servers: int, offered_load: float) -> float:
    """Erlang C: probability that an arrival to an M/M/c queue has to wait.

    offered_load A = lambda / mu (in Erlangs), c = servers, needs A < c:
        C(c, A) = [A**c / c! * c / (c - A)] / [sum_{k<c} A**k / k! + A**c / c! * c / (c - A)]

    Evaluated through the Erlang B recursion
        B(0) = 1,  B(k) = A * B(k-1) / (k + A * B(k-1)),
        C = c * B(c) / (c - A * (1 - B(c))),
    because the textbook sum overflows (A**c, c!) long before c = 1000, while
    every step of the recursion stays in [0, 1].
    """
    c = whole_count("servers", servers, 1, "the number of servers")
    load = non_negative("offered_load", offered_load, "arrival rate / service rate, in Erlangs")
    require_stable(load / c)
    blocking = erlang_b(c, load)
    return c * blocking / (c - load * (1.0 - blocking))


def mmc(arrival_rate: float, service_rate: float, servers: int) -> QueueMetrics:
    """M/M/c: Poisson arrivals, c identical exponential servers, one FIFO queue.

    With A = lambda / mu, rho = A / c < 1:
        Wq = C(c, A) / (c * mu - lambda)     W = Wq + 1 / mu
    where C is Erlang C (see ``erlang_c``).  c = 1 reduces to M/M/1.
    """
    lam = positive("arrival_rate", arrival_rate, "requests per second")
    mu = positive("service_rate", service_rate, "requests per second one server completes")
    c = whole_count("servers", servers, 1, "the number of servers")
    rho = lam / (c * mu)
    require_stable(rho)
    wait_s = erlang_c(c, lam / mu) / (c * mu - lam)
    return queue_metrics(lam, rho, wait_s, 1.0 / mu)


def mg1(arrival_rate: float, mean_service_s: float, service_scv: float) -> QueueMetrics:
    """M/G/1 by the Pollaczek-Khinchine formula (FIFO, one server).

    service_scv is the squared coefficient of variation of the service time,
    Var[S] / E[S]**2 (0 for constant service, 1 for exponential).  With
    rho = lambda * E[S] < 1:
        Wq = rho * E[S] * (1 + scv) / (2 * (1 - rho))   (= lambda E[S^2] / (2(1 - rho)))
        W  = Wq + E[S]
    Only the first two moments of service matter for these means.
    """
    lam = positive("arrival_rate", arrival_rate, "requests per second")
    es = positive("mean_service_s", mean_service_s, "mean service time in seconds")
    scv = non_negative("service_scv", service_scv, "variance / mean**2 of the service time")
    rho = lam * es
    require_stable(rho)
    wait_s = rho * es * (1.0 + scv) / (2.0 * (1.0 - rho))
    return queue_metrics(lam, rho, wait_s, es)


def md1(arrival_rate: float, service_s: float) -> QueueMetrics:
    """M/D/1: Pollaczek-Khinchine with constant service (scv = 0).

    Wq = rho * D / (2 * (1 - rho)), exactly half the M/M/1 wait at the same load.
    """
    return mg1(arrival_rate, service_s, 0.0)


def lognormal_scv(cv: float) -> float:
    """Squared coefficient of variation of a distribution with coefficient of variation cv.

    For a lognormal, scv = cv**2 = exp(sigma**2) - 1; pass it to ``mg1``.
    """
    return non_negative("cv", cv, "standard deviation / mean") ** 2


def lognormal_params(mean: float, cv: float) -> tuple[float, float]:
    """(mu, sigma) of the underlying normal for a lognormal with given mean and cv.

    If X = exp(N(mu, sigma**2)) then E[X] = exp(mu + sigma**2 / 2) and
    cv**2 = exp(sigma**2) - 1, so
        sigma**2 = ln(1 + cv**2),    mu = ln(mean) - sigma**2 / 2.
    (mu here is the log-scale location, not a service rate.)
    """
    m = positive("mean", mean, "mean of the lognormal, e.g. seconds")
    v = non_negative("cv", cv, "standard deviation / mean")
    # log1p keeps sigma accurate for small cv, where 1 + cv**2 rounds to ~1.
    sigma2 = math.log1p(v * v)
    return math.log(m) - sigma2 / 2.0, math.sqrt(sigma2)


# --------------------------------------------------------------------------
# General (renewal) arrivals, exponential service
# --------------------------------------------------------------------------


def gim1_sigma(interarrival_lst: Callable[[float], float], service_rate: float) -> float:
    """The GI/M/1 root sigma in (0, 1) of  sigma = A*(mu * (1 - sigma)).

    A*(s) = E[exp(-s T)] is the Laplace-Stieltjes transform of the interarrival
    time T, mu the exponential service rate.  sigma is the probability that an
    arrival finds the server busy; the number an arrival sees is geometric,
    P(n) = (1 - sigma) * sigma**n, and
        Wq = sigma / (mu * (1 - sigma)),   W = 1 / (mu * (1 - sigma)).
    Assumes renewal (i.i.d.) interarrival times, FIFO, one server.

    f(sigma) = A*(mu(1 - sigma)) - sigma is convex with f(0) = A*(mu) > 0 and
    f(1) = 0; its slope at 1 is 1/rho - 1, so a root inside (0, 1) exists iff
    rho < 1, and then f < 0 between that root and 1.  We find a point where
    f < 0 by stepping towards 1 (1 - 2**-k), then bisect: bisection cannot
    diverge or jump to the trivial root sigma = 1 the way Newton or plain
    fixed-point iteration can near rho = 1.  Utilizations within about 1e-7
    of 1 cannot be told apart from 1 in floating point and raise ValueError.
    """
    mu = positive("service_rate", service_rate, "requests per second the server completes")
    if not callable(interarrival_lst):
        raise ValueError("interarrival_lst must be a function s -> E[exp(-s * T)] of the interarrival time T")

    def f(sigma: float) -> float:
        s = mu * (1.0 - sigma)
        value = interarrival_lst(s)
        if not (is_real(value) and math.isfinite(value) and 0.0 <= value <= 1.0):
            raise ValueError(
                f"interarrival_lst({s!r}) returned {value!r}, but a Laplace-Stieltjes transform "
                "E[exp(-s * T)] of a positive time must lie between 0 and 1"
            )
        return value - sigma

    lo = 0.0
    if f(lo) <= 0.0:
        # A*(mu) underflowed to 0: arrivals are so sparse that nobody waits.
        return 0.0
    hi = None
    for k in range(1, 53):
        candidate = 1.0 - 2.0**-k
        # Demand a clearly negative value: at utilization >= 1, f is a tiny
        # positive number near sigma = 1 that rounding could flip to
        # -1e-16, which would fake a root.  The price is that utilizations
        # within about 1e-7 of 1 are reported as unstable.
        if f(candidate) < -1e-14:
            hi = candidate
            break
        lo = candidate  # f > -1e-14 here; the root lies above (or is lost in rounding)
    if hi is None:
        raise ValueError(_gim1_unstable_message(interarrival_lst, mu))
    # Bisect until the bracket is two adjacent floats (about 55 steps for a
    # root near 0.5; more only for roots extremely close to 0).
    for _ in range(2000):
        mid = 0.5 * (lo + hi)
        if mid in (lo, hi):
            break
        if f(mid) > 0.0:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def _gim1_unstable_message(interarrival_lst: Callable[[float], float], mu: float) -> str:
    # The mean interarrival time is E[T] = -A*'(0).  Estimate it by a
    # difference quotient D(s) = (1 - A*(s)) / s = E[T] - s E[T^2] / 2 + ...,
    # with one Richardson step (2 D(s/2) - D(s)) to cancel the first-order
    # error, so the student sees the utilization that made it unstable.
    s = mu * 2.0**-17
    coarse = (1.0 - interarrival_lst(s)) / s
    fine = (1.0 - interarrival_lst(s / 2.0)) / (s / 2.0)
    mean_interarrival = 2.0 * fine - coarse
    if mean_interarrival > 0.0:
        rho = 1.0 / (mu * mean_interarrival)
        if rho < 1.0:
            return (
                f"the queue is too close to unstable to solve: utilization {rho:.9f} is within "
                "about 1e-7 of 1, where the waiting time is astronomically large anyway"
            )
        return (
            f"the queue is unstable: utilization {rho:.2f} >= 1, so it grows without bound "
            "(sigma = A*(mu(1 - sigma)) has no root in (0, 1))"
        )
    return (
        "the queue is unstable: arrivals come at least as fast as the server works, so it grows "
        "without bound (sigma = A*(mu(1 - sigma)) has no root in (0, 1))"
    )


def ekm1(k: int, arrival_rate: float, service_rate: float) -> QueueMetrics:
    """E_k/M/1: Erlang-k interarrival times with mean 1/lambda, one exponential server.

    Each interarrival time is k exponential phases of rate k * lambda, so
    A*(s) = (k * lambda / (k * lambda + s))**k, and with sigma from
    ``gim1_sigma``:
        Wq = sigma / (mu * (1 - sigma)),   W = 1 / (mu * (1 - sigma)),
    Lq = lambda * Wq and L = lambda * W by Little's law.  (L is the
    time average; the mean number an *arrival* sees, sigma / (1 - sigma), is
    smaller because arrivals are more regular than Poisson.)  k = 1 is M/M/1,
    where sigma = rho; k = 2 has sigma = (1 + 4 rho - sqrt(1 + 8 rho)) / 2.
    """
    phases = whole_count("k", k, 1, "the number of Erlang phases per interarrival time")
    lam = positive("arrival_rate", arrival_rate, "requests per second")
    mu = positive("service_rate", service_rate, "requests per second the server completes")
    rho = lam / mu
    require_stable(rho)
    phase_rate = phases * lam

    def lst(s: float) -> float:
        # exp(-k * log1p(s / (k lambda))) instead of the k-th power of a
        # ratio: same value, but accurate for large k and small s.
        return math.exp(-phases * math.log1p(s / phase_rate))

    sigma = gim1_sigma(lst, mu)
    sojourn_s = 1.0 / (mu * (1.0 - sigma))
    return queue_metrics(lam, rho, sigma * sojourn_s, 1.0 / mu)


def round_robin_split(servers: int, arrival_rate: float, service_rate: float) -> QueueMetrics:
    """Poisson stream dealt round robin over k single exponential servers (per-server metrics).

    Server j receives arrivals j, j + k, j + 2k, ...; the gap between them is
    the sum of k exponential gaps of rate lambda, i.e. Erlang-k with mean
    k / lambda.  So each server is E_k/M/1 with arrival rate lambda / k
    (``ekm1(k, lambda / k, mu)``).

    Jackson's theorem does not apply: it needs each server's input to be
    Poisson, which holds for *Bernoulli* splitting (each request picks a
    server at random, see ``random_split``) but not for round robin, which
    is deterministic and makes each server's arrivals more regular than
    Poisson (scv 1/k).  That regularity is why round robin waits less.

    Counts are per server (multiply by k for the whole tier); all servers are
    alike, so mean_wait_s / mean_sojourn_s are also the tier's means.
    """
    k = whole_count("servers", servers, 1, "the number of servers")
    lam = positive("arrival_rate", arrival_rate, "requests per second")
    return ekm1(k, lam / k, service_rate)


def random_split(servers: int, arrival_rate: float, service_rate: float) -> QueueMetrics:
    """Poisson stream split at random (Bernoulli, 1/k each) over k exponential servers.

    Independent random thinning of a Poisson process gives independent Poisson
    processes (the basis of Jackson networks), so each server is M/M/1 with
    arrival rate lambda / k: W = 1 / (mu - lambda / k).  Per-server metrics,
    as in ``round_robin_split``.
    """
    k = whole_count("servers", servers, 1, "the number of servers")
    lam = positive("arrival_rate", arrival_rate, "requests per second")
    return mm1(lam / k, service_rate)


def little_l(arrival_rate: float, mean_time_s: float) -> float:
    """Little's law: L = lambda * W, for any stable system in steady state.

    arrival_rate is the rate of requests entering (and, in steady state,
    leaving) the system, mean_time_s the mean time each spends inside it.
    """
    lam = positive("arrival_rate", arrival_rate, "requests per second")
    w = non_negative("mean_time_s", mean_time_s, "mean time in the system, in seconds")
    return lam * w


# --------------------------------------------------------------------------
# The benchmark's reference topology
# --------------------------------------------------------------------------


def _reference_mean_latency_s(
    split: Callable[[int, float, float], QueueMetrics],
    servers: int,
    rate_per_s: float,
    app_service_s: float,
    hit_ratio: float,
    cache_s: float,
    db_service_s: float,
    db_workers: int | None,
) -> float:
    k = whole_count("servers", servers, 1, "the number of app servers")
    rate = positive("rate_per_s", rate_per_s, "requests per second entering the system")
    app_s = positive("app_service_s", app_service_s, "mean app service time in seconds")
    h = non_negative("hit_ratio", hit_ratio, "fraction of requests the cache answers")
    if h > 1.0:
        raise ValueError(f"hit_ratio must be between 0 and 1 (a fraction of requests), got {hit_ratio!r}")
    cache = non_negative("cache_s", cache_s, "seconds a cache hit takes")
    db_s = positive("db_service_s", db_service_s, "mean database service time in seconds")
    workers = max(1, k // 2) if db_workers is None else db_workers
    workers = whole_count("db_workers", workers, 1, "the number of database workers")

    app = split(k, rate, 1.0 / app_s)
    latency = app.mean_sojourn_s + h * cache
    miss_rate = (1.0 - h) * rate
    if miss_rate > 0.0:
        # The misses are a thinned merge of the app servers' departures; we
        # treat them as Poisson, which is an approximation (exact only for
        # the Jackson variant).
        latency += (1.0 - h) * mmc(miss_rate, 1.0 / db_s, workers).mean_sojourn_s
    return latency


def reference_topology_mean_latency_s(
    servers: int = 4,
    rate_per_s: float = 1000.0,
    app_service_s: float = 0.003,
    hit_ratio: float = 0.8,
    cache_s: float = 0.0002,
    db_service_s: float = 0.008,
    db_workers: int | None = None,
) -> float:
    """Mean end-to-end latency of the benchmark's reference topology.

    Poisson arrivals (rate_per_s) -> round robin over `servers` single
    exponential app servers (each E_k/M/1, see ``round_robin_split``) ->
    with probability hit_ratio a cache hit taking a fixed cache_s, otherwise
    the database: M/M/c with c = db_workers (default servers // 2, at least 1),
    exponential service of mean db_service_s, fed by (1 - hit_ratio) *
    rate_per_s treated as Poisson.  A miss does not also pay cache_s.
        latency = W_app + hit_ratio * cache_s + (1 - hit_ratio) * W_db
    No network delay is modelled.  Defaults give 12.55 ms.
    """
    return _reference_mean_latency_s(
        round_robin_split, servers, rate_per_s, app_service_s, hit_ratio, cache_s, db_service_s, db_workers
    )


def jackson_reference_mean_latency_s(
    servers: int = 4,
    rate_per_s: float = 1000.0,
    app_service_s: float = 0.003,
    hit_ratio: float = 0.8,
    cache_s: float = 0.0002,
    db_service_s: float = 0.008,
    db_workers: int | None = None,
) -> float:
    """The reference topology as a Jackson network: app servers M/M/1 with rate/servers each.

    Same as ``reference_topology_mean_latency_s`` except the app tier uses
    random (Bernoulli) splitting, ``random_split``, which is what a Jackson
    model implicitly assumes.  It overestimates round robin's latency;
    defaults give 16.60 ms.
    """
    return _reference_mean_latency_s(
        random_split, servers, rate_per_s, app_service_s, hit_ratio, cache_s, db_service_s, db_workers
    )
