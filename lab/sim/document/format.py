"""The topology document's vocabulary, version 1: its name and version, the documented limits,
the pattern ids follow, and the defaults a document may leave out. Read by loading, validation,
the schema and the web side; it imports nothing of the engine but the document's types (types.py),
so everything may import it. The fields are explained in docs/topology.md."""
from __future__ import annotations

from typing import Final, TypedDict

from .types import Keys, RequestClassDocument, Settings

FORMAT = "archlab.topology"
VERSION = 1


class Limits(TypedDict):
    """Counts are whole numbers (they bound lengths and slices); times and latencies are not."""

    document_bytes: int
    nodes: int
    edges: int
    classes: int
    regions: int
    faults: int
    keys: int
    duration_s: float
    window_s_min: float
    window_s_max: float
    expected_requests: int
    path_hops: int
    edge_latency_ms: float
    text: int
    description: int


# Documented limits (docs/topology.md). They keep one run within what a shared server can do.
LIMITS: Final[Limits] = {
    "document_bytes": 2_000_000,
    "nodes": 200,
    "edges": 1000,
    "classes": 20,
    "regions": 30,
    "faults": 200,
    "keys": 1_000_000,
    "duration_s": 86_400.0,
    "window_s_min": 0.01,
    "window_s_max": 3600.0,
    "expected_requests": 100_000_000,
    "path_hops": 64,
    "edge_latency_ms": 60_000.0,
    "text": 200,
    "description": 5000,
}

ID_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$"

DEFAULT_SETTINGS: Final[Settings] = {"duration_s": 60.0, "warmup_s": 0.0, "window_s": 1.0, "seed": 1}
DEFAULT_CLASSES: Final[list[RequestClassDocument]] = [{"name": "read", "operation": "read", "share": 1.0}]
DEFAULT_KEYS: Final[Keys] = {"distribution": "zipf", "count": 10_000, "exponent": 1.0}
