"""Where nodes are, and how long the network takes between them.

Nodes are placed in a region and optionally a zone (the topology's `regions` list names them).
An edge that does not set `latency_ms` gets it from the placement of its two ends, through a
latency table: same zone, across zones of one region, or between two regions. A traffic source
stands for users in its region (their *origin*): its edge pays the users' access network plus the
distance from their region to the region they reach.

The default figures are one-way latencies (half the round trip), rounded from published
inter-region round-trip measurements of the big clouds. A topology overrides any of them in its
`latency` object (docs/topology.md#geography).
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..params import Param

# One-way milliseconds between well-known region ids (either order). Round trips measured between
# cloud regions are about twice these.
REGION_LATENCY_MS: dict[frozenset[str], float] = {
    frozenset(pair): ms
    for pair, ms in (
        (("us-west", "us-east"), 31.0),
        (("us-west", "eu-west"), 70.0),
        (("us-east", "eu-west"), 38.0),
        (("us-west", "eu-central"), 75.0),
        (("us-east", "eu-central"), 45.0),
        (("eu-west", "eu-central"), 10.0),
        (("us-west", "ap-northeast"), 53.0),
        (("us-east", "ap-northeast"), 75.0),
        (("eu-west", "ap-northeast"), 105.0),
        (("eu-central", "ap-northeast"), 110.0),
        (("us-west", "ap-southeast"), 85.0),
        (("us-east", "ap-southeast"), 110.0),
        (("eu-west", "ap-southeast"), 80.0),
        (("eu-central", "ap-southeast"), 78.0),
        (("ap-northeast", "ap-southeast"), 35.0),
        (("us-west", "ap-south"), 110.0),
        (("us-east", "ap-south"), 95.0),
        (("eu-west", "ap-south"), 60.0),
        (("eu-central", "ap-south"), 58.0),
        (("ap-northeast", "ap-south"), 60.0),
        (("ap-southeast", "ap-south"), 30.0),
        (("us-west", "sa-east"), 90.0),
        (("us-east", "sa-east"), 58.0),
        (("eu-west", "sa-east"), 95.0),
        (("eu-central", "sa-east"), 100.0),
        (("ap-northeast", "sa-east"), 130.0),
        (("ap-southeast", "sa-east"), 160.0),
        (("ap-south", "sa-east"), 150.0),
    )
}
KNOWN_REGIONS = tuple(sorted({r for pair in REGION_LATENCY_MS for r in pair}))

LATENCY_FIELDS = (
    Param("same_zone_ms", "number", 0.1, "One-way latency between two nodes in the same zone (or the same region "
          "when a zone is not given).", unit="ms", minimum=0.0, maximum=1000.0),
    Param("cross_zone_ms", "number", 0.5, "One-way latency between two zones of one region.", unit="ms",
          minimum=0.0, maximum=1000.0),
    Param("cross_region_ms", "number", 60.0, "One-way latency between two regions the table below does not list "
          "(and that are not well-known region ids).", unit="ms", minimum=0.0, maximum=10_000.0),
    Param("access_ms", "number", 15.0, "One-way latency of the users' own access network (home broadband, "
          "mobile), paid on a traffic source's edge on top of the distance between regions.", unit="ms",
          minimum=0.0, maximum=10_000.0),
)
DEFAULT_LATENCY = {p.name: p.default for p in LATENCY_FIELDS}


class Geography:
    """The latency table of one topology."""

    def __init__(self, topology: Mapping[str, Any]) -> None:
        latency = topology.get("latency", {})
        self.same_zone = float(latency.get("same_zone_ms", DEFAULT_LATENCY["same_zone_ms"]))
        self.cross_zone = float(latency.get("cross_zone_ms", DEFAULT_LATENCY["cross_zone_ms"]))
        self.cross_region = float(latency.get("cross_region_ms", DEFAULT_LATENCY["cross_region_ms"]))
        self.access = float(latency.get("access_ms", DEFAULT_LATENCY["access_ms"]))
        self.pairs = dict(REGION_LATENCY_MS)
        for item in latency.get("between_regions", []):
            self.pairs[frozenset((item["from"], item["to"]))] = float(item["ms"])

    def region_ms(self, a: str | None, b: str | None) -> float:
        """One-way latency between two regions (0 if either is unknown or they are the same)."""
        if a is None or b is None or a == b:
            return 0.0
        return self.pairs.get(frozenset((a, b)), self.cross_region)

    def between_ms(self, a: dict[str, Any], b: dict[str, Any]) -> float:
        """One-way latency between two placed nodes (their `region` and `zone`)."""
        ra, rb = a.get("region"), b.get("region")
        if ra is None or rb is None:
            return 0.0  # unplaced nodes are next to each other: a topology without geography
        if ra != rb:
            return self.region_ms(ra, rb)
        za, zb = a.get("zone"), b.get("zone")
        if za is not None and zb is not None and za != zb:
            return self.cross_zone
        return self.same_zone

    def edge_ms(self, source: dict[str, Any], target: dict[str, Any], source_is_users: bool) -> float:
        """The latency an edge gets from placement when its document does not set one."""
        if source_is_users:
            if source.get("region") is None or target.get("region") is None:
                return 0.0
            return self.access + self.region_ms(source["region"], target["region"])
        return self.between_ms(source, target)

    @staticmethod
    def crosses(source: Mapping[str, Any], target: Mapping[str, Any]) -> str | None:
        """"region" or "zone" when an edge's data crosses one (it is billed), else None."""
        ra, rb = source.get("region"), target.get("region")
        if ra is None or rb is None:
            return None
        if ra != rb:
            return "region"
        za, zb = source.get("zone"), target.get("zone")
        if za is not None and zb is not None and za != zb:
            return "zone"
        return None
