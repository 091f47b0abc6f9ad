"""Every input the theory module refuses, with the sentence it refuses it with."""
from __future__ import annotations

import math
import re
from collections.abc import Callable

import pytest

from lab.sim import theory



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
