"""Hashing that spreads ids evenly and is the same on every machine and Python (no `hash()`,
which is salted per process): a balancer's sticky sessions, a topic's partitions."""
from __future__ import annotations

_MASK = (1 << 64) - 1


def mix64(x: int) -> int:
    """SplitMix64's finalizer: spreads consecutive ids over the whole 64-bit range."""
    x = (x + 0x9E3779B97F4A7C15) & _MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK
    return x ^ (x >> 31)
