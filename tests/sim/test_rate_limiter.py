"""The rate limiter: how many requests it lets through, how it spaces them, and whose."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy import stats

from lab.sim import Simulation, check, load

from .component_world import Run, node, pool, sink, source, topology
from .replications import interval

EXAMPLES = Path(__file__).resolve().parents[2] / "lab" / "sim" / "examples"


def limited(rate: float, *, arrival: str = "poisson", classes: list[dict[str, Any]] | None = None,
            **params: Any) -> dict[str, Any]:
    settings = {"rate_per_s": 100, "burst": 20, **params}
    return topology([source(rate, arrival=arrival), node("rl", "rate_limiter", **settings), sink()],
                    [("users", "rl"), ("rl", "app")], classes=classes)


def md1k_blocking(arrival_rate: float, service_s: float, capacity: int) -> float:
    """P(an arrival finds K in the system) in an M/D/1/K queue, from the chain embedded at
    departures (Gross and Harris, M/G/1/K): p_K = 1 - 1 / (pi_0 + rho)."""
    rho = arrival_rate * service_s
    k = capacity
    a = stats.poisson.pmf(np.arange(k), rho)  # j arrivals during one service
    p = np.zeros((k, k))
    for i in range(k):
        base = max(i - 1, 0)
        p[i, base:k - 1] = a[: k - base - 1]
        p[i, k - 1] = stats.poisson.sf(k - base - 2, rho)  # the rest: the queue is full
    # Solve pi P = pi with sum(pi) = 1.
    m = np.vstack([p.T - np.eye(k), np.ones(k)])
    rhs = np.zeros(k + 1)
    rhs[-1] = 1.0
    pi = np.linalg.lstsq(m, rhs, rcond=None)[0]
    return 1.0 - 1.0 / (pi[0] + rho)


def test_md1k_blocking_agrees_with_known_values() -> None:
    # K = 1 is Erlang's loss system with one server: B = rho / (1 + rho), whatever the service.
    assert md1k_blocking(50.0, 0.01, 1) == pytest.approx(0.5 / 1.5)
    # A long queue barely blocks a light load, and blocks the excess of an overload.
    assert md1k_blocking(50.0, 0.01, 40) < 1e-9
    assert md1k_blocking(300.0, 0.01, 40) == pytest.approx(2 / 3, rel=1e-3)


# ---------------------------------------------------------------- how many pass


@pytest.mark.parametrize("algorithm", ["token_bucket", "leaky_bucket"])
def test_a_full_bucket_lets_exactly_burst_plus_rate_times_t_through_a_constant_overload(algorithm: str) -> None:
    # 1000 requests/s, evenly spaced, from t = 1 ms; 100 tokens/s into a bucket of 20.
    r = Run(limited(1000.0, arrival="constant", algorithm=algorithm)).run(0.001 + 10.0005)
    rl = r.finish()["measured"]["nodes"]["rl"]
    assert rl["accepted"] == 20 + 100 * 10
    assert rl["arrivals"] == 10_001 == rl["accepted"] + rl["rejected"]
    assert rl["failures"] == {"rate_limited": rl["rejected"]}


def replicate(topo: dict[str, Any], measure: Any, seeds: range = range(201, 211)) -> tuple[float, float]:
    values = []
    for seed in seeds:
        sim = Simulation(topo, seed=seed)
        sim.run(topo["settings"]["duration_s"])
        sim.finish()
        values.append(measure(sim.results()))
    return interval(values)


@pytest.mark.fidelity
@pytest.mark.parametrize("arrival_rate, rate, burst", [
    (80.0, 100.0, 3),     # a small bucket turns away a share even below the rate
    (150.0, 100.0, 5),    # overload: about a third is turned away
    (90.0, 100.0, 200),   # a large bucket lets nearly everything through
])
def test_poisson_arrivals_are_admitted_in_the_share_queueing_theory_predicts(
        arrival_rate: float, rate: float, burst: int) -> None:
    # The bucket's level is the unfinished work of an M/D/1/K queue (service 1 / rate, K =
    # burst): an arrival is admitted exactly when that queue would have room for it. Each run
    # is compared with the theory at the arrival rate it actually drew, so the noise of the
    # Poisson count does not hide a bias of the limiter.
    def admitted_over_theory(results: dict[str, Any]) -> float:
        rl = results["measured"]["nodes"]["rl"]
        drawn = rl["arrivals"] / results["measured"]["span_s"]
        return rl["accepted"] / rl["arrivals"] / (1.0 - md1k_blocking(drawn, 1.0 / rate, burst))

    topo = limited(arrival_rate, rate_per_s=rate, burst=burst)
    topo["settings"].update(duration_s=200, warmup_s=10)
    mean, half = replicate(topo, admitted_over_theory)
    assert half < 0.01
    assert abs(mean - 1.0) <= half, f"simulated / theory: {mean:.5f} +- {half:.5f}"
    if burst > 100:
        assert 1.0 - md1k_blocking(arrival_rate, 1.0 / rate, burst) > 0.999


def test_under_poisson_overload_the_accepted_rate_is_the_token_rate() -> None:
    # Three times the rate: the bucket is (nearly) never full, so no token is wasted and the
    # accepted count over the measured 90 s is 100 per second, give or take one token.
    topo = limited(300.0, rate_per_s=100, burst=10)
    topo["settings"].update(duration_s=100, warmup_s=10)
    for seed in (1, 2, 3):
        sim = Simulation(topo, seed=seed)
        sim.run(100)
        sim.finish()
        results = sim.results()
        assert results["measured"]["nodes"]["rl"]["accepted"] == pytest.approx(100 * 90, abs=1)
        assert results["measured"]["nodes"]["rl"]["rejected"] > 17_000


# ---------------------------------------------------------------- token versus leaky bucket


def arrivals_at_app(algorithm: str, until: float = 5.0) -> list[float]:
    topo = topology([source(400.0), node("rl", "rate_limiter", algorithm=algorithm, rate_per_s=100, burst=20),
                     pool("app", instances=1, workers_per_instance=1000, service_time_ms=1,
                          service_distribution="deterministic", queue_capacity=0)],
                    [("users", "rl"), ("rl", "app")])
    sim = Simulation(topo, trace_every=1, trace_cap=100_000)
    sim.run(until)
    sim.drain()
    return sorted(hop["arrived_s"] for trace in sim.results()["traces"]["sampled"]
                  for hop in trace["hops"] if hop["node"] == "app")


def test_a_leaky_bucket_sends_requests_on_evenly_spaced_at_its_rate() -> None:
    times = arrivals_at_app("leaky_bucket")
    gaps = np.diff(times)
    assert len(times) > 400
    assert gaps.min() >= 0.01 - 2e-6  # never closer than 1 / rate (traces round to a microsecond)
    # Under a steady overload the bucket never empties: every gap is exactly 1 / rate.
    assert np.median(gaps) == pytest.approx(0.01, abs=2e-6)


def test_a_token_bucket_passes_a_burst_at_once_and_spaces_nothing() -> None:
    token, leaky = arrivals_at_app("token_bucket"), arrivals_at_app("leaky_bucket")
    # The first 20 requests drain a full bucket as fast as they arrive (400/s); a leaky
    # bucket spreads the same 20 over 19 intervals of 10 ms.
    assert token[19] - token[0] < 0.1
    assert leaky[19] - leaky[0] == pytest.approx(0.19, abs=1e-5)
    gaps = np.diff(token)
    assert gaps.min() < 0.002 and gaps.std() / gaps.mean() > 0.3
    assert np.diff(leaky).std() / np.diff(leaky).mean() < 0.05


def test_a_leaky_bucket_makes_requests_wait_and_a_token_bucket_does_not() -> None:
    leaky = Run(limited(300.0, algorithm="leaky_bucket")).run(20).finish()["measured"]["nodes"]["rl"]
    token = Run(limited(300.0, algorithm="token_bucket")).run(20).finish()["measured"]["nodes"]["rl"]
    assert token["latency_ms"]["max"] == 0.0
    # A full leaky bucket holds 19 waiting requests, each 10 ms apart.
    assert leaky["latency_ms"]["max"] == pytest.approx(190.0, rel=0.02)
    assert leaky["waiting"] > 0 and token["waiting"] == 0


def test_the_token_gauge_shows_a_full_bucket_at_rest_and_an_empty_one_under_overload() -> None:
    quiet = Run(limited(5.0, arrival="constant")).run(10).finish()["measured"]["nodes"]["rl"]
    busy = Run(limited(1000.0, arrival="constant")).run(10).finish()["measured"]["nodes"]["rl"]
    # 5 requests/s take a token each 0.2 s; it is back 10 ms later.
    assert quiet["tokens"] == pytest.approx(20.0, abs=1.0) and quiet["rejected"] == 0
    assert busy["tokens"] < 1.0 and busy["active_buckets"] == 1


def test_the_check_latency_is_added_to_every_request() -> None:
    results = Run(limited(50.0, latency_ms=0.5)).run(10).finish()
    rl = results["measured"]["nodes"]["rl"]
    assert rl["latency_ms"]["mean"] == pytest.approx(0.5, rel=0.01)
    assert results["measured"]["overall"]["latency_ms"]["p50"] >= 0.5


# ---------------------------------------------------------------- whose requests


def test_per_client_buckets_limit_a_heavy_client_while_light_ones_pass() -> None:
    classes = [{"name": "light", "operation": "read", "share": 1}, {"name": "heavy", "operation": "read", "share": 1}]
    topo = topology([
        node("users", "traffic_source", rate_per_s=200, clients=2000, mix={"light": 1}),
        node("scraper", "traffic_source", rate_per_s=100, clients=1, mix={"heavy": 1}),
        node("rl", "rate_limiter", scope="per_client", rate_per_s=5, burst=10), sink(),
    ], [("users", "rl"), ("scraper", "rl"), ("rl", "app")], classes=classes)
    results = Run(topo).run(60).finish()
    by_class = results["measured"]["classes"]
    # The scraper (client 0) gets its 5 requests/s and its 10-request burst; the rest get 429.
    assert by_class["heavy"]["completions"] == pytest.approx(10 + 5 * 60, abs=10)
    assert by_class["heavy"]["failures"] == {"rate_limited": by_class["heavy"]["errors"]}
    # Light clients send 0.1 requests/s each; only the few who share client 0 with it are hurt.
    assert by_class["light"]["error_rate"] < 0.002
    rl = results["measured"]["nodes"]["rl"]
    assert rl["tokens"] < 1.0  # the scraper's bucket: the emptiest
    assert 0 < rl["active_buckets"] < 200
    global_results = Run(topology([
        node("users", "traffic_source", rate_per_s=200, clients=2000, mix={"light": 1}),
        node("scraper", "traffic_source", rate_per_s=100, clients=1, mix={"heavy": 1}),
        node("rl", "rate_limiter", scope="global", rate_per_s=250, burst=10), sink(),
    ], [("users", "rl"), ("scraper", "rl"), ("rl", "app")], classes=classes)).run(60).finish()
    # One global bucket cannot tell them apart: light clients are turned away as often as the scraper.
    assert global_results["measured"]["classes"]["light"]["error_rate"] > 0.1


def test_tokens_by_class_charges_expensive_requests_more_and_exempts_free_ones() -> None:
    classes = [{"name": "search", "operation": "read", "share": 1}, {"name": "health", "operation": "read", "share": 1}]
    topo = topology([
        node("a", "traffic_source", arrival="constant", rate_per_s=100, mix={"search": 1}),
        node("b", "traffic_source", arrival="constant", rate_per_s=100, mix={"health": 1}),
        node("rl", "rate_limiter", rate_per_s=50, burst=5, tokens_by_class={"search": 5, "health": 0}), sink(),
    ], [("a", "rl"), ("b", "rl"), ("rl", "app")], classes=classes)
    by_class = Run(topo).run(30).finish()["measured"]["classes"]
    assert by_class["health"]["errors"] == 0
    assert by_class["search"]["throughput_per_s"] == pytest.approx(10.0, rel=0.02)  # 50 tokens/s, 5 each


def test_a_class_costing_more_tokens_than_the_bucket_holds_is_reported() -> None:
    doc = {"version": 1, "nodes": [
        {"id": "users", "kind": "traffic_source"},
        {"id": "rl", "kind": "rate_limiter", "params": {"burst": 4, "tokens_by_class": {"read": 5}}},
        {"id": "app", "kind": "service_pool"}], "edges": [{"from": "users", "to": "rl"}, {"from": "rl", "to": "app"}]}
    problems = check(json.dumps(doc))
    assert [p["path"] for p in problems] == ["$.nodes[1].params.tokens_by_class"]
    assert "takes 5 tokens but the bucket holds only 4" in problems[0]["message"]


def test_a_crash_loses_the_requests_waiting_in_a_leaky_bucket_at_once() -> None:
    topo = limited(300.0, algorithm="leaky_bucket")
    topo["faults"] = [{"id": "f", "kind": "crash", "node": "rl", "start_s": 5.5, "duration_s": 1.0}]
    r = Run(topo)
    rl = r.sim.nodes["rl"]
    r.run(5.4999)
    waiting = len(rl.waiting_room.waiting)
    assert waiting > 10
    r.run(5.5001)
    assert rl.waiting_room.waiting == {} and rl.n == 0
    assert rl.failures["fault"] == waiting
    r.run(10)
    windows = r.window_nodes("rl")
    assert windows[5]["completions"] == pytest.approx(50, abs=2)  # until the crash, then nothing
    assert windows[7]["completions"] == pytest.approx(100, abs=2)
    r.sim.drain()
    assert r.sim.results()["requests"]["in_flight"] == 0


# ---------------------------------------------------------------- the example


def test_the_rate_limited_api_example_stops_the_scraper_and_keeps_the_api_healthy() -> None:
    topo = load((EXAMPLES / "rate_limited_api.json").read_text())
    assert check((EXAMPLES / "rate_limited_api.json").read_text()) == []
    windows: list[dict[str, Any]] = []
    sim = Simulation(topo, on_window=windows.append)
    sim.run(topo["settings"]["duration_s"])
    sim.finish()
    results = sim.results()
    classes = results["measured"]["classes"]
    assert classes["scrape"]["error_rate"] > 0.9
    assert classes["app"]["error_rate"] < 0.001
    api = results["measured"]["nodes"]["api"]
    assert api["utilization"] < 0.7 and api["errors"] == 0
    # Without the limiter the scraper's burst overloads the API for everyone.
    doc = json.loads((EXAMPLES / "rate_limited_api.json").read_text())
    doc["nodes"] = [n for n in doc["nodes"] if n["kind"] != "rate_limiter"]
    doc["edges"] = [{**e, "to": "api"} for e in doc["edges"] if e["from"] != "limiter"]
    bare = Simulation(load(doc))
    bare.run(doc["settings"]["duration_s"])
    bare.finish()
    assert bare.results()["measured"]["classes"]["app"]["error_rate"] > 0.05
