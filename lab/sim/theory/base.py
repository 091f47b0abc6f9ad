"""What every formula shares: the result type and input checks worded the same way."""
from __future__ import annotations

import math
import numbers
import operator
from dataclasses import dataclass


@dataclass(frozen=True)
class QueueMetrics:
    """Steady-state means of one queue.

    utilization:     fraction of time each server is busy (rho).
    mean_wait_s:     mean time a request waits in the queue before service (Wq).
    mean_sojourn_s:  mean time from arrival to departure, wait + service (W).
    mean_in_queue:   time-average number of requests waiting (Lq = lambda * Wq).
    mean_in_system:  time-average number waiting or in service (L = lambda * W).
    """

    utilization: float
    mean_wait_s: float
    mean_sojourn_s: float
    mean_in_queue: float
    mean_in_system: float


# --------------------------------------------------------------------------
# Input checks.  They live in one place so every function words its errors
# the same way, and so NaN and infinity are rejected too (``not value > 0``
# is True for NaN, which a plain ``value <= 0`` would let through).
# --------------------------------------------------------------------------


def is_real(value: object) -> bool:
    # numbers.Real also admits numpy scalars (the engine's numbers), while
    # bool is excluded: True as a rate is a bug, not 1.0.
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def positive(name: str, value: float, what: str) -> float:
    if not is_real(value):
        raise ValueError(f"{name} must be a number ({what}), got {value!r}")
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a positive, finite number ({what}), got {value!r}")
    return float(value)


def non_negative(name: str, value: float, what: str) -> float:
    if not is_real(value):
        raise ValueError(f"{name} must be a number ({what}), got {value!r}")
    if not (math.isfinite(value) and value >= 0):
        raise ValueError(f"{name} must be zero or a positive, finite number ({what}), got {value!r}")
    return float(value)


def whole_count(name: str, value: int, minimum: int, what: str) -> int:
    # operator.index accepts int-like values (e.g. numpy integers) but not
    # 2.0 or True-as-a-number surprises: a server count must be whole.
    if isinstance(value, bool):
        raise ValueError(f"{name} must be a whole number ({what}), got {value!r}")
    try:
        count = operator.index(value)
    except TypeError:
        raise ValueError(f"{name} must be a whole number ({what}), got {value!r}") from None
    if count < minimum:
        raise ValueError(f"{name} must be at least {minimum} ({what}), got {count}")
    return count


def require_stable(utilization: float) -> None:
    if utilization >= 1:
        raise ValueError(
            f"the queue is unstable: utilization {utilization:.2f} >= 1, so it grows without bound"
        )


def queue_metrics(arrival_rate: float, utilization: float, wait_s: float, service_s: float) -> QueueMetrics:
    # Little's law (L = lambda * W) holds for any stationary queue, so the
    # time-average counts follow from the mean times whatever the model is.
    sojourn_s = wait_s + service_s
    return QueueMetrics(
        utilization=utilization,
        mean_wait_s=wait_s,
        mean_sojourn_s=sojourn_s,
        mean_in_queue=arrival_rate * wait_s,
        mean_in_system=arrival_rate * sojourn_s,
    )
