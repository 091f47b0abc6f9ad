"""Seeded random streams and the distributions drawn from them.

One seed per run. Each consumer (a node's service times, a source's arrivals, its key choices)
gets its own stream derived from the seed and the consumer's name, so adding a node or changing
one node's parameters does not shift the random numbers every other node sees: two what-if runs
with the same seed differ only where the design differs (common random numbers).

Variates are drawn from numpy in blocks and handed out from a Python list. Popping a list costs a
fraction of a `random.Random` call, and the engine draws several variates per request.
"""
from __future__ import annotations

import hashlib
import math
from typing import Sequence

import numpy as np

BLOCK = 2048


class Streams:
    """The run's random streams, all derived from one seed."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._made: dict[str, np.random.Generator] = {}

    def generator(self, name: str) -> np.random.Generator:
        """The stream called `name`. Asking again gives the same stream, going on where it was:
        a node that sets itself up again after a live change continues its random numbers
        instead of replaying them from the start."""
        made = self._made.get(name)
        if made is None:
            # A stable hash of the name (not Python's salted hash()) keeps runs reproducible.
            digest = hashlib.blake2b(name.encode("utf-8"), digest_size=8).digest()
            spawn_key = (int.from_bytes(digest, "little"),)
            made = self._made[name] = np.random.Generator(
                np.random.PCG64(np.random.SeedSequence(self.seed, spawn_key=spawn_key)))
        return made


class Draws:
    """Hands out base variates (standard exponential, standard normal or uniform on [0, 1)) one
    at a time from blocks drawn in bulk. Hot paths bind `buf.pop` and call `refill()` when it
    raises IndexError; the list is refilled in place so the bound method stays valid."""

    __slots__ = ("_gen", "_kind", "buf")

    def __init__(self, gen: np.random.Generator, kind: str) -> None:
        self._gen = gen
        self._kind = kind
        self.buf: list[float] = []

    def next(self) -> float:
        try:
            return self.buf.pop()
        except IndexError:
            return self.refill()

    def refill(self) -> float:
        gen = self._gen
        if self._kind == "exponential":
            block = gen.standard_exponential(BLOCK)
        elif self._kind == "normal":
            block = gen.standard_normal(BLOCK)
        else:
            block = gen.random(BLOCK)
        self.buf.extend(block.tolist())
        return self.buf.pop()


class Distribution:
    """A non-negative random duration in seconds. Subclasses declare their mean and variance.

    Values are drawn in blocks into `buf`, a list that is refilled in place (never replaced), so
    the engine can bind `buf.pop` once and call it per request; when it raises IndexError the
    engine calls `refill()`, which refills and returns the next value. `sample()` does both.
    """

    name = ""

    def __init__(self) -> None:
        self.buf: list[float] = []

    def sample(self) -> float:
        try:
            return self.buf.pop()
        except IndexError:
            return self.refill()

    def refill(self) -> float:
        self.buf.extend(self._block())
        return self.buf.pop()

    def _block(self) -> list[float]:
        raise NotImplementedError

    @property
    def mean(self) -> float:
        raise NotImplementedError

    @property
    def variance(self) -> float:
        raise NotImplementedError

    @property
    def scv(self) -> float:
        """Squared coefficient of variation, what Pollaczek-Khinchine needs."""
        return self.variance / self.mean**2 if self.mean > 0 else 0.0


class Exponential(Distribution):
    name = "exponential"

    def __init__(self, mean: float, gen: np.random.Generator) -> None:
        super().__init__()
        self._mean = mean
        self._gen = gen

    def _block(self) -> list[float]:
        return (self._gen.standard_exponential(BLOCK) * self._mean).tolist()

    @property
    def mean(self) -> float:
        return self._mean

    @property
    def variance(self) -> float:
        return self._mean**2


class Deterministic(Distribution):
    name = "deterministic"

    def __init__(self, value: float) -> None:
        super().__init__()
        self._value = value

    def _block(self) -> list[float]:
        return [self._value] * BLOCK

    @property
    def mean(self) -> float:
        return self._value

    @property
    def variance(self) -> float:
        return 0.0


class LogNormal(Distribution):
    """Parameterised by its mean and coefficient of variation, which is how people think of
    service times ("8 ms on average, quite variable"), not by the underlying normal's mu/sigma:
    sigma^2 = ln(1 + cv^2), mu = ln(mean) - sigma^2 / 2."""

    name = "lognormal"

    def __init__(self, mean: float, cv: float, gen: np.random.Generator) -> None:
        super().__init__()
        self._mean = mean
        self._cv = cv
        sigma2 = math.log(1.0 + cv * cv)
        self._sigma = math.sqrt(sigma2)
        self._mu = math.log(mean) - sigma2 / 2.0
        self._gen = gen

    def _block(self) -> list[float]:
        return np.exp(self._mu + self._sigma * self._gen.standard_normal(BLOCK)).tolist()

    @property
    def mean(self) -> float:
        return self._mean

    @property
    def variance(self) -> float:
        return (self._cv * self._mean) ** 2


class Empirical(Distribution):
    """Resamples measured durations (a trace) uniformly: the bootstrap distribution of the trace."""

    name = "empirical"

    def __init__(self, samples: Sequence[float], gen: np.random.Generator) -> None:
        super().__init__()
        self._samples = np.asarray(samples, dtype=float)
        self._gen = gen

    def _block(self) -> list[float]:
        return self._samples[self._gen.integers(0, len(self._samples), BLOCK)].tolist()

    @property
    def mean(self) -> float:
        return float(self._samples.mean())

    @property
    def variance(self) -> float:
        return float(self._samples.var())


DISTRIBUTIONS = ("exponential", "deterministic", "lognormal", "empirical")


def make_distribution(
    kind: str, mean_s: float, cv: float, samples_s: Sequence[float], gen: np.random.Generator
) -> Distribution:
    """Build one of `DISTRIBUTIONS`. The mean is ignored for an empirical one (the trace has its own)."""
    if kind == "exponential":
        return Exponential(mean_s, gen) if mean_s > 0 else Deterministic(0.0)
    if kind == "deterministic":
        return Deterministic(mean_s)
    if kind == "lognormal":
        return LogNormal(mean_s, cv, gen) if mean_s > 0 else Deterministic(0.0)
    if kind == "empirical":
        return Empirical(samples_s, gen) if samples_s else Deterministic(mean_s)
    raise ValueError(f"unknown distribution {kind!r}")


class Choice:
    """Picks an index with fixed weights, from blocks drawn in bulk."""

    __slots__ = ("_gen", "_cdf", "_buf", "_n")

    def __init__(self, weights: Sequence[float], gen: np.random.Generator) -> None:
        total = float(sum(weights))
        cdf = np.cumsum(np.asarray(weights, dtype=float) / total)
        cdf[-1] = 1.0  # rounding must never leave the last index unreachable
        self._cdf = cdf
        self._n = len(cdf)
        self._gen = gen
        self._buf: list[int] = []

    def next(self) -> int:
        try:
            return self._buf.pop()
        except IndexError:
            self._buf = np.searchsorted(self._cdf, self._gen.random(BLOCK), side="right").tolist()
            return self._buf.pop()


class IntDraws:
    """Uniform integers in [0, n), from blocks drawn in bulk."""

    __slots__ = ("_gen", "_n", "_buf")

    def __init__(self, n: int, gen: np.random.Generator) -> None:
        self._gen = gen
        self._n = n
        self._buf: list[int] = []

    def next(self) -> int:
        try:
            return self._buf.pop()
        except IndexError:
            self._buf = self._gen.integers(0, self._n, BLOCK).tolist()
            return self._buf.pop()


def zipf_weights(n: int, exponent: float) -> np.ndarray:
    """Popularity of key i (1-based) proportional to 1/i**exponent; exponent 0 is uniform."""
    ranks = np.arange(1, n + 1, dtype=float)
    weights = ranks**-exponent
    return weights / weights.sum()
