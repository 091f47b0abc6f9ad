"""Sharded store: a key-value or document database split into N shards, each its own instance
with query workers and a connection limit (like a database instance), behind a sharding function
that maps every key to one shard.

Three sharding functions:
- hash: shard = hash(key) mod N. Even, but changing N moves nearly every key (N/(N+1) of them
  when one shard is added).
- consistent hash: each shard owns `virtual_nodes` points on a hash ring and a key belongs to the
  next point clockwise. Adding one shard moves only about 1/(N+1) of the keys, the ones the new
  shard's points take over.
- range: N key ranges of equal width over the key space. Scans stay on one shard, but popular
  neighbouring keys (Zipf ranks are key ids: key 0 is the hottest) all land on the first shard,
  and re-dividing the ranges for another shard moves about half the keys.

A shard serves only its own keys, so the hottest keys make a hot shard: it saturates while the
average utilization still looks comfortable. The node reports each shard's arrivals and
utilization and the skew (busiest shard's load over the mean). Changing `shards` during a run
records how many keys would have to move (`keys_moved_fraction`, exact over the whole key space);
shards taken out of service finish the requests they hold and then retire."""
from __future__ import annotations

import hashlib
from functools import lru_cache, partial
from typing import Any, Sequence

import numpy as np

from ..params import Param
from ..cloud.pricing import HOURS_PER_MONTH, per_hour, size_param
from ..kernel.randomness import make_distribution
from ..kernel.request import Request
from ..kernel.station import Station
from ..parts.instances import crash_in_order
from ..metrics.declared import level
from .base import Component
from ..parts.service_time import query_params

STRATEGIES = ("hash", "consistent_hash", "range")
MAX_SHARDS = 128


# -- the sharding functions (pure, vectorized over the whole key space) -------------------------

def mix64(keys: np.ndarray) -> np.ndarray:
    """SplitMix64's finalizer over an array of keys (uint64 arithmetic wraps, as it should)."""
    x = keys.astype(np.uint64) + np.uint64(0x9E3779B97F4A7C15)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


@lru_cache(maxsize=4096)
def _shard_points(shard: int, vnodes: int) -> tuple[int, ...]:
    """A shard's points on the ring. They depend only on the shard's number, so adding a shard
    adds points and moves nothing else: that is what makes the hashing consistent."""
    return tuple(
        int.from_bytes(hashlib.blake2b(f"shard-{shard}#{v}".encode(), digest_size=8).digest(), "little")
        for v in range(vnodes)
    )


def shard_table(strategy: str, shards: int, key_count: int, vnodes: int = 100) -> np.ndarray:
    """The shard of every key 0 .. key_count - 1."""
    keys = np.arange(key_count, dtype=np.uint64)
    if strategy == "range":
        # Equal-width ranges: key k is in range floor(k * N / count).
        return (np.arange(key_count, dtype=np.int64) * shards) // key_count
    if strategy == "hash":
        return (mix64(keys) % np.uint64(shards)).astype(np.int64)
    if strategy == "consistent_hash":
        points = np.array([p for s in range(shards) for p in _shard_points(s, vnodes)], dtype=np.uint64)
        owners = np.repeat(np.arange(shards, dtype=np.int64), vnodes)
        order = np.argsort(points, kind="stable")
        points, owners = points[order], owners[order]
        i = np.searchsorted(points, mix64(keys), side="left")
        i[i == len(points)] = 0  # past the last point: wrap around to the first
        return owners[i]
    raise ValueError(f"unknown sharding strategy {strategy!r}")


def keys_moved_fraction(strategy: str, old_n: int, new_n: int, key_count: int, vnodes: int = 100) -> float:
    """The share of the key space whose shard changes when `old_n` shards become `new_n`."""
    if old_n == new_n:
        return 0.0
    old = shard_table(strategy, old_n, key_count, vnodes)
    new = shard_table(strategy, new_n, key_count, vnodes)
    return float(np.count_nonzero(old != new)) / key_count


# -- the kind -----------------------------------------------------------------------------------

class _Shard(Station):
    """A shard's queue and workers; it remembers its last window so the node can report each
    shard separately."""

    __slots__ = ("down", "seen")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.down = False
        self.seen = (0, 0.0, 0.0)

    def harvest(self, t: float) -> dict[str, Any]:
        out = super().harvest(t)
        self.seen = (out["arrivals"], out["area_busy"], out["area_cap"])
        return out


class ShardedStore(Component):
    kind = "sharded_store"
    has_instances = True
    title = "Sharded store"
    group = "data"
    icon = "shards"
    summary = "A database split into shards by hash, consistent hash or key range; hot keys make hot shards."
    max_callees = 0
    uses_keys = True
    params = (
        Param("shards", "integer", 4, "Number of shards, each its own database instance. Changing it during a run "
              "reports the share of keys that must move.", minimum=1, maximum=MAX_SHARDS),
        Param("sharding", "choice", "consistent_hash",
              "How a key finds its shard. Hash: hash(key) mod N (even, but changing N moves most keys). "
              "Consistent hash: a hash ring with virtual nodes (adding a shard moves about 1/N of the keys). "
              "Range: equal key ranges (neighbouring keys together, so hot neighbours make a hot shard; "
              "re-dividing moves about half the keys).",
              choices=STRATEGIES, live=False),
        Param("virtual_nodes", "integer", 100, "Points per shard on the consistent-hash ring; more points, more even shards.",
              minimum=1, maximum=1000, when={"sharding": ("consistent_hash",)}, live=False),
        *query_params("shard"),
        size_param("shard instance"),
        Param("storage_gb", "number", 100.0, "Provisioned storage of each shard, for its price.", unit="GB",
              minimum=1.0, maximum=1_000_000.0),
    )

    @classmethod
    def check(cls, values: dict[str, Any], callees: int) -> list[tuple[str, str]]:
        if values["max_connections"] < values["workers"]:
            return [("max_connections", f"max_connections ({values['max_connections']}) must be at least workers "
                                        f"({values['workers']}): every running query holds a connection")]
        return []

    metrics = (level("shards", attr="n_shards"), level("shard_instances", attr="n_instances", shown=None))

    def build(self) -> None:
        self._gen = self.sim.streams.generator(f"node:{self.id}:queries")
        self._shards: list[_Shard] = []
        self._draining: list[_Shard] = []
        self.instances: list[_Shard] = []
        self._table_n = 0
        self._any_down = False
        # Instance-seconds billed so far in this window (instances come and go mid-window).
        self._billed = 0.0
        self._bill_mark = self.sim.t_start
        self.n_shards = self.n_instances = 0  # as of the last window (`measure`)

    def configure(self) -> None:
        p = self.p
        samples = [x / 1000.0 for x in p["service_samples_ms"]]
        kind, cv = p["service_distribution"], p["service_cv"]
        self._read = make_distribution(kind, p["read_time_ms"] / 1000.0, cv, samples, self._gen)
        write = make_distribution(kind, p["write_time_ms"] / 1000.0, cv, samples, self._gen)
        self._by_class = {c: write for c, op in sorted(self.sim.operations.items()) if op == "write"}
        waiting = max(0, p["max_connections"] - p["workers"])
        now = self.sim.now
        for station in self.instances:
            station.set_distribution(self._read, self._by_class)
            station.queue_limit = waiting
            if station.workers != p["workers"]:
                station.resize(p["workers"], now)
        n = p["shards"]
        self._bill(now)
        while len(self._shards) < n:
            station = _Shard(self, p["workers"], waiting, self._read, self.sim.reply, by_class=self._by_class)
            # A station assumes it exists from the start of the run; one added later has had
            # capacity only from now on.
            station.cap_mark = station.t_open = now
            self._shards.append(station)
        if len(self._shards) > n:
            # Shards taken out of service get no new keys; they finish what they hold, then retire.
            self._draining.extend(self._shards[n:])
            del self._shards[n:]
        self.instances = self._shards + self._draining
        if n != self._table_n:
            self._keys = shard_table(p["sharding"], n, self.sim.keys["count"], p["virtual_nodes"])
            self._table = self._keys.tolist()
            self._table_n = n

    def set_param(self, name: str, value: Any, t: float) -> None:
        old_n, old_keys = self.p["shards"], self._keys
        super().set_param(name, value, t)
        if name == "shards" and value != old_n:
            moved = float(np.count_nonzero(old_keys != self._keys)) / len(self._keys)
            self.sim.record({"type": "reshard", "node": self.id, "from": old_n, "to": value,
                             "keys_moved_fraction": round(moved, 6)}, t)

    def wire(self) -> None:
        for station in self.instances:
            station.done = partial(self._lost, station) if station.down else self.sim.reply

    def stations(self) -> Sequence[Station]:
        return self.instances

    def receive(self, req: Request, t: float) -> None:
        station = self._shards[self._table[req.key]]
        if self._any_down and station.down:
            self.arrivals += 1
            self.fail(req, t, "fault")
            return
        station.arrive(req, t)

    # -- one shard down (for faults that crash some instances of a node) -----------------------

    def crash_instance(self, index: int, t: float) -> None:
        """Shard `index` goes down: requests for its keys fail (cause fault), its waiting
        requests are lost, and those it was serving fail when their query ends."""
        if not 0 <= index < len(self._shards) or self._shards[index].down:
            return
        station = self._shards[index]
        station.down = True
        self._any_down = True
        station.drop_waiting(t, "fault")
        self.sim.record({"type": "instance_down", "node": self.id, "instance": index}, t)
        self.sim.rewire()

    def recover_instance(self, index: int, t: float) -> None:
        if not 0 <= index < len(self._shards) or not self._shards[index].down:
            return
        self._shards[index].down = False
        self._any_down = any(s.down for s in self.instances)
        self.sim.record({"type": "instance_up", "node": self.id, "instance": index}, t)
        self.sim.rewire()

    def _lost(self, station: _Shard, req: Request, t: float) -> None:
        # The station counted the request as served; it is the node's failure instead.
        station.lat.pop()
        self.arrivals += 1
        self.dropped_time += t - req.t_node
        self.fail(req, t, "fault")

    # -- metrics and cost -----------------------------------------------------------------------

    def harvest(self, t: float) -> dict[str, Any]:
        raw = super().harvest(t)
        # A retired shard leaves once it holds nothing (its last window has just been counted).
        if self._draining:
            self._draining = [s for s in self._draining if s.busy or s.queue]
            self.instances = self._shards + self._draining
        return raw

    def _bill(self, t: float) -> None:
        self._billed += len(self.instances) * (t - self._bill_mark)
        self._bill_mark = t

    def instances_changed(self, before: int, t: float) -> None:
        crash_in_order(len(self.instances), before, self.lost_instances, t, self.crash_instance, self.recover_instance)

    def measure(self, t: float) -> None:
        self.n_shards = len(self._shards)
        self.n_instances = len(self.instances)  # retiring shards included

    def harvest_extra(self, t: float) -> dict[str, Any]:
        # Each shard's counters, by its position (they add up across windows).
        out: dict[str, Any] = {}
        for i, station in enumerate(self._shards):
            arrivals, busy, cap = station.seen
            out[f"shard_{i}_arrivals"] = arrivals
            out[f"shard_{i}_busy"] = busy
            out[f"shard_{i}_cap"] = cap
        return out

    def accrue_cost(self, raw: dict[str, Any], span: float) -> float:
        prices = self.sim.prices
        hourly = (prices[f"db_{self.p['instance_size']}_hour"]
                  + self.p["storage_gb"] * prices["db_storage_gb_month"] / HOURS_PER_MONTH)
        self._bill(self.t_cost)  # the window's end: harvest sets t_cost before pricing
        instance_seconds, self._billed = self._billed, 0.0
        return per_hour(hourly, instance_seconds)

    @staticmethod
    def present_extra(raw: dict[str, Any], span: float) -> dict[str, Any]:
        n = raw.get("shards", 0)
        arrivals = [raw.get(f"shard_{i}_arrivals", 0) for i in range(n)]
        utilization = []
        for i in range(n):
            cap = raw.get(f"shard_{i}_cap", 0.0)
            utilization.append(round(raw.get(f"shard_{i}_busy", 0.0) / cap, 6) if cap > 0 else 0.0)
        total = sum(arrivals)
        hot = max(range(n), key=lambda i: (arrivals[i], -i)) if n else 0
        return {
            "shard_arrival_rate_per_s": [round(a / span, 6) if span > 0 else 0.0 for a in arrivals],
            "shard_utilization": utilization,
            "hot_shard": hot,
            "hot_shard_utilization": utilization[hot] if n else 0.0,
            # Busiest shard's arrivals over the mean: 1 is perfectly even, N is all on one shard.
            "load_skew": round(arrivals[hot] * n / total, 6) if total else 1.0,
        }
