"""One database instance failing on its own, and the election that replaces a lost primary.

A subject of its own, apart from the database's routing and replication: which queries a failed
instance loses, which writes a failed primary had not replicated, and which replica an election
promotes. It works on the database's `ReplicaSet` (parts/replica_set.py) and asks the database
for nothing but the four moves of `FailoverHost`. The crash_instances fault (lab/sim/faults.py)
reaches it through `Database.instances_changed`, which calls `crash` and `recover`.
"""
from __future__ import annotations

from typing import Any, Protocol

from ..kernel.interface import Kernel
from ..kernel.request import Request
from .replica_set import ReplicaSet


class FailoverHost(Protocol):
    """What the failover asks of the database that owns it."""

    id: str
    sim: Kernel

    def drop_waiting_queries(self, index: int, t: float) -> None:
        """Instance `index` failed: the queries waiting for it fail (cause fault)."""

    def fail_held(self, req: Request, t: float) -> None:
        """A synchronous write waiting for acknowledgements lost its primary: it fails (cause
        fault). The failover has already taken it out of `ReplicaSet.held`."""

    def failed_over(self, lost_writes: int) -> None:
        """An election promoted a replica that lacked `lost_writes` acknowledged writes: count them."""

    def reroute(self) -> None:
        """Which instances are up, or which take writes, changed: route queries and replication
        again, and have the edges re-bound."""


class PrimaryFailover:
    """Crashes and recovers a database's instances, and runs the elections a lost primary needs.
    `configure` gives it the database's current settings before the run and after every change."""

    def __init__(self, host: FailoverHost, replica_set: ReplicaSet) -> None:
        self.host = host
        self.replica_set = replica_set
        self._sim = host.sim
        self._promote_cb = self._promote  # bound once: an election schedules it
        self.automatic = True
        self.election_delay_s = 0.0
        self.sync = False

    def configure(self, *, automatic: bool, election_delay_s: float, sync: bool) -> None:
        self.automatic = automatic
        self.election_delay_s = election_delay_s
        self.sync = sync

    def crash(self, index: int, t: float) -> None:
        """Instance `index` fails (0 is the first primary). Its waiting queries fail, and those it
        is running fail when they end (the database sees it is down). If it was the primary,
        writes fail until it recovers or, with automatic failover, a replica is promoted after
        the election delay."""
        rs, host = self.replica_set, self.host
        if not 0 <= index < len(rs) or not rs.up[index]:
            return
        rs.up[index] = False
        host.drop_waiting_queries(index, t)
        held = rs.held
        for req, origin in list(held.items()):
            if origin == index:  # waiting for acknowledgements: the client loses its connection
                del held[req]
                host.fail_held(req, t)
        was_primary = index in rs.primaries
        entry: dict[str, Any] = {"type": "instance_down", "node": host.id, "instance": index,
                                 "role": "primary" if was_primary else "replica"}
        if was_primary:
            behind = self._forget_writes_of(index, t)
            if behind and not self.sync:
                entry["unreplicated_writes"] = min(behind.values())
            if self.automatic and len(rs.primaries) == 1 and behind:
                rs.election += 1
                delay = self.election_delay_s
                lost = {j: 0 if self.sync else n for j, n in behind.items()}
                self._sim.schedule(t + delay, self._promote_cb, (rs.election, index, lost))
                entry["election_s"] = delay
        self._sim.record(entry, t)
        host.reroute()

    def _forget_writes_of(self, origin: int, t: float) -> dict[int, int]:
        """How many of a failed primary's writes each instance that is up has not applied. They
        will never arrive: the appliers are freed of them."""
        rs = self.replica_set
        pending, free, up = rs.pending, rs.applier_free, rs.up
        behind = {}
        for j, queue in enumerate(pending[origin]):
            while queue and queue[0] <= t:
                queue.popleft()
            if j != origin and up[j]:
                behind[j] = len(queue)
            queue.clear()
            still = [q[-1] for q in (pending[o][j] for o in range(len(rs))) if q]
            free[j] = min(free[j], max([t, *still]))
        return behind

    def _promote(self, arg: tuple[int, int, dict[int, int]], t: float) -> None:
        election, old, lost_by = arg
        rs = self.replica_set
        if election != rs.election or rs.up[old]:
            return  # the primary came back first
        candidates = [j for j in lost_by if rs.up[j] and j in rs.replicas]
        if not candidates:
            self._sim.record({"type": "failover_failed", "node": self.host.id, "from": old,
                              "reason": "no up-to-date replica is up"}, t)
            return
        new = min(candidates, key=lambda j: (lost_by[j], j))  # the most up-to-date
        lost = lost_by[new]
        self.host.failed_over(lost)
        rs.promote(new, old)
        self._sim.record({"type": "failover", "node": self.host.id, "from": old, "to": new,
                          "lost_writes": lost}, t)
        self.host.reroute()

    def recover(self, index: int, t: float) -> None:
        """Instance `index` is back, in the role it has now: a primary back before its election
        ended keeps its role and its data; one an election replaced is a replica."""
        rs = self.replica_set
        if not 0 <= index < len(rs) or rs.up[index]:
            return
        rs.up[index] = True
        rs.applier_free[index] = max(rs.applier_free[index], t)
        is_primary = index in rs.primaries
        if is_primary:
            rs.election += 1  # the election under way, if any, finds it moved on
        self._sim.record({"type": "instance_up", "node": self.host.id, "instance": index,
                          "role": "primary" if is_primary else "replica"}, t)
        self.host.reroute()
