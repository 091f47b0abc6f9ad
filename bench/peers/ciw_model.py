"""Reference topology written as idiomatic Ciw 3 (``ciw.create_network`` + ``ciw.Simulation``).

Model: Poisson arrivals at ``rate_per_s`` -> round-robin load balancer (no delay) over
``servers`` app servers (one server each, FIFO, unbounded queue, exponential service,
mean 3 ms) -> cache step: with probability 0.8 a hit that takes a fixed 0.2 ms and
completes the request; with probability 0.2 a miss that goes to a database with
``max(1, servers // 2)`` servers sharing one FIFO queue (exponential service, mean
8 ms) and then completes. Latency = completion time - arrival time.

How it maps onto Ciw (time in milliseconds):

* Ciw sends external arrivals to a fixed node, and routing happens only when a node
  releases an individual, so the load balancer is its own node: infinite servers and
  a ``Deterministic(0.0)`` service, routed with Ciw's built-in round-robin node router
  ``ciw.routing.Cycle`` inside a ``ciw.routing.NetworkRouting`` (one router per node).
* App servers route with ``ciw.routing.Probabilistic`` to the cache-hit node (0.8) or
  the database node (0.2). The cache hit is an infinite-server node with a
  ``Deterministic(0.2)`` service; a miss skips it. Both then ``Leave``.
* ``simulate_until_max_time`` stops at ``duration_s``; only individuals that reached
  the exit node by then are counted (no drain).
"""

from __future__ import annotations

import math

import ciw

APP_MEAN_MS: float = 3.0
DB_MEAN_MS: float = 8.0
HIT_MS: float = 0.2
HIT_PROB: float = 0.8


def build_network(servers: int, rate_per_s: float) -> ciw.network.Network:
    """Node 1 is the load balancer, 2..servers+1 the app servers, then cache hit, then database."""
    app_ids = list(range(2, servers + 2))
    hit_id = servers + 2
    db_id = servers + 3
    n_nodes = servers + 3
    arrivals: list[ciw.dists.Distribution | None] = [ciw.dists.Exponential(rate=rate_per_s / 1000.0)]
    arrivals += [None] * (n_nodes - 1)
    routers: list[ciw.routing.NodeRouting] = [ciw.routing.Cycle(cycle=app_ids)]
    routers += [
        ciw.routing.Probabilistic(destinations=[hit_id, db_id], probs=[HIT_PROB, 1.0 - HIT_PROB])
        for _ in app_ids
    ]
    routers += [ciw.routing.Leave(), ciw.routing.Leave()]
    return ciw.create_network(
        arrival_distributions=arrivals,
        service_distributions=[ciw.dists.Deterministic(value=0.0)]
        + [ciw.dists.Exponential(rate=1.0 / APP_MEAN_MS) for _ in app_ids]
        + [ciw.dists.Deterministic(value=HIT_MS), ciw.dists.Exponential(rate=1.0 / DB_MEAN_MS)],
        number_of_servers=[math.inf] + [1] * servers + [math.inf, max(1, servers // 2)],
        routing=ciw.routing.NetworkRouting(routers=routers),
    )


def run(servers: int, rate_per_s: float, duration_s: float, seed: int) -> dict[str, float]:
    """Simulate ``duration_s`` seconds and return completed requests and their mean latency."""
    ciw.seed(seed)
    sim = ciw.Simulation(build_network(servers, rate_per_s))
    sim.simulate_until_max_time(duration_s * 1000.0)
    done = sim.nodes[-1].all_individuals
    # Each individual carries one record per node visited: the first (load balancer)
    # holds the arrival time, the last holds the exit time.
    latency_sum = sum(ind.data_records[-1].exit_date - ind.data_records[0].arrival_date for ind in done)
    return {
        "requests": len(done),
        "mean_latency_ms": latency_sum / len(done) if done else float("nan"),
    }
