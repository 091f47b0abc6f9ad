"""The engine against queueing theory.

Each check runs independent replications (one seed each), cuts a warm-up, and builds a 99%
confidence interval from the replication means with Student's t. The theory value must lie in
the interval, and the interval must be narrow enough (a few percent of the value) for the check
to catch a real bias. The seeds are fixed, so a run is deterministic: a pass is not luck that
changes from one CI run to the next.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import pytest

from lab.sim import Simulation, load, theory

from .replications import interval

pytestmark = pytest.mark.fidelity

SEEDS = range(101, 111)  # 10 replications
EXAMPLES = Path(__file__).resolve().parents[2] / "lab" / "sim" / "examples"


def source(rate: float, **params: Any) -> dict[str, Any]:
    return {"id": "src", "kind": "traffic_source", "params": {"rate_per_s": rate, **params}}


def pool(node_id: str, service_ms: float, workers: int = 1, **params: Any) -> dict[str, Any]:
    return {"id": node_id, "kind": "service_pool",
            "params": {"instances": 1, "workers_per_instance": workers, "queue_capacity": 1_000_000,
                       "service_time_ms": service_ms, **params}}


def topology(nodes: list[dict[str, Any]], edges: list[tuple[str, str]], duration: float, warmup: float,
             **workload: Any) -> dict[str, Any]:
    doc = {
        "version": 1,
        "settings": {"duration_s": duration, "warmup_s": warmup},
        "nodes": nodes,
        "edges": [{"from": a, "to": b} for a, b in edges],
    }
    if workload:
        doc["workload"] = workload
    return load(doc)


def replicate(topo: dict[str, Any], measure: Callable[[dict[str, Any]], float]) -> tuple[float, float]:
    """Mean and 99% half-width of `measure(results)` over the replications."""
    values = []
    for seed in SEEDS:
        sim = Simulation(topo, seed=seed)
        sim.run(topo["settings"]["duration_s"])
        sim.finish()
        values.append(measure(sim.results()))
    return interval(values)


def assert_covers(mean: float, half: float, expected: float, max_rel_width: float = 0.05) -> None:
    assert half < max_rel_width * expected, (
        f"the interval {mean:.6g} +- {half:.3g} is too wide to test anything (limit {max_rel_width:.0%})")
    assert abs(mean - expected) <= half, (
        f"theory says {expected:.6g}; the simulation's 99% interval is {mean - half:.6g} .. {mean + half:.6g}")


def node_sojourn_s(node: str) -> Callable[[dict[str, Any]], float]:
    return lambda r: r["measured"]["nodes"][node]["latency_ms"]["mean"] / 1000.0


def test_mm1_mean_sojourn_matches_theory() -> None:
    topo = topology([source(700.0), pool("app", 1.0)], [("src", "app")], duration=60, warmup=5)
    mean, half = replicate(topo, node_sojourn_s("app"))
    assert_covers(mean, half, theory.mm1(700.0, 1000.0).mean_sojourn_s)


def test_mm1_time_average_queue_length_and_utilization_match_theory() -> None:
    topo = topology([source(700.0), pool("app", 1.0)], [("src", "app")], duration=60, warmup=5)
    expected = theory.mm1(700.0, 1000.0)
    mean, half = replicate(topo, lambda r: r["measured"]["nodes"]["app"]["queue_length"])
    assert_covers(mean, half, expected.mean_in_queue, max_rel_width=0.08)
    mean, half = replicate(topo, lambda r: r["measured"]["nodes"]["app"]["utilization"])
    assert_covers(mean, half, expected.utilization, max_rel_width=0.02)


def test_mmc_mean_wait_matches_erlang_c() -> None:
    topo = topology([source(3000.0), pool("app", 1.0, workers=4)], [("src", "app")], duration=30, warmup=3)
    expected = theory.mmc(3000.0, 1000.0, 4)
    mean, half = replicate(topo, lambda r: node_sojourn_s("app")(r) - 0.001)
    assert_covers(mean, half, expected.mean_wait_s, max_rel_width=0.06)


def test_md1_mean_sojourn_matches_pollaczek_khinchine() -> None:
    topo = topology([source(700.0), pool("app", 1.0, service_distribution="deterministic")],
                    [("src", "app")], duration=60, warmup=5)
    mean, half = replicate(topo, node_sojourn_s("app"))
    assert_covers(mean, half, theory.md1(700.0, 0.001).mean_sojourn_s)


def test_mg1_with_lognormal_service_matches_pollaczek_khinchine() -> None:
    topo = topology([source(600.0), pool("app", 1.0, service_distribution="lognormal", service_cv=1.5)],
                    [("src", "app")], duration=90, warmup=5)
    expected = theory.mg1(600.0, 0.001, theory.lognormal_scv(1.5))
    mean, half = replicate(topo, node_sojourn_s("app"))
    assert_covers(mean, half, expected.mean_sojourn_s, max_rel_width=0.08)


def _split(policy: str) -> dict[str, Any]:
    servers = [pool(f"app{i}", 3.0) for i in range(1, 5)]
    nodes = [source(1000.0), {"id": "lb", "kind": "load_balancer", "params": {"policy": policy}}, *servers]
    edges = [("src", "lb")] + [("lb", s["id"]) for s in servers]
    return topology(nodes, edges, duration=60, warmup=5)


def _mean_server_sojourn(r: dict[str, Any]) -> float:
    return sum(node_sojourn_s(f"app{i}")(r) for i in range(1, 5)) / 4


def test_round_robin_splitting_matches_the_exact_ek_m_1_result_not_jackson() -> None:
    mean, half = replicate(_split("round_robin"), _mean_server_sojourn)
    exact = theory.round_robin_split(4, 1000.0, 1000.0 / 3).mean_sojourn_s
    assert_covers(mean, half, exact)
    jackson = theory.random_split(4, 1000.0, 1000.0 / 3).mean_sojourn_s
    assert abs(mean - jackson) > 5 * half, "round robin must not look like Bernoulli splitting"


def test_random_splitting_matches_jackson() -> None:
    mean, half = replicate(_split("random"), _mean_server_sojourn)
    assert_covers(mean, half, theory.random_split(4, 1000.0, 1000.0 / 3).mean_sojourn_s, max_rel_width=0.08)


def test_reference_topology_mean_latency_matches_the_exact_value() -> None:
    topo = load(open(EXAMPLES / "reference.json").read())
    topo["settings"]["duration_s"] = 60.0
    topo["settings"]["warmup_s"] = 5.0
    mean, half = replicate(topo, lambda r: r["measured"]["overall"]["latency_ms"]["mean"] / 1000.0)
    assert_covers(mean, half, theory.reference_topology_mean_latency_s())


def test_littles_law_holds_on_every_node_of_a_larger_topology() -> None:
    for example in ("cached_api", "single_vm_wordpress", "work_queue"):
        topo = load(open(EXAMPLES / f"{example}.json").read())
        sim = Simulation(topo, seed=3)
        sim.run(topo["settings"]["duration_s"])
        sim.finish()
        checked = 0
        for node_id, n in sim.results()["measured"]["nodes"].items():
            if n["arrival_rate_per_s"] == 0 or n["in_node"] < 0.01:
                continue  # pass-through nodes hold nothing; L = 0 = lambda * 0
            lam_w = n["arrival_rate_per_s"] * n["residence_ms_mean"] / 1000.0
            # Little's law holds exactly over a busy period; over a window cut out of a run the
            # difference is what is in the node at the two ends, small against a long span.
            assert n["in_node"] == pytest.approx(lam_w, rel=0.03), f"{example}: node {node_id}"
            checked += 1
        assert checked >= 2, f"{example}: too few loaded nodes to check"


def test_lru_hit_ratio_under_zipf_keys_matches_ches_approximation() -> None:
    n_keys, capacity, exponent = 20_000, 1000, 0.8
    nodes = [
        source(5000.0),
        {"id": "cache", "kind": "cache",
         "params": {"mode": "keyed", "capacity_items": capacity, "eviction": "lru", "hit_latency_ms": 0, "miss_latency_ms": 0}},
        {"id": "db", "kind": "database", "params": {"workers": 1000, "max_connections": 100_000, "read_time_ms": 0.1}},
    ]
    topo = topology(nodes, [("src", "cache"), ("cache", "db")], duration=20, warmup=5,
                    keys={"distribution": "zipf", "count": n_keys, "exponent": exponent})
    mean, half = replicate(topo, lambda r: r["measured"]["nodes"]["cache"]["hit_ratio"])
    che = theory.che_lru_hit_ratio(theory.zipf_popularities(n_keys, exponent), capacity)
    # Che's approximation is itself accurate to well under one percentage point here; allow
    # that on top of the sampling interval.
    assert half < 0.01
    assert abs(mean - che) <= half + 0.005, f"Che: {che:.4f}, simulated: {mean:.4f} +- {half:.4f}"
