"""Che's LRU approximation under Zipf keys, and the cold-start fraction, against independent values."""
from __future__ import annotations

import math
import time
from fractions import Fraction

import pytest

from lab.sim import theory

from .theory_world import close


# ---------------------------------------------------------------- Zipf, Che's LRU approximation


def test_zipf_with_exponent_zero_is_uniform() -> None:
    assert theory.zipf_popularities(4, 0.0) == [0.25] * 4


def test_zipf_popularities_sum_to_one() -> None:
    assert math.fsum(theory.zipf_popularities(1000, 0.9)) == close(1.0)


def test_zipf_popularity_falls_as_rank_to_the_minus_exponent() -> None:
    p = theory.zipf_popularities(10, 1.2)
    assert p[0] / p[1] == close(2**1.2)


def test_zipf_with_exponent_one_matches_the_harmonic_number() -> None:
    harmonic = sum(Fraction(1, i) for i in range(1, 11))
    assert theory.zipf_popularities(10, 1.0)[0] == close(float(1 / harmonic))


def test_che_hit_ratio_of_an_empty_cache_is_zero() -> None:
    assert theory.che_lru_hit_ratio(theory.zipf_popularities(100, 0.8), 0) == 0.0


def test_che_hit_ratio_for_uniform_popularity_is_capacity_over_keys() -> None:
    # Uniform: n (1 - exp(-T/n)) = C, so hit = 1 - exp(-T/n) = C / n exactly.
    assert theory.che_lru_hit_ratio(theory.zipf_popularities(1000, 0.0), 250) == close(0.25)


def test_che_characteristic_time_for_uniform_popularity_is_minus_n_log_one_minus_c_over_n() -> None:
    assert theory.che_characteristic_time([0.25] * 4, 1) == close(-4 * math.log(0.75))


def test_che_characteristic_time_satisfies_the_fixed_point_equation() -> None:
    p = theory.zipf_popularities(5000, 0.8)
    t = theory.che_characteristic_time(p, 300)
    assert math.fsum(-math.expm1(-q * t) for q in p) == pytest.approx(300, abs=1e-9)


def test_che_hit_ratio_is_the_popularity_weighted_occupancy_at_the_characteristic_time() -> None:
    p = theory.zipf_popularities(5000, 0.8)
    t = theory.che_characteristic_time(p, 300)
    expected = math.fsum(q * -math.expm1(-q * t) for q in p)
    assert theory.che_lru_hit_ratio(p, 300) == close(expected)


def test_che_fixed_point_holds_for_a_cache_one_key_short_of_everything() -> None:
    p = theory.zipf_popularities(2000, 1.5)
    t = theory.che_characteristic_time(p, 1999)
    assert math.fsum(-math.expm1(-q * t) for q in p) == pytest.approx(1999, abs=1e-9)


def test_che_hit_ratio_grows_with_capacity() -> None:
    p = theory.zipf_popularities(2000, 0.8)
    hits = [theory.che_lru_hit_ratio(p, c) for c in (1, 10, 100, 500, 1000, 1999)]
    assert all(a < b for a, b in zip(hits, hits[1:]))


def test_che_hit_ratio_with_skewed_popularity_beats_capacity_over_keys() -> None:
    assert theory.che_lru_hit_ratio(theory.zipf_popularities(1000, 0.8), 100) > 0.1


def test_che_ignores_keys_that_are_never_requested() -> None:
    assert theory.che_lru_hit_ratio([0.7, 0.3, 0.0], 1) == close(theory.che_lru_hit_ratio([0.7, 0.3], 1))


def test_che_handles_a_hundred_thousand_keys_well_under_a_second() -> None:
    p = theory.zipf_popularities(100_000, 0.8)
    start = time.perf_counter()
    theory.che_lru_hit_ratio(p, 1000)
    assert time.perf_counter() - start < 1.0


# ---------------------------------------------------------------- cold starts


def test_cold_start_fraction_with_no_idle_timeout_is_one() -> None:
    assert theory.cold_start_fraction(5.0, 0.0) == 1.0


def test_cold_start_fraction_is_exp_minus_rate_times_timeout() -> None:
    assert theory.cold_start_fraction(2.0, 0.5) == close(math.exp(-1.0))
