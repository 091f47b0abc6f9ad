"""The replication state of a database's instances: which are up, which take writes, and what
each still owes the others.

Two subjects work on it: the database (lab/sim/components/database.py), which routes queries
and replicates every write, and the failover (parts/failover.py), which crashes, elects and
recovers instances. Neither reaches into the other: this object is what they share, and its
attributes below are its whole interface.

Its lists and dicts are made once and changed in place, never replaced, so the database binds
them to attributes of its own in `build` and its hot path pays no extra lookup.
"""
from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from typing import Any

from ..kernel.request import Request


class ReplicaSet:
    """A database's instances by position: the first `primaries` take writes, the rest are read
    replicas, until an election changes the roles.

    - `up[i]`: instance i is running (a crash_instances fault stops it).
    - `primaries`, `replicas`: the positions of the instances taking writes and of the others,
      up or not, in order.
    - `pending[o][j]`: when instance j will have applied each write of primary o it has not
      applied yet. Each applier works in commit order, so the times only grow.
    - `applier_free[j]`: when instance j's single applier is next free (Lindley's recursion: FIFO
      with one server needs no events to know when each write will be applied).
    - `held`: synchronous writes waiting for acknowledgements, and the primary each waits on.
    - `election`: counts the elections begun and abandoned; an election that ends finds it moved
      on if its primary came back in the meantime.
    """

    def __init__(self, primaries: int, replicas: int) -> None:
        count = primaries + replicas
        self.up = [True] * count
        self.primaries = list(range(primaries))
        self.replicas = list(range(primaries, count))
        self.pending: list[list[deque[float]]] = [[deque() for _ in range(count)] for _ in range(count)]
        self.applier_free = [0.0] * count
        self.held: dict[Request, int] = {}
        self.election = 0

    def __len__(self) -> int:
        return len(self.up)

    def promote(self, new: int, old: int) -> None:
        """Replica `new` takes writes in place of the lone primary `old`, which rejoins as a
        replica (in place: the lists stay the ones bound)."""
        self.replicas[:] = sorted([j for j in self.replicas if j != new] + [old])
        self.primaries[:] = [new]

    def unapplied(self, writable: list[int], targets: Mapping[int, list[tuple[int, Any]]], t: float) -> int:
        """Acknowledged writes the best other instance has not applied by `t`, summed over the
        writable primaries (`targets[o]`: the instances primary o replicates to, first of each
        pair): what a crash of those primaries would lose."""
        total = 0
        for o in writable:
            counts = []
            for j, _ in targets[o]:
                queue = self.pending[o][j]
                while queue and queue[0] <= t:
                    queue.popleft()
                counts.append(len(queue))
            total += min(counts, default=0)
        return total
