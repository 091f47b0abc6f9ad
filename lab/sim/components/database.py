"""Database: a primary with read replicas. Writes go to the primary; reads go where `read_from`
says. Each instance has query workers and a connection limit. Replicas apply the primary's
writes one at a time, so their lag grows when writes come faster than a replica can apply them.

Replication is asynchronous by default: a write completes when the primary has it, and the
writes the best replica has not applied yet are at risk (`writes_at_risk`): if the primary
fails, they are lost. Synchronous replication completes a write only once replicas have applied
it and acknowledged it over the network: slower writes, nothing lost. Replicas far away
(`replica_latency_ms`) lag by their distance.

One instance can fail on its own (`crash_instance`, which partial faults call; 0 is the first
primary): its waiting queries are lost and those it was serving fail. When the primary is lost,
writes fail (503, unreachable) until it comes back or, with automatic failover, until an election
promotes the most up-to-date replica; asynchronous writes that replica had not applied are lost
(`lost_writes`, and a `failover` entry in the timeline). The old primary rejoins as a replica.

Which instances are up and take writes, and the replication under way, are the `ReplicaSet` it
owns (parts/replica_set.py); its `PrimaryFailover` (parts/failover.py) crashes, elects and
recovers on that set, and calls back only through `FailoverHost`'s four methods.

With several primaries (multi-primary), writes are spread over them and replicated to the others
asynchronously; two writes to the same key on different primaries, the second before the first
reached it, conflict (last writer wins: `write_conflicts`).
"""
from __future__ import annotations

import math
from functools import partial
from typing import Any

from ..params import Param
from ..cloud.pricing import HOURS_PER_MONTH, per_hour, size_param, sized_workers
from ..kernel.randomness import Deterministic, make_distribution
from ..kernel.request import Request
from ..kernel.station import Station
from ..parts.instances import crash_in_order
from ..parts.service_time import query_params
from ..metrics.declared import count, level, peak, per
from .base import Component
from ..parts.failover import PrimaryFailover
from ..parts.replica_set import ReplicaSet

MAX_REPLICAS = 15
MAX_PRIMARIES = 5


class Database(Component):
    kind = "database"
    has_instances = True
    title = "Database"
    group = "data"
    icon = "database"
    summary = "A primary database with optional read replicas, query workers, a connection limit and replication lag."
    max_callees = 0
    params = (
        Param("replicas", "integer", 0, "Read replicas beside the primary.", minimum=0, maximum=MAX_REPLICAS, live=False),
        Param("primaries", "integer", 1,
              "Instances that accept writes. With more than one (multi-primary), writes are spread over them and "
              "replicated to the others asynchronously; writes to the same key on two primaries within the "
              "replication delay conflict, and the last writer wins.", minimum=1, maximum=MAX_PRIMARIES, live=False),
        Param("read_from", "choice", "replicas", "Where reads go: the primary only, the replicas only (round robin; the primary if there are none), or any instance.",
              choices=("primary", "replicas", "any")),
        *query_params("instance", sized=True),
        Param("replication_delay_ms", "number", 1.0,
              "Network time for a write to reach a replica. Each replica then applies writes one at a time, "
              "so its lag grows when writes come faster than it can apply them.", unit="ms",
              minimum=0.0, maximum=600_000.0),
        Param("replica_latency_ms", "numbers", [],
              "Extra one-way latency from the primary to each other instance, in order (the other primaries first, "
              "then the replicas), for instances in another zone or region. It adds to the replication delay; "
              "between two other instances it is the sum of theirs. Missing entries are 0 (same zone).",
              unit="ms", minimum=0.0, maximum=10_000.0),
        Param("replication", "choice", "async",
              "Async: a write completes when the primary has it; replicas catch up later, and what the best replica "
              "has not applied is lost if the primary fails. Sync: a write completes only once replicas have applied "
              "it and acknowledged it: slower writes, nothing lost on failover.", choices=("async", "sync")),
        Param("sync_replicas", "integer", 0,
              "Replicas that must apply a write before it completes; 0 means every replica. Replicas that are down "
              "are not waited for.", minimum=0, maximum=MAX_REPLICAS, when={"replication": ("sync",)}),
        Param("failover", "choice", "automatic",
              "When the primary instance fails: automatic promotes the most up-to-date replica after an election; "
              "none waits for the primary to come back. Writes fail (503) in the meantime.",
              choices=("automatic", "none")),
        Param("election_delay_s", "number", 30.0, "Time to notice the primary is gone and promote a replica.",
              unit="s", minimum=0.0, maximum=3600.0, when={"failover": ("automatic",)}),
        size_param("database instance (the primary and each replica)", scales="Query workers"),
        Param("storage_gb", "number", 100.0, "Provisioned storage of each instance, for its price.", unit="GB",
              minimum=1.0, maximum=1_000_000.0),
    )

    @classmethod
    def uses_keys_with(cls, values: dict[str, Any]) -> bool:
        return values["primaries"] > 1  # conflicts are per key

    @classmethod
    def check(cls, values: dict[str, Any], callees: int) -> list[tuple[str, str]]:
        problems = []
        if values["max_connections"] < values["workers"]:
            problems.append(("max_connections", f"max_connections ({values['max_connections']}) must be at least "
                                                f"workers ({values['workers']}): every running query holds a connection"))
        if values["replication"] == "sync":
            if values["primaries"] > 1:
                problems.append(("replication", "synchronous replication with several primaries is not modelled: "
                                                "use async (conflicting writes are resolved last-writer-wins)"))
            if values["sync_replicas"] > values["replicas"]:
                problems.append(("sync_replicas", f"sync_replicas ({values['sync_replicas']}) cannot exceed "
                                                  f"replicas ({values['replicas']})"))
        others = values["primaries"] - 1 + values["replicas"]
        if len(values["replica_latency_ms"]) > others:
            problems.append(("replica_latency_ms", f"replica_latency_ms lists {len(values['replica_latency_ms'])} "
                                                   f"latencies, but the database has {others} instance(s) besides "
                                                   f"the first primary"))
        return problems

    # -- set up ---------------------------------------------------------------------------------

    def _connections(self) -> tuple[int, int]:
        """Queries an instance runs at once, and how many more may wait for a connection."""
        p = self.p
        # A bigger instance runs more queries at once, but each still holds a connection, so the
        # connection limit stays a ceiling of its own.
        workers = min(sized_workers(p["workers"], p["instance_size"]), p["max_connections"])
        return workers, max(0, p["max_connections"] - workers)

    metrics = (
        level("replicas", attr="n_replicas"), level("primaries", attr="n_primaries", empty=1),
        level("instances_up", attr="n_up"),
        level("writes_at_risk"), peak("writes_at_risk_max", attr="risk_max", start="writes_at_risk"),
        count("lost_writes"), count("write_conflicts", attr="conflicts"), count("failovers"),
        per("sync_wait_ms", "sync_wait_sum", "sync_wait_n", scale=1000.0, digits=3),
        # The replication lag, shown as one figure by `present_extra`.
        count("lag_sum", zero=0.0, shown=None), count("lag_n", shown=None),
        peak("lag_max", zero=0.0, shown=None), level("lag_now", zero=0.0, shown=None),
        count("sync_wait_sum", zero=0.0, shown=None), count("sync_wait_n", shown=None),
    )

    def build(self) -> None:
        p = self.p
        count = p["primaries"] + p["replicas"]
        workers, waiting = self._connections()
        # Their query times are set by `configure`.
        self.instances = [Station(self, workers, waiting, Deterministic(0.0), self.sim.reply) for _ in range(count)]
        rs = self.replica_set = ReplicaSet(p["primaries"], p["replicas"])
        self.failover = PrimaryFailover(self, rs)
        # What every query and write reads, bound once (the set changes them in place, never
        # replaces them): which instances are up and take writes, the replication under way
        # (see ReplicaSet), the sync writes held.
        self._up, self._primaries, self._held = rs.up, rs.primaries, rs.held
        self._applier_free, self._pending = rs.applier_free, rs.pending
        self._multi = p["primaries"] > 1
        self._rr = self._wrr = 0
        self._apply_gen = self.sim.streams.generator(f"node:{self.id}:replication")
        self._last_write: dict[int, tuple[int, list[float]]] = {}  # key -> origin, when each primary saw it
        self._answer = [partial(self._answered, i) for i in range(count)]
        self._sync_done_cb = self._sync_done
        self.lag_sum = 0.0
        self.lag_n = 0
        self.lag_max = 0.0
        self.lag_now = 0.0
        self.writes_at_risk = self.risk_max = 0
        self.n_replicas = self.n_primaries = self.n_up = 0  # as of the last window
        self.lost_writes = self.conflicts = self.failovers = 0
        self.sync_wait_sum = 0.0
        self.sync_wait_n = 0
        if count == 1:
            # One instance and nothing to replicate: requests go straight to its queue.
            self.fast_receive = self.instances[0].arrive

    def configure(self) -> None:
        p = self.p
        gen = self.sim.streams.generator(f"node:{self.id}:queries")
        samples = [x / 1000.0 for x in p["service_samples_ms"]]
        kind, cv = p["service_distribution"], p["service_cv"]
        read = make_distribution(kind, p["read_time_ms"] / 1000.0, cv, samples, gen)
        write = make_distribution(kind, p["write_time_ms"] / 1000.0, cv, samples, gen)
        self.writes_set = {c for c, op in self.sim.operations.items() if op == "write"}
        by_class = {c: write for c in sorted(self.writes_set)}
        workers, waiting = self._connections()
        for station in self.instances:
            station.set_distribution(read, by_class)
            station.queue_limit = waiting
            if station.workers != workers:
                station.resize(workers, self.sim.now)
        self._apply = make_distribution(kind, p["write_time_ms"] / 1000.0, cv, samples, self._apply_gen)
        self._read_from = p["read_from"]
        self._delay = p["replication_delay_ms"] / 1000.0
        extra = [ms / 1000.0 for ms in p["replica_latency_ms"]]
        self._extra = ([0.0] + extra + [0.0] * len(self.instances))[: len(self.instances)]
        self._sync = p["replication"] == "sync"
        self._sync_k = p["sync_replicas"]
        self.failover.configure(automatic=p["failover"] == "automatic", election_delay_s=p["election_delay_s"],
                                sync=self._sync)
        self._routes()

    def _routes(self) -> None:
        """Who takes writes and reads, and where each primary's writes replicate, given which
        instances are up."""
        up = self._up
        self._writable = [i for i in self._primaries if up[i]]
        replicas = [i for i in self.replica_set.replicas if up[i]]
        if self._read_from == "primary":
            self._readable = self._writable
        elif self._read_from == "replicas":
            self._readable = replicas or self._writable
        else:
            self._readable = [i for i in range(len(self.instances)) if up[i]]
        delay, extra = self._delay, self._extra
        self._targets = {
            o: [(j, delay + extra[o] + extra[j]) for j in range(len(self.instances)) if j != o and up[j]]
            for o in self._primaries
        }

    def wire(self) -> None:
        reply = self.sim.reply
        for i, station in enumerate(self.instances):
            # A replica's answers (and a lone primary's) go straight back; a primary that
            # replicates, or an instance that is down, has something to do first.
            more = not self._up[i] or self._targets.get(i)
            station.done = self._answer[i] if more else reply

    def stations(self) -> list[Station]:
        return self.instances

    @property
    def primary(self) -> int | None:
        """The position of the instance that takes writes now (the first, with several)."""
        return self._writable[0] if self._writable else None

    # -- requests -------------------------------------------------------------------------------

    def receive(self, req: Request, t: float) -> None:
        instances = self.instances
        if req.cls in self.writes_set:
            targets = self._writable
            n = len(targets)
            if n == 1:
                instances[targets[0]].arrive(req, t)
                return
            if n:
                i = self._wrr % n  # several primaries: in turn
                self._wrr = i + 1
                instances[targets[i]].arrive(req, t)
                return
        else:
            targets = self._readable
            n = len(targets)
            if n == 1:
                instances[targets[0]].arrive(req, t)
                return
            if n:
                # Round robin over the replicas, or over every instance.
                i = self._rr % n
                self._rr = i + 1
                instances[targets[i]].arrive(req, t)
                return
        self.arrivals += 1
        self.fail(req, t, "unreachable")  # no primary (an election is on), or nothing up to read from

    def _take_over(self, i: int) -> None:
        """Instance i's queue counted the request it just finished as served; the node holds it
        instead (it waits for acknowledgements, or fails)."""
        self.instances[i].lat.pop()
        self.arrivals += 1

    def _answered(self, i: int, req: Request, t: float) -> None:
        if not self._up[i]:
            # The instance failed while it ran the query: the answer never leaves it.
            self._take_over(i)
            self.dropped_time += t - req.t_node
            self.fail(req, t, "fault")
            return
        if req.cls in self.writes_set:
            done = self._replicate(i, req.key, t)
            if done > t:
                # Synchronous: the client waits for the replicas' acknowledgements.
                self._take_over(i)
                self.mark(t)
                self.n += 1
                self._held[req] = i
                self.sync_wait_sum += done - t
                self.sync_wait_n += 1
                if req.trace is not None:
                    req.trace.append((self.id, t, done - t, 0.0, None))
                self.schedule(done, self._sync_done_cb, req)
                return
        self.sim.reply(req, t)

    def _sync_done(self, req: Request, t: float) -> None:
        if self._held.pop(req, None) is None:
            return  # it failed with its primary
        self.mark(t)
        self.n -= 1
        self.completions += 1
        self.lat.append(t - req.t_node)
        self.sim.reply(req, t)

    def _replicate(self, origin: int, key: int, t: float) -> float:
        """Primary `origin` committed a write at `t`: every other instance applies it after the
        network delay, once its applier is free. Lag is the time from commit to apply. Returns
        when a synchronous write may complete (`t` when asynchronous)."""
        free = self._applier_free
        pending = self._pending[origin]
        apply = self._apply
        acks: list[float] | None = [] if self._sync else None
        seen = [math.inf] * len(self._primaries) if self._multi else None
        best = -1
        for j, delay in self._targets[origin]:
            queue = pending[j]
            while queue and queue[0] <= t:
                queue.popleft()
            done = (t + delay if t + delay > free[j] else free[j]) + apply.sample()
            free[j] = done
            queue.append(done)
            lag = done - t
            self.lag_sum += lag
            self.lag_n += 1
            if lag > self.lag_max:
                self.lag_max = lag
            self.lag_now = lag
            if best < 0 or len(queue) < best:
                best = len(queue)
            if acks is not None:
                acks.append(done + delay)  # the acknowledgement travels back
            elif seen is not None and j < len(seen):
                seen[j] = done
        if seen is not None:
            seen[origin] = t
            last = self._last_write.get(key)
            if last is not None and last[0] != origin and t < last[1][origin]:
                self.conflicts += 1  # the earlier write had not reached this primary yet
            self._last_write[key] = (origin, seen)
        if acks:
            k = min(self._sync_k or len(acks), len(acks))
            acks.sort()
            return acks[k - 1]
        if best > self.risk_max and acks is None:
            self.risk_max = best
        return t

    # -- one instance down: the failover (parts/failover.py) works on the replica set ----------

    def instances_changed(self, before: int, t: float) -> None:
        crash_in_order(len(self.instances), before, self.lost_instances, t, self.crash_instance, self.recover_instance)

    def crash_instance(self, index: int, t: float) -> None:
        """Instance `index` fails (0 is the first primary): see PrimaryFailover.crash."""
        self.failover.crash(index, t)

    def recover_instance(self, index: int, t: float) -> None:
        self.failover.recover(index, t)

    # What the failover asks of the database (FailoverHost).

    def drop_waiting_queries(self, index: int, t: float) -> None:
        self.instances[index].drop_waiting(t, "fault")

    def fail_held(self, req: Request, t: float) -> None:
        self.mark(t)
        self.n -= 1
        self.dropped_time += t - req.t_node
        self.fail(req, t, "fault")

    def failed_over(self, lost_writes: int) -> None:
        self.lost_writes += lost_writes
        self.failovers += 1

    def reroute(self) -> None:
        # A lone instance's queue takes requests straight from the edge, unless it is down.
        self.fast_receive = self.instances[0].arrive if len(self.instances) == 1 and self._up[0] else None
        self._routes()
        self.sim.rewire()

    # -- metrics and cost -----------------------------------------------------------------------

    def measure(self, t: float) -> None:
        self.n_replicas = len(self.replica_set.replicas)
        self.n_primaries = len(self._primaries)
        self.n_up = sum(self._up)
        # Acknowledged writes at risk (none with sync replication: every write is on a replica).
        risk = self.writes_at_risk = 0 if self._sync else self.replica_set.unapplied(self._writable, self._targets, t)
        self.risk_max = max(risk, self.risk_max)

    def accrue_cost(self, raw: dict[str, Any], span: float) -> float:
        prices = self.sim.prices
        hourly = (prices[f"db_{self.p['instance_size']}_hour"]
                  + self.p["storage_gb"] * prices["db_storage_gb_month"] / HOURS_PER_MONTH)
        return per_hour(hourly * len(self.instances), span)

    @staticmethod
    def present_extra(raw: dict[str, Any], span: float) -> dict[str, Any]:
        n = raw.get("lag_n", 0)
        return {
            "replication_lag_ms": {
                "mean": round(raw.get("lag_sum", 0.0) / n * 1000.0, 3) if n else 0.0,
                "max": round(raw.get("lag_max", 0.0) * 1000.0, 3),
                "last": round(raw.get("lag_now", 0.0) * 1000.0, 3),
            },
        }
