"""The transaction coordinator: two rounds of the slowest participant for 2PC, the sum of the
steps for a saga, aborts, compensations, and transactions blocked by a crashed coordinator."""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Iterator

import pytest

from lab.sim import REGISTRY, Simulation, check, load
from lab.sim.components.base import Component
from lab.sim.params import Param
from lab.sim.kernel.request import Request

from .component_world import node, pool, source, topology
from .replications import interval

EXAMPLE = Path(__file__).resolve().parents[2] / "lab" / "sim" / "examples" / "checkout_saga_vs_2pc.json"
SEEDS = range(101, 111)


class FlakyParticipant(Component):
    """A participant for these tests only: every call fails with `failure_probability`, after
    `service_ms`; the others succeed after it."""

    kind = "test_txn_participant"
    title = "Test participant"
    group = "external"
    params = (
        Param("failure_probability", "number", 0.0, "Chance a call fails.", minimum=0.0, maximum=1.0),
        Param("service_ms", "number", 1.0, "Time a call takes.", unit="ms", minimum=0.0, maximum=1e6),
    )

    def build(self) -> None:
        self.rng = self.sim.streams.generator(f"node:{self.id}:test")

    def receive(self, req: Request, t: float) -> None:
        self.arrivals += 1
        self.schedule(t + self.p["service_ms"] / 1000.0, self._done, req)

    def _done(self, req: Request, t: float) -> None:
        if self.rng.random() < self.p["failure_probability"]:
            self.fail(req, t, "error")
        else:
            self.completions += 1
            self.sim.reply(req, t)


@pytest.fixture(autouse=True)
def flaky_participant() -> Iterator[None]:
    # The registry is global: the test kind lives there only while a test of this module runs.
    REGISTRY[FlakyParticipant.kind] = FlakyParticipant
    yield
    del REGISTRY[FlakyParticipant.kind]


def coordinator(mode: str, **params: Any) -> dict[str, Any]:
    return node("tx", "transaction_coordinator", mode=mode, **params)


def participants(means_ms: list[float]) -> list[dict[str, Any]]:
    # Enough workers that nobody queues: each call takes an exponential time of its mean.
    return [pool(f"p{i}", instances=1, workers_per_instance=1000, service_time_ms=m) for i, m in enumerate(means_ms)]


def flaky(n: int, p: float) -> list[dict[str, Any]]:
    return [node(f"p{i}", FlakyParticipant.kind, failure_probability=p, service_ms=2) for i in range(n)]


def coordinated(mode: str, parts: list[dict[str, Any]], rate: float = 50.0, **params: Any) -> dict[str, Any]:
    return topology([source(rate), coordinator(mode, **params), *parts],
                    [("users", "tx")] + [("tx", p["id"]) for p in parts])


def replicate(topo: dict[str, Any], until: float) -> tuple[float, float]:
    """Mean end-to-end latency (ms) over the replications, and its 99% half-width."""
    values = []
    for seed in SEEDS:
        sim = Simulation(topo, seed=seed)
        sim.run(until)
        sim.finish()
        values.append(sim.results()["measured"]["overall"]["latency_ms"]["mean"])
    return interval(values)


def mean_of_max_of_exponentials(means: list[float]) -> float:
    """E[max] of independent exponentials, by inclusion and exclusion over the subsets."""
    rates = [1.0 / m for m in means]
    total = 0.0
    for mask in range(1, 1 << len(rates)):
        subset = [r for i, r in enumerate(rates) if mask >> i & 1]
        total += (-1) ** (len(subset) + 1) / sum(subset)
    return total


@pytest.mark.fidelity
def test_two_phase_commit_takes_two_rounds_of_the_slowest_participant() -> None:
    means = [5.0, 10.0, 20.0]
    mean, half = replicate(coordinated("two_phase_commit", participants(means), log_write_ms=2), 40.0)
    expected = 2 * mean_of_max_of_exponentials(means) + 2.0  # 47.7 ms + the log write
    assert half < 0.03 * expected
    assert abs(mean - expected) <= half, (mean, half, expected)


@pytest.mark.fidelity
def test_a_saga_takes_the_sum_of_its_steps() -> None:
    means = [5.0, 10.0, 20.0]
    mean, half = replicate(coordinated("saga", participants(means)), 40.0)
    assert half < 0.03 * 35.0
    assert abs(mean - 35.0) <= half, (mean, half)


def drained(topo: dict[str, Any], until: float, seed: int = 1) -> dict[str, Any]:
    sim = Simulation(topo, seed=seed)
    sim.run(until)
    sim.drain()
    return sim.results()


def binomial_close(count: int, n: int, q: float) -> bool:
    return abs(count / n - q) < 3.3 * math.sqrt(q * (1 - q) / n)


@pytest.mark.parametrize("mode", ["two_phase_commit", "saga"])
def test_any_failing_participant_aborts_the_transaction(mode: str) -> None:
    n, p = 3, 0.1
    results = drained(coordinated(mode, flaky(n, p), rate=200.0), 40.0)
    tx = results["measured"]["nodes"]["tx"]
    total = tx["arrivals"]
    assert total > 7000
    assert tx["committed"] + tx["aborted"] == total == tx["completions"] + tx["errors"]
    assert tx["failures"] == {"aborted": tx["aborted"]}
    # Every prepare (or step) must succeed: a transaction aborts with probability 1 - (1 - p)^n.
    assert binomial_close(tx["aborted"], total, 1 - (1 - p) ** n), tx["aborted"] / total


def test_two_phase_commit_rolls_back_those_that_voted_yes_and_keeps_a_commit_decision() -> None:
    results = drained(coordinated("two_phase_commit", flaky(3, 0.1), rate=200.0), 40.0)
    tx = results["measured"]["nodes"]["tx"]
    calls = sum(results["measured"]["nodes"][f"p{i}"]["arrivals"] for i in range(3))
    # Each transaction prepares everywhere; a committed one commits everywhere; an aborted one
    # rolls back every participant that voted yes.
    assert calls == 3 * tx["arrivals"] + 3 * tx["committed"] + tx["rollbacks"] + tx["rollbacks_failed"]
    # Voters in an aborted transaction: 3, of which on average 3p / (1 - (1-p)^3) said no.
    yes_per_abort = 3 - 3 * 0.1 / (1 - 0.9 ** 3)
    assert (tx["rollbacks"] + tx["rollbacks_failed"]) / tx["aborted"] == pytest.approx(yes_per_abort, rel=0.05)
    # A failed commit call does not undo the decision: it is counted, and the client hears "committed".
    assert tx["commit_errors"] == pytest.approx(0.1 * 3 * tx["committed"], rel=0.1)
    assert results["measured"]["overall"]["completions"] == tx["committed"]


def test_a_saga_compensates_the_steps_done_before_the_one_that_failed() -> None:
    n, p = 4, 0.1
    results = drained(coordinated("saga", flaky(n, p), rate=200.0, compensation_ms=1), 40.0)
    tx = results["measured"]["nodes"]["tx"]
    total = tx["arrivals"]
    # A saga failing at step i (probability p (1-p)^i) compensates i steps.
    probs = [p * (1 - p) ** i for i in range(n)]
    mean = sum(i * q for i, q in enumerate(probs))
    var = sum(i * i * q for i, q in enumerate(probs)) - mean ** 2
    compensated = tx["compensations"] + tx["compensations_failed"]
    assert abs(compensated / total - mean) < 3.3 * math.sqrt(var / total), (compensated / total, mean)
    # Compensations fail like any call and are retried: about p / (1 - p) retries each.
    assert tx["compensation_retries"] == pytest.approx(compensated * p / (1 - p), rel=0.25)
    assert tx["committed"] == results["measured"]["overall"]["completions"]


def test_a_failed_saga_step_fails_at_once_and_compensates_in_the_background() -> None:
    topo = topology(
        [source(50.0), coordinator("saga", compensation_ms=50), node("a", FlakyParticipant.kind, service_ms=10),
         node("b", FlakyParticipant.kind, failure_probability=1.0, service_ms=20)],
        [("users", "tx"), ("tx", "a"), ("tx", "b")])
    results = drained(topo, 10.0)
    failed = results["measured"]["overall"]
    assert failed["completions"] == 0
    assert failed["failures"] == {"aborted": failed["errors"]}
    # The failure comes after both steps (10 + 20 ms), not after the compensation.
    latency = [t["latency_ms"] for t in results["traces"]["failed"]["aborted"]]
    assert latency and all(x == pytest.approx(30.0) for x in latency)
    assert results["measured"]["nodes"]["tx"]["compensations"] == failed["errors"]
    assert results["measured"]["nodes"]["a"]["arrivals"] == 2 * failed["errors"]


@pytest.mark.parametrize("mode", ["two_phase_commit", "saga"])
def test_a_crashed_coordinator_blocks_its_transactions_until_it_recovers(mode: str) -> None:
    topo = topology(
        [source(100.0), coordinator(mode, log_write_ms=0),
         *[node(f"p{i}", FlakyParticipant.kind, service_ms=40) for i in range(3)]],
        [("users", "tx")] + [("tx", f"p{i}") for i in range(3)],
        faults=[{"kind": "crash", "node": "tx", "start_s": 5, "duration_s": 2}])
    sim = Simulation(topo)
    sim.run(6.0)
    assert sim.nodes["tx"].blocked_now > 0  # the participants' answers wait for the coordinator
    sim.run(20.0)
    sim.drain()
    results = sim.results()
    tx = results["measured"]["nodes"]["tx"]
    # Those in flight at the crash (about 100/s x 80 or 120 ms) were blocked, not lost...
    assert 4 <= tx["blocked_transactions"] <= 20 and tx["blocked_now"] == 0
    assert tx["blocked_ms_max"] == pytest.approx(2000, abs=130)
    assert tx["latency_ms"]["max"] == pytest.approx(2000, abs=130)
    # ...and only the transactions that arrived while it was down failed.
    assert results["measured"]["overall"]["failures"] == {"fault": pytest.approx(200, rel=0.2)}
    assert tx["committed"] == results["measured"]["overall"]["completions"]


def test_the_checkout_example_compares_saga_and_two_phase_commit() -> None:
    text = EXAMPLE.read_text()
    assert check(text) == []
    topo = load(text)
    sim = Simulation(topo)
    sim.run(topo["settings"]["duration_s"])
    sim.drain()
    nodes = sim.results()["measured"]["nodes"]
    xa, saga = nodes["coordinator-2pc"], nodes["orchestrator-saga"]
    # Two rounds of the slowest participant against the sum of the steps.
    assert xa["latency_ms"]["p50"] > saga["latency_ms"]["p50"]
    # The flaky inventory service aborts some of each; the saga compensates, 2PC rolls back.
    assert xa["aborted"] > 0 and xa["rollbacks"] > 0
    assert saga["aborted"] > 0 and saga["compensations"] > 0
    # Only 2PC's coordinator crashes: its transactions in flight block until it is back.
    assert xa["blocked_transactions"] > 0 and xa["blocked_ms_max"] > 1000
    assert saga["blocked_transactions"] == 0
