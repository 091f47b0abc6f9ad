"""Outside services: a third-party API (latency, errors, rate limit, price per call) and object
storage (read and write latency, price per request and per GB stored). Neither has a queue."""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from lab.sim import REGISTRY, check, load

from .component_world import READ_WRITE, Run, node, simulate, source, topology

EXAMPLES = Path(__file__).resolve().parents[2] / "lab" / "sim" / "examples"


def api(rate: float, *, arrival: str = "poisson", **params: Any) -> dict[str, Any]:
    settings = {"latency_ms": 200, "latency_distribution": "exponential", "error_rate": 0.0,
                "rate_limit_per_s": 0, **params}
    return topology([source(rate, arrival=arrival), node("vendor", "third_party_api", **settings)],
                    [("users", "vendor")])


def vendor(results: dict[str, Any]) -> dict[str, Any]:
    return results["measured"]["nodes"]["vendor"]


# ---------------------------------------------------------------- third-party API


def test_calls_take_the_providers_latency_however_many_are_in_flight() -> None:
    # 500 calls/s of 200 ms: about 100 at once, and none waits for another.
    view = vendor(simulate(api(500.0), 20.0))
    assert view["latency_ms"]["mean"] == pytest.approx(200.0, rel=0.03)
    assert view["in_node"] == pytest.approx(100.0, rel=0.05)
    assert view["in_flight_max"] > 120
    assert view["errors"] == 0


def test_a_lognormal_latency_has_the_mean_and_tail_it_was_given() -> None:
    view = vendor(simulate(api(500.0, latency_distribution="lognormal", latency_cv=1.5), 30.0))
    assert view["latency_ms"]["mean"] == pytest.approx(200.0, rel=0.05)
    # sigma^2 = ln(1 + 1.5^2): the p99 is exp(mu + 2.326 sigma).
    sigma = math.sqrt(math.log(1 + 1.5**2))
    p99 = math.exp(math.log(200.0) - sigma**2 / 2 + 2.3263 * sigma)
    assert view["latency_ms"]["p99"] == pytest.approx(p99, rel=0.08)


def test_a_share_of_calls_fail_with_500_at_the_error_rate_after_their_latency() -> None:
    r = Run(api(400.0, error_rate=0.05), trace_every=1)
    r.run(20.0)
    results = r.finish()
    view = vendor(results)
    done = view["completions"] + view["errors"]
    assert view["failures"].keys() == {"error"}
    assert view["errors"] / done == pytest.approx(0.05, abs=4 * math.sqrt(0.05 * 0.95 / done))
    failed = results["traces"]["failed"]["error"]
    assert failed and all(t["status"] == 500 for t in failed)
    assert sum(t["latency_ms"] for t in failed) / len(failed) == pytest.approx(200.0, rel=0.25)


def test_calls_beyond_the_rate_limit_fail_at_once_with_429() -> None:
    # A steady 150 calls/s against a limit of 100/s: a third is refused, none waits.
    r = Run(api(150.0, arrival="constant", rate_limit_per_s=100, rate_limit_burst=10), trace_every=1)
    r.run(20.0)
    results = r.finish()
    view = vendor(results)
    assert view["failures"].keys() == {"rate_limited"}
    assert view["rate_limited"] == view["failures"]["rate_limited"]
    # The bucket lets through 100/s plus its first 10 tokens.
    assert view["arrivals"] - view["rate_limited"] == pytest.approx(100 * 20 + 10, abs=3)
    assert all(t["latency_ms"] == 0.0 for t in results["traces"]["failed"]["rate_limited"])


def test_a_burst_within_the_bucket_passes_and_traffic_under_the_limit_is_never_refused() -> None:
    view = vendor(simulate(api(90.0, arrival="constant", rate_limit_per_s=100), 20.0))
    assert view["errors"] == 0

    def burst(size: int) -> dict[str, Any]:
        return topology([source(20.0, arrival="constant", pattern="spike", spike_rate_per_s=2000, spike_start_s=5,
                                spike_duration_s=0.02),
                         node("vendor", "third_party_api", latency_ms=50, error_rate=0.0, rate_limit_per_s=100,
                              rate_limit_burst=size)], [("users", "vendor")])

    # 40 calls arrive within 20 ms after a quiet spell: a bucket of 60 holds them all, one of 5 does not.
    assert vendor(simulate(burst(60), 10.0))["errors"] == 0
    assert vendor(simulate(burst(5), 10.0))["rate_limited"] > 25


def test_each_successful_call_costs_its_price() -> None:
    results = simulate(api(100.0, error_rate=0.1, rate_limit_per_s=80, price_per_call_usd=0.02), 10.0)
    view = vendor(results)
    assert view["billed_calls"] == view["completions"] > 500
    assert view["cost_usd"] == pytest.approx(0.02 * view["completions"], rel=1e-6)


def test_third_party_api_checks_its_rate_limit_and_samples() -> None:
    kind = REGISTRY["third_party_api"]
    defaults = kind.defaults()
    assert kind.check(defaults, 0) == []
    problems = kind.check({**defaults, "rate_limit_per_s": 0.5}, 0)
    assert [p[0] for p in problems] == ["rate_limit_burst"]
    assert kind.check({**defaults, "rate_limit_per_s": 0.5, "rate_limit_burst": 1}, 0) == []
    problems = kind.check({**defaults, "latency_distribution": "empirical"}, 0)
    assert [p[0] for p in problems] == ["latency_samples_ms"]


def test_a_live_change_of_the_rate_limit_takes_effect() -> None:
    r = Run(api(150.0, arrival="constant", rate_limit_per_s=0))
    r.run(10.0)
    r.sim.nodes["vendor"].set_param("rate_limit_per_s", 50.0, r.sim.now)
    r.run(20.0)
    r.finish()
    before = sum(w["errors"] for w in r.window_nodes("vendor", 0, 10))
    after = sum(w["errors"] for w in r.window_nodes("vendor", 11, 20))
    assert before == 0
    assert after == pytest.approx(100 * 9, rel=0.02)


# ---------------------------------------------------------------- object storage


def bucket(rate: float, **params: Any) -> dict[str, Any]:
    settings = {"read_latency_ms": 20, "write_latency_ms": 80, "latency_distribution": "exponential", **params}
    return topology([source(rate), node("bucket", "object_storage", **settings)], [("users", "bucket")],
                    classes=READ_WRITE)


def test_object_storage_reads_and_writes_take_their_own_latency() -> None:
    r = Run(bucket(1000.0), trace_every=1)
    r.run(20.0)
    results = r.finish()
    assert results["measured"]["classes"]["read"]["latency_ms"]["mean"] == pytest.approx(20.0, rel=0.03)
    assert results["measured"]["classes"]["write"]["latency_ms"]["mean"] == pytest.approx(80.0, rel=0.05)
    view = results["measured"]["nodes"]["bucket"]
    assert view["errors"] == 0  # no errors unless asked for
    assert view["reads"] + view["writes"] == view["completions"]
    assert view["writes"] / view["completions"] == pytest.approx(0.1, abs=0.01)


def test_object_storage_never_queues_however_heavy_the_load() -> None:
    light = simulate(bucket(100.0), 20.0)["measured"]["nodes"]["bucket"]
    heavy = simulate(bucket(20_000.0), 5.0)["measured"]["nodes"]["bucket"]
    assert heavy["latency_ms"]["mean"] == pytest.approx(light["latency_ms"]["mean"], rel=0.05)
    assert heavy["in_node"] == pytest.approx(20_000 * 0.026, rel=0.05)  # Little: 0.9 x 20 ms + 0.1 x 80 ms


def test_object_storage_bills_requests_by_type_and_gigabytes_by_the_month() -> None:
    results = simulate(bucket(500.0, stored_gb=1000), 60.0)
    view = results["measured"]["nodes"]["bucket"]
    span_h = results["measured"]["span_s"] / 3600.0
    expected = view["reads"] * 0.40 / 1e6 + view["writes"] * 5.00 / 1e6 + 1000 * 0.023 / 730 * span_h
    assert view["cost_usd"] == pytest.approx(expected, rel=1e-4)


def test_object_storage_can_fail_at_its_error_rate() -> None:
    view = simulate(bucket(500.0, error_rate=0.02), 20.0)["measured"]["nodes"]["bucket"]
    done = view["completions"] + view["errors"]
    assert view["failures"].keys() == {"error"}
    assert view["errors"] / done == pytest.approx(0.02, abs=4 * math.sqrt(0.02 * 0.98 / done))


# ---------------------------------------------------------------- the example


def run_example() -> tuple[dict[str, Any], list[dict[str, Any]]]:
    topo = load((EXAMPLES / "payments_and_auth.json").read_text())
    r = Run(topo)
    r.run(topo["settings"]["duration_s"])
    return r.finish(), r.windows


def test_the_payments_example_hits_the_providers_rate_limit_only_in_the_flash_sale() -> None:
    assert check((EXAMPLES / "payments_and_auth.json").read_text()) == []
    results, windows = run_example()
    limited = [w["nodes"]["payments"]["failures"].get("rate_limited", 0) for w in windows]
    # (The last checkouts of the sale reach the provider just after it ends.)
    assert sum(limited[:60]) == 0 and sum(limited[91:]) == 0
    assert sum(limited[60:90]) > 100
    # Our own servers are nearly idle while the provider refuses checkouts.
    assert max(w["nodes"]["api"]["utilization"] for w in windows[60:90]) < 0.3
    classes = results["measured"]["classes"]
    # A checkout waits on the payment provider, a sign-in on the identity provider; files come from the bucket.
    p50 = {name: c["latency_ms"]["p50"] for name, c in classes.items()}
    assert p50["checkout"] > 1.5 * p50["login"] > 3 * p50["browse"]
    assert p50["asset"] < 100
    nodes = results["measured"]["nodes"]
    servers = sum(v["cost_usd"] for n, v in nodes.items() if n != "payments")
    assert nodes["payments"]["cost_usd"] > 100 * servers
