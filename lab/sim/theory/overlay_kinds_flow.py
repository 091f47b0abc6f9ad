"""The theory overlay's models for kinds that hold requests back by a rule of their own: a work
queue's consumers (M/M/c, or M/M/c/K when its backlog fills), a stream stage's slots (the same),
a rate limiter's bucket (M/D/1/K, or the fluid limit), an API gateway's fixed work and its
in-flight cap (Erlang B). Every formula is one of lab/sim/theory's."""
from __future__ import annotations

from typing import Any

from .finite import FiniteQueue, fluid_refused, md1k, mmck
from .overlay_doc import Assumption, assumption, figure
from .overlay_inputs import Service, service
from .overlay_models import (NEGLIGIBLE, Around, Model, Situation, arrivals_assumptions, little, queue,
                             run_assumptions)
from .queues import erlang_b

# A bounded backlog counts as "binding" (M/M/c/K rather than M/M/c) when M/M/c/K turns away at
# least this share: below it the unbounded model is the same to every shown digit.
BINDING = 1e-4


def _means(p: dict[str, Any], noun: str, weights: dict[str, float]) -> dict[str, float]:
    return {c: p[f"{noun}_ms_by_class"].get(c, p[f"{noun}_ms"]) for c in weights}


def bounded_queue(s: Situation, servers: int, svc: Service, waiting_room: int, extra: list[Assumption],
                  backlog: float | None) -> Model:
    """c workers with room for `waiting_room` more: M/M/c/K (K = c + room) when the service is
    exponential and the limit binds (or the load is above capacity), otherwise the unbounded
    queue models (queue() in overlay_models). `backlog` is the measured mean number waiting."""
    lam, c = s.rate, servers
    rho = lam * svc.mean_s / c
    if waiting_room == 0:
        return queue(s, c, svc, 0, extra)
    fq: FiniteQueue | None = None
    if svc.exponential:
        fq = mmck(lam, 1.0 / svc.mean_s, c, c + waiting_room)
    if fq is None or (fq.blocking < BINDING and rho < 1):
        return queue(s, c, svc, None, extra)
    m = s.measured
    arrivals = m["arrivals"]
    refused = m["failures"].get("overloaded", 0)
    assumptions = arrivals_assumptions(s) + run_assumptions(s) + extra
    assumptions.append(assumption("stable", True, f"utilization {rho:.2f} offered, but a full backlog of "
                                                  f"{waiting_room:,} turns the excess away, so a steady state exists"))
    # An overloaded bounded queue fills at about lambda - c mu; an underloaded one forgets its
    # start about as fast as the unbounded queue.
    fill_s = waiting_room / max(lam - c / svc.mean_s, 1e-9) if rho >= 1 else 0.0
    assumptions.append(assumption("warm_up", s.run.warmup_s >= fill_s,
                                  f"the backlog fills in about {fill_s:.3g} s; the warm-up is {s.run.warmup_s:g} s"))
    wait = m.get("wait_ms", {}).get("mean")
    figures = [
        figure("blocking_probability", fq.blocking, refused / arrivals if arrivals else None, negligible=NEGLIGIBLE),
        figure("wait_ms_mean", fq.mean_wait_s * 1000.0, wait, negligible=NEGLIGIBLE * svc.mean_s * 1000.0),
        figure("utilization", fq.utilization, m.get("utilization"), negligible=NEGLIGIBLE),
        figure("wait_probability", fq.wait_probability, m.get("wait_probability"), negligible=NEGLIGIBLE),
        figure("queue_length", fq.mean_in_queue, backlog, negligible=NEGLIGIBLE),
        little(s),
    ]
    return "M/M/c/K (a bounded backlog)", assumptions, figures


def work_queue(s: Situation) -> Model | str:
    p = s.node["params"]
    svc = service(p, _means(p, "job_time", s.class_weights), s.class_weights)
    if svc is None:
        return "its job time is zero: nothing waits for a worker"
    calls = s.callees > 0
    extra = [assumption("non_blocking", not calls,
                        "a worker stays busy while its job calls the queue's dependencies, so it is held longer than "
                        "the job time" if calls else "a worker is free once its job is done")]
    m = s.measured
    return bounded_queue(s, p["workers"], svc, p["capacity"], extra, m.get("backlog_mean", m.get("queue_length")))


def stream_processor(s: Situation) -> Model | str:
    p = s.node["params"]
    svc = service(p, _means(p, "processing", s.class_weights), s.class_weights)
    if svc is None:
        return "its processing time is zero: nothing waits for a slot"
    servers = p["instances"] * p["slots_per_instance"]
    extra = [assumption("non_blocking", True, "the events it produces travel on asynchronously: a slot is free "
                                              "once its processing is done")]
    if p["shape"] == "merger":
        extra.append(assumption("independent_events", True, "a merger's batches change what leaves, not how "
                                                            "long each event waits for a slot"))
    return bounded_queue(s, servers, svc, p["queue_capacity"], extra, s.measured.get("queue_length"))


# -- a rate limiter -----------------------------------------------------------------------------


def _clients(around: Around) -> int:
    sources = [n for n in around.nodes.values() if n["kind"] == "traffic_source"]
    return int(sources[0]["params"].get("clients", 1)) if len(sources) == 1 else 0


def rate_limiter(s: Situation, around: Around) -> Model | str:
    """A token bucket (GCRA) of `burst` tokens refilled at r: for Poisson arrivals its level is
    the unfinished work of M/D/1/K with D = 1/r, K = burst, so the share refused is that
    queue's blocking and a leaky bucket's wait is its Wq. Per client, each client's bucket sees
    lambda / clients (clients drawn uniformly: a random thinning, still Poisson)."""
    p, m = s.node["params"], s.measured
    r, k = p["rate_per_s"], p["burst"]
    tokens = {c: p["tokens_by_class"].get(c, 1.0) for c in s.class_weights}
    total = sum(s.class_weights.values())
    limited_share = sum(w for c, w in s.class_weights.items() if tokens[c] > 0) / total if total > 0 else 0.0
    if limited_share <= 0:
        return "every request class is exempt (0 tokens): nothing is limited"
    lam = s.rate * limited_share
    per_client = p["scope"] == "per_client"
    clients = _clients(around) if per_client else 1
    if per_client and clients <= 0:
        return "a per-client limit fed by several sources: how many clients share a bucket is not known"
    bucket_rate = lam / clients
    unit = all(t in (0.0, 1.0) for t in tokens.values())
    leaky = p["algorithm"] == "leaky_bucket"
    assumptions = arrivals_assumptions(s) + run_assumptions(s) + [
        assumption("unit_tokens", unit, "every limited request takes one token" if unit else
                   "requests take different numbers of tokens: the bucket bounds work, not a count, so it is not "
                   "M/D/1/K; only the fluid limit is predicted"),
    ]
    if per_client:
        assumptions.append(assumption("clients_uniform", True, f"the source's {clients:,} clients are drawn "
                                                               "uniformly, so each bucket sees lambda / clients"))
    admitted_measured = m["accepted"] / s.run.span_s
    refused_measured = m.get("rejected_ratio")
    fluid = fluid_refused(bucket_rate, r) * limited_share
    figures = []
    fq: FiniteQueue | None = None
    why_not = ""
    if unit:
        try:
            fq = md1k(bucket_rate, 1.0 / r, k)
        except ValueError as exc:
            why_not = str(exc)
    if fq is not None:
        name = "token bucket as M/D/1/K (GCRA)" + (", leaky bucket's wait as its Wq" if leaky else "")
        refused = fq.blocking * limited_share
        figures.append(figure("rejected_ratio", refused, refused_measured, negligible=NEGLIGIBLE))
        figures.append(figure("accepted_per_s", s.rate * (1.0 - refused), admitted_measured))
        figures.append(figure("rejected_ratio:fluid_limit", fluid, refused_measured, checked=False))
        if leaky:
            assumptions.append(assumption("one_bucket", not per_client or clients == 1,
                                          "one shared bucket" if not per_client else
                                          "per-client buckets: each request waits for its own client's turn"))
            held = fq.mean_wait_s * limited_share + p["latency_ms"] / 1000.0
            figures.append(figure("time_in_node_ms_mean", held * 1000.0, m["latency_ms"]["mean"],
                                  negligible=NEGLIGIBLE * 1000.0 / r))
    else:
        name = "rate cap, fluid limit max(0, 1 - r/lambda)"
        if why_not:
            assumptions.append(assumption("small_bucket", False, why_not))
        figures.append(figure("rejected_ratio", fluid, refused_measured, negligible=NEGLIGIBLE))
        figures.append(figure("accepted_per_s", s.rate * (1.0 - fluid), admitted_measured))
    figures.append(little(s))
    return name, assumptions, figures


# -- an API gateway -----------------------------------------------------------------------------


def api_gateway(s: Situation, around: Around) -> Model | str:
    """A managed gateway does a fixed amount of work per request and scales out by itself: no
    queue (M/G/infinity), so its time is that work. Its `max_in_flight` cap counts requests held
    while the services behind answer, an M/G/c/c loss system: Erlang B with the mean holding
    time (its work plus its services' time in node, when they call nothing further)."""
    p, m = s.node["params"], s.measured
    own_s = (p["tls_ms"] + p["transform_ms"] + p["auth_ms"] * (1.0 - p["token_cache_hit"])) / 1000.0
    assumptions = arrivals_assumptions(s) + run_assumptions(s)
    figures = [figure("time_in_node_ms_mean", own_s * 1000.0, m["latency_ms"]["mean"], negligible=1e-6)]
    limit = p["max_in_flight"]
    if limit > 0:
        behind: list[tuple[float, float]] = []
        for edge in around.out_edges(s.node["id"]):
            target = around.measured.get(edge["to"])
            leaf = not around.out_edges(edge["to"])
            if target is None or not leaf:
                behind = []
                break
            behind.append((target["arrival_rate_per_s"], target.get("residence_ms_mean", target["latency_ms"]["mean"])))
        rate = sum(r for r, _ in behind)
        known = bool(behind) and rate > 0
        assumptions.append(assumption("leaf_services", known,
                                      "the services behind it call nothing further, so their time in node is the "
                                      "whole holding time" if known else
                                      "a service behind it calls further services (or none is measured): the "
                                      "holding time is not known, so throttling is not predicted"))
        if known:
            holding_s = own_s + sum(r * t for r, t in behind) / rate / 1000.0
            arrivals = m["arrivals"]
            figures.append(figure("throttled_share", erlang_b(limit, s.rate * holding_s),
                                  m.get("throttled", 0) / arrivals if arrivals else None, negligible=NEGLIGIBLE))
    figures.append(little(s))
    return "fixed work, no queue (M/G/infinity); in-flight cap Erlang B", assumptions, figures
