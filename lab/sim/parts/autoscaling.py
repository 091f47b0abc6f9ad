"""The instances behind a station, and the target-tracking autoscaler that adds and removes them.

A service pool and a queue's workers both run as instances of `workers_per_instance` workers.
`Fleet` keeps how many instances serve and how many are booting, sizes the station to the
serving ones, and integrates the instances billed over time (instance-seconds, booting ones
included), which is what their cost is computed from.

With `autoscale` on, the fleet evaluates a target-tracking rule every `evaluation_period_s`, as
the clouds' target-tracking policies and Kubernetes' horizontal pod autoscaler do:

    metric  = busy workers / workers (utilization), or waiting requests / workers (backlog per
              worker), each as the ratio of time integrals over the evaluation period
    current = serving instances, averaged over the period
    desired = ceil(current * metric / target), clamped to [min_instances, max_instances]

Booting instances count towards the fleet, so a scale-out is not repeated while its instances
boot. Then, against the fleet (serving + booting):

- below the minimum or above the maximum (after a live change of either): corrected at once;
- desired above the fleet: launch the difference, at most max(4, fleet) instances per
  evaluation (the autoscaler's default scale-up limit: +4 or +100%, whichever is more). A new
  instance is billed from its launch and serves only after `boot_time_s`;
- desired below the fleet: scale in only once `cooldown_s` has passed since the last scaling
  action, and only down to the highest desired count of the evaluations in the last
  `cooldown_s` (a stabilization window, so a brief dip does not shed capacity). Booting
  instances are cancelled first; serving ones stop taking new work at once and finish the
  requests they hold (Station.resize). Billing stops when an instance is removed.

The controller is one event on the heap per evaluation, and only on nodes that autoscale; the
request path never sees it. It pauses while its node is down and stops once a drained run has
left the node empty. Every action is recorded in the run's timeline as
{"type": "scale", "node", "from", "to", "reason"}, counting instances serving and booting.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Mapping

from ..metrics.declared import Metric, level
from ..params import Param

if TYPE_CHECKING:
    from ..kernel.interface import Node
    from ..kernel.station import Station

METRICS = ("utilization", "backlog_per_worker")
# Shown when autoscaling is on.
_ON: Mapping[str, tuple[str | bool, ...]] = {"autoscale": (True,)}
# The largest scale-out one evaluation may make is max(SCALE_OUT_STEP, fleet).
SCALE_OUT_STEP = 4


def autoscaling_params(default_metric: str, default_target: float) -> tuple[Param, ...]:
    """The parameters of an autoscaled fleet, shared by every kind that runs instances."""
    return (
        Param("autoscale", "boolean", False,
              "Add and remove instances to keep a metric at a target (target tracking, as in cloud auto scaling groups)."),
        Param("autoscale_metric", "choice", default_metric,
              "What the autoscaler tracks: utilization (busy workers / workers) or backlog per worker "
              "(requests waiting for a worker / workers), averaged over the evaluation period.",
              choices=METRICS, when=_ON),
        Param("autoscale_target", "number", default_target,
              "The value to hold the metric at: a utilization between 0 and 1 (0.6 is 60 %), or requests waiting per worker.",
              minimum=0.0, maximum=1e6, when=_ON),
        Param("min_instances", "integer", 1, "The fewest instances the autoscaler keeps.", minimum=1, maximum=1000,
              when=_ON),
        Param("max_instances", "integer", 10, "The most instances the autoscaler runs.", minimum=1, maximum=1000,
              when=_ON),
        Param("evaluation_period_s", "number", 15.0, "How often the autoscaler looks at the metric, and the span it averages over.",
              unit="s", minimum=1.0, maximum=86_400.0, when=_ON),
        Param("cooldown_s", "number", 60.0,
              "Scale in only this long after the last scaling action, and no lower than the evaluations of this span asked for.",
              unit="s", minimum=0.0, maximum=86_400.0, when=_ON),
        Param("boot_time_s", "number", 30.0, "Time a new instance takes to start serving; it is paid for from its launch.",
              unit="s", minimum=0.0, maximum=86_400.0, when=_ON),
    )


def check_autoscaling(values: dict[str, Any]) -> list[tuple[str, str]]:
    """Combinations of autoscaling parameters that cannot work, as (param, sentence)."""
    if not values.get("autoscale"):
        return []
    problems = []
    low, high = values["min_instances"], values["max_instances"]
    if low > high:
        problems.append(("min_instances", f"autoscaling needs min_instances ({low}) to be at most "
                                          f"max_instances ({high})"))
    target = values["autoscale_target"]
    if values["autoscale_metric"] == "utilization":
        if not 0.0 < target < 1.0:
            problems.append(("autoscale_target",
                             f"a utilization target must lie strictly between 0 and 1 (0.6 means 60 % busy), "
                             f"not {target:g}: a saturated pool measures 1, so a target of 1 or more never scales out"))
    elif target <= 0.0:
        problems.append(("autoscale_target", "a backlog target must be above 0 requests waiting per worker, "
                                             "or every waiting request would ask for more instances without limit"))
    return problems


def _ceil(x: float) -> int:
    # Integrals carry rounding: 3.0000000001 instances is 3.
    return math.ceil(x - 1e-9)


class Fleet:
    """Instances serving a station (and booting), their instance-seconds, and the autoscaler."""

    def __init__(self, node: "Node", station: "Station", per_instance: int, instances: int, t: float) -> None:
        self.node = node
        self.sim = node.sim
        self.station = station
        self.per_instance = per_instance
        self.serving = instances
        self.booting = 0
        self._batches: list[list[int]] = []  # launches still booting, oldest first: [count]
        self._area = 0.0  # instance-seconds billed since the last harvest
        self._mark = t
        # Time integrals of the station (busy, waiting, capacity), banked across its window resets.
        self._banked = [0.0, 0.0, 0.0]
        self.on = False
        self._generation = 0
        self._evaluate_cb = self._evaluate
        self._booted_cb = self._booted
        self.metric = "utilization"
        self.target = 0.6
        self.low, self.high = 1, 1000
        self.period, self.cooldown, self.boot = 15.0, 60.0, 30.0

    # -- sizes set by hand --------------------------------------------------------------------

    def clamp(self, instances: int) -> int:
        """The count an autoscaled fleet may hold (any count when it does not autoscale)."""
        if not self.on:
            return instances
        return max(self.low, min(self.high, instances))

    def place(self, instances: int, t: float, workers: int | None = None) -> None:
        """Run `instances` now (a count set in the design or by hand): launches still booting
        are cancelled. `workers` sizes the station when it is not instances x per_instance."""
        self._bill(t)
        for batch in self._batches:
            batch[0] = 0
        self._batches.clear()
        self.booting = 0
        self.serving = instances
        self.size_station(t, workers)

    def set_per_instance(self, per_instance: int, t: float) -> None:
        if per_instance != self.per_instance:
            self.per_instance = per_instance
            self.size_station(t)

    def size_station(self, t: float, workers: int | None = None) -> None:
        if workers is None:
            # Instances stopped by a crash_instances fault (lab/sim/faults.py) stay stopped.
            workers = max(0, self.serving - self.node.lost_instances) * self.per_instance
        if workers != self.station.workers:
            self.station.resize(workers, t)

    # -- autoscaling --------------------------------------------------------------------------

    def configure(self, p: dict[str, Any], t: float) -> None:
        """Read the autoscaling parameters; start or stop the controller to match."""
        self.metric = p["autoscale_metric"]
        self.target = p["autoscale_target"]
        self.low, self.high = p["min_instances"], p["max_instances"]
        self.period = p["evaluation_period_s"]
        self.cooldown = p["cooldown_s"]
        self.boot = p["boot_time_s"]
        if p["autoscale"] and not self.on:
            self.on = True
            self._generation += 1
            self._base = self._integrals(t)
            self._last_eval = t
            self._last_action = t
            self._history: list[tuple[float, int]] = []
            self.size_station(t)  # an autoscaled fleet runs whole instances
            self.node.schedule(t + self.period, self._evaluate_cb, self._generation)
        elif not p["autoscale"] and self.on:
            # The instances stay as they are (booting ones still come up); the pending
            # evaluation finds its generation stale and does nothing.
            self.on = False
            self._generation += 1

    def _integrals(self, t: float) -> tuple[float, float, float]:
        """Busy worker-seconds, waiting request-seconds and worker capacity-seconds from the
        fleet's start to `t` (the station's window so far, as Station.harvest computes it, plus
        what was banked at earlier harvests)."""
        st = self.station
        busy = st.busy
        waiting = len(st.queue)
        t_open = st.t_open
        banked = self._banked
        return (banked[0] + st.s_down - st.s_up + busy * t - st.busy_open * t_open,
                banked[1] + st.s_qout - st.s_qin + waiting * t - st.q_open * t_open,
                banked[2] + st.cap_area + max(st.workers, busy) * (t - st.cap_mark))

    def bank(self, t: float) -> None:
        """Called just before the station's window closes (it resets its integrals)."""
        self._banked = list(self._integrals(t))

    def _evaluate(self, generation: int, t: float) -> None:
        if generation != self._generation:
            return
        now = self._integrals(t)
        base = self._base
        d_busy, d_wait, d_cap = now[0] - base[0], now[1] - base[1], now[2] - base[2]
        span = t - self._last_eval
        self._base = now
        self._last_eval = t
        st = self.station
        if self.sim.draining and not st.busy and not st.queue and not self.booting:
            return  # the run is draining and this node is done: let the heap empty
        self.node.schedule(t + self.period, self._evaluate_cb, generation)
        fleet = self.serving + self.booting
        if fleet < self.low:
            self._launch(self.low - fleet, t, f"below the minimum of {self.low} instances")
            return
        if fleet > self.high:
            self._remove(fleet - self.high, t, f"above the maximum of {self.high} instances")
            return
        if self.node.down or d_cap <= 0 or span <= 0:
            return  # a crashed node has nothing to measure
        metric = (d_busy if self.metric == "utilization" else d_wait) / d_cap
        current = d_cap / (span * self.per_instance)
        desired = max(self.low, min(self.high, _ceil(current * metric / self.target)))
        history = self._history
        history.append((t, desired))
        while history and history[0][0] < t - self.cooldown - 1e-9:
            history.pop(0)
        what = "utilization" if self.metric == "utilization" else "backlog per worker"
        reason = f"{what} {metric:.3g} over the last {span:g} s, target {self.target:g}"
        if desired > fleet:
            self._launch(min(desired - fleet, max(SCALE_OUT_STEP, fleet)), t, reason)
        elif desired < fleet and t - self._last_action >= self.cooldown - 1e-9:
            floor = max(d for _, d in history)
            if floor < fleet:
                self._remove(fleet - floor, t, reason)

    def _launch(self, count: int, t: float, reason: str) -> None:
        fleet = self.serving + self.booting
        self._bill(t)
        self._last_action = t
        self.sim.record({"type": "scale", "node": self.node.id, "from": fleet, "to": fleet + count,
                         "reason": reason}, t)
        if self.boot <= 0:
            self.serving += count
            self.size_station(t)
            return
        self.booting += count
        batch = [count]
        self._batches.append(batch)
        self.node.schedule(t + self.boot, self._booted_cb, batch)

    def _booted(self, batch: list[int], t: float) -> None:
        count = batch[0]
        if not count:
            return  # cancelled by a scale-in or a count set by hand
        self._bill(t)
        batch[0] = 0
        for i, b in enumerate(self._batches):
            if b is batch:
                del self._batches[i]
                break
        self.booting -= count
        self.serving += count
        self.size_station(t)

    def _remove(self, count: int, t: float, reason: str) -> None:
        fleet = self.serving + self.booting
        self._bill(t)
        self._last_action = t
        self.sim.record({"type": "scale", "node": self.node.id, "from": fleet, "to": fleet - count,
                         "reason": reason}, t)
        batches = self._batches
        while count and batches:  # the newest launches go first: they serve nobody yet
            batch = batches[-1]
            cancel = min(count, batch[0])
            batch[0] -= cancel
            self.booting -= cancel
            count -= cancel
            if not batch[0]:
                batches.pop()
        self.serving -= count
        self.size_station(t)

    # -- billing and metrics ------------------------------------------------------------------

    def _bill(self, t: float) -> None:
        """Bring the instance-seconds up to `t`; called before the fleet changes."""
        dt = t - self._mark
        if dt > 0:
            self._area += (self.serving + self.booting) * dt
            self._mark = t

    def harvest(self, t: float) -> dict[str, Any]:
        self._bill(t)
        out = {"instance_seconds": self._area, "instances_now": self.serving,
               "instances_booting_now": self.booting}
        self._area = 0.0
        return out


# What `Fleet.harvest` adds to its node's window, for how it combines and shows; a kind with a
# fleet lists these among its `metrics`.
FLEET_METRICS = (
    level("instances_now", provided=True, shown="instances"),
    level("instances_booting_now", provided=True, shown="instances_booting"),
    Metric("instance_seconds", provided=True, shown=None),  # adds up; billed, and shown as a mean
)


def present_fleet(raw: dict[str, Any], span: float) -> dict[str, Any]:
    """The fleet's mean size over the window, as a user reads it."""
    return {"instances_mean": round(raw.get("instance_seconds", 0.0) / span, 6) if span > 0 else 0.0}
