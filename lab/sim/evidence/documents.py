"""The shapes the evidence package hands out, as types: what a run reports (`RunSummary`) and the
parts the aggregate documents are built from. The documents themselves are described, with an
example each, in docs/evidence.md.

Everything here is plain JSON (str, int, float, bool, None, lists, dicts), so a summary can be
pickled to and from a worker process, stored in a JSONField and sent to a browser as it is;
`None` stands where a figure does not exist (a latency when nothing completed), never NaN.
"""
from __future__ import annotations

from typing import Any, TypedDict

# One value a sweep sets: a number, a whole number, a choice or a switch.
Value = float | int | str | bool


class Interval(TypedDict):
    """A figure over the seeds: its median, its mean with a 95% Student-t interval (`low` to
    `high`), the standard deviation and the number of runs it is over. With one run `low`, `high`
    and `sd` are None: one sample has no spread to measure."""

    n: int
    median: float | None
    mean: float | None
    low: float | None
    high: float | None
    sd: float | None


class Band(TypedDict):
    """A series over the seeds, one entry per window: the median and the 2.5th and 97.5th
    percentiles across the runs (None where no run has a value)."""

    median: list[float | None]
    low: list[float | None]
    high: list[float | None]


class Relative(TypedDict):
    """B relative to A: mean(b) / mean(a) - 1 (-0.31 is 31% lower), with its 95% interval
    (None with fewer than two seeds)."""

    mean: float
    low: float | None
    high: float | None


class PairedDifference(TypedDict):
    """B - A over the seeds where both have the figure."""

    n: int
    difference: Interval
    relative: Relative | None


class Series(TypedDict):
    """One run's measured windows (after the warm-up): when each ends, and per figure a value for
    each window."""

    t_end: list[float]
    overall: dict[str, list[float | None]]
    nodes: dict[str, dict[str, list[float | None]]]


class RunSummary(TypedDict):
    """What `run_one` returns: which run it was and the figures aggregation needs.

    `arm` and `point` say where the run belongs in its plan (a sweep's point, "a" or "b" of a
    comparison); `metrics` are the measured span's headline figures (`running.METRICS`); `nodes`
    each node's figures (`running.NODE_METRICS`, only those the kind reports); `series` the
    per-window figures when the plan asked for them. `cpu_s` is the CPU time the run took in its
    process, `wall_s` its wall-clock time. `limited` is None, or the sentence of the run budget it
    used up (the run then stopped early and aggregation leaves it out)."""

    arm: str
    point: int
    seed: int
    values: dict[str, Value]
    metrics: dict[str, float | None]
    nodes: dict[str, dict[str, float | None]]
    series: Series | None
    cpu_s: float
    wall_s: float
    limited: str | None


class NodeInfo(TypedDict):
    id: str
    kind: str
    label: str


# The aggregate documents are nested dicts described in docs/evidence.md; they are typed loosely
# here because every consumer (the CLI, the web side's JSONField, the browser) reads them as JSON.
Document = dict[str, Any]
