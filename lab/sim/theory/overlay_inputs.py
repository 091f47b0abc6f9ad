"""What the theory overlay reads from a design and a run: each node's arrivals as the topology
tells them (rate per request class and the kind of arrival process), its service-time moments,
and the run's facts that break a model's assumptions (retries, faults, changes, warm-up)."""
from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from typing import Any

# Arrival processes, from the most to the least regular a model may take for Poisson.
POISSON = "poisson"  # exact: a steady Poisson source, thinned or split at random, or merged
NEAR_POISSON = "near_poisson"  # departures of a queue, misses of a cache: treated as Poisson
ERLANG = "erlang"  # a Poisson stream dealt round robin over k targets: Erlang-k gaps
STATE_DEPENDENT = "state_dependent"  # least connections, power of two: the split follows the targets' state
CONSTANT = "constant"  # a load generator's fixed gaps
TIME_VARYING = "time_varying"  # a ramp, spike, diurnal cycle or schedule
_RANK = {POISSON: 0, NEAR_POISSON: 1, ERLANG: 2, STATE_DEPENDENT: 3, CONSTANT: 4, TIME_VARYING: 5}
# Splits that leave each target an equal share of a balancer's requests.
_EVEN_SPLITS = ("round_robin", "random", "least_connections", "power_of_two")


@dataclass
class Inflow:
    """A node's arrivals as the design tells them."""

    rates: dict[str, float] | None = None  # per request class; None: the design cannot tell
    process: str = POISSON
    k: int = 1  # Erlang phases, for ERLANG
    why: str = ""  # where the process comes from, in words
    retried: list[str] = field(default_factory=list)  # edges with retries on the way here


def _merge(into: Inflow, more: Inflow) -> None:
    if into.rates is not None and more.rates is not None:
        for cls, rate in more.rates.items():
            into.rates[cls] = into.rates.get(cls, 0.0) + rate
    else:
        into.rates = None
    into.retried = sorted(set(into.retried) | set(more.retried))
    if not into.why:
        into.process, into.k, into.why = more.process, more.k, more.why
    elif _RANK[more.process] > _RANK[into.process]:
        into.process, into.k, into.why = more.process, more.k, more.why
    elif into.process == ERLANG and more.process == ERLANG:
        # Several Erlang streams merged are no longer Erlang; their sum is close to Poisson.
        into.process, into.why = NEAR_POISSON, "several round-robin streams merge, close to Poisson"


def _source_out(p: dict[str, Any], shares: dict[str, float]) -> Inflow:
    total = sum(shares.values())
    rates = ({c: p["rate_per_s"] * s / total for c, s in shares.items()}
             if p["pattern"] == "steady" and total > 0 else None)
    if p["pattern"] != "steady":
        return Inflow(rates, TIME_VARYING, 1, f"the source's rate follows a {p['pattern']} pattern")
    if p["arrival"] == "constant":
        return Inflow(rates, CONSTANT, 1, "the source sends at fixed gaps (constant arrivals)")
    return Inflow(rates, POISSON, 1, "a steady Poisson source")


def _scaled(inflow: Inflow, factor: float | dict[str, float], process: str, k: int, why: str) -> Inflow:
    rates = None
    if inflow.rates is not None:
        rates = {c: r * (factor[c] if isinstance(factor, dict) else factor) for c, r in inflow.rates.items()}
    return Inflow(rates, process, k, why, list(inflow.retried))


def _node_out(node: dict[str, Any], inflow: Inflow, n_out: int, operations: dict[str, str]) -> Inflow | None:
    """What one of the node's outgoing edges carries, before class filters; None: unknown."""
    kind, p = node["kind"], node["params"]
    regular = _RANK[inflow.process] >= _RANK[CONSTANT]
    if kind == "load_balancer":
        policy = p["policy"]
        if policy not in _EVEN_SPLITS:
            return _scaled(Inflow(None, inflow.process, 1, inflow.why, inflow.retried), 1.0,
                           inflow.process if regular else NEAR_POISSON, 1,
                           f"a {policy} balancer sends each client or key to one target")
        if regular:
            return _scaled(inflow, 1.0 / n_out, inflow.process, 1, inflow.why)
        if policy == "random":
            return _scaled(inflow, 1.0 / n_out, inflow.process, inflow.k, "a random split of " + inflow.why)
        if policy == "round_robin" and inflow.process == POISSON:
            return _scaled(inflow, 1.0 / n_out, ERLANG if n_out > 1 else POISSON, n_out,
                           f"round robin over {n_out} targets gives each Erlang-{n_out} gaps")
        return _scaled(inflow, 1.0 / n_out, STATE_DEPENDENT if n_out > 1 else inflow.process, 1,
                       f"a {policy} balancer's choice depends on the targets' state")
    if kind in ("service_pool", "database", "work_queue", "stream_processor", "serverless_function"):
        why = "the departures of a queue upstream, treated as Poisson"
        return _scaled(inflow, 1.0, inflow.process if regular else NEAR_POISSON, 1, why if not regular else inflow.why)
    if kind == "cache":
        if p["mode"] == "fixed_probability":
            miss = {c: (1.0 if operations.get(c) == "write" else 1.0 - p["hit_probability"]) for c in operations}
            process = inflow.process if inflow.process in (POISSON, TIME_VARYING) else NEAR_POISSON
            return _scaled(inflow, miss, process, 1, "a cache's misses (random, independent) of " + inflow.why)
        return Inflow(None, inflow.process if regular else NEAR_POISSON, 1,
                      "a cache's misses, treated as Poisson", list(inflow.retried))
    if kind == "rate_limiter" and p.get("algorithm") == "leaky_bucket":
        return Inflow(None, CONSTANT, 1, "a leaky bucket spaces requests evenly", list(inflow.retried))
    return Inflow(None, inflow.process if regular else NEAR_POISSON, 1,
                  f"requests passed on by a {kind}, treated as Poisson", list(inflow.retried))


def inflows(topology: dict[str, Any]) -> dict[str, Inflow]:
    """Each node's arrivals as the design tells them, walking the graph from its sources. A node
    on a cycle, or below one whose output the design cannot say, gets `rates` None."""
    nodes = {n["id"]: n for n in topology["nodes"]}
    classes = topology["workload"]["classes"]
    operations = {c["name"]: c["operation"] for c in classes}
    out_edges: dict[str, list[dict[str, Any]]] = {n: [] for n in nodes}
    in_edges: dict[str, list[dict[str, Any]]] = {n: [] for n in nodes}
    for edge in topology["edges"]:
        out_edges[edge["from"]].append(edge)
        in_edges[edge["to"]].append(edge)
    carried: dict[str, Inflow] = {}  # by edge id
    result: dict[str, Inflow] = {}
    pending = list(nodes)
    while pending:
        progressed = False
        for node_id in list(pending):
            node = nodes[node_id]
            incoming = in_edges[node_id]
            if any(e["id"] not in carried for e in incoming) and node["kind"] != "traffic_source":
                continue
            pending.remove(node_id)
            progressed = True
            if node["kind"] == "traffic_source":
                p = node["params"]
                shares = p["mix"] or {c["name"]: c["share"] for c in classes}
                here = _source_out(p, {c: s for c, s in shares.items() if s > 0})
                result[node_id] = Inflow(None, here.process, 1, "", [])
                _carry(node, here, out_edges[node_id], carried, first_only=True)
                continue
            here = Inflow(rates={}, why="")
            for edge in incoming:
                _merge(here, carried[edge["id"]])
            if not incoming:
                here = Inflow(None, NEAR_POISSON, 1, "no edge leads here", [])
            result[node_id] = here
            n_out = len(out_edges[node_id])
            if n_out:
                out = _node_out(node, here, n_out, operations)
                _carry(node, out, out_edges[node_id], carried, first_only=node["kind"] == "cache")
        if not progressed:
            for node_id in pending:  # on a cycle: what reaches them is unknown
                result[node_id] = Inflow(None, NEAR_POISSON, 1, "the node sits on a cycle", [])
            break
    return result


def _carry(node: dict[str, Any], out: Inflow | None, edges: list[dict[str, Any]], carried: dict[str, Inflow],
           *, first_only: bool) -> None:
    """Put what the node sends on its edges: each class on every edge that accepts it (a pool
    calls each dependency in turn), or on the first one only (a source, a cache)."""
    taken: set[str] = set()
    for edge in edges:
        base = out if out is not None else Inflow(None, NEAR_POISSON, 1, "unknown", [])
        accepts = edge["classes"]
        rates = None
        if base.rates is not None:
            rates = {c: r for c, r in base.rates.items()
                     if (accepts is None or c in accepts) and not (first_only and c in taken)}
            taken |= set(rates)
        retried = list(base.retried)
        policy = edge.get("policy")
        if policy and policy.get("retries", 0) > 0:
            retried.append(edge["id"])
        carried[edge["id"]] = Inflow(rates, base.process, base.k, base.why, retried)


# --------------------------------------------------------------------------
# Service times
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Service:
    mean_s: float
    scv: float  # variance / mean**2
    exponential: bool  # every class exponential with one mean: M/M/c applies


def _moments(distribution: str, mean_s: float, cv: float, samples_s: list[float]) -> tuple[float, float]:
    """Mean and variance of one sampler as lab.sim.kernel.randomness builds it."""
    if distribution == "empirical" and samples_s:
        return statistics.fmean(samples_s), statistics.pvariance(samples_s)
    if mean_s <= 0 or distribution == "deterministic" or distribution == "empirical":
        return mean_s, 0.0
    if distribution == "exponential":
        return mean_s, mean_s * mean_s
    return mean_s, (cv * mean_s) ** 2  # lognormal


def service(params: dict[str, Any], means_ms: dict[str, float], weights: dict[str, float]) -> Service | None:
    """The moments of the service time over the classes' mix (a mixture of their samplers):
    E[S] = sum w_c m_c, E[S^2] = sum w_c (var_c + m_c^2). None when no time is positive."""
    total = sum(weights.values())
    if total <= 0:
        return None
    dist = params["service_distribution"]
    samples = [x / 1000.0 for x in params.get("service_samples_ms") or []]
    mean = second = 0.0
    for cls, w in weights.items():
        m, v = _moments(dist, means_ms[cls] / 1000.0, params.get("service_cv", 1.0), samples)
        mean += w / total * m
        second += w / total * (v + m * m)
    if not mean > 0:
        return None
    scv = max(0.0, second / (mean * mean) - 1.0)
    one_mean = len({round(means_ms[c], 9) for c in weights}) == 1
    return Service(mean, scv, dist == "exponential" and one_mean)


# --------------------------------------------------------------------------
# The run's facts
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    warmup_s: float
    span_s: float
    faults: list[dict[str, Any]]  # the design's and the live ones (timeline)
    timeline: list[dict[str, Any]]


def run_facts(topology: dict[str, Any], results: dict[str, Any]) -> Run:
    live = [e for e in results.get("timeline", []) if e.get("type") == "fault_injected"]
    return Run(float(results.get("warmup_s", 0.0)), float(results["measured"]["span_s"]),
               list(topology.get("faults", [])) + live, list(results.get("timeline", [])))


def faults_touching(node: dict[str, Any], edges: list[dict[str, Any]], run: Run) -> tuple[list[str], list[str]]:
    """Names of the faults that touch this node (it, its zone or region, an edge of it), and of
    the others."""
    mine, others = [], []
    edge_ids = {e["id"] for e in edges if node["id"] in (e["from"], e["to"])}
    for fault in run.faults:
        name = f"{fault.get('fault', fault.get('id', '?'))} ({fault.get('kind', '?')})"
        between = fault.get("between") or []
        if (fault.get("node") == node["id"] or fault.get("edge") in edge_ids
                or (node.get("zone") and fault.get("zone") == node["zone"])
                or (node.get("region") and (fault.get("region") == node["region"] or node["region"] in between))):
            mine.append(name)
        else:
            others.append(name)
    return mine, others


def changes_of(node_id: str, run: Run) -> list[dict[str, Any]]:
    """Live parameter changes and autoscaling actions on this node during the run."""
    return [e for e in run.timeline if e.get("node") == node_id and e.get("type") in ("set_param", "scale")]


def relaxation_s(service_rate: float, servers: int, utilization: float) -> float:
    """How long a queue takes to forget how it started, roughly: the M/M/1 relaxation time
    1 / (mu (1 - sqrt(rho))**2) (Morse), with the servers' combined rate c * mu."""
    return 1.0 / (servers * service_rate * (1.0 - math.sqrt(min(utilization, 0.999999))) ** 2)
