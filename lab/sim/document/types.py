"""The topology document as types, in its two states.

`TopologyDocument` is what a document may say, as written: most fields may be left out (docs/
topology.md says which are required; topology.schema.json says the same to machines). `Topology`
is what `load` and `normalize` return: every field present, every default filled in, so the
engine reads `topology["settings"]["seed"]` without a `.get`. What is optional even then is
marked `NotRequired`: a region's label, the latency table's entries, a fault's target and its
kind's own fields.

A node's `params` and an edge's `policy` stay `dict[str, Any]`: their fields are declared by each
kind's (and the policy's) `Param` tuple, which validation checks, not by a type.
`tests/sim/test_document_types.py` checks every key here against the schema and against what
`load` returns for every example, so these types cannot drift from the format silently.
"""
# No `from __future__ import annotations`: the keys and Required/NotRequired must be real at run
# time, for the test that compares them with the schema (`__required_keys__`).
from typing import Any, Literal, NotRequired, Required, TypedDict

Operation = Literal["read", "write"]
KeyDistribution = Literal["zipf", "uniform"]
Params = dict[str, Any]

# -- both states: normalize copies these as they are -------------------------------------------


class Region(TypedDict, total=False):
    id: Required[str]
    label: str
    zones: list[str]


RegionPair = TypedDict("RegionPair", {"from": str, "to": str, "ms": float})


class LatencyTable(TypedDict, total=False):
    """Overrides of the latency table (cloud/geography.py has the defaults); each may be left out."""

    same_zone_ms: float
    cross_zone_ms: float
    cross_region_ms: float
    access_ms: float
    between_regions: list[RegionPair]


# -- as written ---------------------------------------------------------------------------------


class SettingsDocument(TypedDict, total=False):
    duration_s: float
    warmup_s: float
    window_s: float
    seed: int


class RequestClassDocument(TypedDict, total=False):
    name: Required[str]
    operation: Operation
    share: float
    request_kb: float
    response_kb: float


class KeysDocument(TypedDict, total=False):
    distribution: KeyDistribution
    count: int
    exponent: float


class WorkloadDocument(TypedDict, total=False):
    classes: list[RequestClassDocument]
    keys: KeysDocument


class PositionDocument(TypedDict, total=False):
    x: float
    y: float


class NodeDocument(TypedDict, total=False):
    id: Required[str]
    kind: Required[str]
    label: str
    region: str | None
    zone: str | None
    position: PositionDocument
    params: Params


EdgeDocument = TypedDict("EdgeDocument", {
    "id": NotRequired[str],
    "from": str,
    "to": str,
    "latency_ms": NotRequired[float],  # left out: it follows from where the two ends are placed
    "classes": NotRequired[list[str] | None],
    "policy": NotRequired[Params | None],
})


class FaultDocument(TypedDict, total=False):
    """A fault names exactly one target (node, edge, zone, region or between); the fields after
    the target are its kind's (lab/sim/faults.py FAULT_KINDS declares them)."""

    id: str
    kind: Required[str]
    node: str
    edge: str
    zone: str
    region: str
    between: list[str]
    start_s: float
    duration_s: float
    count: int  # crash_instances
    added_ms: float  # latency, slow
    rate: float  # error_rate


class TopologyDocument(TypedDict, total=False):
    format: str
    version: Required[int]
    name: str
    description: str
    settings: SettingsDocument
    workload: WorkloadDocument
    regions: list[Region]
    nodes: Required[list[NodeDocument]]
    edges: Required[list[EdgeDocument]]
    faults: list[FaultDocument]
    pricing: dict[str, float]
    latency: LatencyTable


# -- normalized: what load returns --------------------------------------------------------------


class Settings(TypedDict):
    duration_s: float
    warmup_s: float
    window_s: float
    seed: int


class RequestClass(TypedDict):
    name: str
    operation: Operation
    share: float
    request_kb: float
    response_kb: float


class Keys(TypedDict):
    distribution: KeyDistribution
    count: int
    exponent: float


class Workload(TypedDict):
    classes: list[RequestClass]
    keys: Keys


class Position(TypedDict):
    x: float
    y: float


class NodeSpec(TypedDict):
    id: str
    kind: str
    label: str
    region: str | None
    zone: str | None
    position: Position
    params: Params  # every parameter of the kind, defaults filled in


EdgeSpec = TypedDict("EdgeSpec", {
    "id": str,
    "from": str,
    "to": str,
    "latency_ms": float,
    "classes": list[str] | None,  # None: every class
    "policy": Params | None,  # every policy field, defaults filled in; None: no policy
})


class FaultSpec(TypedDict, total=False):
    """A fault with its id and its kind's fields filled in; its one target and its kind's own
    fields are present only for the kinds that have them."""

    id: Required[str]
    kind: Required[str]
    node: str
    edge: str
    zone: str
    region: str
    between: list[str]
    start_s: Required[float]
    duration_s: Required[float]
    count: int
    added_ms: float
    rate: float


class Topology(TypedDict):
    format: str
    version: int
    name: str
    description: str
    settings: Settings
    workload: Workload
    regions: list[Region]
    nodes: list[NodeSpec]
    edges: list[EdgeSpec]
    faults: list[FaultSpec]
    pricing: dict[str, float]
    latency: LatencyTable
