"""The queueing-theory reference values, checked against textbook numbers.

Every expected value here is computed independently of ``lab.sim.theory``:
closed forms worked out by hand, the direct (factorial) Erlang C sum, exact
rational arithmetic, or a fixed-point equation re-evaluated in the test.
These are exact formulas, so tolerances are tight.
Caches and cold starts are in test_theory_caches.py; refused inputs in test_theory_errors.py.
"""
from __future__ import annotations

import math
from dataclasses import astuple
from fractions import Fraction

import pytest

from lab.sim import theory

from .theory_world import EXACT, close, erlang_c_by_factorials


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
