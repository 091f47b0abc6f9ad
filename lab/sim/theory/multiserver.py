"""Multi-server formulas beyond queues.py: the Allen-Cunneen approximation for a GI/G/c queue
(general arrivals, general service). Erlang B, the loss system, is in queues.py beside Erlang C,
which is computed through it."""
from __future__ import annotations

from .base import QueueMetrics, non_negative, positive, queue_metrics, require_stable, whole_count
from .queues import mmc


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
