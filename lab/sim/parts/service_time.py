"""Service times of the kinds that compute (a pool, a worker queue, a function, a stream stage)
and of the stores that answer queries (a database, a sharded store): their shared parameters and
the samplers built from them, one stream per node."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..kernel.randomness import DISTRIBUTIONS, make_distribution
from ..params import Param

if TYPE_CHECKING:
    from ..kernel.interface import Node

MAX_DURATION_MS = 3_600_000.0


def service_params(noun: str, default_ms: float) -> tuple[Param, ...]:
    """The service-time parameters shared by every kind that computes."""
    return (
        Param("service_distribution", "choice", "exponential",
              "Shape of the service time: exponential (memoryless), deterministic (always the same), "
              "lognormal (a long tail, set by its variability), empirical (resampled from measured times).",
              choices=DISTRIBUTIONS),
        Param(f"{noun}_ms", "number", default_ms, "Mean service time of one request.", unit="ms",
              minimum=0.0, maximum=MAX_DURATION_MS),
        Param("service_cv", "number", 1.0, "Variability of a lognormal service time: standard deviation / mean.",
              minimum=0.01, maximum=20.0, when={"service_distribution": ("lognormal",)}),
        Param("service_samples_ms", "numbers", [], "Measured service times to resample from.", unit="ms",
              minimum=0.0, maximum=MAX_DURATION_MS, when={"service_distribution": ("empirical",)}),
        Param(f"{noun}_ms_by_class", "weights", {},
              "Mean service time per request class where it differs, e.g. {\"write\": 40}.", unit="ms",
              minimum=0.0, maximum=MAX_DURATION_MS),
    )


def build_samplers(node: "Node", noun: str, stream: str) -> tuple[Any, dict[str, Any]]:
    """The pool's default sampler and one per request class that has its own mean."""
    p = node.p
    gen = node.sim.streams.generator(f"node:{node.id}:{stream}")
    samples = [x / 1000.0 for x in p["service_samples_ms"]]

    def make(mean_ms: float) -> Any:
        return make_distribution(p["service_distribution"], mean_ms / 1000.0, p["service_cv"], samples, gen)

    default = make(p[f"{noun}_ms"])
    by_class = {cls: make(ms) for cls, ms in sorted(p[f"{noun}_ms_by_class"].items())}
    return default, by_class


def query_params(noun: str, sized: bool = False) -> tuple[Param, ...]:
    """The query-serving parameters of one database instance (or one shard); `sized`: the
    workers are for a medium instance and `instance_size` scales them (pricing.sized_workers)."""
    scaled = "; instance_size scales it with the vCPUs" if sized else ""
    return (
        Param("workers", "integer", 8, f"Queries one {'medium ' if sized else ''}{noun} runs at the same time "
              f"(think CPU cores){scaled}.", minimum=1, maximum=1000),
        Param("max_connections", "integer", 200, f"Requests one {noun} holds at once, running or waiting; more are "
              "refused with 503.", minimum=1, maximum=100_000),
        Param("service_distribution", "choice", "exponential", "Shape of the query times.", choices=DISTRIBUTIONS),
        Param("read_time_ms", "number", 5.0, "Mean time of a read query.", unit="ms", minimum=0.0, maximum=3_600_000.0),
        Param("write_time_ms", "number", 10.0, "Mean time of a write query.", unit="ms", minimum=0.0, maximum=3_600_000.0),
        Param("service_cv", "number", 1.0, "Variability of lognormal query times: standard deviation / mean.",
              minimum=0.01, maximum=20.0, when={"service_distribution": ("lognormal",)}),
        Param("service_samples_ms", "numbers", [], "Measured query times to resample from (reads and writes alike).",
              unit="ms", minimum=0.0, maximum=3_600_000.0, when={"service_distribution": ("empirical",)}),
    )
