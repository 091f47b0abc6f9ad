"""Instances that stop and start one at a time, in order: a database's (the primary first, then
replicas) and a sharded store's (shard by shard). A crash_instances fault changes how many are
lost; this turns the change into crashes and recoveries of the instances it covers."""
from __future__ import annotations

from typing import Callable


def crash_in_order(count: int, before: int, after: int, t: float, crash: Callable[[int, float], None],
                   recover: Callable[[int, float], None]) -> None:
    """`before` -> `after` instances lost out of `count`: crash the newly lost ones, recover the
    ones back, by position."""
    for i in range(min(before, count), min(after, count)):
        crash(i, t)
    for i in range(min(after, count), min(before, count)):
        recover(i, t)
