"""Scatter-gather: the slowest leaf sets the pace, one failing leaf fails the request, and waiting
for k of N or for a timeout cuts both."""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from lab.sim import REGISTRY, Simulation, check, load

from .component_world import node, pool, simulate, source, topology
from .replications import interval

EXAMPLES = Path(__file__).resolve().parents[2] / "lab" / "sim" / "examples"


def fan_out(leaves: int, rate: float = 100.0, leaf: dict[str, Any] | None = None, **params: Any) -> dict[str, Any]:
    """A root sending `leaves` requests along one edge to a leaf tier (by default a pool with so
    many workers that no leaf ever waits: exponential leaf times of 10 ms)."""
    leaf = leaf or pool("leaf", instances=1, workers_per_instance=10_000, queue_capacity=0, service_time_ms=10)
    root = node("root", "scatter_gather", fanout=leaves, merge_ms=0, **params)
    return topology([source(rate), root, leaf], [("users", "root"), ("root", leaf["id"])])


def flaky_leaves(error_rate: float) -> dict[str, Any]:
    return node("leaf", "third_party_api", latency_ms=10, latency_distribution="exponential",
                error_rate=error_rate, rate_limit_per_s=0)


def root_view(results: dict[str, Any]) -> dict[str, Any]:
    return results["measured"]["nodes"]["root"]


def harmonic(n: int) -> float:
    return sum(1.0 / i for i in range(1, n + 1))


def max_of_exponentials_quantile(q: float, n: int, mean_s: float) -> float:
    """The q-quantile of the maximum of n iid exponentials: solve (1 - e^(-x/mean))^n = q."""
    return -mean_s * math.log(1.0 - q ** (1.0 / n))


def replicate(topo: dict[str, Any], seconds: float, measure: Any, seeds: range = range(201, 211)) -> tuple[float, float]:
    """Mean and 99% half-width of `measure(results)` over independent replications."""
    values = [measure(simulate(topo, seconds, seed=seed)) for seed in seeds]
    return interval(values)


# ---------------------------------------------------------------- the straggler effect, against theory


def topology_warm(topo: dict[str, Any]) -> dict[str, Any]:
    topo["settings"]["warmup_s"] = 2.0
    return topo


@pytest.mark.fidelity
@pytest.mark.parametrize("leaves", [5, 20])
def test_waiting_for_all_leaves_takes_the_mean_of_the_maximum_of_n_exponentials(leaves: int) -> None:
    topo = topology_warm(fan_out(leaves))
    mean, half = replicate(topo, 40.0, lambda r: root_view(r)["latency_ms"]["mean"] / 1000.0)
    expected = harmonic(leaves) * 0.010  # H_N / mu
    assert half < 0.03 * expected, f"interval +-{half} too wide to test anything"
    assert abs(mean - expected) <= half, f"theory {expected}, measured {mean} +- {half}"


@pytest.mark.fidelity
@pytest.mark.parametrize("leaves", [5, 20])
def test_waiting_for_all_leaves_has_the_p99_of_the_maximum_of_n_exponentials(leaves: int) -> None:
    topo = topology_warm(fan_out(leaves))
    mean, half = replicate(topo, 40.0, lambda r: root_view(r)["latency_ms"]["p99"] / 1000.0)
    expected = max_of_exponentials_quantile(0.99, leaves, 0.010)
    # The histogram reads a quantile within 1% of the exact one, so that much is allowed on top.
    assert half < 0.05 * expected, f"interval +-{half} too wide to test anything"
    assert abs(mean - expected) <= half + 0.01 * expected, f"theory {expected}, measured {mean} +- {half}"


def test_the_p99_of_waiting_for_twenty_leaves_is_far_above_one_leafs() -> None:
    results = simulate(fan_out(20), 30.0)
    leaf_p99 = results["measured"]["nodes"]["leaf"]["latency_ms"]["p99"]
    root_p99 = root_view(results)["latency_ms"]["p99"]
    assert leaf_p99 == pytest.approx(46.05, rel=0.05)  # -ln(0.01) x 10 ms
    assert root_p99 > 1.5 * leaf_p99
    assert root_p99 == pytest.approx(1000 * max_of_exponentials_quantile(0.99, 20, 0.010), rel=0.05)


def test_waiting_for_k_of_n_cuts_the_p99_and_leaves_stragglers_that_still_load_the_leaves() -> None:
    everything = simulate(fan_out(20), 30.0)
    most = simulate(fan_out(20, k=16), 30.0)
    assert root_view(most)["latency_ms"]["p99"] < 0.6 * root_view(everything)["latency_ms"]["p99"]
    view = root_view(most)
    assert view["leaves_waited_mean"] == 16.0
    # Every request still sends 20 leaves, and the 4 it did not wait for come back later.
    leaf = most["measured"]["nodes"]["leaf"]
    assert leaf["arrivals"] == pytest.approx(20 * view["arrivals"], abs=40)
    assert view["stragglers_ignored"] == pytest.approx(4 * view["completions"], abs=80)
    assert view["fanout"] == 20.0


# ---------------------------------------------------------------- availability


def test_with_a_hundred_leaves_failing_one_percent_of_the_time_most_requests_fail() -> None:
    results = simulate(fan_out(100, leaf=flaky_leaves(0.01)), 30.0)
    overall = results["measured"]["overall"]
    expected = 1 - 0.99**100  # 63.4%
    n = overall["completions"] + overall["errors"]
    assert overall["error_rate"] == pytest.approx(expected, abs=4 * math.sqrt(expected * (1 - expected) / n))
    assert set(overall["failures"]) == {"dependency"}
    assert root_view(results)["leaves_failed"] > 0


def test_waiting_for_95_of_100_leaves_almost_never_fails() -> None:
    results = simulate(fan_out(100, leaf=flaky_leaves(0.01), k=95), 30.0)
    # More than 5 of 100 failing at 1% each: binomial tail of about 0.05%.
    assert results["measured"]["overall"]["error_rate"] < 0.003
    assert root_view(results)["leaves_failed"] > 0.005 * root_view(results)["leaves_sent"]


def test_a_request_fails_as_soon_as_too_many_leaves_have_failed_to_reach_k() -> None:
    # Two shards; the second is down, so "all" can never be reached: every request fails at once.
    shards = [pool("s1", instances=1, workers_per_instance=100, service_time_ms=50, service_distribution="deterministic"),
              pool("s2", instances=1, workers_per_instance=100, service_time_ms=50, service_distribution="deterministic")]
    topo = topology([source(50.0), node("root", "scatter_gather", merge_ms=0), *shards],
                    [("users", "root"), ("root", "s1"), ("root", "s2")],
                    faults=[{"kind": "crash", "node": "s2", "start_s": 0, "duration_s": 0}])
    results = simulate(topo, 10.0)
    view = root_view(results)
    assert view["failures"] == {"dependency": view["arrivals"]}
    assert view["residence_ms_mean"] == 0.0  # it failed the moment s2 refused its leaf
    assert view["stragglers_ignored"] > 0.9 * view["arrivals"]  # s1's answers come back to nobody


# ---------------------------------------------------------------- timeouts and merging


def fast_and_slow(**params: Any) -> dict[str, Any]:
    fast = pool("fast", instances=1, workers_per_instance=100, service_time_ms=5, service_distribution="deterministic")
    slow = pool("slow", instances=1, workers_per_instance=100, service_time_ms=50, service_distribution="deterministic")
    root = node("root", "scatter_gather", **{"timeout_ms": 20, "merge_ms": 3, **params})
    return topology([source(50.0), root, fast, slow], [("users", "root"), ("root", "fast"), ("root", "slow")])


def test_on_timeout_partial_answers_with_the_leaves_that_have_answered() -> None:
    results = simulate(fast_and_slow(on_timeout="partial"), 10.0)
    view = root_view(results)
    assert view["errors"] == 0
    assert view["partial_answers"] == view["completions"] > 400
    assert view["leaves_waited_mean"] == 1.0
    # The timeout at 20 ms, then the merge.
    assert view["latency_ms"]["p50"] == pytest.approx(23.0, rel=0.01)
    assert view["latency_ms"]["max"] == pytest.approx(23.0, rel=1e-6)


def test_on_timeout_fail_fails_with_504_when_the_timeout_expires() -> None:
    results = simulate(fast_and_slow(on_timeout="fail"), 10.0)
    view = root_view(results)
    assert view["completions"] == 0
    assert view["failures"] == {"timeout": view["arrivals"] - view["in_node_now"]}
    # Each failed request spent the 20 ms of the timeout here (one was still waiting at the end).
    assert view["residence_ms_mean"] * view["arrivals"] / view["failures"]["timeout"] == pytest.approx(20.0, rel=1e-6)


def test_a_partial_answer_needs_at_least_one_leaf() -> None:
    slow = pool("slow", instances=1, workers_per_instance=100, service_time_ms=50, service_distribution="deterministic")
    topo = topology([source(50.0), node("root", "scatter_gather", timeout_ms=20, on_timeout="partial"), slow],
                    [("users", "root"), ("root", "slow")])
    view = root_view(simulate(topo, 5.0))
    assert view["completions"] == 0
    assert view["failures"] == {"timeout": view["arrivals"] - view["in_node_now"]}


def test_the_merge_adds_the_roots_own_work_after_the_last_leaf() -> None:
    results = simulate(fast_and_slow(timeout_ms=0), 5.0)
    latency = root_view(results)["latency_ms"]
    assert latency["max"] == pytest.approx(53.0, rel=1e-6)
    assert latency["p50"] == pytest.approx(53.0, rel=0.01)


def test_each_outgoing_edge_gets_fanout_leaves() -> None:
    results = simulate(fast_and_slow(timeout_ms=0, fanout=3), 5.0)
    nodes = results["measured"]["nodes"]
    assert nodes["fast"]["arrivals"] == nodes["slow"]["arrivals"] == pytest.approx(3 * nodes["root"]["arrivals"], abs=6)
    assert nodes["root"]["fanout"] == 6.0


def test_a_traced_request_shows_the_leaves_it_waited_on() -> None:
    sim = Simulation(fast_and_slow(timeout_ms=0), seed=1, trace_every=1)
    sim.run(2.0)
    trace = sim.results()["traces"]["sampled"][-1]
    assert [hop["node"] for hop in trace["hops"]] == ["root", "fast", "slow", "root"]
    assert trace["hops"][-1]["service_ms"] == 3.0


def test_it_rejects_a_k_larger_than_the_leaves_it_sends() -> None:
    problems = REGISTRY["scatter_gather"].check({**REGISTRY["scatter_gather"].defaults(), "fanout": 4, "k": 9}, 2)
    assert problems and problems[0][0] == "k" and "8 leaves" in problems[0][1]
    assert REGISTRY["scatter_gather"].check({**REGISTRY["scatter_gather"].defaults(), "fanout": 4, "k": 8}, 2) == []


# ---------------------------------------------------------------- the example


def search_example(**root_params: Any) -> dict[str, Any]:
    doc = json.loads((EXAMPLES / "search_scatter_gather.json").read_text())
    root = next(n for n in doc["nodes"] if n["id"] == "search")
    root["params"].update(root_params)
    doc["settings"]["duration_s"] = 60
    return load(json.dumps(doc))


def test_the_search_example_is_valid_and_its_timeout_cuts_the_stragglers() -> None:
    assert check((EXAMPLES / "search_scatter_gather.json").read_text()) == []
    with_timeout = simulate(search_example(), 60.0, seed=20)["measured"]["nodes"]["search"]
    without = simulate(search_example(timeout_ms=0), 60.0, seed=20)["measured"]["nodes"]["search"]
    # Without the timeout the 250 ms pauses set the p99; with it, no search waits past 60 ms + merge.
    assert without["latency_ms"]["p99"] > 240
    assert with_timeout["latency_ms"]["max"] < 70
    assert with_timeout["latency_ms"]["mean"] < 0.7 * without["latency_ms"]["mean"]
    # The price: about 1 - 0.99^20 = 18% of answers miss a shard, yet 99% of shard results arrive.
    share = with_timeout["partial_answers"] / with_timeout["completions"]
    assert 0.12 < share < 0.25
    assert with_timeout["leaves_waited_mean"] > 19.7
    assert with_timeout["errors"] == 0


def test_leaves_that_time_out_on_a_guarded_edge_fail_their_parent_and_the_run_goes_on() -> None:
    # A leaf is the root's own request: it can time out on the edge's policy before any node
    # has seen it (this raised AttributeError: 'Request' object has no attribute 't_node').
    slow = pool("leaf", instances=1, workers_per_instance=8, queue_capacity=1000, service_time_ms=60)
    doc = fan_out(20, rate=2.0, leaf=slow, timeout_ms=500, on_timeout="partial")
    doc["edges"][1]["policy"] = {"retries": 1, "backoff_ms": 2, "jitter": "full", "timeout_ms": 50}
    results = simulate(doc, 30.0)
    ledger = results["requests"]
    assert ledger["created"] > 40
    assert ledger["created"] == ledger["completed"] + ledger["failed"] + ledger["in_flight"]
    assert results["measured"]["nodes"]["root"]["failures"].get("dependency", 0) > 0
