"""Figures in words: each metric's name, unit and which way is better, and numbers as a sentence
shows them ("1,850 requests/s", "31%", "4.2 ms"). The verdicts and the knee sentence are built
from these, so every sentence spells a figure the same way.
"""
from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Metric:
    name: str  # the key in a summary's metrics
    label: str  # how a sentence names it
    unit: str  # "ms", "requests/s", "%" (a share shown as a percentage), "$"
    lower_is_better: bool


METRIC_INFO = {m.name: m for m in (
    Metric("throughput_per_s", "throughput", "requests/s", False),
    Metric("error_rate", "error rate", "%", True),
    Metric("latency_mean_ms", "mean latency", "ms", True),
    Metric("latency_p50_ms", "p50 latency", "ms", True),
    Metric("latency_p95_ms", "p95 latency", "ms", True),
    Metric("latency_p99_ms", "p99 latency", "ms", True),
    Metric("cost_per_hour_usd", "cost per hour", "$", True),
    Metric("cost_per_million_usd", "cost per million requests", "$", True),
    Metric("utilization", "utilization", "", True),
    Metric("queue_length", "queue length", "", True),
    Metric("instances", "instances", "", True),
    Metric("arrival_rate_per_s", "arrival rate", "requests/s", False),
    Metric("errors", "errors", "", True),
)}


def sig(x: float, digits: int = 3) -> str:
    """`digits` significant digits with thousands separators and no exponent: 1,850, 4.21, 0.0123."""
    if x == 0 or not math.isfinite(x):
        return "0" if x == 0 else str(x)
    decimals = digits - 1 - math.floor(math.log10(abs(x)))
    if decimals > 0:
        text = f"{round(x, decimals):,.{decimals}f}"
        return text.rstrip("0").rstrip(".") if "." in text else text
    return f"{int(round(x, decimals)):,}"


def amount(x: float, unit: str) -> str:
    """A value with its unit: "200 ms", "1,850 requests/s", "1.2%" (of a share), "$0.52"."""
    if unit == "%":
        return f"{sig(x * 100, 2)}%"
    if unit == "$":
        return f"${sig(x, 3)}"
    return f"{sig(x)} {unit}" if unit else sig(x)


def percent(x: float) -> str:
    """A relative change's size: 4.2%, 31%, 250%."""
    x = abs(x) * 100
    return f"{sig(x, 2)}%" if x < 10 else f"{round(x):,}%"
