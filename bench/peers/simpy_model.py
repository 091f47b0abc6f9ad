"""Reference topology written as idiomatic SimPy: one process per request.

Model: Poisson arrivals at ``rate_per_s`` -> round-robin load balancer (no delay) over
``servers`` app servers (a ``simpy.Resource`` of capacity 1 each: FIFO, unbounded
queue, exponential service, mean 3 ms) -> cache step: with probability 0.8 a hit that
takes a fixed 0.2 ms and completes the request; with probability 0.2 a miss that goes
to a database (one ``simpy.Resource`` with ``max(1, servers // 2)`` slots, so one
shared FIFO queue; exponential service, mean 8 ms) and then completes. The request
releases its app server before the cache step (tandem queues). Latency = completion
time - arrival time.

Modelling choices: time is in milliseconds; ``env.run(until=...)`` stops at
``duration_s`` and only requests completed by then are counted (no drain).
"""

from __future__ import annotations

import random
from collections.abc import Generator
from typing import Any

import simpy

APP_MEAN_MS: float = 3.0
DB_MEAN_MS: float = 8.0
HIT_MS: float = 0.2
HIT_PROB: float = 0.8


class _Stats:
    """Running totals, so nothing per-request is kept."""

    __slots__ = ("completed", "latency_sum")

    def __init__(self) -> None:
        self.completed: int = 0
        self.latency_sum: float = 0.0


def _request(
    env: simpy.Environment,
    app: simpy.Resource,
    db: simpy.Resource,
    rng: random.Random,
    stats: _Stats,
) -> Generator[simpy.Event, Any, None]:
    arrived = env.now
    with app.request() as req:
        yield req
        yield env.timeout(rng.expovariate(1.0 / APP_MEAN_MS))
    # Leaving the ``with`` block frees the app worker before the cache/database step.
    if rng.random() < HIT_PROB:
        yield env.timeout(HIT_MS)
    else:
        with db.request() as req:
            yield req
            yield env.timeout(rng.expovariate(1.0 / DB_MEAN_MS))
    stats.completed += 1
    stats.latency_sum += env.now - arrived


def _source(
    env: simpy.Environment,
    apps: list[simpy.Resource],
    db: simpy.Resource,
    rate_per_ms: float,
    rng: random.Random,
    stats: _Stats,
) -> Generator[simpy.Event, Any, None]:
    i = 0
    while True:
        yield env.timeout(rng.expovariate(rate_per_ms))
        env.process(_request(env, apps[i], db, rng, stats))
        i = (i + 1) % len(apps)


def run(servers: int, rate_per_s: float, duration_s: float, seed: int) -> dict[str, float]:
    """Simulate ``duration_s`` seconds and return completed requests and their mean latency."""
    rng = random.Random(seed)
    env = simpy.Environment()
    apps = [simpy.Resource(env, capacity=1) for _ in range(servers)]
    db = simpy.Resource(env, capacity=max(1, servers // 2))
    stats = _Stats()
    env.process(_source(env, apps, db, rate_per_s / 1000.0, rng, stats))
    env.run(until=duration_s * 1000.0)
    return {
        "requests": stats.completed,
        "mean_latency_ms": stats.latency_sum / stats.completed if stats.completed else float("nan"),
    }
