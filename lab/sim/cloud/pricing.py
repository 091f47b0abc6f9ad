"""What things cost: a default price list in the style of public cloud on-demand list prices
(US regions, late 2025), which a topology may override in its `pricing` object.

The figures are round, documented approximations of what the big clouds publish (a general
purpose VM, a managed database instance, a function's GB-second, a CDN's egress...). They are
here so a student can compare designs by what they cost, not to quote a bill. Every kind prices
itself from these names in its `accrue_cost`; docs/components.md lists them.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from collections.abc import Mapping
from typing import Any

HOURS_PER_MONTH = 730.0  # the clouds' own convention: 365 * 24 / 12
SIZES = ("small", "medium", "large", "xlarge", "2xlarge")
# Each size up doubles vCPUs (and memory), as the clouds' general-purpose families do. The list is
# finite on purpose: 2xlarge is the biggest machine there is, the ceiling of scaling up.
VCPUS = {"small": 2, "medium": 4, "large": 8, "xlarge": 16, "2xlarge": 32}
LARGEST_SIZE = SIZES[-1]
BASE_SIZE = "medium"  # the size a kind's worker count is written for (the default size)


def sized_workers(workers: int, size: str) -> int:
    """The workers an instance of `size` runs, given `workers` for a medium one.

    Workers scale with vCPUs (docs/decisions.md, 34): a size up doubles them, a size down halves
    them (rounded up, at least 1). A request's own service time does not change: one request on
    one core takes as long on a big machine as on a small one, but twice the cores serve twice
    the requests at once. So a bigger size adds capacity (lower utilization, less queueing) and
    does not make an idle system faster.
    """
    return max(1, math.ceil(workers * VCPUS[size] / VCPUS[BASE_SIZE]))


@dataclass(frozen=True)
class Price:
    name: str
    usd: float
    unit: str
    help: str


def _sized(prefix: str, what: str, small: float) -> tuple[Price, ...]:
    # Each size up doubles vCPUs and memory, and the clouds double the price with it.
    return tuple(
        Price(f"{prefix}_{size}_hour", round(small * 2 ** i, 6), "USD per instance-hour", f"{what}, size {size}")
        for i, size in enumerate(SIZES)
    )


PRICES: tuple[Price, ...] = (
    *_sized("vm", "A general-purpose VM or container host (small: 2 vCPU, 2 GiB)", 0.0208),
    *_sized("db", "A managed database instance (small: 2 vCPU, 2 GiB)", 0.034),
    Price("db_storage_gb_month", 0.115, "USD per GB-month", "Database storage (provisioned SSD)"),
    Price("cache_gb_hour", 0.0158, "USD per GB-hour", "Managed in-memory cache (Redis, memcached) memory"),
    Price("load_balancer_hour", 0.0225, "USD per hour", "An application load balancer, always on"),
    Price("load_balancer_million", 0.08, "USD per million requests", "A load balancer's capacity units (LCUs), as requests on kept-alive connections"),
    Price("api_gateway_million", 3.50, "USD per million requests", "A managed API gateway (REST)"),
    Price("rate_limiter_million", 0.60, "USD per million requests", "A managed rate limit / web firewall rule"),
    Price("dns_query_million", 0.40, "USD per million queries", "DNS queries, with latency or geo routing"),
    Price("dns_zone_month", 0.50, "USD per hosted zone-month", "A DNS hosted zone"),
    Price("cdn_egress_gb", 0.085, "USD per GB", "CDN data transfer out to users"),
    Price("cdn_request_million", 1.00, "USD per million requests", "CDN HTTPS requests"),
    Price("function_request_million", 0.20, "USD per million invocations", "Serverless function invocations"),
    Price("function_gb_second", 0.0000166667, "USD per GB-second", "Serverless function duration times memory"),
    Price("function_provisioned_gb_second", 0.0000041667, "USD per GB-second",
          "Provisioned concurrency, kept warm whether used or not"),
    Price("queue_request_million", 0.40, "USD per million requests", "A managed message queue"),
    Price("pubsub_request_million", 0.50, "USD per million publishes", "Managed pub/sub topics"),
    Price("stream_partition_hour", 0.015, "USD per partition-hour", "A managed stream's partitions (shards)"),
    Price("object_storage_gb_month", 0.023, "USD per GB-month", "Object storage"),
    Price("object_read_million", 0.40, "USD per million reads", "Object storage GET requests"),
    Price("object_write_million", 5.00, "USD per million writes", "Object storage PUT requests"),
    Price("transfer_cross_zone_gb", 0.02, "USD per GB", "Data between availability zones (0.01 each way)"),
    Price("transfer_cross_region_gb", 0.02, "USD per GB", "Data between regions"),
    Price("internet_egress_gb", 0.09, "USD per GB", "Data out to the internet (responses to users)"),
)

DEFAULT_PRICES: dict[str, float] = {p.name: p.usd for p in PRICES}
MAX_PRICE = 1_000_000.0


def prices_for(topology: Mapping[str, Any]) -> dict[str, float]:
    """The default prices with the topology's overrides applied."""
    return {**DEFAULT_PRICES, **{k: float(v) for k, v in topology.get("pricing", {}).items()}}


def per_hour(usd_per_hour: float, span_s: float) -> float:
    """Dollars accrued by something billed by the hour over `span_s` seconds."""
    return usd_per_hour * span_s / 3600.0


def per_million(usd_per_million: float, count: float) -> float:
    return usd_per_million * count / 1e6


def prices_markdown() -> str:
    lines = ["| Price | Default (USD) | Unit | What |", "|---|---|---|---|"]
    for p in PRICES:
        lines.append(f"| `{p.name}` | {p.usd:g} | {p.unit} | {p.help} |")
    return "\n".join(lines)


def size_param(what: str, default: str = "medium", scales: str | None = None) -> "Any":
    """The instance size a kind is billed by and, when `scales` names its workers, sized by."""
    from ..params import Param

    if scales is None:
        text = (f"Size of each {what}, for its price only (see docs/components.md#prices); "
                "service times are set separately.")
    else:
        text = (f"Size of each {what}: small 2 vCPU, medium 4, large 8, xlarge 16, 2xlarge 32 (the largest there is). "
                f"{scales} are given for medium and scale with the vCPUs (half at small, twice at large, "
                "8 times at 2xlarge); so does the price (see docs/components.md#prices). "
                "A request's own service time stays the same.")
    return Param("instance_size", "choice", default, text, choices=SIZES)
