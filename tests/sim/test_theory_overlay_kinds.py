"""The theory overlay's models for the kinds beyond pools and caches (overlay_kinds_flow.py,
overlay_kinds_spread.py): their values are the theory module's, a run where the assumptions hold
lands within a tolerance of the prediction, and a run that breaks one says which."""
from __future__ import annotations

from typing import Any

import pytest

from lab.sim.theory import che_lru_hit_ratio, ekm1, erlang_b, erlang_c, mm1, mmc, zipf_popularities
from lab.sim.theory.finite import fluid_refused, md1k, mmck, supermarket_sojourn, supermarket_tail
from lab.sim.theory.multiserver import ekmc
from lab.sim.theory.overlay_kinds_topic import consumer_shares

from .test_rate_limiter import md1k_blocking
from .test_theory_overlay import broken, design, figures, holds, pool, run
from .theory_world import close

# -- the formulas against known answers -----------------------------------------------------------


def test_mmck_is_erlang_b_at_no_room_mm1k_by_hand_and_mmc_with_endless_room() -> None:
    assert mmck(3.0, 1.0, 3, 3).blocking == close(erlang_b(3, 3.0), 1e-9)
    for rho in (0.8, 1.5):  # M/M/1/K: p_K = (1 - rho) rho^K / (1 - rho^(K+1))
        assert mmck(rho, 1.0, 1, 5).blocking == close((1 - rho) * rho ** 5 / (1 - rho ** 6), 1e-9)
    q, big = mmc(300.0, 100.0, 4), mmck(300.0, 100.0, 4, 10 ** 6)
    assert big.blocking < 1e-12
    assert big.mean_wait_s == close(q.mean_wait_s, 1e-9) and big.utilization == close(0.75, 1e-9)
    # Overloaded far past capacity, it turns away the excess: 1 - c mu / lambda.
    assert mmck(150.0, 1.0, 1, 10 ** 6).blocking == pytest.approx(1 - 1 / 150, rel=1e-6)


def test_md1k_agrees_with_the_embedded_chain_solved_by_linear_algebra() -> None:
    for lam, k in [(80.0, 3), (150.0, 5), (300.0, 40), (100.0, 300), (2000.0, 50)]:
        assert md1k(lam, 0.01, k).blocking == pytest.approx(md1k_blocking(lam, 0.01, k), rel=1e-6, abs=1e-12)
    assert fluid_refused(150.0, 100.0) == close(1 / 3) and fluid_refused(50.0, 100.0) == 0.0


def test_the_supermarket_model_is_mm1_for_one_choice_and_doubly_exponential_for_two() -> None:
    assert supermarket_sojourn(0.9, 1, 0.01) == close(mm1(90.0, 100.0).mean_sojourn_s, 1e-9)
    assert supermarket_tail(0.9, 2, 2) == close(0.9 ** 3) and supermarket_tail(0.9, 2, 3) == close(0.9 ** 7)
    assert supermarket_sojourn(0.9, 2, 1.0) < supermarket_sojourn(0.9, 1, 1.0) / 3


def test_ekmc_is_erlang_c_for_poisson_arrivals_and_ekm1_for_one_server() -> None:
    # 300/s on 4 servers of 100/s sits on a rate where one of Takacs' terms is 0/0.
    for lam, c in [(250.0, 4), (300.0, 4), (3000.0, 40)]:
        q, p_wait = ekmc(1, lam, 100.0, c)
        assert q.mean_wait_s == close(mmc(lam, 100.0, c).mean_wait_s, 1e-6)
        assert p_wait == close(erlang_c(c, lam / 100.0), 1e-6)
    assert ekmc(3, 80.0, 100.0, 1)[0].mean_wait_s == close(ekm1(3, 80.0, 100.0).mean_wait_s, 1e-9)


def test_targets_of_a_round_robin_balancer_with_several_workers_are_ekmc() -> None:
    """Each target sees every other request of a Poisson stream (Erlang-2 gaps) on 4 workers at
    utilization 0.7; Allen-Cunneen would put the wait 21% higher. Three seeds of 60 s."""
    apps = [pool(f"app{i}", service_time_ms=10, workers_per_instance=4) for i in range(2)]
    topology = design([{"id": "lb", "kind": "load_balancer", "params": {"policy": "round_robin"}}, *apps],
                      [("users", "lb"), ("lb", "app0"), ("lb", "app1")], rate=560.0, duration_s=60.0, warmup_s=2.0)
    q, p_wait = ekmc(2, 280.0, 100.0, 4)
    waits = []
    for seed in range(1, 4):
        _, panels = run(topology, seed=seed)
        panel = panels["app0"]
        assert panel["model"] == "E_k/M/c (Takacs)"
        f = figures(panel)
        assert f["wait_ms_mean"]["predicted"] == close(q.mean_wait_s * 1000, 1e-6)
        assert f["wait_probability"]["predicted"] == close(p_wait, 1e-6)
        waits.append(f["wait_ms_mean"]["departure"])
    assert abs(sum(waits) / len(waits)) < 0.10, waits


# -- a work queue and a stream stage --------------------------------------------------------------


def queue_node(**params: Any) -> dict[str, Any]:
    return {"id": "q", "kind": "work_queue", "params": {"workers": 2, "job_time_ms": 5, "workers_per_instance": 2,
                                                        **params}}


def test_a_work_queue_is_mmc_on_its_workers_and_agrees_with_a_long_run() -> None:
    _, panels = run(design([queue_node()], [("users", "q")], rate=300.0, duration_s=60.0, warmup_s=2.0))
    panel, q = panels["q"], mmc(300.0, 200.0, 2)
    assert panel["model"] == "M/M/c" and all(holds(panel).values()), panel["assumptions"]
    f = figures(panel)
    assert f["wait_ms_mean"]["predicted"] == close(q.mean_wait_s * 1000, 1e-6)
    for name in ("wait_ms_mean", "utilization", "wait_probability", "queue_length"):
        assert abs(f[name]["departure"]) < 0.10, (name, f[name])


def test_an_overloaded_bounded_work_queue_is_mmck_and_refuses_the_predicted_share() -> None:
    _, panels = run(design([queue_node(capacity=20)], [("users", "q")], rate=500.0, duration_s=30.0, warmup_s=2.0))
    panel = panels["q"]
    assert panel["model"] == "M/M/c/K (a bounded backlog)"
    blocking = figures(panel)["blocking_probability"]
    assert blocking["predicted"] == close(mmck(500.0, 200.0, 2, 22).blocking, 1e-6)
    assert blocking["measured"] == pytest.approx(blocking["predicted"], abs=0.02)
    assert abs(figures(panel)["queue_length"]["departure"]) < 0.10


def test_a_work_queue_whose_jobs_call_a_service_or_autoscale_says_which_assumption_breaks() -> None:
    _, panels = run(design([queue_node(), pool("db", service_time_ms=5)], [("users", "q"), ("q", "db")],
                           rate=200.0, duration_s=5.0))
    assert "non_blocking" in broken(panels["q"])
    assert figures(panels["q"])["wait_ms_mean"]["departure"] > 0.5  # workers are held through the call
    _, panels = run(design([queue_node(autoscale=True)], [("users", "q")], rate=200.0, duration_s=5.0))
    assert "fixed_capacity" in broken(panels["q"])


def test_a_stream_stage_is_mmc_on_its_slots() -> None:
    """At utilization 0.8 one 40 s run's mean wait scatters by about 12% (the waits are strongly
    correlated), so eight seeds: their mean departure has a standard error near 4%."""
    stage = {"id": "sp", "kind": "stream_processor",
             "params": {"instances": 1, "slots_per_instance": 3, "processing_ms": 4, "shape": "filter"}}
    topology = design([stage, pool("sink", service_time_ms=0.1, workers_per_instance=64)],
                      [("users", "sp"), ("sp", "sink")], rate=600.0, duration_s=40.0, warmup_s=2.0)
    q = mmc(600.0, 250.0, 3)
    waits, busy = [], []
    for seed in range(1, 9):
        _, panels = run(topology, seed=seed)
        assert panels["sp"]["model"] == "M/M/c"
        f = figures(panels["sp"])
        assert f["wait_ms_mean"]["predicted"] == close(q.mean_wait_s * 1000, 1e-6)
        waits.append(f["wait_ms_mean"]["departure"])
        busy.append(f["utilization"]["departure"])
    assert abs(sum(waits) / len(waits)) < 0.10, waits
    assert abs(sum(busy) / len(busy)) < 0.02, busy


# -- a rate limiter -------------------------------------------------------------------------------


def limiter(**params: Any) -> dict[str, Any]:
    return {"id": "rl", "kind": "rate_limiter", "params": {"rate_per_s": 100, "burst": 5, **params}}


def test_a_token_bucket_refuses_the_md1k_share_of_poisson_arrivals() -> None:
    """Below the rate (80/s into 100/s) a 3-token bucket still refuses about 10% of Poisson
    arrivals, where the fluid limit says none: 9,000 arrivals put the share's sampling error
    near 0.3%, so 1.5% tells the two apart."""
    _, panels = run(design([limiter(burst=3), pool(service_time_ms=0.1, workers_per_instance=16)],
                           [("users", "rl"), ("rl", "api")], rate=80.0, duration_s=120.0, warmup_s=2.0))
    panel = panels["rl"]
    assert panel["model"] == "token bucket as M/D/1/K (GCRA)" and all(holds(panel).values())
    refused = figures(panel)["rejected_ratio"]
    assert refused["predicted"] == close(md1k(80.0, 0.01, 3).blocking, 1e-6)
    assert refused["predicted"] == pytest.approx(0.1033, abs=1e-4)
    assert refused["measured"] == pytest.approx(refused["predicted"], abs=0.015)
    assert figures(panel)["rejected_ratio:fluid_limit"]["predicted"] == 0.0


def test_a_leaky_bucket_holds_requests_for_the_md1k_wait() -> None:
    _, panels = run(design([limiter(algorithm="leaky_bucket"), pool(service_time_ms=0.1, workers_per_instance=16)],
                           [("users", "rl"), ("rl", "api")], rate=80.0, duration_s=120.0, warmup_s=2.0))
    held = figures(panels["rl"])["time_in_node_ms_mean"]
    assert held["predicted"] == close(md1k(80.0, 0.01, 5).mean_wait_s * 1000, 1e-6)
    assert abs(held["departure"]) < 0.10, held


def test_constant_arrivals_and_uneven_tokens_break_the_bucket_models_assumptions() -> None:
    _, panels = run(design([limiter(), pool()], [("users", "rl"), ("rl", "api")], rate=150.0, duration_s=5.0,
                           source={"arrival": "constant"}))
    assert "poisson_arrivals" in broken(panels["rl"])
    # Constant gaps: the fluid limit is exact, so the M/D/1/K prediction overstates the refusals.
    assert figures(panels["rl"])["rejected_ratio"]["measured"] == pytest.approx(1 / 3, abs=0.03)
    heavy = limiter(tokens_by_class={"read": 2})
    _, panels = run(design([heavy, pool()], [("users", "rl"), ("rl", "api")], rate=150.0, duration_s=5.0))
    assert "unit_tokens" in broken(panels["rl"]) and panels["rl"]["model"].startswith("rate cap, fluid limit")


# -- an API gateway -------------------------------------------------------------------------------


def test_an_api_gateways_in_flight_cap_throttles_the_erlang_b_share() -> None:
    gateway = {"id": "gw", "kind": "api_gateway", "params": {"max_in_flight": 4, "auth_ms": 1.0, "tls_ms": 0.5}}
    _, panels = run(design([gateway, pool(service_time_ms=20, workers_per_instance=64)],
                           [("users", "gw"), ("gw", "api")], rate=150.0, duration_s=60.0, warmup_s=2.0))
    panel = panels["gw"]
    f = figures(panel)
    assert f["time_in_node_ms_mean"]["predicted"] == pytest.approx(1.5)
    throttled = f["throttled_share"]
    assert throttled["measured"] == pytest.approx(throttled["predicted"], abs=0.03)
    assert throttled["predicted"] == pytest.approx(erlang_b(4, 150.0 * 0.0215), rel=0.05)


# -- a sharded store ------------------------------------------------------------------------------


def store(**params: Any) -> dict[str, Any]:
    return {"id": "sh", "kind": "sharded_store", "params": {"shards": 4, "workers": 2, "read_time_ms": 5, **params}}


ZIPF = {"keys": {"distribution": "zipf", "count": 1000, "exponent": 1.1}}


def test_a_sharded_store_predicts_each_shards_load_from_the_key_split() -> None:
    _, panels = run(design([store(sharding="range")], [("users", "sh")], rate=200.0, duration_s=40.0,
                           warmup_s=2.0, workload=ZIPF))
    panel = panels["sh"]
    f = figures(panel)
    hot = f["arrival_rate_per_s:shard_0"]  # range sharding: the hottest keys (lowest ids) on shard 0
    assert hot["predicted"] > 0.7 * 200.0
    for i in range(4):
        rate = f[f"arrival_rate_per_s:shard_{i}"]
        assert rate["measured"] == pytest.approx(rate["predicted"], rel=0.10, abs=1.0)
    assert abs(f["utilization:shard_0"]["departure"]) < 0.05 and abs(f["wait_ms_mean"]["departure"]) < 0.15
    stable = next(a for a in panel["assumptions"] if a["name"] == "stable")
    assert stable["holds"] and "hottest shard (0)" in stable["why"]


def test_a_hot_shard_is_predicted_to_saturate_first() -> None:
    _, panels = run(design([store(sharding="range")], [("users", "sh")], rate=600.0, duration_s=4.0, workload=ZIPF))
    panel = panels["sh"]
    assert "stable" in broken(panel)
    why = next(a["why"] for a in panel["assumptions"] if a["name"] == "stable")
    assert why.startswith("shard 0") and "saturates first" in why


# -- a replicated database ------------------------------------------------------------------------


def test_a_replicated_database_spreads_reads_over_its_replicas_and_writes_to_the_primary() -> None:
    db = {"id": "db", "kind": "database", "params": {"replicas": 2, "workers": 1, "read_time_ms": 4,
                                                      "write_time_ms": 4, "replication_delay_ms": 1}}
    classes = [{"name": "read", "share": 0.6, "operation": "read"}, {"name": "write", "share": 0.4, "operation": "write"}]
    _, panels = run(design([db], [("users", "db")], rate=250.0, duration_s=60.0, warmup_s=2.0,
                           workload={"classes": classes}))
    panel = panels["db"]
    assert panel["model"] == "reads over 2 instance(s), writes to 1 primary: a queue per instance"
    f = figures(panel)
    # Writes 100/s on the primary (M/M/1), reads 75/s on each replica (Erlang-2 gaps).
    primary = mm1(100.0, 250.0)
    replica = ekm1(2, 75.0, 250.0)
    expected = (100.0 * primary.mean_wait_s + 150.0 * replica.mean_wait_s) / 250.0
    assert f["wait_ms_mean"]["predicted"] == close(expected * 1000, 1e-6)
    assert f["utilization"]["predicted"] == close(250.0 * 0.004 / 3, 1e-6)
    for name in ("utilization", "wait_ms_mean", "time_in_node_ms_mean"):
        assert abs(f[name]["departure"]) < 0.10, (name, f[name])


def test_a_replicated_database_below_a_keyed_cache_says_its_read_write_mix_is_not_known() -> None:
    cache = {"id": "cache", "kind": "cache", "params": {"capacity_items": 50}}
    db = {"id": "db", "kind": "database", "params": {"replicas": 1}}
    classes = [{"name": "read", "share": 0.8, "operation": "read"}, {"name": "write", "share": 0.2, "operation": "write"}]
    _, panels = run(design([cache, db], [("users", "cache"), ("cache", "db")], rate=100.0, duration_s=3.0,
                           workload={"classes": classes, "keys": {"distribution": "zipf", "count": 500, "exponent": 1.0}}))
    assert "class_mix_known" in broken(panels["db"])


# -- balancers that choose by state or by hash ----------------------------------------------------


def balanced(policy: str, n: int, rate: float, duration_s: float, **params: Any) -> dict[str, Any]:
    apps = [pool(f"app{i}", service_time_ms=10) for i in range(n)]
    return design([{"id": "lb", "kind": "load_balancer", "params": {"policy": policy, **params}}, *apps],
                  [("users", "lb")] + [("lb", f"app{i}") for i in range(n)], rate=rate, duration_s=duration_s,
                  warmup_s=2.0)


def test_a_power_of_two_balancer_is_the_supermarket_model_and_beats_a_random_split() -> None:
    # Ten targets at utilization 0.85: the mean-field limit is within a few percent (it is exact
    # only as the targets grow without bound, so the tolerance is 10%).
    _, panels = run(balanced("power_of_two", 10, 850.0, 40.0))
    panel = panels["lb"]
    f = figures(panel)
    t = f["target_time_ms_mean"]
    assert t["predicted"] == close(supermarket_sojourn(0.85, 2, 0.01) * 1000, 1e-6)
    assert abs(t["departure"]) < 0.10, t
    assert all(holds(panel).values())
    assert f["target_time_ms_mean:random"]["predicted"] == close(mm1(85.0, 100.0).mean_sojourn_s * 1000, 1e-6)
    assert t["measured"] < f["target_time_ms_mean:random"]["predicted"] / 2


def test_a_power_of_two_balancer_over_two_targets_says_the_many_targets_assumption_breaks() -> None:
    _, panels = run(balanced("power_of_two", 2, 150.0, 5.0))
    assert "many_targets" in broken(panels["lb"])


def test_least_connections_is_close_to_one_shared_queue_and_better_than_two_choices() -> None:
    _, panels = run(balanced("least_connections", 6, 480.0, 40.0))
    f = figures(panels["lb"])
    pooled, two = f["target_time_ms_mean"], f["target_time_ms_mean:upper_bound_two_choices"]
    assert pooled["predicted"] == close(mmc(480.0, 100.0, 6).mean_sojourn_s * 1000, 1e-6)
    assert pooled["predicted"] <= pooled["measured"] <= two["predicted"]
    assert abs(pooled["departure"]) < 0.10, pooled


def test_a_sticky_balancer_predicts_each_targets_share_of_the_clients() -> None:
    _, panels = run(balanced("sticky", 4, 200.0, 20.0))
    f = figures(panels["lb"])
    rates = [f[f"arrival_rate_per_s:app{i}"] for i in range(4)]
    assert sum(r["predicted"] for r in rates) == pytest.approx(200.0)
    for r in rates:
        assert r["measured"] == pytest.approx(r["predicted"], rel=0.08)


def test_a_balancer_over_multi_worker_targets_keeps_none_with_its_reason() -> None:
    topology = balanced("power_of_two", 3, 100.0, 3.0)
    for node in topology["nodes"]:
        if node["id"].startswith("app"):
            node["params"]["workers_per_instance"] = 2
    _, panels = run(topology)
    assert panels["lb"]["model"] == "none"
    assert "single-worker exponential pools" in panels["lb"]["assumptions"][0]["why"]


# -- a CDN ----------------------------------------------------------------------------------------


def test_a_cdns_edge_cache_is_ches_approximation_and_a_short_ttl_breaks_it() -> None:
    edge = {"id": "cdn", "kind": "cdn", "params": {"capacity_items": 100, "ttl_s": 0}}
    classes = [{"name": "asset", "share": 0.7, "operation": "read"}, {"name": "api", "share": 0.3, "operation": "write"}]
    workload = {"classes": classes, "keys": {"distribution": "zipf", "count": 2000, "exponent": 0.9}}
    _, panels = run(design([edge, pool("origin", service_time_ms=1, workers_per_instance=16)],
                           [("users", "cdn"), ("cdn", "origin")], rate=400.0, duration_s=20.0, warmup_s=5.0,
                           workload=workload))
    panel = panels["cdn"]
    f = figures(panel)
    assert panel["model"].startswith("edge cache: Che") and all(holds(panel).values()), panel["assumptions"]
    assert f["hit_ratio"]["predicted"] == close(che_lru_hit_ratio(zipf_popularities(2000, 0.9), 100), 1e-6)
    assert f["hit_ratio"]["measured"] == pytest.approx(f["hit_ratio"]["predicted"], abs=0.02)
    # The dynamic 30% always reaches the origin: the edge answers 0.7 x the hit ratio.
    assert f["offload"]["predicted"] == close(0.7 * f["hit_ratio"]["predicted"], 1e-6)
    assert f["offload"]["measured"] == pytest.approx(f["offload"]["predicted"], abs=0.02)
    edge["params"]["ttl_s"] = 0.5
    _, panels = run(design([edge, pool("origin", service_time_ms=1, workers_per_instance=16)],
                           [("users", "cdn"), ("cdn", "origin")], rate=400.0, duration_s=5.0, workload=workload))
    assert "no_expiry" in broken(panels["cdn"])


def test_a_topics_consumers_split_its_partitions_and_their_shares_add_up() -> None:
    assert consumer_shares(1, 1, {"distribution": "uniform", "count": 10}) == [1.0]
    shares = consumer_shares(8, 4, {"distribution": "zipf", "count": 1000, "exponent": 1.0})
    assert sum(shares) == pytest.approx(1.0) and len(shares) == 4
    assert max(shares) > 0.3  # key 0 alone carries 13% of a Zipf(1) workload over 1000 keys


def topic_design(rate: float, duration_s: float, **doc: Any) -> dict[str, Any]:
    topic = {"id": "tp", "kind": "pubsub_topic", "params": {"partitions": 4, "consumers_per_group": 4}}
    return design([topic, pool("sink", service_time_ms=5, workers_per_instance=64)],
                  [("users", "tp"), ("tp", "sink")], rate=rate, duration_s=duration_s, warmup_s=2.0, **doc)


def test_a_topics_consumers_are_mg1_queues_on_their_partitions_share() -> None:
    keys = {"keys": {"distribution": "zipf", "count": 1000, "exponent": 1.0}}
    _, panels = run(topic_design(400.0, 60.0, workload=keys))
    panel = panels["tp"]
    assert panel["model"].startswith("partitioned topic") and all(holds(panel).values()), panel["assumptions"]
    f = figures(panel)
    shares = consumer_shares(4, 4, keys["keys"])
    expected = sum(400.0 * x * mm1(400.0 * x, 200.0).mean_sojourn_s for x in shares) / 400.0
    assert f["delivery_ms_mean"]["predicted"] == close(expected * 1000, 1e-6)
    for name in ("delivery_ms_mean", "delivered_per_s"):
        assert abs(f[name]["departure"]) < 0.10, (name, f[name])


def test_an_overloaded_topic_delivers_partitions_times_the_consumer_rate_and_its_lag_grows() -> None:
    _, panels = run(topic_design(1000.0, 30.0, workload={"keys": {"distribution": "uniform", "count": 1000}}))
    panel = panels["tp"]
    f = figures(panel)
    assert f["delivered_per_s"]["predicted"] == pytest.approx(4 * 200.0, rel=0.01)
    assert f["lag_growth_per_s"]["predicted"] == pytest.approx(1000.0 - 800.0, rel=0.05)
    for name in ("delivered_per_s", "lag_growth_per_s"):
        assert abs(f[name]["departure"]) < 0.05, (name, f[name])
    assert "stable" in broken(panel)


def test_a_topic_whose_deliveries_fail_says_redelivery_breaks_the_model() -> None:
    faults = [{"kind": "crash", "node": "sink", "start_s": 2.5, "duration_s": 1.0}]  # after the warm-up
    _, panels = run(topic_design(100.0, 5.0, faults=faults))
    assert "no_redelivery" in broken(panels["tp"])
