"""Closed-form queueing theory that the lab shows beside measured values.

Every function here is an exact textbook formula (or, for Che's LRU
approximation, an exact solution of an approximate model), so the simulator's
statistical tests can compare what the engine measures against a number that
does not depend on the engine.

Units: time in seconds, rates in events per second.  "Utilization" is the
fraction of time one server is busy.  All functions describe the long-run
(steady-state) behaviour of a *stable* system; anything that would make the
steady state not exist (utilization >= 1, non-positive rates, ...) raises
``ValueError`` with a sentence that explains what is wrong.

Only the standard library is used, on purpose: these numbers are the reference
the rest of the code is judged against, so they must not move when a numeric
library changes.
"""

from .base import QueueMetrics
from .caches import zipf_popularities, che_characteristic_time, che_lru_hit_ratio, cold_start_fraction
from .multiserver import allen_cunneen
from .queues import (
    mm1,
    erlang_b,
    erlang_c,
    mmc,
    mg1,
    md1,
    lognormal_scv,
    lognormal_params,
    gim1_sigma,
    ekm1,
    round_robin_split,
    random_split,
    little_l,
    reference_topology_mean_latency_s,
    jackson_reference_mean_latency_s,
)

__all__ = [
    "QueueMetrics",
    "mm1",
    "erlang_b",
    "erlang_c",
    "allen_cunneen",
    "mmc",
    "mg1",
    "md1",
    "lognormal_scv",
    "lognormal_params",
    "gim1_sigma",
    "ekm1",
    "round_robin_split",
    "random_split",
    "little_l",
    "zipf_popularities",
    "che_characteristic_time",
    "che_lru_hit_ratio",
    "cold_start_fraction",
    "reference_topology_mean_latency_s",
    "jackson_reference_mean_latency_s",
]
