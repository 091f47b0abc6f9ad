"""Plans: the runs a sweep, a set of replications or a comparison is made of, decided before any
of them starts, so any executor can run them (the command line's process pool, the web side's
workers) with the same pure function, `running.run_one`.

    plan = plan_sweep(topology, {"axes": [{"node": "app", "param": "instances", "values": [1, 2, 4]}],
                                 "seeds": 5})
    summaries = [run_one(run) for run in plan.runs]      # in any order, anywhere
    document = aggregate_sweep(plan, summaries)

A plan checks everything it can before it is returned: the spec's fields, every value against its
parameter's declaration, every point's topology through the normal loader, and the total against
the budgets (budgets.py). What cannot be done raises `Refused` with every problem found, each with
its path in the spec; nothing is run.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any, Literal, cast

from ..budget import Budget
from ..document.checker import show, suggest
from ..document.loading import InvalidTopology, load
from ..document.types import Settings, Topology
from ..problems import Problem, Refused, problem
from .axes import Axis, apply, read_axis
from .budgets import EvidenceBudget, check_plan
from .documents import Value

MAX_SEEDS = 100  # seeds per point: past this the interval narrows by under 1% a seed
MAX_SEED = 2**63 - 1  # the largest seed a topology's settings accept
SPEC_FIELDS = ("axes", "seeds")
ARMS = ("sweep", "replications", "a", "b")


@dataclass(frozen=True)
class RunSpec:
    """One run: the topology it starts from (normalized), the values set on it, the seed.
    Self-contained and picklable, so it can be sent to any process; `run_one` builds the run's
    topology from it (the base with each (axis name, value) of `values` applied)."""

    topology: Topology
    seed: int
    arm: str = "replications"
    point: int = 0
    values: tuple[tuple[Axis, Value], ...] = ()
    series: bool = False  # keep the per-window figures (for bands over windows)
    budget: Budget = field(default_factory=Budget)

    def run_topology(self) -> Topology:
        """The run's own topology, normalized and validated (raises InvalidTopology)."""
        if not self.values:
            return self.topology
        doc: dict[str, Any] = dict(self.topology)
        for axis, value in self.values:
            doc = apply(doc, axis, value)
        return load(doc)

    @property
    def label(self) -> str:
        """"app.instances=2, seed 3": a run's name in progress lines and messages."""
        parts = [f"{axis.name}={value}" for axis, value in self.values]
        arm = [self.arm.upper()] if self.arm in ("a", "b") else []
        return ", ".join(arm + parts + [f"seed {self.seed}"])


@dataclass(frozen=True)
class Plan:
    """The runs of one sweep, set of replications or comparison, and what aggregation needs to
    know about them. `kind` is "sweep", "replications" or "comparison"; `points` are the sweep's
    points (one dict of axis name to value each; one empty point otherwise); `topologies` the
    normalized designs ({"base": ...}, or {"a": ..., "b": ...})."""

    kind: str
    runs: tuple[RunSpec, ...]
    seeds: tuple[int, ...]
    topologies: dict[str, Topology]
    axes: tuple[Axis, ...] = ()
    points: tuple[dict[str, Value], ...] = ({},)
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The plan as JSON, to store beside its runs: each topology once, each run as its arm,
        point and seed (the values follow from the point)."""
        return {"kind": self.kind, "seeds": list(self.seeds), "topologies": self.topologies,
                "axes": [a.to_dict() for a in self.axes], "points": [dict(p) for p in self.points],
                "notes": list(self.notes),
                "runs": [{"arm": r.arm, "point": r.point, "seed": r.seed, "series": r.series} for r in self.runs],
                "budget": self.runs[0].budget.to_dict() if self.runs else Budget().to_dict()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Plan":
        axes = tuple(Axis.from_dict(a) for a in data["axes"])
        points = tuple(data["points"])
        budget = Budget.from_dict(data["budget"])
        # Stored by to_dict from loaded topologies, so they are read back as such.
        topologies = cast("dict[str, Topology]", data["topologies"])
        runs = tuple(
            RunSpec(topology=topologies["base" if r["arm"] in ("sweep", "replications") else r["arm"]],
                    seed=r["seed"], arm=r["arm"], point=r["point"], series=r["series"], budget=budget,
                    values=tuple((a, points[r["point"]][a.name]) for a in axes))
            for r in data["runs"])
        return cls(kind=data["kind"], runs=runs, seeds=tuple(data["seeds"]), topologies=topologies, axes=axes,
                   points=points, notes=tuple(data["notes"]))


def plan_sweep(topology: Topology, spec: Any, *, budget: Budget | None = None,
               limits: EvidenceBudget | None = None) -> Plan:
    """The runs of a sweep: every combination of the axes' values (one axis: a curve; two: a
    grid), each with every seed. `topology` is normalized (`lab.sim.load`); `spec` is
    `{"axes": [axis, axis?], "seeds": 5 | [seeds]}` (axes.py). Raises `Refused`."""
    problems: list[Problem] = []
    if not isinstance(spec, dict):
        raise Refused("a sweep spec must be an object: {\"axes\": [...], \"seeds\": 5}")
    for key in spec:
        if key not in SPEC_FIELDS:
            problems.append(problem(f"$.{key}" if isinstance(key, str) else "$",
                                    f"a sweep spec has no field {show(key)}{suggest(key, list(SPEC_FIELDS))}; "
                                    f"its fields are {', '.join(SPEC_FIELDS)}"))
    raw_axes = spec.get("axes")
    axes: list[Axis] = []
    if not isinstance(raw_axes, list) or not 1 <= len(raw_axes) <= 2:
        problems.append(problem("$.axes", "axes must be a list of one parameter (a curve) or two (a heat map)"))
    else:
        for i, raw in enumerate(raw_axes):
            axis = read_axis(topology, raw, f"$.axes[{i}]", problems)
            if axis is not None:
                axes.append(axis)
        if len(axes) == 2 and axes[0].name == axes[1].name:
            problems.append(problem("$.axes[1]", f"both axes are {axes[0].name}: a heat map needs two parameters"))
    seeds = read_seeds(spec.get("seeds", 1), topology, "$.seeds", problems)
    if problems:
        raise Refused(problems)
    points = [dict(zip((a.name for a in axes), combo)) for combo in itertools.product(*(a.values for a in axes))]
    # Cheap before costly: the size of the plan is known before any point's topology is loaded.
    limits = limits or EvidenceBudget()
    if len(points) * len(seeds) > limits.max_runs:
        _refuse_size(limits, axes, seeds)
    topologies = _point_topologies(topology, axes, points)
    runs = tuple(RunSpec(topology=topology, seed=seed, arm="sweep", point=i,
                         values=tuple((a, point[a.name]) for a in axes), budget=budget or Budget())
                 for i, point in enumerate(points) for seed in seeds)
    check_plan([(topologies[r.point], r.label.rpartition(", seed")[0]) for r in runs], limits, budget or Budget(), what="sweep",
               shape=_shape(axes, seeds))
    return Plan(kind="sweep", runs=runs, seeds=tuple(seeds), topologies={"base": topology}, axes=tuple(axes),
                points=tuple(points))


def plan_replications(topology: Topology, seeds: Any, *, budget: Budget | None = None,
                      limits: EvidenceBudget | None = None) -> Plan:
    """One run of the topology per seed, keeping each run's windows for the bands. `seeds` is a
    count (the topology's own seed and the ones after it) or a list. Raises `Refused`."""
    problems: list[Problem] = []
    chosen = read_seeds(seeds, topology, "$.seeds", problems)
    if problems:
        raise Refused(problems)
    runs = tuple(RunSpec(topology=topology, seed=s, series=True, budget=budget or Budget()) for s in chosen)
    check_plan([(topology, "") for r in runs], limits or EvidenceBudget(), budget or Budget(),
               what="set of replications", shape=f"{len(chosen)} seeds")
    return Plan(kind="replications", runs=runs, seeds=tuple(chosen), topologies={"base": topology})


def plan_comparison(topology_a: Topology, topology_b: Topology, seeds: Any, *,
                    budget: Budget | None = None, limits: EvidenceBudget | None = None) -> Plan:
    """A and B on the same seeds, so each seed's pair sees the same traffic (common random
    numbers: the engine's random streams are named per node and purpose, so a node that both
    designs have draws the same numbers in both). B runs for A's duration, warm-up and window,
    so the pair measures the same span. Raises `Refused`."""
    problems: list[Problem] = []
    chosen = read_seeds(seeds, topology_a, "$.seeds", problems)
    if problems:
        raise Refused(problems)
    notes: list[str] = []
    timing: tuple[Literal["duration_s", "warmup_s", "window_s"], ...] = ("duration_s", "warmup_s", "window_s")
    a_settings, b_settings = topology_a["settings"], topology_b["settings"]
    if any(a_settings[k] != b_settings[k] for k in timing):
        notes.append("B runs with A's duration, warm-up and window ("
                     + ", ".join(f"{k} {a_settings[k]:g}" for k in timing) + ") so the two measure the same span")
        same_span: Settings = {**b_settings, "duration_s": a_settings["duration_s"],
                               "warmup_s": a_settings["warmup_s"], "window_s": a_settings["window_s"]}
        topology_b = {**topology_b, "settings": same_span}
    runs = tuple(RunSpec(topology=t, seed=s, arm=arm, series=True, budget=budget or Budget())
                 for s in chosen for arm, t in (("a", topology_a), ("b", topology_b)))
    check_plan([(r.topology, r.arm.upper()) for r in runs], limits or EvidenceBudget(), budget or Budget(),
               what="comparison", shape=f"2 designs × {len(chosen)} seeds")
    return Plan(kind="comparison", runs=runs, seeds=tuple(chosen), topologies={"a": topology_a, "b": topology_b},
                notes=tuple(notes))


def read_seeds(raw: Any, topology: Topology, path: str, problems: list[Problem]) -> list[int]:
    """A count of seeds (the topology's own seed and the ones after it) or a list of distinct
    seeds; problems appended for anything else."""
    if isinstance(raw, bool) or not isinstance(raw, (int, list)):
        problems.append(problem(path, f"seeds must be a number of seeds (1 to {MAX_SEEDS}) or a list of seeds, "
                                      f"not {show(raw)}"))
        return []
    if isinstance(raw, int):
        if not 1 <= raw <= MAX_SEEDS:
            problems.append(problem(path, f"the number of seeds must be from 1 to {MAX_SEEDS}, not {raw}"))
            return []
        first = int(topology["settings"]["seed"])
        first = min(first, MAX_SEED - raw + 1)
        return list(range(first, first + raw))
    if not 1 <= len(raw) <= MAX_SEEDS:
        problems.append(problem(path, f"list from 1 to {MAX_SEEDS} seeds, not {len(raw)}"))
        return []
    seeds: list[int] = []
    for i, seed in enumerate(raw):
        if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
            problems.append(problem(f"{path}[{i}]", f"a seed is a whole number from 0 to 2^63 - 1, not {show(seed)}"))
            return []
        if seed in seeds:
            problems.append(problem(f"{path}[{i}]", f"seed {seed} is listed twice: a repeated seed repeats a run "
                                                    "exactly and would narrow the interval falsely"))
            return []
        seeds.append(seed)
    return seeds


def _point_topologies(topology: Topology, axes: list[Axis], points: list[dict[str, Value]]) -> list[Topology]:
    """Each point's topology through the normal loader, so a combination of values that is legal
    alone but not together (more sync replicas than replicas) is refused before anything runs."""
    problems: list[Problem] = []
    out: list[Topology] = []
    for point in points:
        doc: dict[str, Any] = dict(topology)
        for axis in axes:
            doc = apply(doc, axis, point[axis.name])
        try:
            out.append(load(doc))
        except InvalidTopology as exc:
            where = " and ".join(f"{name} = {show(value)}" for name, value in point.items())
            for p in exc.problems:
                message = f"with {where}: {p['path']}: {p['message']}"
                if all(q["message"] != message for q in problems):
                    problems.append(problem("$.axes", message))
            if len(problems) >= 20:
                break  # the rest would say the same of other points
    if problems:
        raise Refused(problems)
    return out


def _shape(axes: list[Axis], seeds: list[int]) -> str:
    return " × ".join([f"{len(a.values)} values of {a.name}" for a in axes] + [f"{len(seeds)} seeds"])


def _refuse_size(limits: EvidenceBudget, axes: list[Axis], seeds: list[int]) -> None:
    total = len(seeds)
    for a in axes:
        total *= len(a.values)
    per_point = total // len(seeds)
    fit = max(1, limits.max_runs // per_point)
    values = max(1, limits.max_runs // (len(seeds) * (per_point // len(axes[-1].values))))
    raise Refused([problem("$.axes", (
        f"this sweep is {total:,} runs ({_shape(axes, seeds)}); the limit is {limits.max_runs:,} runs. "
        f"Lower the seeds to {fit} or fewer, or give {axes[-1].name} at most {values} values"))])
