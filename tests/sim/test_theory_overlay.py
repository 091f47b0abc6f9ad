"""The theory overlay (lab/sim/theory/overlay.py): its predictions are the theory module's for the
same inputs, a long M/M/c run agrees with them and says its assumptions hold, a run that breaks
one says which, and the measured split of waiting (wait_ms, wait_probability) matches Erlang C."""
from __future__ import annotations

import json
from typing import Any

import pytest

from lab.sim import Simulation, load
from lab.sim.theory import (che_lru_hit_ratio, cold_start_fraction, ekm1, erlang_c, mg1, mmc, round_robin_split,
                            zipf_popularities)
from lab.sim.theory import allen_cunneen, erlang_b
from lab.sim.theory.overlay import overlay

from .theory_world import close


def pool(node_id: str = "api", **params: Any) -> dict[str, Any]:
    return {"id": node_id, "kind": "service_pool",
            "params": {"instances": 1, "workers_per_instance": 1, "queue_capacity": 1_000_000, **params}}


def design(nodes: list[dict[str, Any]], edges: list[tuple[str, str]], *, rate: float = 100.0,
           source: dict[str, Any] | None = None, duration_s: float = 10.0, warmup_s: float = 1.0,
           edge_policy: dict[str, Any] | None = None, **doc: Any) -> dict[str, Any]:
    users = {"id": "users", "kind": "traffic_source", "params": {"rate_per_s": rate, **(source or {})}}
    return load({
        "format": "archlab.topology", "version": 1, "name": "overlay test",
        "settings": {"duration_s": duration_s, "warmup_s": warmup_s, "window_s": 1.0},
        "nodes": [users, *nodes],
        "edges": [{"from": a, "to": b, **({"policy": edge_policy} if edge_policy and a == "users" else {})}
                  for a, b in edges],
        **doc,
    })


def run(topology: dict[str, Any], seed: int = 1) -> tuple[dict[str, Any], dict[str, Any]]:
    sim = Simulation(topology, seed=seed)
    sim.run(float(topology["settings"]["duration_s"]))
    sim.finish()
    results = sim.results()
    return results, overlay(topology, results)


def figures(panel: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["name"]: f for f in panel["figures"]}


def holds(panel: dict[str, Any]) -> dict[str, bool]:
    return {a["name"]: a["holds"] for a in panel["assumptions"]}


# -- predictions are the theory module's -----------------------------------------------------------


def test_an_exponential_pool_is_predicted_as_mmc() -> None:
    _, panels = run(design([pool(instances=2, workers_per_instance=2, service_time_ms=10)], [("users", "api")],
                           rate=300.0, duration_s=3.0))
    panel, q = panels["api"], mmc(300.0, 100.0, 4)
    assert panel["model"] == "M/M/c" and panel["rate_from"] == "topology"
    f = figures(panel)
    assert f["wait_ms_mean"]["predicted"] == close(q.mean_wait_s * 1000.0, 1e-6)
    assert f["time_in_node_ms_mean"]["predicted"] == close(q.mean_sojourn_s * 1000.0, 1e-6)
    assert f["utilization"]["predicted"] == close(q.utilization, 1e-6)
    assert f["wait_probability"]["predicted"] == close(erlang_c(4, 3.0), 1e-6)
    assert f["queue_length"]["predicted"] == close(q.mean_in_queue, 1e-6)


def test_a_lognormal_single_server_is_pollaczek_khinchine_and_many_servers_allen_cunneen() -> None:
    lognormal = {"service_distribution": "lognormal", "service_cv": 2.0, "service_time_ms": 5}
    _, panels = run(design([pool("one", **lognormal), pool("many", instances=3, **lognormal)],
                           [("users", "one"), ("one", "many")], rate=100.0, duration_s=2.0))
    assert panels["one"]["model"] == "M/G/1 (Pollaczek-Khinchine)"
    assert figures(panels["one"])["wait_ms_mean"]["predicted"] == close(mg1(100.0, 0.005, 4.0).mean_wait_s * 1000, 1e-6)
    assert panels["many"]["model"].startswith("M/G/c (Allen-Cunneen")
    expected = allen_cunneen(100.0, 0.005, 3, 1.0, 4.0).mean_wait_s * 1000
    assert figures(panels["many"])["wait_ms_mean"]["predicted"] == close(expected, 1e-6)
    assert expected == close(mmc(100.0, 200.0, 3).mean_wait_s * 1000 * (1 + 4.0) / 2)


def test_targets_of_a_round_robin_balancer_are_ekm1() -> None:
    apps = [pool(f"app{i}", service_time_ms=3) for i in range(4)]
    topology = design([{"id": "lb", "kind": "load_balancer", "params": {"policy": "round_robin"}}, *apps],
                      [("users", "lb")] + [("lb", f"app{i}") for i in range(4)], rate=1000.0, duration_s=2.0)
    _, panels = run(topology)
    q = ekm1(4, 250.0, 1000.0 / 3)
    assert q == round_robin_split(4, 1000.0, 1000.0 / 3)
    for i in range(4):
        panel = panels[f"app{i}"]
        assert panel["model"] == "E_k/M/1" and holds(panel)["erlang_arrivals"]
        assert figures(panel)["wait_ms_mean"]["predicted"] == close(q.mean_wait_s * 1000, 1e-6)
        assert figures(panel)["wait_probability"]["predicted"] == close(q.mean_wait_s / q.mean_sojourn_s, 1e-6)
    assert figures(panels["lb"])["arrival_rate_per_s:app0"]["predicted"] == 250.0


def test_a_pool_with_no_queue_is_erlang_b() -> None:
    results, panels = run(design([pool(instances=3, queue_capacity=0, service_time_ms=20)], [("users", "api")],
                                 rate=150.0, duration_s=20.0))
    panel = panels["api"]
    assert panel["model"] == "M/G/c/c (Erlang B)"
    blocking = figures(panel)["blocking_probability"]
    assert blocking["predicted"] == close(erlang_b(3, 3.0), 1e-6)
    assert blocking["measured"] == pytest.approx(blocking["predicted"], abs=0.03)


def test_a_keyed_lru_cache_is_ches_approximation_and_a_function_cold_starts_are_exponential() -> None:
    cache = {"id": "cache", "kind": "cache", "params": {"capacity_items": 200}}
    fn = {"id": "fn", "kind": "serverless_function", "params": {"duration_ms": 20, "idle_timeout_s": 0.5}}
    topology = design([cache, pool("db", service_time_ms=1), fn], [("users", "cache"), ("cache", "db")],
                      rate=200.0, duration_s=20.0, workload={"keys": {"distribution": "zipf", "count": 2000,
                                                                      "exponent": 0.9}})
    _, panels = run(topology)
    hit = figures(panels["cache"])["hit_ratio"]
    assert panels["cache"]["model"].startswith("Che")
    assert hit["predicted"] == close(che_lru_hit_ratio(zipf_popularities(2000, 0.9), 200), 1e-6)
    assert hit["measured"] == pytest.approx(hit["predicted"], abs=0.02)
    assert panels["db"]["rate_from"] == "measured"  # below a keyed cache the design cannot tell

    # Short runs and cold starts, so one instance at a time serves nearly every invocation.
    fn["params"].update(duration_ms=5, cold_start_ms=5)
    fn_topology = design([fn], [("users", "fn")], rate=2.0, duration_s=300.0, warmup_s=5.0)
    _, panels = run(fn_topology)
    cold = figures(panels["fn"])["cold_start_ratio"]
    assert cold["predicted"] == close(cold_start_fraction(2.0, 0.5), 1e-6)
    assert cold["measured"] == pytest.approx(cold["predicted"], abs=0.06)
    assert holds(panels["fn"])["one_instance_at_a_time"]

    fn["params"].update(duration_ms=400, cold_start_ms=300)  # invocations overlap: the formula's assumption breaks
    _, panels = run(design([fn], [("users", "fn")], rate=5.0, duration_s=20.0))
    assert "one_instance_at_a_time" in broken(panels["fn"])


# -- a long run agrees, a run that breaks an assumption says which --------------------------------


def test_a_long_mmc_run_agrees_with_its_prediction_and_its_assumptions_hold() -> None:
    _, panels = run(design([pool(instances=4, service_time_ms=1)], [("users", "api")], rate=3000.0,
                           duration_s=40.0, warmup_s=2.0))
    panel = panels["api"]
    assert all(holds(panel).values()), panel["assumptions"]
    for name in ("wait_ms_mean", "time_in_node_ms_mean", "utilization", "wait_probability", "queue_length"):
        assert abs(figures(panel)[name]["departure"]) < 0.08, (name, figures(panel)[name])
    assert panel["verdict"].startswith("The measurement agrees with M/M/c")
    assert figures(panel)["in_node"]["departure"] == pytest.approx(0.0, abs=1e-3)  # Little's law


@pytest.mark.parametrize("servers, rate", [(1, 3750.0), (3, 12000.0)], ids=["M/M/1", "M/M/3"])
def test_the_measured_probability_of_waiting_and_mean_wait_match_erlang_c(servers: int, rate: float) -> None:
    """Service 0.2 ms, so 30 s holds 70,000 or more requests: the sampling error of the wait is
    about 3%. Utilization 0.75 (M/M/3: 0.8)."""
    topology = design([pool(instances=servers, service_time_ms=0.2)], [("users", "api")], rate=rate,
                      duration_s=30.0, warmup_s=1.0)
    results, _ = run(topology, seed=11)
    node = results["measured"]["nodes"]["api"]
    load_erlangs = rate * 0.0002
    assert node["wait_probability"] == pytest.approx(erlang_c(servers, load_erlangs), rel=0.04)
    assert node["wait_ms"]["mean"] == pytest.approx(mmc(rate, 5000.0, servers).mean_wait_s * 1000, rel=0.10)
    assert node["service_ms"]["mean"] == pytest.approx(0.2, rel=0.02)
    # The split adds up: waiting plus service is the time in the node.
    assert node["wait_ms"]["mean"] + node["service_ms"]["mean"] == pytest.approx(node["latency_ms"]["mean"], rel=0.01)


def broken(panel: dict[str, Any]) -> set[str]:
    return {name for name, ok in holds(panel).items() if not ok}


def test_retries_on_the_edge_break_the_no_retries_assumption() -> None:
    _, panels = run(design([pool(service_time_ms=5)], [("users", "api")], rate=50.0, duration_s=3.0,
                           edge_policy={"retries": 2, "timeout_ms": 100}))
    assert "no_retries" in broken(panels["api"])
    assert "e1" in next(a["why"] for a in panels["api"]["assumptions"] if a["name"] == "no_retries")
    assert "no retries" in panels["api"]["verdict"] or "departs" in panels["api"]["verdict"]


def test_autoscaling_breaks_the_fixed_capacity_assumption() -> None:
    _, panels = run(design([pool(service_time_ms=5, autoscale=True)], [("users", "api")], rate=50.0, duration_s=3.0))
    assert "fixed_capacity" in broken(panels["api"])


def test_a_bursty_schedule_breaks_the_steady_rate_assumption() -> None:
    source = {"pattern": "schedule", "schedule": [[0, 20], [2, 150], [3, 20]]}
    _, panels = run(design([pool(service_time_ms=5)], [("users", "api")], source=source, duration_s=4.0))
    panel = panels["api"]
    assert {"steady_rate", "poisson_arrivals"} <= broken(panel)
    assert panel["rate_from"] == "measured"
    assert "steady rate" in panel["verdict"]


def test_a_fault_on_the_node_breaks_the_no_faults_assumption() -> None:
    faults = [{"kind": "crash", "node": "api", "start_s": 1.0, "duration_s": 0.5}]
    _, panels = run(design([pool(service_time_ms=5)], [("users", "api")], rate=50.0, duration_s=3.0, faults=faults))
    assert "no_faults" in broken(panels["api"])


# -- odd inputs ----------------------------------------------------------------------------------


def test_a_node_with_no_arrivals_has_no_model() -> None:
    _, panels = run(design([pool()], [("users", "api")], rate=0.0, duration_s=2.0))
    panel = panels["api"]
    assert panel["model"] == "none" and panel["figures"] == [] and "No request" in panel["verdict"]


def test_a_kind_with_no_closed_form_says_no_model_and_keeps_littles_law() -> None:
    # A third party's answer time is its own business: no queue of ours describes it.
    vendor = {"id": "limit", "kind": "third_party_api", "params": {}}
    _, panels = run(design([vendor], [("users", "limit")], duration_s=2.0))
    panel = panels["limit"]
    assert panel["model"] == "none" and not holds(panel)["has_model"]
    assert [f["name"] for f in panel["figures"]] == ["in_node"]
    assert panel["verdict"].startswith("No model")


def test_an_overloaded_pool_says_it_is_unstable_and_every_document_is_json() -> None:
    _, panels = run(design([pool(service_time_ms=20)], [("users", "api")], rate=100.0, duration_s=2.0))
    panel = panels["api"]
    assert "stable" in broken(panel)
    assert figures(panel)["utilization"]["predicted"] == pytest.approx(2.0)
    json.dumps(panels, allow_nan=False)
