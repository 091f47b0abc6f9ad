"""What a sweep sets: a node's parameter, or the workload's rate scaled over every source."""
from __future__ import annotations

from typing import Any

from lab.sim import load
from lab.sim.evidence import plan_sweep


def _two_sources() -> dict[str, Any]:
    return load({"version": 1,
                 "nodes": [{"id": "eu", "kind": "traffic_source", "params": {"rate_per_s": 100}},
                           {"id": "us", "kind": "traffic_source",
                            "params": {"rate_per_s": 300, "pattern": "spike", "spike_rate_per_s": 900}},
                           {"id": "app", "kind": "service_pool"}],
                 "edges": [{"from": "eu", "to": "app"}, {"from": "us", "to": "app"}]})


def test_the_workload_rate_scales_every_source_and_keeps_their_mix_and_patterns() -> None:
    plan = plan_sweep(_two_sources(), {"axes": [{"workload": "rate_per_s", "values": [800]}], "seeds": 1})
    nodes = {n["id"]: n["params"] for n in plan.runs[0].run_topology()["nodes"]}
    assert nodes["eu"]["rate_per_s"] == 200 and nodes["us"]["rate_per_s"] == 600
    assert nodes["us"]["spike_rate_per_s"] == 1800
    # The steady source's unused spike rate is left as it was.
    assert nodes["eu"]["spike_rate_per_s"] == 1000


def test_a_node_parameter_is_set_in_each_runs_own_topology_only() -> None:
    topology = _two_sources()
    plan = plan_sweep(topology, {"axes": [{"node": "app", "param": "service_distribution",
                                           "values": ["exponential", "deterministic"]}], "seeds": 2})
    assert [r.run_topology()["nodes"][2]["params"]["service_distribution"] for r in plan.runs] == \
        ["exponential", "exponential", "deterministic", "deterministic"]
    assert topology["nodes"][2]["params"]["service_distribution"] == "exponential"
    assert [r.seed for r in plan.runs] == [1, 2, 1, 2]
