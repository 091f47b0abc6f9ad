"""Eviction policies for a cache of keys, with an optional time to live.

Small and hand-written on purpose: the simulated cache needs simulated time for its TTL and
reproducible tie-breaking, which general-purpose caching libraries (that read the wall clock)
do not give. Each policy answers `get(key, t)` (hit or not) and `put(key, t)`.
"""
from __future__ import annotations

from collections import OrderedDict


class Store:
    """Common bookkeeping: capacity, TTL and the counters a window reports."""

    def __init__(self, capacity: int, ttl_s: float) -> None:
        self.capacity = capacity
        self.ttl = ttl_s
        self.evictions = 0
        self.expired = 0

    def __len__(self) -> int:
        raise NotImplementedError

    def get(self, key: int, t: float) -> bool:
        raise NotImplementedError

    def put(self, key: int, t: float) -> None:
        raise NotImplementedError

    def delete(self, key: int) -> None:
        raise NotImplementedError

    def evict_one(self) -> None:
        raise NotImplementedError

    def resize(self, capacity: int) -> None:
        """Change the capacity; a smaller cache evicts by its policy at once."""
        self.capacity = capacity
        while len(self) > capacity:
            self.evict_one()


class LRUStore(Store):
    """Least recently used goes first. FIFO is the same without the move on a hit."""

    refresh_on_hit = True

    def __init__(self, capacity: int, ttl_s: float) -> None:
        super().__init__(capacity, ttl_s)
        self.items: OrderedDict[int, float] = OrderedDict()  # key -> time stored

    def __len__(self) -> int:
        return len(self.items)

    def get(self, key: int, t: float) -> bool:
        stored = self.items.get(key)
        if stored is None:
            return False
        if self.ttl and t - stored >= self.ttl:
            del self.items[key]
            self.expired += 1
            return False
        if self.refresh_on_hit:
            self.items.move_to_end(key)
        return True

    def put(self, key: int, t: float) -> None:
        items = self.items
        if key in items:
            items[key] = t
            if self.refresh_on_hit:
                items.move_to_end(key)
            return
        if len(items) >= self.capacity:
            self.evict_one()
        items[key] = t

    def evict_one(self) -> None:
        self.items.popitem(last=False)
        self.evictions += 1

    def delete(self, key: int) -> None:
        self.items.pop(key, None)


class FIFOStore(LRUStore):
    refresh_on_hit = False


class LFUStore(Store):
    """Least frequently used goes first; among equals, the least recently used. O(1) per
    operation: keys are grouped by use count, and the smallest count is tracked."""

    def __init__(self, capacity: int, ttl_s: float) -> None:
        super().__init__(capacity, ttl_s)
        self.count: dict[int, int] = {}
        self.stored: dict[int, float] = {}
        self.groups: dict[int, OrderedDict[int, None]] = {}
        self.min_count = 0

    def __len__(self) -> int:
        return len(self.count)

    def _touch(self, key: int) -> None:
        c = self.count[key]
        group = self.groups[c]
        del group[key]
        if not group:
            del self.groups[c]
            if self.min_count == c:
                self.min_count = c + 1
        self.count[key] = c + 1
        self.groups.setdefault(c + 1, OrderedDict())[key] = None

    def get(self, key: int, t: float) -> bool:
        stored = self.stored.get(key)
        if stored is None:
            return False
        if self.ttl and t - stored >= self.ttl:
            self.delete(key)
            self.expired += 1
            return False
        self._touch(key)
        return True

    def put(self, key: int, t: float) -> None:
        if key in self.count:
            self.stored[key] = t
            self._touch(key)
            return
        if len(self.count) >= self.capacity:
            self.evict_one()
        self.count[key] = 1
        self.stored[key] = t
        self.groups.setdefault(1, OrderedDict())[key] = None
        self.min_count = 1

    def evict_one(self) -> None:
        group = self.groups[self.min_count]
        victim, _ = group.popitem(last=False)
        if not group:
            del self.groups[self.min_count]
            self.min_count = min(self.groups) if self.groups else 0
        del self.count[victim]
        del self.stored[victim]
        self.evictions += 1

    def delete(self, key: int) -> None:
        c = self.count.pop(key, None)
        if c is None:
            return
        del self.stored[key]
        group = self.groups[c]
        del group[key]
        if not group:
            del self.groups[c]
            if self.min_count == c:
                self.min_count = min(self.groups) if self.groups else 0


POLICIES = {"lru": LRUStore, "lfu": LFUStore, "fifo": FIFOStore}


def make_store(policy: str, capacity: int, ttl_s: float) -> Store:
    return POLICIES[policy](capacity, ttl_s)
