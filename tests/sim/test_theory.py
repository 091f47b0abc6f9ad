"""The queueing-theory reference values, checked against textbook numbers.

Every expected value here is computed independently of ``lab.sim.theory``:
closed forms worked out by hand, the direct (factorial) Erlang C sum, exact
rational arithmetic, or a fixed-point equation re-evaluated in the test.
These are exact formulas, so tolerances are tight.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable
from dataclasses import astuple
from fractions import Fraction

import pytest

from lab.sim import theory

EXACT = 1e-12  # relative tolerance for closed forms evaluated in floating point


def close(expected: float, rel: float = EXACT) -> object:
    return pytest.approx(expected, rel=rel, abs=1e-15)


def erlang_c_by_factorials(servers: int, load: Fraction) -> Fraction:
    """The textbook Erlang C sum, in exact rational arithmetic."""
    term = Fraction(1)
    below = Fraction(0)
    for k in range(servers):
        below += term
        term = term * load / (k + 1)
    waiting = term * Fraction(servers) / (servers - load)
    return waiting / (below + waiting)


# ---------------------------------------------------------------- M/M/1


def test_mm1_at_utilization_half_has_mean_sojourn_twice_the_service_time() -> None:
    m = theory.mm1(arrival_rate=2.0, service_rate=4.0)
    assert m.mean_sojourn_s == close(2 * 0.25)


def test_mm1_at_utilization_half_waits_as_long_as_one_service() -> None:
    assert theory.mm1(2.0, 4.0).mean_wait_s == close(0.25)


def test_mm1_utilization_is_arrival_rate_over_service_rate() -> None:
    assert theory.mm1(3.0, 4.0).utilization == close(0.75)


def test_mm1_mean_in_system_is_rho_over_one_minus_rho() -> None:
    assert theory.mm1(3.0, 4.0).mean_in_system == close(0.75 / 0.25)


def test_mm1_mean_in_queue_is_rho_squared_over_one_minus_rho() -> None:
    assert theory.mm1(3.0, 4.0).mean_in_queue == close(0.75**2 / 0.25)


def test_mm1_sojourn_is_one_over_mu_minus_lambda() -> None:
    assert theory.mm1(250.0, 1000.0 / 3.0).mean_sojourn_s == close(0.012)


def test_queue_metrics_are_immutable() -> None:
    m = theory.mm1(1.0, 2.0)
    with pytest.raises(AttributeError):
        m.utilization = 0.1  # type: ignore[misc]


# ---------------------------------------------------------------- Erlang C, M/M/c


def test_erlang_c_with_two_servers_and_one_erlang_is_one_third() -> None:
    assert theory.erlang_c(2, 1.0) == close(1 / 3)


def test_erlang_c_with_one_server_is_the_utilization() -> None:
    assert theory.erlang_c(1, 0.7) == close(0.7)


def test_erlang_c_with_ten_servers_and_eight_erlangs_matches_the_factorial_formula() -> None:
    a, c = 8.0, 10
    tail = a**c / math.factorial(c) * c / (c - a)
    expected = tail / (sum(a**k / math.factorial(k) for k in range(c)) + tail)
    assert theory.erlang_c(c, a) == close(expected)


def test_erlang_c_with_a_thousand_servers_matches_exact_rational_arithmetic() -> None:
    expected = float(erlang_c_by_factorials(1000, Fraction(990)))
    assert theory.erlang_c(1000, 990.0) == close(expected, rel=1e-10)


def test_erlang_c_with_no_load_is_zero() -> None:
    assert theory.erlang_c(3, 0.0) == 0.0


def test_mmc_with_one_server_equals_mm1() -> None:
    assert astuple(theory.mmc(3.0, 4.0, 1)) == pytest.approx(astuple(theory.mm1(3.0, 4.0)), rel=EXACT)


def test_mmc_with_two_servers_at_one_erlang_waits_one_third_of_a_service() -> None:
    # C = 1/3, Wq = C / (c mu - lambda) = (1/3) / (2 - 1).
    m = theory.mmc(arrival_rate=1.0, service_rate=1.0, servers=2)
    assert (m.utilization, m.mean_wait_s, m.mean_sojourn_s) == (
        close(0.5),
        close(1 / 3),
        close(4 / 3),
    )


def test_mmc_mean_counts_follow_littles_law() -> None:
    m = theory.mmc(8.0, 1.0, 10)
    assert (m.mean_in_queue, m.mean_in_system) == (close(8.0 * m.mean_wait_s), close(8.0 * m.mean_sojourn_s))


# ---------------------------------------------------------------- M/G/1


def test_pollaczek_khinchine_with_scv_one_equals_mm1() -> None:
    assert astuple(theory.mg1(3.0, 0.25, 1.0)) == pytest.approx(astuple(theory.mm1(3.0, 4.0)), rel=EXACT)


def test_md1_waits_half_as_long_as_mm1() -> None:
    assert theory.md1(3.0, 0.25).mean_wait_s == close(theory.mm1(3.0, 4.0).mean_wait_s / 2)


def test_md1_is_pollaczek_khinchine_with_zero_variance() -> None:
    assert theory.md1(3.0, 0.25) == theory.mg1(3.0, 0.25, 0.0)


def test_mg1_wait_grows_linearly_with_one_plus_scv() -> None:
    # Wq = rho E[S] (1 + scv) / (2 (1 - rho)) with rho = 0.5, E[S] = 0.1.
    assert theory.mg1(5.0, 0.1, 3.0).mean_wait_s == close(0.5 * 0.1 * 4.0 / (2 * 0.5))


def test_lognormal_scv_is_cv_squared() -> None:
    assert theory.lognormal_scv(1.5) == close(2.25)


def test_lognormal_params_reproduce_the_requested_mean() -> None:
    mu, sigma = theory.lognormal_params(0.003, 1.5)
    assert math.exp(mu + sigma**2 / 2) == close(0.003)


def test_lognormal_params_reproduce_the_requested_cv() -> None:
    _, sigma = theory.lognormal_params(0.003, 1.5)
    assert math.sqrt(math.expm1(sigma**2)) == close(1.5)


def test_lognormal_params_with_zero_cv_are_a_point_mass_at_the_mean() -> None:
    assert theory.lognormal_params(2.0, 0.0) == (close(math.log(2.0)), 0.0)


# ---------------------------------------------------------------- GI/M/1, E_k/M/1


def test_gim1_sigma_with_poisson_arrivals_is_the_utilization() -> None:
    lam, mu = 3.0, 4.0
    assert theory.gim1_sigma(lambda s: lam / (lam + s), mu) == close(0.75)


def test_gim1_sigma_for_dm1_at_half_load_satisfies_its_fixed_point() -> None:
    # D/M/1, rho = 0.5: sigma = exp(-(1 - sigma) / rho); tables give 0.2032.
    sigma = theory.gim1_sigma(lambda s: math.exp(-2.0 * s), 1.0)
    assert (sigma, math.exp(-2.0 * (1.0 - sigma))) == (pytest.approx(0.2032, abs=5e-5), close(sigma))


def test_gim1_sigma_is_the_nontrivial_root_even_close_to_saturation() -> None:
    # M/M/1 at rho = 0.999: the root is rho, not the trivial root 1.
    assert theory.gim1_sigma(lambda s: 0.999 / (0.999 + s), 1.0) == pytest.approx(0.999, rel=1e-9)


def test_ekm1_with_one_phase_equals_mm1() -> None:
    ekm1 = astuple(theory.ekm1(1, 250.0, 1000.0 / 3.0))
    assert ekm1 == pytest.approx(astuple(theory.mm1(250.0, 1000.0 / 3.0)), rel=EXACT)


def test_ekm1_with_two_phases_matches_the_closed_form_root() -> None:
    # E2/M/1: sigma = (1 + 4 rho - sqrt(1 + 8 rho)) / 2, W = 1 / (mu (1 - sigma)).
    rho = 0.5
    sigma = (1 + 4 * rho - math.sqrt(1 + 8 * rho)) / 2
    assert theory.ekm1(2, 0.5, 1.0).mean_sojourn_s == close(1 / (1 - sigma))


def test_ekm1_with_four_phases_gives_the_reference_app_tier_of_12_55_ms() -> None:
    app = theory.ekm1(4, 250.0, 1000.0 / 3.0).mean_sojourn_s
    database = 0.008 + (32 / 45) / (250.0 - 200.0)  # M/M/2, A = 1.6: C = 6.4 / 9
    total_ms = 1000 * (app + 0.8 * 0.0002 + 0.2 * database)
    assert round(total_ms, 2) == 12.55


def test_ekm1_waits_less_with_more_regular_arrivals() -> None:
    waits = [theory.ekm1(k, 0.8, 1.0).mean_wait_s for k in (1, 2, 4, 16)]
    assert waits == sorted(waits, reverse=True)


def test_ekm1_wait_is_sigma_times_sojourn() -> None:
    m = theory.ekm1(3, 0.6, 1.0)
    lst = lambda s: (1.8 / (1.8 + s)) ** 3  # noqa: E731
    sigma = theory.gim1_sigma(lst, 1.0)
    assert (m.mean_wait_s, m.mean_sojourn_s) == (close(sigma / (1 - sigma)), close(1 / (1 - sigma)))


def test_ekm1_counts_follow_littles_law() -> None:
    m = theory.ekm1(4, 250.0, 1000.0 / 3.0)
    assert (m.mean_in_queue, m.mean_in_system) == (close(250.0 * m.mean_wait_s), close(250.0 * m.mean_sojourn_s))


def test_round_robin_split_is_ekm1_with_k_phases_at_rate_over_k() -> None:
    assert theory.round_robin_split(4, 1000.0, 1000.0 / 3.0) == theory.ekm1(4, 250.0, 1000.0 / 3.0)


def test_random_split_is_mm1_at_rate_over_k() -> None:
    assert theory.random_split(4, 1000.0, 1000.0 / 3.0) == theory.mm1(250.0, 1000.0 / 3.0)


def test_round_robin_waits_less_than_random_splitting() -> None:
    rr = theory.round_robin_split(4, 1000.0, 1000.0 / 3.0)
    rnd = theory.random_split(4, 1000.0, 1000.0 / 3.0)
    assert rr.mean_sojourn_s < rnd.mean_sojourn_s


def test_little_l_is_rate_times_time() -> None:
    assert theory.little_l(250.0, 0.012) == close(3.0)


# ---------------------------------------------------------------- reference topology


def test_reference_topology_mean_latency_is_12_55_ms() -> None:
    assert round(theory.reference_topology_mean_latency_s() * 1000, 2) == 12.55


def test_jackson_reference_mean_latency_is_16_60_ms() -> None:
    # 1 / (1000/3 - 250) + 0.8 * 0.0002 + 0.2 * (0.008 + (32/45) / 50)
    expected = 0.012 + 0.00016 + 0.2 * (0.008 + (32 / 45) / 50)
    latency = theory.jackson_reference_mean_latency_s()
    assert (latency, round(latency * 1000, 2)) == (close(expected), 16.60)


def test_reference_topology_defaults_to_half_as_many_database_workers_as_servers() -> None:
    assert theory.reference_topology_mean_latency_s(db_workers=2) == theory.reference_topology_mean_latency_s()


def test_reference_topology_with_every_request_a_hit_never_reaches_the_database() -> None:
    app = theory.round_robin_split(4, 1000.0, 1000.0 / 3.0).mean_sojourn_s
    assert theory.reference_topology_mean_latency_s(hit_ratio=1.0) == close(app + 0.0002)


def test_reference_topology_with_one_server_still_has_one_database_worker() -> None:
    latency = theory.reference_topology_mean_latency_s(servers=1, rate_per_s=100.0)
    assert latency == close(theory.reference_topology_mean_latency_s(servers=1, rate_per_s=100.0, db_workers=1))


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


# ---------------------------------------------------------------- invalid inputs

UNSTABLE = "the queue is unstable: utilization {:.2f} >= 1, so it grows without bound"


@pytest.mark.parametrize(
    ("call", "message"),
    [
        pytest.param(lambda: theory.mm1(6.0, 5.0), UNSTABLE.format(1.2), id="mm1-unstable"),
        pytest.param(lambda: theory.mm1(5.0, 5.0), UNSTABLE.format(1.0), id="mm1-exactly-saturated"),
        pytest.param(
            lambda: theory.mm1(0.0, 5.0),
            "arrival_rate must be a positive, finite number",
            id="mm1-zero-arrivals",
        ),
        pytest.param(
            lambda: theory.mm1(1.0, -5.0),
            "service_rate must be a positive, finite number",
            id="mm1-negative-service",
        ),
        pytest.param(
            lambda: theory.mm1(math.nan, 5.0),
            "arrival_rate must be a positive, finite number",
            id="mm1-nan",
        ),
        pytest.param(
            lambda: theory.mm1(math.inf, 5.0),
            "arrival_rate must be a positive, finite number",
            id="mm1-inf",
        ),
        pytest.param(lambda: theory.mm1("1", 5.0), "arrival_rate must be a number", id="mm1-string"),
        pytest.param(lambda: theory.erlang_c(2, 2.5), UNSTABLE.format(1.25), id="erlang-c-unstable"),
        pytest.param(lambda: theory.erlang_c(0, 0.5), "servers must be at least 1", id="erlang-c-no-servers"),
        pytest.param(
            lambda: theory.erlang_c(2.5, 0.5),
            "servers must be a whole number",
            id="erlang-c-fractional-servers",
        ),
        pytest.param(
            lambda: theory.erlang_c(True, 0.5),
            "servers must be a whole number",
            id="erlang-c-bool-servers",
        ),
        pytest.param(
            lambda: theory.erlang_c(2, -0.5),
            "offered_load must be zero or a positive",
            id="erlang-c-negative-load",
        ),
        pytest.param(lambda: theory.mmc(9.0, 2.0, 4), UNSTABLE.format(1.125), id="mmc-unstable"),
        pytest.param(lambda: theory.mmc(1.0, 2.0, 0), "servers must be at least 1", id="mmc-no-servers"),
        pytest.param(lambda: theory.mg1(5.0, 0.25, 1.0), UNSTABLE.format(1.25), id="mg1-unstable"),
        pytest.param(
            lambda: theory.mg1(1.0, 0.0, 1.0),
            "mean_service_s must be a positive",
            id="mg1-zero-service",
        ),
        pytest.param(
            lambda: theory.mg1(1.0, 0.1, -1.0),
            "service_scv must be zero or a positive",
            id="mg1-negative-scv",
        ),
        pytest.param(lambda: theory.md1(20.0, 0.1), UNSTABLE.format(2.0), id="md1-unstable"),
        pytest.param(
            lambda: theory.lognormal_scv(-1.0),
            "cv must be zero or a positive",
            id="lognormal-scv-negative",
        ),
        pytest.param(
            lambda: theory.lognormal_params(0.0, 1.0),
            "mean must be a positive",
            id="lognormal-zero-mean",
        ),
        pytest.param(
            lambda: theory.lognormal_params(1.0, -1.0),
            "cv must be zero or a positive",
            id="lognormal-negative-cv",
        ),
        pytest.param(
            lambda: theory.gim1_sigma(lambda s: 2.0 / (2.0 + s), 1.0),
            UNSTABLE.format(2.0),
            id="gim1-unstable",
        ),
        pytest.param(
            lambda: theory.gim1_sigma(lambda s: 1.0 / (1.0 + s), 1.0),
            UNSTABLE.format(1.0),
            id="gim1-saturated",
        ),
        pytest.param(
            lambda: theory.gim1_sigma(lambda s: (1 - 1e-9) / (1 - 1e-9 + s), 1.0),
            "the queue is too close to unstable to solve: utilization 0.999999999",
            id="gim1-too-close-to-one",
        ),
        pytest.param(
            lambda: theory.gim1_sigma(lambda s: 1.5, 1.0),
            "but a Laplace-Stieltjes transform E[exp(-s * T)] of a positive time must lie between 0 and 1",
            id="gim1-not-a-transform",
        ),
        pytest.param(
            lambda: theory.gim1_sigma(0.5, 1.0),
            "interarrival_lst must be a function",
            id="gim1-not-callable",
        ),
        pytest.param(
            lambda: theory.gim1_sigma(lambda s: 1.0, 0.0),
            "service_rate must be a positive",
            id="gim1-zero-service",
        ),
        pytest.param(lambda: theory.ekm1(4, 400.0, 1000.0 / 3.0), UNSTABLE.format(1.2), id="ekm1-unstable"),
        pytest.param(lambda: theory.ekm1(0, 1.0, 2.0), "k must be at least 1", id="ekm1-no-phases"),
        pytest.param(
            lambda: theory.round_robin_split(4, 1400.0, 1000.0 / 3.0),
            UNSTABLE.format(1.05),
            id="round-robin-unstable",
        ),
        pytest.param(
            lambda: theory.round_robin_split(0, 1.0, 2.0),
            "servers must be at least 1",
            id="round-robin-no-servers",
        ),
        pytest.param(
            lambda: theory.random_split(2, 5.0, 2.0),
            UNSTABLE.format(1.25),
            id="random-split-unstable",
        ),
        pytest.param(
            lambda: theory.random_split(0, 1.0, 2.0),
            "servers must be at least 1",
            id="random-split-no-servers",
        ),
        pytest.param(
            lambda: theory.little_l(-1.0, 1.0),
            "arrival_rate must be a positive",
            id="little-negative-rate",
        ),
        pytest.param(
            lambda: theory.little_l(1.0, -1.0),
            "mean_time_s must be zero or a positive",
            id="little-negative-time",
        ),
        pytest.param(
            lambda: theory.zipf_popularities(0, 1.0),
            "n_keys must be at least 1",
            id="zipf-no-keys",
        ),
        pytest.param(
            lambda: theory.zipf_popularities(10, -1.0),
            "exponent must be zero or a positive",
            id="zipf-negative-exponent",
        ),
        pytest.param(
            lambda: theory.che_lru_hit_ratio([0.5, 0.5], 2),
            "the cache holds 2 keys but there are only 2, so after warm-up every request hits",
            id="che-capacity-holds-every-key",
        ),
        pytest.param(
            lambda: theory.che_lru_hit_ratio([0.5, 0.5, 0.0], 2),
            "only 2 of the 3 keys are ever requested (the rest have popularity 0)",
            id="che-capacity-holds-every-requested-key",
        ),
        pytest.param(
            lambda: theory.che_lru_hit_ratio([0.5, 0.5], -1),
            "capacity must be at least 0",
            id="che-negative-capacity",
        ),
        pytest.param(
            lambda: theory.che_lru_hit_ratio([0.5, 0.3], 1),
            "popularities must sum to 1 (they are request probabilities), but they sum to 0.8",
            id="che-not-normalized",
        ),
        pytest.param(
            lambda: theory.che_lru_hit_ratio([1.2, -0.2], 1),
            "popularities[1] is -0.2, but a request probability must be a finite number >= 0",
            id="che-negative-popularity",
        ),
        pytest.param(
            lambda: theory.che_lru_hit_ratio([0.5, math.nan], 1),
            "popularities[1] is nan, but a request probability must be a finite number >= 0",
            id="che-nan-popularity",
        ),
        pytest.param(lambda: theory.che_lru_hit_ratio([], 0), "popularities is empty", id="che-empty"),
        pytest.param(
            lambda: theory.che_characteristic_time([0.5, 0.5], 2),
            "the cache holds 2 keys",
            id="che-time-full",
        ),
        pytest.param(
            lambda: theory.cold_start_fraction(0.0, 1.0),
            "arrival_rate must be a positive",
            id="cold-start-no-arrivals",
        ),
        pytest.param(
            lambda: theory.cold_start_fraction(1.0, -1.0),
            "idle_timeout_s must be zero or a positive",
            id="cold-start-negative-timeout",
        ),
        pytest.param(
            lambda: theory.reference_topology_mean_latency_s(hit_ratio=1.5),
            "hit_ratio must be between 0 and 1",
            id="reference-hit-ratio-above-one",
        ),
        pytest.param(
            lambda: theory.reference_topology_mean_latency_s(db_workers=0),
            "db_workers must be at least 1",
            id="reference-no-db-workers",
        ),
        pytest.param(
            lambda: theory.reference_topology_mean_latency_s(rate_per_s=1400.0),
            UNSTABLE.format(1.05),
            id="reference-app-unstable",
        ),
        pytest.param(
            lambda: theory.reference_topology_mean_latency_s(db_workers=1),
            UNSTABLE.format(1.6),
            id="reference-database-unstable",
        ),
        pytest.param(
            lambda: theory.jackson_reference_mean_latency_s(servers=3),
            UNSTABLE.format(1.0),
            id="jackson-app-saturated",
        ),
    ],
)
def test_invalid_input_raises_value_error_with_a_readable_message(call: Callable[[], object], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        call()
