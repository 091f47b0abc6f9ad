"""Object storage (S3, Google Cloud Storage, Azure Blob): files behind an HTTP API. You pay per
request and per gigabyte stored, never for servers, and it scales so far past one application's
needs that it is modelled with no queue at all: a read or a write takes its first-byte latency,
however many are in flight. Which calls are writes comes from the request class's operation.
"""
from __future__ import annotations

from typing import Any

from ..params import Param
from ..cloud.pricing import HOURS_PER_MONTH, per_hour, per_million
from ..kernel.request import Request
from ..metrics.declared import count
from ..parts.remote import MAX_LATENCY_MS, RemoteService, check_latency, error_rate_param, latency_params


class ObjectStorage(RemoteService):
    kind = "object_storage"
    title = "Object storage"
    group = "data"
    icon = "bucket"
    summary = "S3-style object storage: a latency per read and per write, no capacity to plan, a price per request and per GB stored."
    max_callees = 0
    params = (
        Param("read_latency_ms", "number", 20.0, "Mean time to the first byte of a read (GET).", unit="ms",
              minimum=0.0, maximum=MAX_LATENCY_MS),
        Param("write_latency_ms", "number", 50.0, "Mean time to store an object (PUT) and acknowledge it.",
              unit="ms", minimum=0.0, maximum=MAX_LATENCY_MS),
        *latency_params(" (reads and writes alike: the means above are then not used)"),
        error_rate_param(0.0),
        Param("stored_gb", "number", 100.0, "Data kept in the bucket, for its monthly storage price.", unit="GB",
              minimum=0.0, maximum=100_000_000.0),
    )

    metrics = (count("reads"), count("writes"), *RemoteService.metrics)

    @classmethod
    def check(cls, values: dict[str, Any], callees: int) -> list[tuple[str, str]]:
        return check_latency(values)

    def build(self) -> None:
        super().build()
        self.reads = self.writes = 0

    def configure(self) -> None:
        p = self.p
        self._default = self._distribution("reads", p["read_latency_ms"])
        writes = sorted(c for c, op in self.sim.operations.items() if op == "write")
        if writes:
            write = self._distribution("writes", p["write_latency_ms"])
            self._by_class = {c: write for c in writes}
        else:
            self._by_class = None
        self._writes = frozenset(writes)
        self._configure_remote()

    def answered(self, req: Request) -> None:
        if req.cls in self._writes:
            self.writes += 1
        else:
            self.reads += 1

    def accrue_cost(self, raw: dict[str, Any], span: float) -> float:
        prices = self.sim.prices
        return (per_million(prices["object_read_million"], raw["reads"])
                + per_million(prices["object_write_million"], raw["writes"])
                + per_hour(self.p["stored_gb"] * prices["object_storage_gb_month"] / HOURS_PER_MONTH, span))
