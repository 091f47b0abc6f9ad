"""The theory overlay's models, one function per situation: a queue in front of workers (a
service pool, a database instance), a loss system (no waiting room), a cache, a function's cold
starts and concurrency limit, a balancer's split. Each returns the model's name, its
assumptions and its figures; every formula is one of lab/sim/theory's."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..cloud.pricing import sized_workers
from .caches import che_characteristic_time, che_lru_hit_ratio, cold_start_fraction, zipf_popularities
from .multiserver import allen_cunneen, ekmc
from .queues import erlang_b
from .overlay_doc import Assumption, Figure, assumption, figure
from .overlay_inputs import (CONSTANT, ERLANG, NEAR_POISSON, POISSON, STATE_DEPENDENT, TIME_VARYING, Inflow, Run,
                             Service, changes_of, relaxation_s, service)
from .queues import ekm1, erlang_c, mg1, mmc

# Che's approximation is solved over every key; beyond this many it is too slow to answer a page.
MAX_CHE_KEYS = 1_000_000
# Probabilities, utilizations and counts under 1% (and waits under 1% of the service time) are
# shown but too small for their relative difference to count for the verdict.
NEGLIGIBLE = 0.01
Model = tuple[str, list[Assumption], list[Figure]]


@dataclass(frozen=True)
class Situation:
    """What every model reads: the node, what reaches it, the run, and its measured view."""

    node: dict[str, Any]
    inflow: Inflow
    rate: float  # arrivals per second the prediction uses
    run: Run
    measured: dict[str, Any]
    faults_here: list[str]
    faults_elsewhere: list[str]
    class_weights: dict[str, float]  # the request classes' shares at the node
    operations: dict[str, str]  # class -> "read" or "write"
    callees: int  # its outgoing edges


@dataclass(frozen=True)
class Around:
    """What some models read beyond the node: the workload's keys, the topology's nodes and
    edges, and every node's measured view (a balancer's targets, a gateway's services)."""

    keys: dict[str, Any]
    nodes: dict[str, dict[str, Any]]
    edges: list[dict[str, Any]]
    measured: dict[str, dict[str, Any]]
    targets: dict[str, float | None]  # targets fed by this node alone -> measured arrival rate (else None)

    def out_edges(self, node_id: str) -> list[dict[str, Any]]:
        return [e for e in self.edges if e["from"] == node_id]


# -- assumptions every model shares ---------------------------------------------------------------


def arrivals_assumptions(s: Situation, *, erlang_ok: bool = False) -> list[Assumption]:
    inflow = s.inflow
    process = inflow.process
    poisson = process in (POISSON, NEAR_POISSON) or (erlang_ok and process == ERLANG)
    if process == ERLANG and not erlang_ok:
        why = f"{inflow.why}: more regular than Poisson, so the model overestimates the wait"
    elif process in (STATE_DEPENDENT, CONSTANT):
        why = f"{inflow.why}: not Poisson"
    elif process == TIME_VARYING:
        why = "the rate changes over the run, so no single steady state describes it"
    else:
        why = inflow.why or "Poisson arrivals"
    out = [assumption("poisson_arrivals" if not (erlang_ok and process == ERLANG) else "erlang_arrivals",
                      poisson, why)]
    out.append(assumption("steady_rate", process != TIME_VARYING,
                          inflow.why if process == TIME_VARYING else "the arrival rate stays the same (no bursts or schedule)"))
    out.append(assumption("no_retries", not inflow.retried,
                          f"retries on edge {', '.join(inflow.retried)} send failed attempts again, in bursts "
                          "correlated with the load" if inflow.retried else "no edge on the way here retries"))
    return out


def run_assumptions(s: Situation) -> list[Assumption]:
    node_id = s.node["id"]
    changes = changes_of(node_id, s.run)
    autoscale = bool(s.node["params"].get("autoscale"))
    scaled = [e for e in changes if e["type"] == "scale"]
    if autoscale or scaled:
        why = (f"autoscaling changed the instances {len(scaled)} times" if scaled
               else "autoscaling is on: the number of servers may change")
        capacity = assumption("fixed_capacity", False, why)
    elif changes:
        capacity = assumption("fixed_capacity", False,
                              f"{len(changes)} live change(s) of its parameters during the run "
                              f"({', '.join(sorted({str(e.get('param')) for e in changes}))})")
    else:
        capacity = assumption("fixed_capacity", True, "its parameters stay as designed for the whole run")
    if s.faults_here:
        faults = assumption("no_faults", False, f"fault(s) {', '.join(s.faults_here)} touch this node")
    elif s.faults_elsewhere:
        faults = assumption("no_faults", True, f"the run's faults ({', '.join(s.faults_elsewhere)}) touch other nodes only")
    else:
        faults = assumption("no_faults", True, "no fault during the run")
    return [capacity, faults]


def little(s: Situation) -> Figure:
    """Little's law, L = lambda W, with the run's own measured rate and time in the node: a
    consistency check of the measurement, not a prediction (it does not count for the verdict)."""
    m = s.measured
    return figure("in_node", m["arrival_rate_per_s"] * m.get("residence_ms_mean", m["latency_ms"]["mean"]) / 1000.0,
                  m["in_node"], checked=False)


def _losses(s: Situation, *, loss_model: bool) -> Assumption:
    failures = s.measured["failures"]
    refused = 0 if loss_model else failures.get("overloaded", 0)
    timed_out = failures.get("timeout", 0)
    if refused or timed_out:
        return assumption("no_losses", False, f"{refused} refused (queue full) and {timed_out} timed out: the model "
                                               "assumes an unlimited queue and patient callers")
    return assumption("no_losses", True, "no request was refused or gave up waiting")


# -- a queue in front of c workers ----------------------------------------------------------------


def queue(s: Situation, servers: int, svc: Service, queue_limit: int | None, extra: list[Assumption]) -> Model:
    """M/M/c, M/G/1, M/G/c (Allen-Cunneen), E_k/M/1, E_k/M/c or GI/G/c, by the arrivals and service; a
    loss system (Erlang B) when nobody may wait."""
    if queue_limit == 0:
        return loss(s, servers, svc, extra)
    m, lam, c = s.measured, s.rate, servers
    mu = 1.0 / svc.mean_s
    load = lam * svc.mean_s
    erlang = s.inflow.process == ERLANG
    if erlang and c == 1 and svc.exponential:
        name = "E_k/M/1"
    elif erlang and svc.exponential and c <= 60:
        name = "E_k/M/c (Takacs)"
    elif erlang:
        name = "GI/G/c (Allen-Cunneen)"
    elif svc.exponential:
        name = "M/M/1" if c == 1 else "M/M/c"
    elif c == 1:
        name = "M/G/1 (Pollaczek-Khinchine)"
    else:
        name = "M/G/c (Allen-Cunneen/Lee-Longton approximation)"
    rho = load / c
    assumptions = arrivals_assumptions(s, erlang_ok=erlang) + run_assumptions(s) + extra
    assumptions.append(_losses(s, loss_model=False))
    if rho >= 1:
        assumptions.append(assumption("stable", False, f"utilization {rho:.2f} >= 1: the queue grows without bound "
                                                       "(or sheds requests), so no steady state exists"))
        return name, assumptions, [figure("utilization", rho, m.get("utilization")), little(s)]
    assumptions.append(assumption("stable", True, f"utilization {rho:.2f} < 1"))
    tau = relaxation_s(mu, c, rho)
    enough = s.run.warmup_s >= 5 * tau or s.run.span_s >= 250 * tau
    assumptions.append(assumption("warm_up", enough, f"the queue forgets its empty start in about {5 * tau:.3g} s; "
                                                     f"the warm-up is {s.run.warmup_s:g} s and the measured span "
                                                     f"{s.run.span_s:g} s"))
    k = s.inflow.k
    p_wait: float | None
    if name == "E_k/M/1":
        q = ekm1(k, lam, mu)
        p_wait = q.mean_wait_s / q.mean_sojourn_s  # sigma: W = 1/(mu(1 - sigma)), Wq = sigma W
    elif name == "E_k/M/c (Takacs)":
        q, p_wait = ekmc(k, lam, mu, c)
    elif erlang:
        q = allen_cunneen(lam, svc.mean_s, c, 1.0 / k, svc.scv)
        p_wait = None
    elif svc.exponential:
        q, p_wait = mmc(lam, mu, c), erlang_c(c, load)
    elif c == 1:
        q, p_wait = mg1(lam, svc.mean_s, svc.scv), rho  # an arrival waits iff the server is busy (PASTA)
    else:
        q, p_wait = allen_cunneen(lam, svc.mean_s, c, 1.0, svc.scv), erlang_c(c, load)  # C(c, A) as approximation
    rate = m["arrival_rate_per_s"]
    wait = m.get("wait_ms", {}).get("mean") if "wait_ms" in m else (
        m["queue_length"] / rate * 1000.0 if rate > 0 and "queue_length" in m else None)
    small_ms = NEGLIGIBLE * svc.mean_s * 1000.0  # a wait under 1% of the service time
    figures = [
        figure("wait_ms_mean", q.mean_wait_s * 1000.0, wait, negligible=small_ms),
        figure("time_in_node_ms_mean", q.mean_sojourn_s * 1000.0, m["latency_ms"]["mean"]),
        figure("utilization", q.utilization, m.get("utilization"), negligible=NEGLIGIBLE),
        figure("wait_probability", p_wait, m.get("wait_probability"), negligible=NEGLIGIBLE),
        figure("queue_length", q.mean_in_queue, m.get("queue_length"), negligible=NEGLIGIBLE),
        little(s),
    ]
    return name, assumptions, figures


def loss(s: Situation, servers: int, svc: Service, extra: list[Assumption]) -> Model:
    """No room to wait: M/G/c/c, whose blocking probability is Erlang B for any service time."""
    m = s.measured
    load = s.rate * svc.mean_s
    blocking = erlang_b(servers, load)
    assumptions = arrivals_assumptions(s) + run_assumptions(s) + extra + [_losses(s, loss_model=True)]
    arrivals = m["arrivals"]
    refused = m["failures"].get("overloaded", 0)
    figures = [
        figure("blocking_probability", blocking, refused / arrivals if arrivals else None, negligible=NEGLIGIBLE),
        figure("utilization", load * (1.0 - blocking) / servers, m.get("utilization")),
        figure("time_in_node_ms_mean", svc.mean_s * 1000.0, m["latency_ms"]["mean"]),
        little(s),
    ]
    return "M/G/c/c (Erlang B)", assumptions, figures


def service_pool(s: Situation) -> Model | str:
    p = s.node["params"]
    means = {c: p["service_time_ms_by_class"].get(c, p["service_time_ms"]) for c in s.class_weights}
    svc = service(p, means, s.class_weights)
    if svc is None:
        return "its service time is zero: nothing queues"
    servers = p["instances"] * sized_workers(p["workers_per_instance"], p["instance_size"])
    blocking = p["blocking_calls"]
    extra = [assumption("non_blocking", not blocking,
                        "its workers stay busy while waiting on its dependencies, so a worker is held longer than "
                        "its own service time" if blocking else "a worker is free once its own work is done")]
    if p["timeout_ms"] > 0:
        extra.append(assumption("patient_callers", s.measured["failures"].get("timeout", 0) == 0,
                                f"waiting requests give up after {p['timeout_ms']:g} ms"))
    return queue(s, servers, svc, p["queue_capacity"], extra)


def database(s: Situation) -> Model | str:
    p = s.node["params"]
    if p["primaries"] != 1 or p["replicas"] != 0:
        return "a replicated or multi-primary database spreads its queries over instances by its own rules"
    means = {c: p["write_time_ms"] if s.operations.get(c) == "write" else p["read_time_ms"] for c in s.class_weights}
    svc = service(p, means, s.class_weights)
    if svc is None:
        return "its query times are zero: nothing queues"
    workers = min(sized_workers(p["workers"], p["instance_size"]), p["max_connections"])
    return queue(s, workers, svc, max(0, p["max_connections"] - workers), [])


# -- a function's cold starts and concurrency limit -----------------------------------------------


def serverless_function(s: Situation) -> Model | str:
    p, m = s.node["params"], s.measured
    share = p["cpu_bound_share"]
    scale = (1.0 - share) + share * p["reference_memory_mb"] / p["memory_mb"]
    means = {c: p["duration_ms_by_class"].get(c, p["duration_ms"]) for c in s.class_weights}
    svc = service(p, means, s.class_weights)
    work_s = svc.mean_s * scale if svc is not None else 0.0
    lam = s.rate
    cold = cold_start_fraction(lam, p["idle_timeout_s"])
    has_calls = s.callees > 0
    # Erlang B is insensitive to the holding time's shape: only its mean matters, measured when
    # the function waits on dependencies (the design cannot say how long).
    holding_s = m["latency_ms"]["mean"] / 1000.0 if has_calls else work_s + cold * p["cold_start_ms"] / 1000.0
    busy = lam * holding_s
    assumptions = arrivals_assumptions(s) + run_assumptions(s) + [
        assumption("one_instance_at_a_time", busy <= 0.1,
                   f"about {busy:.2g} invocations run at once: e^(-lambda T) counts a cold start only after an idle "
                   "gap, while a request arriving during another's run also needs a new instance"),
        assumption("no_provisioned_concurrency", p["provisioned_concurrency"] == 0,
                   f"{p['provisioned_concurrency']} provisioned instances never start cold"
                   if p["provisioned_concurrency"] else "every instance is on demand"),
    ]
    arrivals = m["arrivals"]
    figures = [figure("cold_start_ratio", cold, m.get("cold_start_ratio"), negligible=NEGLIGIBLE)]
    figures.append(figure("throttled_share", erlang_b(p["max_concurrency"], busy),
                          m.get("throttled", 0) / arrivals if arrivals else None, negligible=NEGLIGIBLE))
    figures.append(little(s))
    return "cold starts e^(-lambda T); concurrency limit Erlang B", assumptions, figures


# -- a cache --------------------------------------------------------------------------------------


def cache(s: Situation, keys: dict[str, Any]) -> Model | str:
    p, m = s.node["params"], s.measured
    if p["mode"] == "fixed_probability":
        reads = sum(w for c, w in s.class_weights.items() if s.operations.get(c) != "write")
        return ("fixed hit probability", run_assumptions(s),
                [figure("hit_ratio", p["hit_probability"] if reads > 0 else None, m.get("hit_ratio")), little(s)])
    n = keys["count"]
    if n > MAX_CHE_KEYS:
        return f"{n:,} keys are too many to solve Che's approximation here (at most {MAX_CHE_KEYS:,})"
    exponent = keys["exponent"] if keys["distribution"] == "zipf" else 0.0
    popularities = zipf_popularities(n, exponent)
    capacity = p["capacity_items"]
    if capacity >= n:
        hit, t_requests = 1.0, float(n)
    else:
        hit, t_requests = che_lru_hit_ratio(popularities, capacity), che_characteristic_time(popularities, capacity)
    writes = [c for c, w in s.class_weights.items() if w > 0 and s.operations.get(c) == "write"]
    fill_s = t_requests / s.rate if s.rate > 0 else float("inf")
    assumptions = [
        assumption("independent_references", True,
                   f"each request's key is drawn independently ({keys['distribution']} over {n:,} keys)"),
        assumption("lru_eviction", p["eviction"] == "lru",
                   f"Che's approximation is for LRU; this cache evicts by {p['eviction']}"),
        assumption("no_expiry", p["ttl_s"] == 0, f"items expire after {p['ttl_s']:g} s" if p["ttl_s"] else "items never expire"),
        assumption("no_invalidation", not writes,
                   f"writes ({', '.join(writes)}) delete cached keys" if writes else "no write reaches the cache"),
        assumption("warm_up", s.run.warmup_s >= fill_s,
                   f"the cache fills in about {fill_s:.3g} s (Che's time, {t_requests:,.0f} requests); the warm-up "
                   f"is {s.run.warmup_s:g} s"),
        *run_assumptions(s),
    ]
    return "Che's approximation (LRU, independent Zipf references)", assumptions, [
        figure("hit_ratio", hit, m.get("hit_ratio")), little(s)]


# -- a balancer's split ---------------------------------------------------------------------------


def load_balancer(s: Situation, targets: dict[str, float | None]) -> Model | str:
    """Each target's share of the balancer's requests. `targets` maps each target fed by the
    balancer alone to its measured arrival rate (None: others feed it too)."""
    policy = s.node["params"]["policy"]
    if policy not in ("round_robin", "random") or not targets:
        return f"a {policy} balancer's split follows its targets' state or its clients' hashes"
    k = len(targets)
    figures = [figure(f"arrival_rate_per_s:{t}", s.rate / k, rate) for t, rate in targets.items() if rate is not None]
    healthy = s.measured.get("healthy_targets", k) == s.measured.get("targets", k) and not s.faults_here
    assumptions = arrivals_assumptions(s) + [
        assumption("targets_healthy", healthy, "every target stays in rotation" if healthy
                   else "a target left the rotation, so the others took its share"),
    ]
    figures.append(little(s))
    name = "round-robin split (each target E_k/M/1 when single-server)" if policy == "round_robin" else "random split"
    return name, assumptions, figures
