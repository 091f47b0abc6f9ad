"""The contract every component kind keeps, run against every kind in the registry.

Each kind has a builder: a small topology that exercises it, pushes it past its capacity so
requests fail as well as complete, and crashes it for a while. A kind registered without a builder
fails every test here, so a new kind cannot slip past the contract.
"""
from __future__ import annotations

import json
import math
from functools import lru_cache
from typing import Any

import pytest

import lab.sim
from lab.sim import REGISTRY, Simulation

from .contract_builders import OTHER_SEED, RUN_S, SEED, discover

BUILDERS = discover()

# How a kind's node counts what passes through it, once a drained run has ended everything.
# A source "completes" a request by sending it; every other kind ends each arrival either as a
# completion or as an error. A new kind gets the second rule unless it says otherwise here.
SENDS_EVERYTHING = {"traffic_source"}

KINDS = sorted(REGISTRY)


def topology_for(kind: str) -> dict[str, Any]:
    builder = BUILDERS.get(kind)
    if builder is None:
        pytest.fail(f"component kind {kind!r} is registered but the contract has no builder for it: "
                    f"add a module with a BUILDERS dict to tests/sim/contract_builders/")
    doc = builder()
    assert any(n["kind"] == kind for n in doc["nodes"]), f"the builder for {kind!r} does not use that kind"
    return lab.sim.load(doc)


class Run:
    def __init__(self, kind: str, seed: int) -> None:
        self.windows: list[dict[str, Any]] = []
        self.sim = Simulation(topology_for(kind), seed=seed, on_window=self.windows.append, trace_every=7,
                              trace_cap=200)
        self.sim.run(RUN_S)
        self.before_drain = json.loads(json.dumps(self.sim.results()["requests"]))
        self.sim.drain()
        self.results = self.sim.results()


@lru_cache(maxsize=None)
def run(kind: str, seed: int = SEED) -> Run:
    return Run(kind, seed)


def nodes_of(kind: str, results: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {nid: view for nid, view in results["measured"]["nodes"].items() if view["kind"] == kind}


@pytest.mark.parametrize("kind", KINDS)
def test_every_request_ends_exactly_once(kind: str) -> None:
    r = run(kind)
    requests = r.results["requests"]
    assert requests["in_flight"] == 0, f"{kind}: {requests}"
    assert requests["created"] == requests["completed"] + requests["failed"], f"{kind}: {requests}"
    assert r.before_drain["failed"] > 0, f"the {kind} topology should overload or crash something"
    assert r.before_drain["in_flight"] > 0, f"the {kind} topology should leave requests in flight to drain"
    overall = r.results["measured"]["overall"]
    assert overall["arrivals"] == requests["created"]
    assert overall["completions"] + overall["errors"] == requests["created"], f"{kind}: {overall}"


def _non_negative_latencies(where: str, latency: dict[str, float]) -> None:
    for name, value in latency.items():
        assert value >= 0, f"{where}: latency {name} is {value}"
    assert latency["p50"] <= latency["p95"] <= latency["p99"] <= latency["max"], f"{where}: {latency}"


def _sane_node(where: str, view: dict[str, Any]) -> None:
    _non_negative_latencies(where, view["latency_ms"])
    assert view["in_node"] >= 0, f"{where}: in_node {view['in_node']}"
    assert view["in_node_now"] >= 0, f"{where}: in_node_now {view['in_node_now']}"
    for count in ("arrivals", "completions", "errors"):
        assert view[count] >= 0, f"{where}: {count} {view[count]}"
    if "utilization" in view:
        assert 0.0 <= view["utilization"] <= 1.0, f"{where}: utilization {view['utilization']}"
        assert view["queue_length"] >= -1e-6, f"{where}: queue_length {view['queue_length']}"


@pytest.mark.parametrize("kind", KINDS)
def test_no_time_or_count_is_ever_negative(kind: str) -> None:
    r = run(kind)
    previous_end = 0.0
    for w in r.windows:
        assert w["t_start"] >= 0 and w["t_end"] > w["t_start"] >= previous_end - 1e-9
        previous_end = w["t_end"]
        _non_negative_latencies(f"window {w['index']} overall", w["overall"]["latency_ms"])
        assert w["overall"]["in_flight"] >= 0, f"window {w['index']}: in_flight {w['overall']['in_flight']}"
        for node_id, view in w["nodes"].items():
            _sane_node(f"window {w['index']} node {node_id}", view)
    measured = r.results["measured"]
    _non_negative_latencies("measured overall", measured["overall"]["latency_ms"])
    for node_id, view in measured["nodes"].items():
        _sane_node(f"measured node {node_id}", view)
        assert view["residence_ms_mean"] >= 0
    traces = r.results["traces"]
    every = traces["sampled"] + [t for bucket in traces["failed"].values() for t in bucket]
    assert traces["sampled"] and traces["failed"], f"{kind}: expected completed and failed traces"
    for trace in every:
        assert trace["start_s"] >= 0 and trace["latency_ms"] >= 0, trace
        for hop in trace["hops"]:
            assert hop["arrived_s"] >= 0 and hop["queue_ms"] >= 0 and hop["service_ms"] >= 0, trace
    for entry in r.results["timeline"]:
        assert entry["t"] >= 0, entry


@pytest.mark.parametrize("kind", KINDS)
def test_the_same_seed_gives_the_same_results_and_another_seed_does_not(kind: str) -> None:
    first = json.dumps(run(kind).results, sort_keys=True, allow_nan=False)
    again = json.dumps(Run(kind, SEED).results, sort_keys=True, allow_nan=False)
    other = json.dumps(run(kind, OTHER_SEED).results, sort_keys=True, allow_nan=False)
    assert first == again
    assert first != other


@pytest.mark.parametrize("kind", KINDS)
def test_each_node_ends_every_arrival_as_a_completion_or_an_error(kind: str) -> None:
    results = run(kind).results
    nodes = nodes_of(kind, results)
    assert nodes
    for node_id, view in results["measured"]["nodes"].items():
        assert view["in_node_now"] == 0, f"{node_id} still holds {view['in_node_now']} after the drain"
        if view["kind"] in SENDS_EVERYTHING:
            assert view["completions"] == view["arrivals"], f"{node_id}: {view}"
        else:
            assert view["arrivals"] == view["completions"] + view["errors"], (
                f"{node_id} ({view['kind']}): {view['arrivals']} arrivals, {view['completions']} completions, "
                f"{view['errors']} errors")
    if kind not in SENDS_EVERYTHING:
        assert sum(v["errors"] for v in nodes.values()) > 0, f"no {kind} node ever failed a request"


@pytest.mark.parametrize("kind", KINDS)
def test_each_node_obeys_littles_law(kind: str) -> None:
    # Once drained, every arrival has left, so the time integral of requests present equals the
    # sum of their residence times: in_node * span = arrivals * mean residence, exactly.
    results = run(kind).results
    span = results["measured"]["span_s"]
    for node_id, view in nodes_of(kind, results).items():
        area = view["in_node"] * span
        residence = view["arrivals"] * view["residence_ms_mean"] / 1000.0
        assert math.isclose(area, residence, rel_tol=0.02, abs_tol=2e-6 * span), (
            f"{node_id}: time-average {view['in_node']} in the node over {span} s, but "
            f"{view['arrivals']} arrivals x {view['residence_ms_mean']} ms each")


@pytest.mark.parametrize("kind", KINDS)
def test_each_declared_figure_totals_over_the_run_by_its_rule(kind: str) -> None:
    # A kind declares its figures once (Component.metrics); the base class harvests, shows and
    # totals them. Over the measured windows a count adds up, a peak keeps the highest, a level
    # keeps the last (or the highest): the run's results must say what its windows said.
    r = run(kind)
    measured = [w for w in r.windows if w["measured"]]
    assert measured, f"the {kind} builder's run measured no window"
    figures = [m for m in REGISTRY[kind].metrics if m.shown is not None and not m.bottom]
    for node_id, view in nodes_of(kind, r.results).items():
        for m in figures:
            values = [w["nodes"][node_id][m.shown] for w in measured]
            if m.combine == "sum":
                expected = sum(values)
            elif m.combine == "max":
                expected = max(values)
            else:
                expected = values[-1]
            assert view[m.shown] == pytest.approx(expected, rel=1e-6, abs=1e-3), (kind, node_id, m.name)
