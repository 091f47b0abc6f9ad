"""Autoscaling of service pools and queue workers (lab/sim/parts/autoscaling.py): the target-tracking
rule, boot times, cooldowns, limits, the timeline, instance-second billing, live control, the
checks that refuse bad settings, and the contract's properties with the autoscaler at work."""
from __future__ import annotations

import json
import math
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest

import lab.sim
from lab.sim import Simulation, load
from lab.sim import apply_command

from .component_world import Run, node, pool, source, topology

ROOT = Path(__file__).resolve().parents[2]
PERIOD, COOLDOWN, BOOT = 15.0, 60.0, 30.0
AUTOSCALE = {"autoscale": True, "autoscale_target": 0.65, "min_instances": 2, "max_instances": 20,
             "evaluation_period_s": PERIOD, "cooldown_s": COOLDOWN, "boot_time_s": BOOT}
VM_MEDIUM_HOUR = 0.0416  # USD per instance-hour of the default size (lab/sim/cloud/pricing.py)


def scales(results: dict[str, Any], node_id: str = "app") -> list[dict[str, Any]]:
    return [e for e in results["timeline"] if e["type"] == "scale" and e["node"] == node_id]


def mean(values: list[float]) -> float:
    return sum(values) / len(values)


@lru_cache(maxsize=None)
def step_run() -> tuple[Run, dict[str, Any]]:
    # 100 requests/s, then 300 from 100 s to 400 s, then 100 again. At 40 ms a request, 300/s
    # keeps 12 workers busy: five 4-worker instances hold them 60 % busy (target 65 %).
    rates = [[0, 100], [100, 300], [400, 100]]
    topo = topology([source(100.0, pattern="schedule", schedule=rates),
                     pool(instances=2, workers_per_instance=4, service_time_ms=40, queue_capacity=100_000,
                          **AUTOSCALE)], [("users", "app")], window_s=5)
    r = Run(topo).run(600.0)
    return r, r.finish()


# ---------------------------------------------------------------- the rule at work


def test_a_load_step_scales_the_pool_out_within_a_period_and_a_boot_and_utilization_returns_to_target() -> None:
    r, results = step_run()
    actions = scales(results)
    assert all(w["instances"] == 2 for w in r.window_nodes("app", 0, 100)), "no scaling while at target"
    first = actions[0]
    assert 100 < first["t"] <= 100 + PERIOD and first["to"] > first["from"] == 2
    # The first new instance serves a boot time after its launch, and not before.
    assert all(w["nodes"]["app"]["instances"] == 2 for w in r.windows if w["t_end"] < first["t"] + BOOT)
    assert r.window_nodes("app", first["t"] + BOOT - 5, first["t"] + BOOT)[0]["instances"] == 3
    settled = r.window_nodes("app", 330, 400)
    assert all(w["instances"] == 5 for w in settled)
    assert mean([w["utilization"] for w in settled]) == pytest.approx(0.65, abs=0.07)
    assert all(w["queue_length"] < 1 for w in settled) and results["requests"]["failed"] == 0


def test_a_step_down_scales_in_only_after_the_cooldown() -> None:
    r, results = step_run()
    ins = [e for e in scales(results) if e["to"] < e["from"] and e["t"] > 400]
    assert ins and ins[0]["t"] >= 400 + COOLDOWN
    assert all(w["instances"] == 5 for w in r.window_nodes("app", 400, 400 + COOLDOWN))
    # Successive scale-ins are a cooldown apart, and the pool ends at its minimum.
    assert all(b["t"] - a["t"] >= COOLDOWN for a, b in zip(ins, ins[1:]))
    assert ins[-1]["to"] == 2 and r.window_nodes("app", 560)[-1]["instances"] == 2


def test_the_timeline_records_every_action_with_its_reason() -> None:
    r, results = step_run()
    actions = scales(results)
    assert len(actions) >= 4
    for before, after in zip(actions, actions[1:]):
        assert after["from"] == before["to"] and after["t"] > before["t"]
    for entry in actions:
        assert set(entry) == {"t", "type", "node", "from", "to", "reason"}
        assert entry["reason"].startswith("utilization ") and "target 0.65" in entry["reason"]
    in_windows = [e for w in r.windows for e in w["events"] if e["type"] == "scale"]
    assert in_windows == actions
    # The fleet (serving + booting) the next window reports is the one the timeline says: a
    # boot moves an instance from booting to serving, and actions are an evaluation apart.
    by_end = {w["t_end"]: w["nodes"]["app"] for w in r.windows}
    for entry in actions:
        view = by_end[math.floor(entry["t"] / 5) * 5 + 5]
        assert view["instances"] + view["instances_booting"] == entry["to"]


def test_booting_instances_are_paid_for_but_do_not_serve() -> None:
    # One worker serving exactly 10 requests a second is offered 15: at the first evaluation
    # (5 s) it launches an instance that boots for 20 s.
    topo = topology([source(15.0, arrival="constant"),
                     pool(instances=1, workers_per_instance=1, service_time_ms=100, service_distribution="deterministic",
                          queue_capacity=100_000, autoscale=True, autoscale_target=0.5, min_instances=1, max_instances=2,
                          evaluation_period_s=5, cooldown_s=600, boot_time_s=20)], [("users", "app")])
    r = Run(topo).run(40.0)
    results = r.finish()
    assert [(e["t"], e["from"], e["to"]) for e in scales(results)] == [(5.0, 1, 2)]
    booting = r.window_nodes("app", 6, 24)
    assert all(w["instances"] == 1 and w["instances_booting"] == 1 and w["instances_mean"] == 2 for w in booting)
    assert all(w["completions"] == 10 for w in booting)
    serving = r.window_nodes("app", 26, 40)
    assert all(w["instances"] == 2 and w["instances_booting"] == 0 for w in serving)
    assert all(w["completions"] >= 15 for w in serving)  # two workers drain the backlog at 20/s


def test_the_fleet_stays_between_min_and_max() -> None:
    flood = topology([source(2000.0), pool(instances=2, workers_per_instance=2, service_time_ms=20, queue_capacity=100,
                                           **{**AUTOSCALE, "max_instances": 3, "evaluation_period_s": 5,
                                              "boot_time_s": 5})], [("users", "app")])
    r = Run(flood).run(120.0)
    results = r.finish()
    assert max(w["instances"] + w["instances_booting"] for w in r.window_nodes("app")) == 3
    assert all(e["to"] <= 3 for e in scales(results))
    idle = topology([source(1.0), pool(instances=6, workers_per_instance=2, service_time_ms=20,
                                       **{**AUTOSCALE, "min_instances": 2, "max_instances": 4, "evaluation_period_s": 5,
                                          "cooldown_s": 10})], [("users", "app")])
    r = Run(idle).run(120.0)
    results = r.finish()
    views = r.window_nodes("app")
    assert views[0]["instances"] == 4  # the starting count is kept within the limits
    assert min(w["instances"] for w in views) == 2 and views[-1]["instances"] == 2
    assert all(e["to"] >= 2 for e in scales(results))


def test_a_live_change_of_the_limits_is_enforced_at_the_next_evaluation() -> None:
    topo = topology([source(1.0), pool(instances=2, workers_per_instance=2, service_time_ms=20,
                                       **{**AUTOSCALE, "evaluation_period_s": 5, "boot_time_s": 10})], [("users", "app")])
    r = Run(topo).run(12.0)
    assert apply_command(r.sim, {"op": "set_param", "node": "app", "param": "min_instances", "value": 5}) == []
    r.run(40.0)
    results = r.finish()
    assert [(e["t"], e["from"], e["to"]) for e in scales(results)] == [(15.0, 2, 5)]
    assert "below the minimum of 5" in scales(results)[0]["reason"]
    assert r.window_nodes("app", 26, 40)[0]["instances"] == 5


# ---------------------------------------------------------------- queues


def queue_spike(autoscale: bool) -> Run:
    # Four workers (two instances) finish 80 jobs/s; 200/s arrive for 20 s from t = 20.
    params = {"workers": 4, "workers_per_instance": 2, "job_time_ms": 50, "ack_latency_ms": 2,
              "autoscale": autoscale, "autoscale_metric": "backlog_per_worker", "autoscale_target": 5,
              "min_instances": 2, "max_instances": 16, "evaluation_period_s": 10, "cooldown_s": 60, "boot_time_s": 20}
    topo = topology([source(50.0, pattern="spike", spike_rate_per_s=200, spike_start_s=20, spike_duration_s=20),
                     node("jobs", "work_queue", **params)], [("users", "jobs")], window_s=5)
    r = Run(topo).run(240.0)
    r.finish()
    return r


def test_a_queue_tracking_backlog_per_worker_drains_a_spike_and_then_scales_in() -> None:
    scaled, fixed = queue_spike(True), queue_spike(False)
    backlog = {w["t_end"]: w["nodes"]["jobs"]["backlog"] for w in scaled.windows}
    backlog_fixed = {w["t_end"]: w["nodes"]["jobs"]["backlog"] for w in fixed.windows}
    assert backlog[40] > 1000 and backlog_fixed[40] > 1000  # the spike outruns both at first
    assert backlog[90] < 50 and backlog_fixed[90] > 500
    views = scaled.window_nodes("jobs")
    assert max(w["instances"] for w in views) > 6
    assert max(w["workers"] for w in views) == 2 * max(w["instances"] for w in views)
    assert views[-1]["instances"] == 2 and views[-1]["workers"] == 4
    actions = scales(scaled.sim.results(), "jobs")
    assert actions[0]["reason"].startswith("backlog per worker ")
    assert all(w["instances"] == 2 for w in fixed.window_nodes("jobs"))


# ---------------------------------------------------------------- cost


def test_cost_integrates_instance_seconds_booting_ones_included() -> None:
    r, results = step_run()
    # By hand, from the timeline: the fleet (serving + booting) is 2 until the first action,
    # then each action's `to` until the next.
    t, fleet, seconds = 0.0, 2, 0.0
    for entry in scales(results):
        seconds += fleet * (entry["t"] - t)
        t, fleet = entry["t"], entry["to"]
    seconds += fleet * (600.0 - t)
    app = results["measured"]["nodes"]["app"]
    assert app["cost_usd"] == pytest.approx(VM_MEDIUM_HOUR * seconds / 3600.0, rel=1e-6)
    assert sum(w["instances_mean"] * 5 for w in r.window_nodes("app")) == pytest.approx(seconds, rel=1e-6)
    assert app["instances_mean"] == pytest.approx(seconds / 600.0, rel=1e-6)


def test_a_count_changed_within_a_window_is_billed_for_the_time_it_ran() -> None:
    topo = topology([source(10.0), pool(instances=2, workers_per_instance=2, service_time_ms=5)], [("users", "app")],
                    window_s=10)
    r = Run(topo).run(5.0)
    assert apply_command(r.sim, {"op": "set_param", "node": "app", "param": "instances", "value": 4}) == []
    r.run(10.0)
    r.finish()
    (window,) = r.window_nodes("app")
    assert window["cost_usd"] == pytest.approx(VM_MEDIUM_HOUR * (2 * 5 + 4 * 5) / 3600.0, abs=1e-6)
    assert window["instances"] == 4 and window["instances_mean"] == 3.0


def test_a_queue_pays_for_whole_instances_by_the_second_and_for_its_requests() -> None:
    # Six workers at four per instance need two instances.
    topo = topology([source(20.0), node("jobs", "work_queue", workers=6, workers_per_instance=4, job_time_ms=5)],
                    [("users", "jobs")], window_s=10)
    r = Run(topo).run(10.0)
    r.finish()
    (window,) = r.window_nodes("jobs")
    expected = VM_MEDIUM_HOUR * 2 * 10 / 3600.0 + 0.40 * 3 * window["arrivals"] / 1e6
    assert window["cost_usd"] == pytest.approx(expected, abs=1e-6)
    assert (window["instances"], window["workers"], window["instances_mean"]) == (2, 6, 2.0)


# ---------------------------------------------------------------- live control


def test_turning_autoscaling_on_mid_run_ends_an_overload_and_off_again_stops_it() -> None:
    topo = topology([source(300.0), pool(instances=1, workers_per_instance=2, service_time_ms=10, queue_capacity=50)],
                    [("users", "app")])
    r = Run(topo).run(10.0)
    assert not scales(r.sim.results())
    for name, value in (("evaluation_period_s", 5), ("boot_time_s", 5), ("max_instances", 8), ("autoscale", True)):
        assert apply_command(r.sim, {"op": "set_param", "node": "app", "param": name, "value": value}) == []
    r.run(60.0)
    actions = scales(r.sim.results())
    assert actions and actions[0]["t"] == 15.0 and actions[0]["from"] == 1
    kinds = [e["type"] for e in r.sim.timeline]
    assert kinds[:4] == ["set_param"] * 4 and set(kinds[4:]) == {"scale"}
    assert all(w["errors"] == 0 and w["queue_length"] < 2 for w in r.window_nodes("app", 40, 60))
    assert apply_command(r.sim, {"op": "set_param", "node": "app", "param": "autoscale", "value": False}) == []
    fleet = r.window_nodes("app")[-1]["instances"]
    r.run(200.0)
    results = r.finish()
    assert len(scales(results)) == len(actions)  # nothing more once it is off
    assert all(w["instances"] == fleet for w in r.window_nodes("app", 60))


def test_changing_another_parameter_keeps_the_autoscaled_fleet() -> None:
    topo = topology([source(300.0), pool(instances=1, workers_per_instance=2, service_time_ms=10, queue_capacity=50,
                                         **{**AUTOSCALE, "min_instances": 1, "evaluation_period_s": 5,
                                            "boot_time_s": 5})], [("users", "app")])
    r = Run(topo).run(40.0)
    fleet = r.window_nodes("app")[-1]["instances"]
    assert fleet > 1
    assert apply_command(r.sim, {"op": "set_param", "node": "app", "param": "service_time_ms", "value": 9}) == []
    r.run(41.0)
    r.finish()
    assert r.window_nodes("app")[-1]["instances"] == fleet
    assert r.sim.nodes["app"].station.workers == 2 * fleet


# ---------------------------------------------------------------- refused settings


def doc_with(kind: str, **params: Any) -> str:
    return json.dumps({"version": 1,
                       "nodes": [{"id": "users", "kind": "traffic_source", "params": {}},
                                 {"id": "app", "kind": kind, "params": params}],
                       "edges": [{"from": "users", "to": "app"}]})


@pytest.mark.parametrize("kind", ["service_pool", "work_queue"])
@pytest.mark.parametrize("params, path, words", [
    ({"min_instances": 5, "max_instances": 3}, "min_instances", "min_instances (5) to be at most max_instances (3)"),
    ({"autoscale_metric": "utilization", "autoscale_target": 1.0}, "autoscale_target",
     "a utilization target must lie strictly between 0 and 1"),
    ({"autoscale_metric": "utilization", "autoscale_target": 0}, "autoscale_target",
     "a utilization target must lie strictly between 0 and 1"),
    ({"autoscale_metric": "backlog_per_worker", "autoscale_target": 0}, "autoscale_target",
     "a backlog target must be above 0"),
])
def test_check_refuses_autoscaling_settings_that_cannot_work(kind: str, params: dict[str, Any], path: str,
                                                             words: str) -> None:
    problems = lab.sim.check(doc_with(kind, autoscale=True, **params))
    assert [(p["path"], p["severity"]) for p in problems] == [(f"$.nodes[1].params.{path}", "error")]
    assert words in problems[0]["message"] and problems[0]["message"].startswith("'app': ")
    # The same settings are fine while autoscaling is off: they are not used.
    assert lab.sim.check(doc_with(kind, autoscale=False, **params)) == []


def test_a_live_change_that_breaks_the_limits_is_refused_and_changes_nothing() -> None:
    topo = topology([source(10.0), pool(instances=2, **AUTOSCALE)], [("users", "app")])
    r = Run(topo).run(5.0)
    problems = apply_command(r.sim, {"op": "set_param", "node": "app", "param": "min_instances", "value": 30})
    assert [p["message"] for p in problems] == [
        "'app': autoscaling needs min_instances (30) to be at most max_instances (20)"]
    assert r.sim.nodes["app"].p["min_instances"] == 2 and r.sim.timeline == []


# ---------------------------------------------------------------- the contract, with the autoscaler at work

FAST = {"autoscale": True, "min_instances": 1, "max_instances": 6, "evaluation_period_s": 2, "cooldown_s": 4,
        "boot_time_s": 3}


def contract_topology(kind: str) -> dict[str, Any]:
    # The core contract builders' shapes, autoscaled: an overload that scales out, a crash
    # while it runs, a calm that scales in, and requests in flight at 30 s.
    spike = {"pattern": "spike", "spike_rate_per_s": 600, "spike_start_s": 5, "spike_duration_s": 8}
    if kind == "service_pool":
        nodes = [source(150.0, **spike),
                 pool(instances=1, workers_per_instance=4, queue_capacity=30, service_time_ms=10,
                      service_time_ms_by_class={"write": 25}, timeout_ms=40, blocking_calls=True,
                      autoscale_target=0.6, **FAST),
                 node("db", "database", workers=16, max_connections=40, read_time_ms=4)]
        edges = [("users", "app"), ("app", "db")]
        crashed = "app"
    else:
        nodes = [source(60.0, **spike),
                 node("jobs", "work_queue", ack_latency_ms=2, capacity=300, workers=2, workers_per_instance=2,
                      job_time_ms=40, autoscale_target=5, **FAST),
                 node("db", "database", workers=4, max_connections=8, read_time_ms=5)]
        edges = [("users", "jobs"), ("jobs", "db")]
        crashed = "jobs"
    faults = [{"kind": "crash", "node": crashed, "start_s": 16, "duration_s": 3}]
    # The producers' requests are on the wire (50 ms) when the run stops, to be drained.
    latency = {"users": 50.0, "app": 0.5, "jobs": 0.5}
    return topology(nodes, [{"from": a, "to": b, "latency_ms": latency[a]} for a, b in edges], faults=faults,
                    classes=[{"name": "read", "operation": "read", "share": 4},
                             {"name": "write", "operation": "write", "share": 1}])


@lru_cache(maxsize=None)
def contract_run(kind: str, seed: int = 3) -> tuple[dict[str, Any], dict[str, Any], str]:
    sim = Simulation(contract_topology(kind), seed=seed, trace_every=7)
    sim.run(30.0)
    before = json.loads(json.dumps(sim.results()["requests"]))
    sim.drain()
    results = sim.results()
    return before, results, json.dumps(results, sort_keys=True, allow_nan=False)


@pytest.mark.parametrize("kind", ["service_pool", "work_queue"])
def test_an_autoscaled_node_ends_every_request_once_and_obeys_littles_law(kind: str) -> None:
    before, results, _ = contract_run(kind)
    node_id = "app" if kind == "service_pool" else "jobs"
    actions = scales(results, node_id)
    assert any(e["to"] > e["from"] for e in actions) and any(e["to"] < e["from"] for e in actions)
    assert before["failed"] > 0 and before["in_flight"] > 0
    requests = results["requests"]
    assert requests["in_flight"] == 0 and requests["created"] == requests["completed"] + requests["failed"]
    assert results["duration_s"] < 60, "the autoscaler must not keep a drained run going"
    span = results["measured"]["span_s"]
    for nid, view in results["measured"]["nodes"].items():
        assert view["in_node_now"] == 0
        if view["kind"] != "traffic_source":
            assert view["arrivals"] == view["completions"] + view["errors"], nid
        if "utilization" in view:
            assert 0.0 <= view["utilization"] <= 1.0
    view = results["measured"]["nodes"][node_id]
    assert math.isclose(view["in_node"] * span, view["arrivals"] * view["residence_ms_mean"] / 1000.0,
                        rel_tol=0.02, abs_tol=2e-6 * span)


@pytest.mark.parametrize("kind", ["service_pool", "work_queue"])
def test_an_autoscaled_run_is_the_same_for_the_same_seed_and_not_for_another(kind: str) -> None:
    first = contract_run(kind)[2]
    contract_run.cache_clear()
    assert contract_run(kind)[2] == first
    assert contract_run(kind, 4)[2] != first


# ---------------------------------------------------------------- the example


def test_the_three_zone_example_follows_the_daily_cycle_with_fewer_instances_than_a_fixed_peak_fleet() -> None:
    topo = load((ROOT / "lab" / "sim" / "examples" / "autoscaling_three_zones.json").read_text())
    windows: list[dict[str, Any]] = []
    sim = Simulation(topo, on_window=windows.append)
    sim.run(topo["settings"]["duration_s"])
    sim.finish()
    results = sim.results()
    pools = ("api-a", "api-b", "api-c")

    def at(t: float, pool_id: str) -> dict[str, Any]:
        return next(w["nodes"][pool_id] for w in windows if w["t_start"] <= t < w["t_end"])

    peak = 0
    for pool_id in pools:
        assert at(0, pool_id)["instances"] == 2  # night
        assert at(300, pool_id)["instances"] >= 5  # noon
        assert at(595, pool_id)["instances"] <= 4  # evening: shed, a cooldown behind the load
        actions = scales(results, pool_id)
        assert any(e["to"] > e["from"] for e in actions) and any(e["to"] < e["from"] for e in actions)
        assert max(w["nodes"][pool_id]["utilization"] for w in windows) < 0.9
        peak += max(w["nodes"][pool_id]["instances"] for w in windows)
    nodes = results["measured"]["nodes"]
    assert sum(nodes[p]["instances_mean"] for p in pools) < 0.8 * peak
    assert results["requests"]["failed"] == 0
    assert results["measured"]["overall"]["latency_ms"]["p99"] < 600
