"""What component kinds, their parts, the faults and the metrics may use of the simulation: the
kernel's interface, as typing Protocols. Kinds are written against `Kernel` and `Node`, not the
concrete `Simulation` (lab/sim/simulation.py implements them), so the import arrows point from
the simulation down to the kinds and never back, and a newcomer sees in one page what a kind
may ask of the engine.

    time          now, t_start, warmup_s, window_s, current_time()
    scheduling    schedule(t, fn, arg): fn(arg, t) runs at time t
    reply / fail  reply(req, t), fail(req, t, cause, node_id), child_id()
    recording     record(entry, t), e2e_sink(origin, cls)
    randomness    streams.generator(name): one named stream per consumer, from the run's seed
    the design    nodes, edges, operations, class_names, keys, prices, geo, origins, topology
"""
from __future__ import annotations

from typing import Any, Callable, ClassVar, Mapping, Protocol, Sequence

from ..document.types import Keys, Topology
from .randomness import Streams
from .request import Request

Handler = Callable[[Any, float], None]


class Node(Protocol):
    """What the kernel's parts (a queue, an autoscaler) know of the node that owns them."""

    kind: ClassVar[str]
    id: str
    p: dict[str, Any]
    sim: "Kernel"
    down: bool
    n: int
    lost_instances: int

    def mark(self, t: float) -> None: ...

    def fail(self, req: Request, t: float, cause: str) -> None: ...

    def schedule(self, t: float, fn: Handler, arg: Any = None) -> None: ...


class StreamedSource(Protocol):
    """What the run loop needs of the source whose arrivals bypass the heap (Simulation.run): its
    next arrival time (`next_at`), and `send`, which starts the request due at `t` and moves
    `next_at` on to the next one."""

    streamed: bool
    next_at: float

    def send(self, t: float) -> None: ...


class Kernel(Protocol):
    now: float
    t_start: float
    warmup_s: float
    window_s: float
    seed: int
    streams: Streams
    prices: dict[str, float]
    operations: dict[str, str]
    class_names: list[str]
    keys: Keys
    needs_keys: bool  # some node reads request keys, so sources draw them
    needs_clients: bool  # some node reads client ids, so sources draw them
    origins: list[str]
    origin_of: dict[str, str]
    topology: Topology
    active_faults: dict[str, Any]
    timeline: list[dict[str, Any]]
    geo: Any
    transfer_usd: dict[str, float]
    heap: list[tuple[float, int, Handler, Any]]
    root: list[bool]
    seq: Callable[[], int]
    created: int  # requests started, the ledger's next id: a traffic source's send advances it
    completed: int
    failed: int
    draining: bool
    trace_every: int
    e2e: dict[tuple[str, str], list[float]]
    failures_by_class: dict[str, dict[str, int]]
    failures_by_origin: dict[str, dict[str, int]]
    metrics: Any

    # Read-only to kinds (properties, so the simulation's own dict of components and list of
    # edges satisfy them: a protocol's plain attribute would have to match its type exactly).
    @property
    def nodes(self) -> Mapping[str, Any]: ...

    @property
    def edges(self) -> Sequence[Any]: ...

    def schedule(self, t: float, fn: Handler, arg: Any = None) -> None: ...

    def current_time(self) -> float: ...

    def reply(self, req: Request, t: float) -> None: ...

    def fail(self, req: Request, t: float, cause: str, node_id: str) -> None: ...

    def child_id(self) -> int: ...

    def record(self, entry: dict[str, Any], t: float | None = None) -> None: ...

    def rewire(self) -> None: ...

    def e2e_sink(self, origin: str | None, cls: str) -> list[float]: ...

    def in_flight(self) -> int: ...
