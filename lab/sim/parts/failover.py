"""One database instance failing on its own, and the election that replaces a lost primary.

A mixin of `Database` (lab/sim/components/database.py), kept apart because it is a subject of its
own: which queries a failed instance loses, which writes a failed primary had not replicated,
and which replica an election promotes. The crash_instances fault (lab/sim/faults.py) calls
`crash_instance` and `recover_instance`.
"""
from __future__ import annotations

from typing import Any


class PrimaryFailover:
    """Needs the database's instances, `_up`, `_primaries`, `_replicas`, `_pending`, `_held`,
    `_applier_free`, `_election` and `_sync`, made by `Database.build`."""

    def crash_instance(self, index: int, t: float) -> None:
        """Instance `index` fails (0 is the first primary; see `primary` for the current one).
        Its waiting queries fail, and those it is running fail when they end. If it was the
        primary, writes fail until it recovers or, with automatic failover, a replica is
        promoted after the election delay."""
        if not 0 <= index < len(self.instances) or not self._up[index]:
            return
        self._up[index] = False
        self.instances[index].drop_waiting(t, "fault")
        for req, origin in list(self._held.items()):
            if origin == index:  # waiting for acknowledgements: the client loses its connection
                del self._held[req]
                self.mark(t)
                self.n -= 1
                self.dropped_time += t - req.t_node
                self.fail(req, t, "fault")
        was_primary = index in self._primaries
        entry: dict[str, Any] = {"type": "instance_down", "node": self.id, "instance": index,
                                 "role": "primary" if was_primary else "replica"}
        if was_primary:
            behind = self._forget_writes_of(index, t)
            if behind and not self._sync:
                entry["unreplicated_writes"] = min(behind.values())
            if self.p["failover"] == "automatic" and len(self._primaries) == 1 and behind:
                self._election += 1
                delay = self.p["election_delay_s"]
                lost = {j: 0 if self._sync else n for j, n in behind.items()}
                self.schedule(t + delay, self._promote_cb, (self._election, index, lost))
                entry["election_s"] = delay
        self.sim.record(entry, t)
        self.fast_receive = None
        self._routes()
        self.sim.rewire()

    def _forget_writes_of(self, origin: int, t: float) -> dict[int, int]:
        """How many of a failed primary's writes each instance that is up has not applied. They
        will never arrive: the appliers are freed of them."""
        behind = {}
        for j, queue in enumerate(self._pending[origin]):
            while queue and queue[0] <= t:
                queue.popleft()
            if j != origin and self._up[j]:
                behind[j] = len(queue)
            queue.clear()
            still = [q[-1] for q in (self._pending[o][j] for o in range(len(self.instances))) if q]
            self._applier_free[j] = min(self._applier_free[j], max([t, *still]))
        return behind

    def _promote(self, arg: tuple[int, int, dict[int, int]], t: float) -> None:
        election, old, lost_by = arg
        if election != self._election or self._up[old]:
            return  # the primary came back first
        candidates = [j for j in lost_by if self._up[j] and j in self._replicas]
        if not candidates:
            self.sim.record({"type": "failover_failed", "node": self.id, "from": old,
                             "reason": "no up-to-date replica is up"}, t)
            return
        new = min(candidates, key=lambda j: (lost_by[j], j))  # the most up-to-date
        lost = lost_by[new]
        self.lost_writes += lost
        self.failovers += 1
        self._primaries = [new]
        self._replicas = sorted([j for j in self._replicas if j != new] + [old])  # it rejoins as a replica
        self.sim.record({"type": "failover", "node": self.id, "from": old, "to": new, "lost_writes": lost}, t)
        self._routes()
        self.sim.rewire()

    def recover_instance(self, index: int, t: float) -> None:
        if not 0 <= index < len(self.instances) or self._up[index]:
            return
        self._up[index] = True
        self._applier_free[index] = max(self._applier_free[index], t)
        is_primary = index in self._primaries
        if is_primary:
            self._election += 1  # back before the election ended: it keeps its role and its data
        self.sim.record({"type": "instance_up", "node": self.id, "instance": index,
                         "role": "primary" if is_primary else "replica"}, t)
        if len(self.instances) == 1:
            self.fast_receive = self.instances[0].arrive
        self._routes()
        self.sim.rewire()
