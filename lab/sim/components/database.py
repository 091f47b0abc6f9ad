"""Database: a primary with read replicas. Writes go to the primary; reads go where `read_from`
says. Each instance has query workers and a connection limit. Replicas apply the primary's
writes asynchronously, one at a time, so their lag grows when writes come faster than a replica
can apply them."""
from __future__ import annotations

from typing import Any

from ..params import Param
from ..pricing import HOURS_PER_MONTH, per_hour, size_param
from ..randomness import DISTRIBUTIONS, make_distribution
from ..request import Request
from ..station import Station
from .base import Component


class Database(Component):
    kind = "database"
    title = "Database"
    group = "data"
    icon = "database"
    summary = "A primary database with optional read replicas, query workers, a connection limit and replication lag."
    max_callees = 0
    params = (
        Param("replicas", "integer", 0, "Read replicas beside the primary.", minimum=0, maximum=15, live=False),
        Param("read_from", "choice", "replicas", "Where reads go: the primary only, the replicas only (round robin; the primary if there are none), or any instance.",
              choices=("primary", "replicas", "any")),
        Param("workers", "integer", 8, "Queries one instance runs at the same time (think CPU cores).", minimum=1, maximum=1000),
        Param("max_connections", "integer", 200, "Requests one instance holds at once, running or waiting; more are refused with 503.",
              minimum=1, maximum=100_000),
        Param("service_distribution", "choice", "exponential", "Shape of the query times.", choices=DISTRIBUTIONS),
        Param("read_time_ms", "number", 5.0, "Mean time of a read query.", unit="ms", minimum=0.0, maximum=3_600_000.0),
        Param("write_time_ms", "number", 10.0, "Mean time of a write query.", unit="ms", minimum=0.0, maximum=3_600_000.0),
        Param("service_cv", "number", 1.0, "Variability of lognormal query times: standard deviation / mean.",
              minimum=0.01, maximum=20.0, when={"service_distribution": ("lognormal",)}),
        Param("service_samples_ms", "numbers", [], "Measured query times to resample from (reads and writes alike).",
              unit="ms", minimum=0.0, maximum=3_600_000.0, when={"service_distribution": ("empirical",)}),
        Param("replication_delay_ms", "number", 1.0,
              "Network time for a write to reach a replica. Each replica then applies writes one at a time, "
              "so its lag grows when writes come faster than it can apply them.", unit="ms",
              minimum=0.0, maximum=600_000.0),
        size_param("database instance (the primary and each replica)"),
        Param("storage_gb", "number", 100.0, "Provisioned storage of each instance, for its price.", unit="GB",
              minimum=1.0, maximum=1_000_000.0),
    )

    @classmethod
    def check(cls, values: dict[str, Any], callees: int) -> list[tuple[str, str]]:
        if values["max_connections"] < values["workers"]:
            return [("max_connections", f"max_connections ({values['max_connections']}) must be at least workers "
                                        f"({values['workers']}): every running query holds a connection")]
        return []

    def setup(self) -> None:
        p = self.p
        gen = self.sim.streams.generator(f"node:{self.id}:queries")
        samples = [x / 1000.0 for x in p["service_samples_ms"]]
        kind, cv = p["service_distribution"], p["service_cv"]
        read = make_distribution(kind, p["read_time_ms"] / 1000.0, cv, samples, gen)
        write = make_distribution(kind, p["write_time_ms"] / 1000.0, cv, samples, gen)
        self.writes_set = {c for c, op in self.sim.operations.items() if op == "write"}
        by_class = {c: write for c in sorted(self.writes_set)}
        waiting = max(0, p["max_connections"] - p["workers"])
        if not hasattr(self, "instances"):
            self.instances = [
                Station(self, p["workers"], waiting, read, self._answered, by_class=by_class)
                for _ in range(1 + p["replicas"])
            ]
            self._rr = 0
            self._apply_gen = self.sim.streams.generator(f"node:{self.id}:replication")
            # When each replica's single applier is next free (Lindley's recursion: FIFO with one
            # server needs no events to know when each write will be applied).
            self._applier_free = [0.0] * p["replicas"]
            self.lag_sum = 0.0
            self.lag_n = 0
            self.lag_max = 0.0
            self.lag_now = 0.0
            if p["replicas"] == 0:
                # One instance and nothing to replicate: requests go straight to its queue.
                self.fast_receive = self.instances[0].arrive
        else:
            for station in self.instances:
                station.set_distribution(read, by_class)
                station.queue_limit = waiting
                if station.workers != p["workers"]:
                    station.resize(p["workers"], self.sim.now)
        self._apply = make_distribution(kind, p["write_time_ms"] / 1000.0, cv, samples, self._apply_gen)
        self._read_from = p["read_from"]
        self._delay = p["replication_delay_ms"] / 1000.0

    def wire(self) -> None:
        done = self.sim.reply if not self._applier_free else self._answered
        for station in self.instances:
            station.done = done

    def stations(self) -> list[Station]:
        return self.instances

    def receive(self, req: Request, t: float) -> None:
        instances = self.instances
        if req.cls in self.writes_set:
            instances[0].arrive(req, t)
            return
        if self._read_from == "primary":
            instances[0].arrive(req, t)
            return
        # Round robin over the replicas, or over every instance.
        first = 1 if self._read_from == "replicas" else 0
        count = len(instances) - first
        i = self._rr % count
        self._rr = i + 1
        instances[first + i].arrive(req, t)

    def _answered(self, req: Request, t: float) -> None:
        if req.cls in self.writes_set:
            self._replicate(t)
        self.sim.reply(req, t)

    def _replicate(self, t: float) -> None:
        """The primary committed a write at `t`: each replica applies it after the network delay,
        once its applier is free. Lag is the time from commit to apply."""
        arrive = t + self._delay
        for i, free in enumerate(self._applier_free):
            done = max(arrive, free) + self._apply.sample()
            self._applier_free[i] = done
            lag = done - t
            self.lag_sum += lag
            self.lag_n += 1
            if lag > self.lag_max:
                self.lag_max = lag
            self.lag_now = lag

    def harvest_extra(self, t: float) -> dict[str, Any]:
        out = {
            "lag_sum": self.lag_sum, "lag_n": self.lag_n, "lag_max": self.lag_max,
            "lag_now": self.lag_now, "replicas_now": len(self.instances) - 1,
        }
        self.lag_sum = 0.0
        self.lag_n = 0
        self.lag_max = 0.0
        return out

    def accrue_cost(self, raw: dict[str, Any], span: float) -> float:
        prices = self.sim.prices
        hourly = (prices[f"db_{self.p['instance_size']}_hour"]
                  + self.p["storage_gb"] * prices["db_storage_gb_month"] / HOURS_PER_MONTH)
        return per_hour(hourly * len(self.instances), span)

    @staticmethod
    def present_extra(raw: dict[str, Any], span: float) -> dict[str, Any]:
        n = raw.get("lag_n", 0)
        return {
            "replicas": raw.get("replicas_now", 0),
            "replication_lag_ms": {
                "mean": round(raw.get("lag_sum", 0.0) / n * 1000.0, 3) if n else 0.0,
                "max": round(raw.get("lag_max", 0.0) * 1000.0, 3),
                "last": round(raw.get("lag_now", 0.0) * 1000.0, 3),
            },
        }
