"""Faults and control commands while a run goes on."""
from __future__ import annotations

from typing import Any

import pytest

from .component_world import topology, source, pool, Run
from lab.sim import apply_command


def faulted_pool(faults: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return topology([source(200.0), pool(instances=2, workers_per_instance=4, service_time_ms=10)],
                    [("users", "app")], faults=faults)


def fault_failures(r: Run) -> dict[float, int]:
    return {w["t_start"]: w["overall"]["failures"].get("fault", 0) for w in r.windows}


def test_a_scheduled_crash_fails_requests_with_cause_fault_while_it_lasts() -> None:
    r = Run(faulted_pool([{"id": "boom", "kind": "crash", "node": "app", "start_s": 5, "duration_s": 3}])).run(12.0)
    results = r.finish()
    by_window = fault_failures(r)
    assert all(by_window[float(t)] > 100 for t in (5, 6, 7))
    assert all(by_window[float(t)] == 0 for t in (0, 1, 2, 3, 4, 8, 9, 10, 11))
    failed = results["traces"]["failed"]["fault"][0]
    assert (failed["cause"], failed["status"], failed["failed_at"]) == ("fault", 503, "app")
    assert [(e["t"], e["type"], e["fault"], e["node"]) for e in results["timeline"]] == [
        (5.0, "fault_started", "boom", "app"), (8.0, "fault_ended", "boom", "app")]


def test_a_fault_injected_live_lasts_until_it_is_cleared() -> None:
    r = Run(faulted_pool()).run(5.0)
    assert apply_command(r.sim, {"op": "inject_fault", "fault": {"kind": "crash", "node": "app"}}) == []
    r.run(8.0)
    assert r.sim.active_faults and "live-1" in r.sim.active_faults
    assert apply_command(r.sim, {"op": "clear_fault", "id": "live-1"}) == []
    r.run(12.0)
    results = r.finish()
    by_window = fault_failures(r)
    assert all(by_window[float(t)] > 100 for t in (5, 6, 7))
    assert all(by_window[float(t)] == 0 for t in (0, 1, 2, 3, 4, 8, 9, 10, 11))
    assert [(e["t"], e["type"]) for e in results["timeline"]] == [
        (5.0, "fault_injected"), (5.0, "fault_started"), (8.0, "fault_ended")]


INVALID_COMMANDS = [
    pytest.param("not a command", id="not-an-object"),
    pytest.param({"op": "reboot", "node": "app"}, id="unknown-op"),
    pytest.param({"op": "set_param", "node": "ap", "param": "instances", "value": 4}, id="unknown-node"),
    pytest.param({"op": "set_param", "node": "app", "param": "instancez", "value": 4}, id="unknown-param"),
    pytest.param({"op": "set_param", "node": "app", "param": "instances", "value": 0}, id="below-minimum"),
    pytest.param({"op": "set_param", "node": "app", "param": "instances", "value": "4"}, id="not-a-number"),
    pytest.param({"op": "set_param", "node": "app", "param": "instances"}, id="no-value"),
    pytest.param({"op": "set_param", "node": "app", "param": "blocking_calls", "value": True}, id="not-live"),
    pytest.param({"op": "set_param", "node": "users", "param": "mix", "value": {"reads": 1}}, id="unknown-class"),
    pytest.param({"op": "inject_fault", "fault": {"kind": "crash", "node": "nowhere"}}, id="fault-on-unknown-node"),
    pytest.param({"op": "inject_fault", "fault": {"kind": "meteor", "node": "app"}}, id="unknown-fault-kind"),
    pytest.param({"op": "inject_fault", "fault": {"kind": "crash", "node": "app", "duration_s": -1}}, id="negative-duration"),
    pytest.param({"op": "clear_fault", "id": "live-9"}, id="clear-unknown-fault"),
]


@pytest.mark.parametrize("command", INVALID_COMMANDS)
def test_an_invalid_command_returns_problems_and_changes_nothing(command: Any) -> None:
    r = Run(faulted_pool()).run(3.0)
    params = {nid: dict(n.p) for nid, n in r.sim.nodes.items()}
    problems = apply_command(r.sim, command)
    assert problems and all(p["message"] and p["path"].startswith("$") for p in problems)
    assert {nid: n.p for nid, n in r.sim.nodes.items()} == params
    assert r.sim.timeline == [] and r.sim.active_faults == {}
    r.run(6.0)
    results = r.finish()
    assert results["requests"]["failed"] == 0
