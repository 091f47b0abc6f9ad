"""The theory overlay's model of a partitioned topic: each consumer group's consumers are
single-server queues in front of the group's service (a consumer holds one message at a time,
per partition in order), fed by their partitions' share of the keys. A group delivers at most
min(partitions, consumers) messages at a time, so its throughput is
    sum_i min(lambda_i, mu)   (lambda_i: consumer i's partitions' share of the publishes),
and when a consumer is offered more than mu its lag grows by lambda_i - mu a second."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..components.sharded_store import mix64
from .caches import zipf_popularities
from .overlay_doc import Assumption, Figure, assumption, figure
from .overlay_inputs import Service, service
from .overlay_models import MAX_CHE_KEYS, NEGLIGIBLE, Around, Model, Situation, arrivals_assumptions, little, run_assumptions
from .queues import mg1


def consumer_shares(partitions: int, consumers: int, keys: dict[str, Any]) -> list[float]:
    """Each consumer's share of the messages: partition = mix64(key) mod partitions (as
    pubsub_topic.partition_of), consumer = partition mod consumers."""
    shares = np.zeros(consumers)
    if partitions <= 1:
        shares[0] = 1.0
        return shares.tolist()
    n = keys["count"]
    exponent = keys["exponent"] if keys["distribution"] == "zipf" else 0.0
    popularity = np.asarray(zipf_popularities(n, exponent))
    part = (mix64(np.arange(n, dtype=np.uint64)) % np.uint64(partitions)).astype(np.int64)
    return np.bincount(part % consumers, weights=popularity, minlength=consumers).tolist()


def _delivery(target: dict[str, Any] | None, around: Around, weights: dict[str, float],
              measured: dict[str, Any] | None) -> tuple[Service | None, Assumption]:
    """How long one delivery holds its consumer: the service's own time when it is a pool that
    calls nothing and has a worker for every consumer, else its measured time in node."""
    if target is not None and target["kind"] == "service_pool" and not around.out_edges(target["id"]):
        p = target["params"]
        means = {c: p["service_time_ms_by_class"].get(c, p["service_time_ms"]) for c in weights}
        svc = service(p, means, weights)
        if svc is not None:
            return svc, assumption("delivery_time_from_design", True,
                                   f"{target['id']} answers in its own service time and calls nothing further")
    if measured is None or measured["arrivals"] <= 0:
        return None, assumption("delivery_time_from_design", False, "the group's service measured nothing")
    mean = measured.get("residence_ms_mean", measured["latency_ms"]["mean"]) / 1000.0
    return (Service(mean, 1.0, False) if mean > 0 else None,
            assumption("delivery_time_from_design", False, "the group's service calls others (or is not a pool): its "
                                                           "measured time in node is used, taken as exponential"))


def pubsub_topic(s: Situation, around: Around) -> Model | str:
    p, m = s.node["params"], s.measured
    if p["partitions"] > 1 and around.keys["count"] > MAX_CHE_KEYS:
        return f"{around.keys['count']:,} keys are too many to split over the partitions here"
    consumers = min(p["partitions"], p["consumers_per_group"])
    shares = consumer_shares(p["partitions"], consumers, around.keys)
    edges = around.out_edges(s.node["id"])
    assumptions = arrivals_assumptions(s) + run_assumptions(s)
    figures: list[Figure] = [figure("time_in_node_ms_mean", p["ack_latency_ms"], m["latency_ms"]["mean"],
                                    negligible=1e-6)]
    delivered = lag = 0.0
    waits: list[tuple[float, float]] = []  # (rate, mean delivery time) per stable consumer
    saturated: list[str] = []
    for edge in edges:
        accepts = edge["classes"]
        weights = {c: w for c, w in s.class_weights.items() if accepts is None or c in accepts}
        total = sum(s.class_weights.values())
        if not weights or total <= 0:
            continue
        lam = s.rate * sum(weights.values()) / total
        target = around.nodes.get(edge["to"])
        svc, known = _delivery(target, around, weights, around.measured.get(edge["to"]))
        assumptions.append(known)
        if svc is None:
            return f"how long {edge['to']} takes to consume a message is not known"
        mu = 1.0 / svc.mean_s
        for i, share in enumerate(shares):
            lam_i = lam * share
            delivered += min(lam_i, mu)
            lag += max(0.0, lam_i - mu)
            if lam_i >= mu:
                saturated.append(f"{edge['to']} consumer {i} ({lam_i:.3g}/s offered, {mu:.3g}/s possible)")
            elif lam_i > 0:
                waits.append((lam_i, mg1(lam_i, svc.mean_s, svc.scv).mean_sojourn_s))
    assumptions.append(assumption("keys_independent", True,
                                  f"each message's key drawn independently; the busiest consumer gets "
                                  f"{max(shares) * consumers:.2f} x the mean"))
    assumptions.append(assumption("no_redelivery", m.get("delivery_failures", 0) == 0,
                                  f"{m.get('delivery_failures', 0)} deliveries failed and were retried, holding up "
                                  "their partitions" if m.get("delivery_failures", 0) else "every delivery succeeded"))
    assumptions.append(assumption("stable", not saturated, "consumers offered more than they can take: "
                                  + "; ".join(saturated) + ": their lag grows" if saturated
                                  else "every consumer keeps up with its partitions"))
    span = s.run.span_s
    figures.append(figure("delivered_per_s", delivered, m.get("delivered", 0) / span if span > 0 else None))
    # The backlog grows from the start of the run, warm-up included.
    elapsed = s.run.warmup_s + span
    figures.append(figure("lag_growth_per_s", lag, m.get("backlog", 0) / elapsed if elapsed > 0 else None,
                          negligible=NEGLIGIBLE * max(delivered, 1.0)))
    if not saturated and waits:
        rate = sum(r for r, _ in waits)
        figures.append(figure("delivery_ms_mean", sum(r * w for r, w in waits) / rate * 1000.0,
                              m.get("delivery_ms_mean")))
    figures.append(little(s))
    return "partitioned topic: each consumer M/G/1 on its partitions' share", assumptions, figures
