"""Windows, measured totals, the latency histogram, sampled traces and the results document."""
from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lab.sim
from lab.sim import Simulation
from lab.sim.metrics.histogram import N_BUCKETS, Histogram
from lab.sim import apply_command


def topology(*, rate: float = 200.0, warmup_s: float = 0.0, window_s: float = 1.0, edge_ms: float = 0.0,
             **app: Any) -> dict[str, Any]:
    app = {"instances": 1, "workers_per_instance": 4, "service_time_ms": 10, **app}
    return lab.sim.load({
        "version": 1,
        "settings": {"duration_s": 3600, "warmup_s": warmup_s, "window_s": window_s, "seed": 1},
        "nodes": [{"id": "users", "kind": "traffic_source", "params": {"rate_per_s": rate}},
                  {"id": "app", "kind": "service_pool", "params": app}],
        "edges": [{"from": "users", "to": "app", "latency_ms": edge_ms}],
    })


def run(topo: dict[str, Any], until: float, **options: Any) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    windows: list[dict[str, Any]] = []
    sim = Simulation(topo, on_window=windows.append, **options)
    sim.run(until)
    sim.finish()
    return windows, sim.results()


# ---------------------------------------------------------------- windows


def test_windows_arrive_in_order_and_tile_the_run_without_gaps() -> None:
    windows, results = run(topology(window_s=0.5), 10.2)
    assert [w["index"] for w in windows] == list(range(21))
    assert windows[0]["t_start"] == 0.0
    for before, after in zip(windows, windows[1:]):
        assert after["t_start"] == before["t_end"]
    assert all(w["t_end"] - w["t_start"] == pytest.approx(0.5) for w in windows[:-1])
    assert windows[-1]["t_end"] == 10.2  # finish() closes the last, partial window
    assert results["windows"] == 21


def test_every_request_is_counted_in_exactly_one_window() -> None:
    windows, results = run(topology(), 10.0)
    assert sum(w["overall"]["arrivals"] for w in windows) == results["requests"]["created"]
    ended = sum(w["overall"]["completions"] + w["overall"]["errors"] for w in windows)
    assert ended == results["requests"]["completed"] + results["requests"]["failed"]


def test_warm_up_windows_are_left_out_of_the_measured_results() -> None:
    windows, results = run(topology(warmup_s=4.0), 10.0)
    assert [w["measured"] for w in windows] == [False] * 4 + [True] * 6
    measured = results["measured"]
    assert (measured["from_s"], measured["to_s"], measured["span_s"]) == (4.0, 10.0, 6.0)
    kept = [w for w in windows if w["measured"]]
    assert measured["overall"]["arrivals"] == sum(w["overall"]["arrivals"] for w in kept)
    assert measured["overall"]["completions"] == sum(w["overall"]["completions"] for w in kept)
    assert measured["nodes"]["app"]["arrivals"] == sum(w["nodes"]["app"]["arrivals"] for w in kept)
    assert measured["overall"]["arrivals"] < results["requests"]["created"]


def test_a_window_that_straddles_the_end_of_the_warm_up_is_left_out_too() -> None:
    windows, results = run(topology(warmup_s=2.5), 6.0)
    assert [w["measured"] for w in windows] == [False, False, False, True, True, True]
    assert results["measured"]["from_s"] == 3.0


def test_a_drained_run_ends_when_its_last_request_ends() -> None:
    sim = Simulation(topology(rate=100.0))
    sim.run(10.0)
    sim.drain()
    results = sim.results()
    assert results["requests"]["in_flight"] == 0
    # The last requests end within milliseconds; the run must not stretch to the drain's limit,
    # or every rate in the measured results is diluted by an hour of idle time.
    assert results["duration_s"] < 11.0
    assert results["measured"]["overall"]["throughput_per_s"] == pytest.approx(100.0, rel=0.15)


def two_class_topology(mix: dict[str, float]) -> dict[str, Any]:
    return lab.sim.load({
        "version": 1,
        "workload": {"classes": [{"name": "read"}, {"name": "write", "operation": "write"}]},
        "nodes": [{"id": "users", "kind": "traffic_source", "params": {"rate_per_s": 100, "arrival": "constant",
                                                                        "mix": mix}},
                  {"id": "app", "kind": "service_pool", "params": {"service_time_ms": 1}}],
        "edges": [{"from": "users", "to": "app"}],
    })


def test_class_arrivals_add_up_to_the_overall_arrivals_in_every_window() -> None:
    windows: list[dict[str, Any]] = []
    sim = Simulation(two_class_topology({"read": 3, "write": 1}), on_window=windows.append)
    sim.run(5.0)
    for w in windows:
        assert sum(c["arrivals"] for c in w["classes"].values()) == w["overall"]["arrivals"] > 0
        assert w["classes"]["write"]["arrivals"] > 0


def test_class_arrivals_count_each_request_as_the_class_it_was_sent_as_when_the_mix_changes() -> None:
    windows: list[dict[str, Any]] = []
    sim = Simulation(two_class_topology({"read": 1}), on_window=windows.append)
    sim.run(5.5)
    assert apply_command(sim, {"op": "set_param", "node": "users", "param": "mix", "value": {"write": 1}}) == []
    sim.run(7.0)
    changed = windows[5]["classes"]
    assert windows[5]["t_start"] == 5.0
    # 100 requests/s, evenly spaced: about 50 reads before the change and 50 writes after it.
    assert changed["read"]["arrivals"] == pytest.approx(50, abs=2)
    assert changed["read"]["completions"] == pytest.approx(50, abs=2)
    assert changed["write"]["arrivals"] == pytest.approx(50, abs=2)


# ---------------------------------------------------------------- the histogram


def nearest_rank(values: np.ndarray, q: float) -> float:
    return float(np.quantile(values, q, method="inverted_cdf"))


QUANTILES = (0.001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1.0)


@pytest.mark.parametrize("n", [1, 7, 1000, 200_000])
def test_histogram_quantiles_are_within_one_percent_of_exact_nearest_rank_quantiles(n: int) -> None:
    values = np.random.default_rng(n).lognormal(mean=np.log(0.010), sigma=1.5, size=n)
    hist = Histogram()
    hist.add_many(values)
    for q in QUANTILES:
        exact = nearest_rank(values, q)
        assert hist.quantile(q) == pytest.approx(exact, rel=0.01), f"q={q}"
    assert hist.quantiles(QUANTILES) == [hist.quantile(q) for q in QUANTILES]


@settings(max_examples=200, deadline=None)
@given(
    values=st.lists(st.floats(min_value=1e-5, max_value=1e4, allow_nan=False), min_size=1, max_size=300),
    q=st.floats(min_value=0.0, max_value=1.0),
)
def test_any_histogram_quantile_is_within_one_percent_of_the_exact_one(values: list[float], q: float) -> None:
    hist = Histogram()
    hist.add_many(values)
    exact = nearest_rank(np.array(values), q) if q > 0 else min(values)
    # A value on a bucket boundary can land one bucket over by floating-point rounding.
    assert abs(hist.quantile(q) - exact) <= 0.01 * exact * (1 + 1e-9)


def test_histogram_memory_does_not_grow_with_the_values_added() -> None:
    small, large = Histogram(), Histogram()
    small.add_many([0.01] * 10)
    for _ in range(20):
        large.add_many(np.random.default_rng(1).exponential(0.01, 50_000))
    assert large.n == 1_000_000
    assert large.counts.size == small.counts.size == N_BUCKETS
    assert large.counts.nbytes == small.counts.nbytes
    assert Histogram().counts is None  # an empty histogram holds no array at all


def test_merging_histograms_is_the_same_as_adding_all_their_values_to_one() -> None:
    rng = np.random.default_rng(3)
    a, b = rng.exponential(0.02, 5000), rng.lognormal(-5, 1, 3000)
    merged, whole = Histogram(), Histogram()
    for part in (a, b):
        h = Histogram()
        h.add_many(part)
        merged.merge(h)
    whole.add_many(np.concatenate([a, b]))
    assert merged.n == whole.n and merged.max == whole.max and merged.min == whole.min
    assert merged.total == pytest.approx(whole.total)
    assert (merged.counts == whole.counts).all()


def test_an_empty_histogram_reports_zeros() -> None:
    assert Histogram().summary_ms() == {"mean": 0.0, "p50": 0.0, "p95": 0.0, "p99": 0.0, "max": 0.0}


# ---------------------------------------------------------------- traces


def test_every_trace_every_th_request_is_traced_with_its_hops() -> None:
    _, results = run(topology(edge_ms=5.0), 20.0, trace_every=25, trace_cap=100_000)
    sampled = results["traces"]["sampled"]
    assert all(t["request"] % 25 == 0 for t in sampled)
    assert len(sampled) == pytest.approx(results["requests"]["completed"] / 25, abs=2)
    for trace in sampled:
        assert trace["outcome"] == "completed" and trace["source"] == "users"
        [hop] = trace["hops"]
        assert hop["node"] == "app" and hop["queue_ms"] >= 0 and hop["service_ms"] > 0
        # Latency is the hop's queueing and service plus the edge's 5 ms each way.
        assert trace["latency_ms"] == pytest.approx(hop["queue_ms"] + hop["service_ms"] + 10.0, abs=0.01)
        assert hop["arrived_s"] == pytest.approx(trace["start_s"] + 0.005, abs=1e-6)


def test_only_the_last_trace_cap_sampled_traces_are_kept() -> None:
    _, results = run(topology(), 10.0, trace_every=10, trace_cap=30)
    assert len(results["traces"]["sampled"]) == 30


def test_failed_requests_leave_traces_with_cause_status_and_where_they_failed() -> None:
    _, results = run(topology(rate=400.0, workers_per_instance=1, queue_capacity=3), 10.0, trace_every=10)
    failed = results["traces"]["failed"]
    assert set(failed) == {"overloaded"}
    for trace in failed["overloaded"]:
        assert trace["outcome"] == "failed"
        assert (trace["cause"], trace["status"], trace["failed_at"]) == ("overloaded", 503, "app")
        assert trace["partial"] == (trace["request"] % 10 != 0)
        assert trace["hops"][-1] == {**trace["hops"][-1], "node": "app", "failed": "overloaded"}


def test_a_timed_out_requests_trace_says_when_it_arrived_and_how_long_it_waited() -> None:
    topo = topology(rate=50.0, workers_per_instance=1, service_time_ms=100, timeout_ms=30, queue_capacity=1000)
    _, results = run(topo, 10.0, trace_every=1, trace_cap=10_000)
    for trace in results["traces"]["failed"]["timeout"]:
        hop = trace["hops"][-1]
        assert hop["failed"] == "timeout"
        assert hop["arrived_s"] == pytest.approx(trace["start_s"], abs=1e-6)
        assert hop["queue_ms"] == pytest.approx(trace["latency_ms"], abs=1e-3)


# ---------------------------------------------------------------- the results document


def test_results_are_strict_json() -> None:
    windows, results = run(topology(rate=400.0, workers_per_instance=1, queue_capacity=3, timeout_ms=5), 5.0)
    text = json.dumps(results, allow_nan=False, sort_keys=True)
    assert json.loads(text) == results
    for w in windows:
        json.dumps(w, allow_nan=False)


def test_results_of_a_run_where_nothing_happened_are_strict_json_too() -> None:
    sim = Simulation(topology(rate=0.0))
    results = sim.results()  # before anything ran
    json.dumps(results, allow_nan=False)
    sim.run(3.0)
    sim.finish()
    results = sim.results()
    json.dumps(results, allow_nan=False)
    assert results["requests"]["created"] == 0
    assert results["measured"]["overall"]["latency_ms"]["max"] == 0.0


def test_node_metrics_agree_with_the_station_they_measure() -> None:
    # 1 worker, 10 ms deterministic service, 50 requests/s: utilization 0.5.
    _, results = run(topology(rate=50.0, workers_per_instance=1, service_distribution="deterministic"), 60.0)
    app = results["measured"]["nodes"]["app"]
    assert app["utilization"] == pytest.approx(0.5, rel=0.05)
    assert app["in_node"] == pytest.approx(app["arrival_rate_per_s"] * app["residence_ms_mean"] / 1000, rel=0.02)
    assert app["latency_ms"]["p50"] >= 10.0 * 0.99
    assert math.isclose(app["throughput_per_s"], app["completions"] / results["measured"]["span_s"], rel_tol=1e-4)


def test_a_window_of_several_lists_summarises_each_exactly_as_one_histogram_would() -> None:
    from lab.sim.metrics.histogram import histograms

    rng = np.random.default_rng(5)
    lists = [rng.lognormal(-5, 1, 300).tolist(), [], [0.0, 0.0], rng.exponential(0.01, 7).tolist(), [2e-7]]
    for batched, values in zip(histograms(lists), lists):
        alone = Histogram()
        alone.add_many(values)
        assert batched.n == alone.n
        assert batched.summary_ms() == alone.summary_ms()
