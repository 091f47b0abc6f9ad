"""The serverless function: cold starts, keep-alive, the concurrency limit, provisioned
concurrency, memory, timeouts, what it costs against an always-on pool, and the cold-start
fraction against theory."""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from lab.sim import Simulation, check, load, theory
from lab.sim.cloud.pricing import DEFAULT_PRICES
from lab.sim import apply_command

from .component_world import Run, node, pool, simulate, source, topology
from .replications import interval

EXAMPLES = Path(__file__).resolve().parents[2] / "lab" / "sim" / "examples"

# Deterministic times make every latency exact.
EXACT = {"service_distribution": "deterministic", "cold_start_distribution": "deterministic"}


def function(node_id: str = "fn", **params: Any) -> dict[str, Any]:
    return node(node_id, "serverless_function", **{**EXACT, **params})


def alone(rate: float, arrival: str = "constant", faults: list[dict[str, Any]] | None = None,
          **params: Any) -> dict[str, Any]:
    return topology([source(rate, arrival=arrival), function(**params)], [("users", "fn")], faults=faults)


def fn_totals(results: dict[str, Any]) -> dict[str, Any]:
    return results["measured"]["nodes"]["fn"]


# ---------------------------------------------------------------- instances and cold starts


def test_only_a_request_that_finds_no_warm_instance_pays_the_cold_start() -> None:
    # One request a second, 50 ms each: one instance serves them all after the first.
    results = simulate(alone(1.0, duration_ms=50, cold_start_ms=400), 10.5)
    fn = fn_totals(results)
    assert fn["invocations"] == 10 and fn["cold_starts"] == 1
    assert fn["latency_ms"]["max"] == pytest.approx(450.0)
    assert fn["latency_ms"]["p50"] == pytest.approx(50.0, rel=0.02)
    assert fn["cold_start_ratio"] == pytest.approx(0.1)


def test_an_instance_idle_longer_than_the_keep_alive_is_reclaimed() -> None:
    # A request every 10 s: a keep-alive of 5 s loses the instance between them, 20 s keeps it.
    short = fn_totals(simulate(alone(0.1, duration_ms=50, idle_timeout_s=5), 100.5))
    long = fn_totals(simulate(alone(0.1, duration_ms=50, idle_timeout_s=20), 100.5))
    assert short["invocations"] == long["invocations"] == 10
    assert short["cold_starts"] == 10
    assert long["cold_starts"] == 1


def test_the_instances_gauge_falls_to_zero_once_the_keep_alive_has_passed() -> None:
    topo = topology([source(20.0, pattern="schedule", schedule=[[0, 20], [10, 0]]),
                     function(duration_ms=100, idle_timeout_s=5)], [("users", "fn")])
    r = Run(topo).run(20.0)
    r.finish()
    instances = [w["instances"] for w in r.window_nodes("fn")]
    assert min(instances[2:10]) >= 2  # 20/s x 0.1 s: about two at work, more kept warm
    assert instances[12] > 0  # idle but within the keep-alive
    assert instances[17] == 0


def test_beyond_the_concurrency_limit_requests_are_throttled_with_429() -> None:
    # A request every 10 ms of 99 ms each needs 10 at once; the limit is 5, so every other
    # group of five is turned away.
    results = simulate(alone(100.0, duration_ms=99, cold_start_ms=0, max_concurrency=5), 20.0)
    fn = fn_totals(results)
    assert fn["concurrency_max"] == 5
    assert fn["throughput_per_s"] == pytest.approx(50.0, rel=0.02)
    assert fn["failures"] == {"throttled": fn["throttled"]}
    assert fn["throttled"] == pytest.approx(1000, rel=0.02)
    assert results["measured"]["overall"]["failures"] == {"throttled": fn["throttled"]}


def test_provisioned_instances_never_cold_start_and_are_billed_while_idle() -> None:
    # A request every 10 s with a 1 s keep-alive would start cold every time without them.
    fn = fn_totals(simulate(alone(0.1, duration_ms=50, idle_timeout_s=1, provisioned_concurrency=2), 100.5))
    assert fn["invocations"] == 10 and fn["cold_starts"] == 0
    assert fn["instances"] == 2 and fn["provisioned"] == 2
    idle_price = 2 * 1.0 * 3600 * DEFAULT_PRICES["function_provisioned_gb_second"]  # 2 instances of 1 GB
    assert fn["cost_per_hour_usd"] > idle_price
    assert fn["cost_per_hour_usd"] == pytest.approx(idle_price, rel=0.05)


def test_requests_beyond_the_provisioned_instances_start_on_demand_instances() -> None:
    # A request every 20 ms of 99 ms each: five at once, two of them on provisioned instances.
    fn = fn_totals(simulate(alone(50.0, duration_ms=99, cold_start_ms=0, provisioned_concurrency=2), 10.0))
    assert fn["concurrency_max"] == 5
    assert fn["cold_starts"] == 3


def test_provisioned_concurrency_set_during_a_run_ends_the_cold_starts() -> None:
    r = Run(alone(0.1, duration_ms=50, idle_timeout_s=1)).run(50.0)
    assert apply_command(r.sim, {"op": "set_param", "node": "fn", "param": "provisioned_concurrency", "value": 1}) == []
    refused = apply_command(r.sim, {"op": "set_param", "node": "fn", "param": "provisioned_concurrency", "value": 2000})
    assert "cannot exceed max_concurrency" in refused[0]["message"]
    assert r.sim.nodes["fn"].p["provisioned_concurrency"] == 1
    r.run(100.5)
    r.finish()
    cold = [w["cold_starts"] for w in r.window_nodes("fn")]
    assert sum(cold[:50]) == 5
    assert sum(cold[50:]) == 0


# ---------------------------------------------------------------- memory, price, timeouts


def test_memory_speeds_up_only_the_cpu_bound_share_of_the_work() -> None:
    def mean_ms(**params: Any) -> float:
        return fn_totals(simulate(alone(2.0, provisioned_concurrency=1, duration_ms=100,
                                        reference_memory_mb=1024, **params), 10.0))["latency_ms"]["mean"]

    assert mean_ms(memory_mb=1024, cpu_bound_share=0.5) == pytest.approx(100.0, rel=0.01)
    assert mean_ms(memory_mb=512, cpu_bound_share=0.5) == pytest.approx(150.0, rel=0.01)
    assert mean_ms(memory_mb=2048, cpu_bound_share=1.0) == pytest.approx(50.0, rel=0.01)
    assert mean_ms(memory_mb=512, cpu_bound_share=0.0) == pytest.approx(100.0, rel=0.01)


def test_the_price_is_gb_seconds_and_invocations() -> None:
    # 10 requests a second of 200 ms at 2 GB; the one cold start of 300 ms is billed as well.
    r = Run(alone(10.0, duration_ms=200, memory_mb=2048, reference_memory_mb=2048, cold_start_ms=300))
    r.run(100.0)
    r.sim.drain()  # every invocation started is billed when it ends
    fn = fn_totals(r.sim.results())
    gb_seconds = 2.0 * (0.2 * fn["invocations"] + 0.3 * fn["cold_starts"])
    assert fn["gb_seconds"] == pytest.approx(gb_seconds, rel=1e-6)
    expected = (gb_seconds * DEFAULT_PRICES["function_gb_second"]
                + fn["invocations"] * DEFAULT_PRICES["function_request_million"] / 1e6)
    assert fn["cost_usd"] == pytest.approx(expected, rel=1e-4)


def test_work_longer_than_the_timeout_fails_with_504_when_the_timeout_expires() -> None:
    r = Run(alone(1.0, duration_ms=3000, cold_start_ms=0, timeout_s=1)).run(10.5)
    r.sim.drain()
    fn = fn_totals(r.sim.results())
    assert fn["completions"] == 0
    assert fn["failures"] == {"timeout": 10} and fn["timeouts"] == 10
    assert fn["residence_ms_mean"] == pytest.approx(1000.0)


def test_the_timeout_covers_the_wait_on_a_slow_dependency_and_resets_the_instance() -> None:
    slow = pool("db", instances=1, workers_per_instance=100, service_time_ms=2000,
                service_distribution="deterministic")
    topo = topology([source(1.0, arrival="constant"), function(duration_ms=100, cold_start_ms=200, timeout_s=1),
                     slow], [("users", "fn"), ("fn", "db")])
    r = Run(topo).run(10.5)
    r.sim.drain()
    results = r.sim.results()
    fn = fn_totals(results)
    assert fn["failures"] == {"timeout": 10}
    # Each gives up 1.2 s after it arrived (cold start, then the handler's second), not when
    # the database answers; a timed-out instance is not reused, so every request starts cold.
    assert fn["residence_ms_mean"] == pytest.approx(1200.0)
    assert fn["cold_starts"] == 10
    assert results["measured"]["nodes"]["db"]["completions"] == 10  # the database still works


def test_it_calls_its_dependencies_in_turn_and_stays_busy_while_it_waits() -> None:
    a = pool("a", instances=1, workers_per_instance=100, service_time_ms=10, service_distribution="deterministic")
    b = pool("b", instances=1, workers_per_instance=100, service_time_ms=20, service_distribution="deterministic")
    topo = topology([source(20.0), function(duration_ms=30, provisioned_concurrency=50), a, b],
                    [("users", "fn"), ("fn", "a"), ("fn", "b")])
    results = simulate(topo, 30.0)
    fn = fn_totals(results)
    assert fn["latency_ms"]["mean"] == pytest.approx(60.0, rel=0.01)
    assert results["measured"]["overall"]["latency_ms"]["mean"] == pytest.approx(60.0, rel=0.01)
    # Little's law: it holds the request, and is billed, while it waits.
    assert fn["in_node"] == pytest.approx(fn["arrival_rate_per_s"] * 0.060, rel=0.02)
    assert fn["gb_seconds"] == pytest.approx(fn["invocations"] * 0.060, rel=0.01)


def test_a_failed_dependency_fails_the_invocation_with_502() -> None:
    full = pool("db", instances=1, workers_per_instance=1, queue_capacity=0, service_time_ms=500,
                service_distribution="deterministic")
    topo = topology([source(10.0), function(duration_ms=10, provisioned_concurrency=20), full],
                    [("users", "fn"), ("fn", "db")])
    results = simulate(topo, 20.0)
    fn = fn_totals(results)
    assert fn["failures"].keys() == {"dependency"}
    assert results["measured"]["overall"]["failures"] == {"dependency": fn["errors"]}
    assert fn["errors"] > 100
    assert fn["arrivals"] == fn["completions"] + fn["errors"] + fn["in_node_now"]


def test_a_crash_loses_the_warm_instances() -> None:
    crash = [{"kind": "crash", "node": "fn", "start_s": 10, "duration_s": 2}]
    r = Run(alone(5.0, duration_ms=20, faults=crash)).run(20.0)
    r.finish()
    cold = [w["cold_starts"] for w in r.window_nodes("fn")]
    assert cold[0] >= 1 and sum(cold[1:10]) == 0
    assert cold[12] >= 1  # the first request after the crash starts cold


def test_provisioned_concurrency_above_the_limit_is_refused_with_a_clear_message() -> None:
    doc = {"version": 1, "nodes": [
        {"id": "users", "kind": "traffic_source", "params": {}},
        {"id": "fn", "kind": "serverless_function", "params": {"max_concurrency": 10, "provisioned_concurrency": 20}},
    ], "edges": [{"from": "users", "to": "fn"}]}
    messages = [p["message"] for p in check(doc)]
    assert any("provisioned_concurrency (20) cannot exceed max_concurrency (10)" in m for m in messages), messages


# ---------------------------------------------------------------- functions against a pool


def _cost_per_million(rate: float, duration_s: float) -> tuple[float, float]:
    """Cost per million requests of a function and of a small always-on pool, same workload."""
    nodes = [node("to_fn", "traffic_source", rate_per_s=rate), node("to_pool", "traffic_source", rate_per_s=rate),
             node("fn", "serverless_function"),  # every default: 1 GB, 100 ms, 300 ms cold starts
             pool("app", instances=2, workers_per_instance=16, service_time_ms=100)]  # two medium VMs
    results = simulate(topology(nodes, [("to_fn", "fn"), ("to_pool", "app")]), duration_s)
    per_million = {n: v["cost_usd"] / v["completions"] * 1e6 for n, v in results["measured"]["nodes"].items()
                   if n in ("fn", "app")}
    return per_million["fn"], per_million["app"]


def test_at_low_traffic_functions_are_cheaper_and_at_high_steady_traffic_a_pool_is() -> None:
    fn_low, pool_low = _cost_per_million(1.0, 600.0)
    fn_high, pool_high = _cost_per_million(150.0, 120.0)
    assert fn_low < pool_low / 5
    assert pool_high < fn_high / 5
    # A function's price per request does not depend on the traffic; the pool's falls with it.
    assert fn_low == pytest.approx(fn_high, rel=0.05)
    assert pool_high == pytest.approx(pool_low / 150, rel=0.1)


def _example(name: str) -> tuple[Simulation, list[dict[str, Any]]]:
    topo = load((EXAMPLES / f"{name}.json").read_text())
    windows: list[dict[str, Any]] = []
    sim = Simulation(topo, on_window=windows.append)
    sim.run(topo["settings"]["duration_s"])
    sim.finish()
    return sim, windows


def test_the_functions_vs_pool_example_shows_the_cost_crossover() -> None:
    assert check((EXAMPLES / "functions_vs_pool.json").read_text()) == []
    _, windows = _example("functions_vs_pool")

    def hourly(node_id: str, t_from: float, t_to: float) -> float:
        spans = [w for w in windows if t_from <= w["t_start"] and w["t_end"] <= t_to]
        return sum(w["nodes"][node_id]["cost_usd"] for w in spans) / (t_to - t_from) * 3600

    # The traffic steps through 5, 10, 20, 50 and 100 requests a second, 120 s each; the
    # crossover is near 12 (the pool's $0.083 an hour over $1.87 per million invocations).
    fn, vms = hourly("functions", 0, 120), hourly("pool", 0, 120)
    assert fn < 0.6 * vms
    assert hourly("functions", 120, 240) < hourly("pool", 120, 240)
    assert hourly("functions", 240, 360) > hourly("pool", 240, 360)
    assert hourly("functions", 480, 600) > 5 * hourly("pool", 480, 600)
    assert hourly("pool", 480, 600) == pytest.approx(vms)  # the pool costs the same all along
    # Both answer everything: the difference is the bill.
    assert sum(w["overall"]["errors"] for w in windows) == 0


def test_the_thumbnails_example_starts_cold_only_after_an_idle_gap_longer_than_the_keep_alive() -> None:
    assert check((EXAMPLES / "serverless_thumbnails.json").read_text()) == []
    _, windows = _example("serverless_thumbnails")
    doc = json.loads((EXAMPLES / "serverless_thumbnails.json").read_text())
    keep = next(n for n in doc["nodes"] if n["id"] == "thumbnails")["params"]["idle_timeout_s"]
    schedule = next(n for n in doc["nodes"] if n["kind"] == "traffic_source")["params"]["schedule"]
    bursts = [(t, next_t) for (t, rate), (next_t, _) in zip(schedule, schedule[1:] + [[math.inf, 0]]) if rate > 0]
    gaps = [b[0] - a[1] for a, b in zip(bursts, bursts[1:])]
    assert gaps[0] > keep > gaps[1]

    def cold(start: float, end: float) -> int:
        return sum(w["nodes"]["thumbnails"]["cold_starts"] for w in windows if start <= w["t_start"] < end)

    (b1, e1), (b2, e2), (b3, e3) = bursts[:3]
    assert cold(b1, e1) >= 4
    assert cold(b2, e2) >= 4  # after a gap longer than the keep-alive
    assert cold(b3, e3) == 0  # after a shorter one the instances were still warm


# ---------------------------------------------------------------- theory


@pytest.mark.fidelity
@pytest.mark.parametrize("lambda_t", [0.5, 1.0, 2.0])
def test_the_cold_start_fraction_of_one_instance_is_e_to_the_minus_lambda_t(lambda_t: float) -> None:
    # Poisson arrivals at 20/s; work and cold starts take no time, so the instance is never busy
    # and an arrival is cold exactly when the one before came more than T earlier.
    rate = 20.0
    keep = lambda_t / rate
    topo = topology([source(rate), function(duration_ms=0, cold_start_ms=0, idle_timeout_s=keep, max_concurrency=1)],
                    [("users", "fn")], warmup_s=50.0, window_s=50.0)
    values = []
    for seed in range(101, 111):
        fn = fn_totals(simulate(topo, 505.0, seed=seed))
        assert fn["throttled"] == 0
        values.append(fn["cold_starts"] / fn["invocations"])
    mean, half = interval(values)
    expected = theory.cold_start_fraction(rate, keep)
    assert half < 0.05 * expected, f"the interval {mean:.4f} +- {half:.4f} is too wide to test anything"
    assert abs(mean - expected) <= half, (
        f"theory says {expected:.4f}; the simulation's 99% interval is {mean - half:.4f} .. {mean + half:.4f}")
