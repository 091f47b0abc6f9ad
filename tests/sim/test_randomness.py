"""Seeded streams and distributions: declared moments, golden samples, independence from Python's
hash seed."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import lab.sim
from lab.sim import Simulation, apply_command
from lab.sim.kernel.randomness import Choice, Deterministic, Distribution, Empirical, Exponential, IntDraws, LogNormal, Streams, make_distribution, zipf_weights

N = 200_000
ROOT = Path(__file__).resolve().parents[2]


def gen(name: str = "test", seed: int = 11) -> np.random.Generator:
    return Streams(seed).generator(name)


DISTRIBUTIONS = {
    "exponential": lambda: Exponential(0.010, gen()),
    "lognormal-cv-0.5": lambda: LogNormal(0.008, 0.5, gen()),
    "lognormal-cv-2": lambda: LogNormal(0.008, 2.0, gen()),
    "empirical": lambda: Empirical([0.001, 0.002, 0.002, 0.010, 0.050], gen()),
}


def draw(dist: Distribution, n: int = N) -> np.ndarray:
    return np.array([dist.sample() for _ in range(n)])


@pytest.mark.parametrize("name", sorted(DISTRIBUTIONS))
def test_the_sample_mean_matches_the_declared_mean(name: str) -> None:
    dist = DISTRIBUTIONS[name]()
    x = draw(dist)
    standard_error = x.std() / np.sqrt(len(x))
    assert abs(x.mean() - dist.mean) < 5 * standard_error


@pytest.mark.parametrize("name", sorted(DISTRIBUTIONS))
def test_the_sample_variance_matches_the_declared_variance(name: str) -> None:
    dist = DISTRIBUTIONS[name]()
    x = draw(dist)
    squares = (x - x.mean()) ** 2
    # The variance is the mean of the squared deviations; its standard error comes from theirs.
    standard_error = squares.std() / np.sqrt(len(x))
    assert abs(squares.mean() - dist.variance) < 5 * standard_error


def test_a_deterministic_duration_is_always_its_value() -> None:
    dist = Deterministic(0.005)
    assert set(draw(dist, 5000).tolist()) == {0.005}
    assert (dist.mean, dist.variance, dist.scv) == (0.005, 0.0, 0.0)


@pytest.mark.parametrize(("kind", "expected"), [
    ("exponential", Exponential), ("deterministic", Deterministic), ("lognormal", LogNormal), ("empirical", Empirical),
])
def test_make_distribution_builds_the_named_kind_with_the_given_mean(kind: str, expected: type) -> None:
    dist = make_distribution(kind, 0.004, 0.7, [0.003, 0.005], gen())
    assert type(dist) is expected
    assert dist.mean == pytest.approx(0.004)


def test_an_exponential_has_a_squared_coefficient_of_variation_of_one() -> None:
    assert Exponential(0.02, gen()).scv == pytest.approx(1.0)
    assert LogNormal(0.02, 1.5, gen()).scv == pytest.approx(1.5**2)


def test_a_stream_gives_the_same_golden_first_values_for_the_same_seed_and_name() -> None:
    assert Streams(2024).generator("node:app:service").random(5).tolist() == pytest.approx(
        [0.9146659246465189, 0.5113062027855328, 0.7477248959999089, 0.23493765351044194, 0.33349317258697053],
        rel=1e-12)


def test_distributions_give_golden_first_samples() -> None:
    exponential = Exponential(0.01, Streams(2024).generator("node:app:service"))
    assert [exponential.sample() for _ in range(5)] == pytest.approx(
        [0.0031965484650152225, 0.0017476789593151687, 0.04749816634245717, 0.010135750052429334,
         0.0004267550406795613], rel=1e-12)
    lognormal = LogNormal(0.008, 0.5, Streams(2024).generator("node:db:queries"))
    assert [lognormal.sample() for _ in range(5)] == pytest.approx(
        [0.008078941148516662, 0.010995612776085706, 0.009437882721672487, 0.0052255731021127036,
         0.007162227808519689], rel=1e-12)


def test_two_generators_with_the_same_seed_and_name_agree() -> None:
    assert gen("source:users:arrivals").random(5).tolist() == gen("source:users:arrivals").random(5).tolist()


def test_different_stream_names_give_different_values() -> None:
    assert gen("node:app:service").random(5).tolist() != gen("node:app2:service").random(5).tolist()


def test_different_seeds_give_different_values() -> None:
    assert gen(seed=1).random(5).tolist() != gen(seed=2).random(5).tolist()


STREAMS_SCRIPT = """
from lab.sim.kernel.randomness import Streams
for name in ("node:app:service", "source:users:arrivals", "lb:lb:probes"):
    print(name, Streams(5).generator(name).random(3).tolist())
"""

RUN_SCRIPT = """
import json
from lab.sim import Simulation, load
doc = {"version": 1,
       "workload": {"classes": [{"name": "read", "share": 3}, {"name": "write", "operation": "write", "share": 1},
                                {"name": "scan", "share": 1}]},
       "nodes": [{"id": "users", "kind": "traffic_source", "params": {"rate_per_s": 200, "clients": 50}},
                 {"id": "lb", "kind": "load_balancer", "params": {"policy": "consistent_hash"}},
                 {"id": "a", "kind": "service_pool"}, {"id": "b", "kind": "service_pool"},
                 {"id": "cache", "kind": "cache", "params": {"capacity_items": 100}},
                 {"id": "db", "kind": "database", "params": {"replicas": 1}}],
       "edges": [{"from": "users", "to": "lb"}, {"from": "lb", "to": "a"}, {"from": "lb", "to": "b"},
                 {"from": "a", "to": "cache"}, {"from": "b", "to": "cache"}, {"from": "cache", "to": "db"}]}
sim = Simulation(load(doc), seed=9)
sim.run(5)
sim.finish()
print(json.dumps(sim.results(), sort_keys=True))
"""


def run_with_hash_seed(script: str, hash_seed: str) -> str:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=60, check=True)
    return done.stdout


def test_streams_do_not_depend_on_pythons_hash_seed() -> None:
    first = run_with_hash_seed(STREAMS_SCRIPT, "1")
    assert first.count("\n") == 3
    assert first == run_with_hash_seed(STREAMS_SCRIPT, "2")


def test_a_whole_run_does_not_depend_on_pythons_hash_seed() -> None:
    first = run_with_hash_seed(RUN_SCRIPT, "1")
    assert '"created"' in first
    assert first == run_with_hash_seed(RUN_SCRIPT, "2")


def test_a_choice_picks_each_index_in_proportion_to_its_weight() -> None:
    choice = Choice([1, 0, 3], gen())
    picks = np.bincount([choice.next() for _ in range(N)], minlength=3)
    assert picks[1] == 0
    share = picks[2] / N
    assert abs(share - 0.75) < 5 * np.sqrt(0.75 * 0.25 / N)


def test_int_draws_cover_exactly_the_range() -> None:
    draws = IntDraws(7, gen())
    values = [draws.next() for _ in range(20_000)]
    assert set(values) == set(range(7))


def test_zipf_weights_fall_as_a_power_of_the_rank_and_sum_to_one() -> None:
    w = zipf_weights(100, 1.2)
    assert w.sum() == pytest.approx(1.0)
    assert w[0] / w[9] == pytest.approx(10**1.2)
    assert zipf_weights(10, 0.0).tolist() == pytest.approx([0.1] * 10)


def test_a_live_change_continues_a_nodes_service_times_instead_of_replaying_them() -> None:
    topology = lab.sim.load({
        "version": 1, "settings": {"duration_s": 10, "seed": 5},
        "nodes": [{"id": "users", "kind": "traffic_source", "params": {"rate_per_s": 10, "arrival": "constant"}},
                  {"id": "app", "kind": "service_pool", "params": {"service_time_ms": 20, "instances": 1}}],
        "edges": [{"from": "users", "to": "app"}],
    })
    sim = Simulation(topology)
    latencies = []
    for step in range(1, 21):
        sim.run(step * 0.1 + 0.05)  # one request between two changes, each set up anew
        window = sim.metrics.close(sim.now)
        latencies.append(window["nodes"]["app"]["latency_ms"]["mean"])
        assert apply_command(sim, {"op": "set_param", "node": "app", "param": "service_time_ms", "value": 20}) == []
    served = [x for x in latencies if x > 0]
    assert len(set(served)) > len(served) // 2, served  # not the same first draw every time
