"""The theory overlay's models for kinds that spread requests over parts of themselves or over
targets: a sharded store (each shard a queue fed by its keys' share), a replicated database
(reads over the replicas, writes to the primary), a balancer that chooses by state (the
supermarket model) or by hash (the key split), a CDN's edge cache (Che). A topic is in
overlay_kinds_topic.py."""
from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from ..cloud.pricing import sized_workers
from ..components.load_balancer import ring_point
from ..components.sharded_store import mix64, shard_table
from .caches import zipf_popularities
from .finite import supermarket_sojourn
from .multiserver import allen_cunneen, ekmc
from .overlay_doc import Assumption, Figure, assumption, figure
from .overlay_inputs import NEAR_POISSON, POISSON, service
from .overlay_models import (MAX_CHE_KEYS, NEGLIGIBLE, Around, Model, Situation, arrivals_assumptions, cache,
                             little, run_assumptions)
from .queues import erlang_b, mmc


def _popularity(keys: dict[str, Any]) -> np.ndarray:
    n = keys["count"]
    exponent = keys["exponent"] if keys["distribution"] == "zipf" else 0.0
    return np.asarray(zipf_popularities(n, exponent))


def mix_assumption(s: Situation) -> Assumption:
    """Whether the share of reads and writes at the node is known: below a keyed cache (whose
    misses are reads only) or on a cycle the design cannot say it, and the workload's is used."""
    known = s.inflow.rates is not None
    kinds = {s.operations.get(c) for c, w in s.class_weights.items() if w > 0}
    return assumption("class_mix_known", known or len(kinds) <= 1,
                      "the design says which classes reach it, at which rates" if known else
                      "one kind of operation reaches it" if len(kinds) <= 1 else
                      "the design cannot say the mix of reads and writes here (below a keyed cache only misses are "
                      "read from it): the workload's mix is used")


# -- a sharded store ----------------------------------------------------------------------------


def sharded_store(s: Situation, around: Around) -> Model | str:
    """Each shard serves only its keys: shard i gets lambda x (the popularity of its keys), and
    is a queue of `workers` with max_connections - workers waiting. A Zipf workload makes the
    shard holding the hottest keys saturate first, while the mean utilization looks calm."""
    p, m = s.node["params"], s.measured
    keys = around.keys
    if keys["count"] > MAX_CHE_KEYS:
        return f"{keys['count']:,} keys are too many to split over the shards here (at most {MAX_CHE_KEYS:,})"
    n = p["shards"]
    table = shard_table(p["sharding"], n, keys["count"], p["virtual_nodes"])
    shares = np.bincount(table, weights=_popularity(keys), minlength=n)
    means = {c: p["write_time_ms"] if s.operations.get(c) == "write" else p["read_time_ms"] for c in s.class_weights}
    svc = service(p, means, s.class_weights)
    if svc is None:
        return "its query times are zero: nothing queues"
    c = p["workers"]
    room = max(0, p["max_connections"] - c)
    rates = [s.rate * float(x) for x in shares]
    rhos = [r * svc.mean_s / c for r in rates]
    hot = int(np.argmax(shares))
    measured_rates = m.get("shard_arrival_rate_per_s", [])
    measured_util = m.get("shard_utilization", [])
    figures: list[Figure] = []
    for i in range(n):
        figures.append(figure(f"arrival_rate_per_s:shard_{i}", rates[i],
                              measured_rates[i] if i < len(measured_rates) else None, negligible=NEGLIGIBLE))
        figures.append(figure(f"utilization:shard_{i}", rhos[i] if room else None,
                              measured_util[i] if i < len(measured_util) else None, negligible=NEGLIGIBLE))
    figures.append(figure("load_skew", float(shares[hot]) * n, m.get("load_skew")))
    assumptions = arrivals_assumptions(s) + run_assumptions(s)
    if p["read_time_ms"] != p["write_time_ms"]:
        assumptions.append(mix_assumption(s))
    mean_rho = sum(rhos) / n
    assumptions.append(assumption("keys_independent", True, f"each request's key drawn independently "
                                                            f"({keys['distribution']} over {keys['count']:,} keys)"))
    name = "per-shard M/M/c by the key split" if svc.exponential else "per-shard M/G/c (Allen-Cunneen) by the key split"
    if room == 0:
        blocking = sum(r * erlang_b(c, r * svc.mean_s) for r in rates) / s.rate
        figures.append(figure("blocking_probability", blocking,
                              m["failures"].get("overloaded", 0) / m["arrivals"], negligible=NEGLIGIBLE))
        figures.append(little(s))
        return "per-shard Erlang B by the key split", assumptions, figures
    if rhos[hot] >= 1:
        assumptions.append(assumption("stable", False, f"shard {hot} (the hottest keys, {shares[hot]:.1%} of the "
                                                       f"requests) is offered utilization {rhos[hot]:.2f} >= 1 while "
                                                       f"the shards' mean is {mean_rho:.2f}: it saturates first"))
        figures.append(little(s))
        return name, assumptions, figures
    assumptions.append(assumption("stable", True, f"the hottest shard ({hot}) runs at utilization {rhos[hot]:.2f} "
                                                  f"(mean {mean_rho:.2f}): it is the first to saturate"))
    loss = m["failures"].get("overloaded", 0) + m["failures"].get("timeout", 0)
    assumptions.append(assumption("no_losses", loss == 0, f"{loss} refused or timed out" if loss
                                  else "no request was refused or gave up waiting"))
    wait = sojourn = 0.0
    for r in rates:
        if r > 0:
            q = allen_cunneen(r, svc.mean_s, c, 1.0, svc.scv)
            wait += r * q.mean_wait_s
            sojourn += r * q.mean_sojourn_s
    figures.append(figure("wait_ms_mean", wait / s.rate * 1000.0, m.get("wait_ms", {}).get("mean"),
                          negligible=NEGLIGIBLE * svc.mean_s * 1000.0))
    figures.append(figure("time_in_node_ms_mean", sojourn / s.rate * 1000.0, m["latency_ms"]["mean"]))
    figures.append(little(s))
    return name, assumptions, figures


# -- a replicated database ----------------------------------------------------------------------


def replicated_database(s: Situation) -> Model | str:
    """Writes go to the primaries (in turn), reads by `read_from`: to the primary, in turn over
    the replicas, or in turn over every instance. Each instance is a queue of its own mix of
    reads and writes: a round-robin share of a Poisson stream has Erlang-k gaps, exactly E_k/M/c
    for exponential reads (Takacs), Allen-Cunneen with ca2 = 1/k otherwise; merged with Poisson
    writes it is taken as Poisson (Allen-Cunneen, ca2 = 1)."""
    p, m = s.node["params"], s.measured
    total = sum(s.class_weights.values())
    if total <= 0:
        return "no request class reaches it"
    write_share = sum(w for c, w in s.class_weights.items() if s.operations.get(c) == "write") / total
    lam_w, lam_r = s.rate * write_share, s.rate * (1.0 - write_share)
    primaries, replicas = p["primaries"], p["replicas"]
    instances = primaries + replicas
    readers = {"primary": list(range(primaries)), "replicas": list(range(primaries, instances)) or list(range(primaries)),
               "any": list(range(instances))}[p["read_from"]]
    workers = min(sized_workers(p["workers"], p["instance_size"]), p["max_connections"])
    read_svc = service(p, {"r": p["read_time_ms"]}, {"r": 1.0})
    write_svc = service(p, {"w": p["write_time_ms"]}, {"w": 1.0})
    if read_svc is None or write_svc is None:
        return "its query times are zero: nothing queues"
    wait = sojourn = busy = 0.0
    worst = 0.0
    for i in range(instances):
        r_i = lam_r / len(readers) if i in readers else 0.0
        w_i = lam_w / primaries if i < primaries else 0.0
        lam_i = r_i + w_i
        if lam_i <= 0:
            continue
        es = (r_i * read_svc.mean_s + w_i * write_svc.mean_s) / lam_i
        es2 = (r_i * read_svc.mean_s ** 2 * (1 + read_svc.scv) + w_i * write_svc.mean_s ** 2 * (1 + write_svc.scv)) / lam_i
        scv = max(0.0, es2 / es ** 2 - 1.0)
        k = len(readers) if w_i == 0 and p["read_from"] != "primary" else 1
        ca2 = 1.0 / k if s.inflow.process in (POISSON, NEAR_POISSON) else 1.0
        rho = lam_i * es / workers
        worst = max(worst, rho)
        busy += lam_i * es
        if rho >= 1:
            continue
        # Exponential reads dealt in turn: E_k/M/c is exact (Takacs); otherwise Allen-Cunneen.
        exact = k > 1 and ca2 < 1 and read_svc.exponential and workers <= 60
        q = ekmc(k, lam_i, 1.0 / es, workers)[0] if exact else allen_cunneen(lam_i, es, workers, ca2, scv)
        wait += lam_i * q.mean_wait_s
        sojourn += lam_i * q.mean_sojourn_s
    assumptions = arrivals_assumptions(s) + run_assumptions(s) + [
        mix_assumption(s),
        assumption("async_replication", p["replication"] == "async",
                   "a write completes when the primary has it" if p["replication"] == "async" else
                   "synchronous writes also wait for the replicas' acknowledgements, which no queue model here counts"),
        assumption("stable", worst < 1, f"the busiest instance runs at utilization {worst:.2f}"),
    ]
    figures = [figure("utilization", busy / (instances * workers), m.get("utilization"), negligible=NEGLIGIBLE)]
    if worst < 1:
        small = NEGLIGIBLE * read_svc.mean_s * 1000.0
        figures.append(figure("wait_ms_mean", wait / s.rate * 1000.0, m.get("wait_ms", {}).get("mean"), negligible=small))
        figures.append(figure("time_in_node_ms_mean", sojourn / s.rate * 1000.0, m["latency_ms"]["mean"]))
    figures.append(little(s))
    name = f"reads over {len(readers)} instance(s), writes to {primaries} primary: a queue per instance"
    return name, assumptions, figures


# -- a balancer that chooses by state or by hash ------------------------------------------------


def _target_service(target: dict[str, Any] | None) -> float | None:
    """The mean service time of a single-worker exponential pool with one mean, else None."""
    if target is None or target["kind"] != "service_pool":
        return None
    p = target["params"]
    if (p["instances"] != 1 or p["workers_per_instance"] != 1 or p["service_distribution"] != "exponential"
            or p["service_time_ms_by_class"] or p.get("autoscale") or p["blocking_calls"]):
        return None
    return p["service_time_ms"] / 1000.0


def _hash_shares(s: Situation, around: Around, targets: list[str]) -> np.ndarray | str:
    p = s.node["params"]
    n = len(targets)
    if p["hash_on"] == "key":
        if around.keys["count"] > MAX_CHE_KEYS:
            return "too many keys to split here"
        ids = np.arange(around.keys["count"], dtype=np.uint64)
        weights = _popularity(around.keys)
    else:
        sources = [x for x in around.nodes.values() if x["kind"] == "traffic_source"]
        if len(sources) != 1:
            return "several sources: which clients reach the balancer is not known"
        ids = np.arange(int(sources[0]["params"]["clients"]), dtype=np.uint64)
        weights = np.full(len(ids), 1.0 / len(ids))
    values = mix64(ids)
    if p["policy"] == "sticky":
        owner = (values % np.uint64(n)).astype(np.int64)
    else:
        points = sorted((ring_point(f"{t}#{i}"), j) for j, t in enumerate(targets) for i in range(p["virtual_nodes"]))
        ring = np.array([pt for pt, _ in points], dtype=np.uint64)
        owners = np.array([j for _, j in points], dtype=np.int64)
        at = np.searchsorted(ring, values, side="left")
        at[at == len(ring)] = 0
        owner = owners[at]
    return np.bincount(owner, weights=weights, minlength=n)


def balancer(s: Situation, around: Around) -> Model | str:
    policy = s.node["params"]["policy"]
    edges = around.out_edges(s.node["id"])
    targets = [e["to"] for e in edges]
    alone = {t: r for t, r in around.targets.items() if r is not None}
    healthy = s.measured.get("healthy_targets", len(targets)) == s.measured.get("targets", len(targets)) \
        and not s.faults_here
    health = assumption("targets_healthy", healthy, "every target stays in rotation" if healthy
                        else "a target left the rotation, so the others took its share")
    if policy in ("sticky", "consistent_hash"):
        shares = _hash_shares(s, around, targets)
        if isinstance(shares, str):
            return f"a {policy} balancer's split: {shares}"
        figures = [figure(f"arrival_rate_per_s:{t}", s.rate * float(shares[j]), alone.get(t))
                   for j, t in enumerate(targets) if t in alone]
        skew = float(shares.max()) * len(targets)
        return (f"{policy.replace('_', ' ')} split by the {s.node['params']['hash_on']}s' hashes",
                arrivals_assumptions(s) + [health, assumption(
                    "independent_requests", True, f"each request's {s.node['params']['hash_on']} drawn independently; "
                    f"the busiest target gets {skew:.2f} x the mean")], figures + [little(s)])
    services = {_target_service(around.nodes.get(t)) for t in targets}
    if len(services) != 1 or None in services or set(alone) != set(targets):
        return (f"a {policy} balancer: the supermarket model needs identical single-worker exponential pools fed by "
                "the balancer alone")
    es = services.pop()
    assert es is not None  # checked just above
    n = len(targets)
    load = s.rate * es / n
    if load >= 1:
        return f"its targets are offered utilization {load:.2f} >= 1: no steady state"
    measured_rate = sum(alone.values())
    measured_t = (sum(r * around.measured[t].get("residence_ms_mean", around.measured[t]["latency_ms"]["mean"])
                      for t, r in alone.items()) / measured_rate) if measured_rate > 0 else None
    assumptions = arrivals_assumptions(s) + run_assumptions(s) + [health]
    if policy == "least_connections":
        # Join the shortest queue has no closed form. It cannot beat one shared queue (M/M/N: no
        # server idles while a request waits) and does better than the shortest of two; with a
        # handful of servers or more it runs close to the shared queue, which is the prediction.
        pooled = mmc(s.rate, 1.0 / es, n).mean_sojourn_s
        two = supermarket_sojourn(load, 2, es)
        figures = [figure("target_time_ms_mean", pooled * 1000.0, measured_t),
                   figure("target_time_ms_mean:upper_bound_two_choices", two * 1000.0, measured_t, checked=False)]
        assumptions.append(assumption("many_targets", n >= 4, f"{n} targets: JSQ comes close to one shared queue "
                                                              "when there are several servers to choose from"))
        return "join the shortest queue, approximated by one shared queue (M/M/N)", assumptions, figures + [little(s)]
    d = 2 if policy == "power_of_two" else 1
    t = supermarket_sojourn(load, d, es)
    assumptions.append(assumption("many_targets", d == 1 or n >= 10,
                                  f"{n} targets: the supermarket model is the limit of many queues; with few, two "
                                  "random picks often coincide in effect" if d == 2 else
                                  "a random split makes each target an independent M/M/1"))
    figures = [figure("target_time_ms_mean", t * 1000.0, measured_t),
               figure("target_time_ms_mean:random", supermarket_sojourn(load, 1, es) * 1000.0, measured_t,
                      checked=False)]
    name = ("power of two choices (supermarket model: P(queue >= i) = lambda^(2^i - 1))" if d == 2
            else "random split (M/M/1 per target)")
    return name, assumptions, figures + [little(s)]


# -- a CDN's edge cache -------------------------------------------------------------------------


def cdn(s: Situation, around: Around) -> Model | str:
    """An edge cache is an LRU of `capacity_items` per users' region: Che's approximation over
    the static classes' keys, as for a keyed cache (overlay_models.cache)."""
    p = s.node["params"]
    chosen = p["static_classes"]
    static = {c: w for c, w in s.class_weights.items()
              if (chosen.get(c, 0) > 0 if chosen else s.operations.get(c) == "read")}
    total = sum(s.class_weights.values())
    if not static or total <= 0:
        return "no static class reaches it: every request goes to the origin"
    regions = {n.get("region") for n in around.nodes.values() if n["kind"] == "traffic_source"}
    as_cache = dict(s.node, params={"mode": "keyed", "capacity_items": p["capacity_items"], "eviction": "lru",
                                    "ttl_s": p["ttl_s"]})
    found = cache(replace(s, node=as_cache, class_weights=static, rate=s.rate * sum(static.values()) / total), around.keys)
    if isinstance(found, str):
        return found
    name, assumptions, figures = found
    # Offload: the share of all its requests the edge answers itself (static hits), the rest
    # (misses and dynamic classes) reaching the origin.
    hit = next((f["predicted"] for f in figures if f["name"] == "hit_ratio"), None)
    m = s.measured
    figures.insert(1, figure("offload", hit * sum(static.values()) / total if hit is not None else None,
                             m.get("hits", 0) / m["arrivals"] if m["arrivals"] else None))
    assumptions.append(assumption("one_region", len(regions) <= 1,
                                  "the users are in one region: one edge cache sees all of them" if len(regions) <= 1
                                  else f"users in {len(regions)} regions each warm their own edge cache"))
    return "edge cache: " + name, assumptions, figures

