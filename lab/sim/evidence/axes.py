"""What a sweep varies: an axis is one parameter (a node's, or the workload's rate) and the values
it takes. Reading an axis checks it against the component registry's parameter declarations
(`Param.check`, as a live `set_param` command is checked), so a bad value is refused with the
same sentence the editor would give; `apply` sets one value in a copy of the topology.

    {"node": "app", "param": "instances", "values": [1, 2, 4]}
    {"workload": "rate_per_s", "range": {"start": 200, "stop": 2000, "steps": 10}}

The workload's rate is the total of the traffic sources' base rates. Setting it scales every
source's rates (each parameter in requests/s, the schedule's points included) by one factor, so
the mix between sources and the shape of each pattern stay as designed.
"""
from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..components.registry import REGISTRY
from ..document.checker import show, suggest
from ..params import Param, is_number
from ..problems import Problem, problem
from .documents import Value

# Parameter types a sweep can step through; the others (text, lists, weights) have no order and
# no natural "next value".
SWEEPABLE = ("number", "integer", "choice", "boolean")
MAX_VALUES = 100  # values on one axis: a chart with more points than this says nothing more
AXIS_FIELDS = ("node", "param", "workload", "values", "range")
RANGE_FIELDS = ("start", "stop", "steps")
WORKLOAD_PARAMS = ("rate_per_s",)
RATE_UNIT = "requests/s"


@dataclass(frozen=True)
class Axis:
    """One parameter of a sweep and its values, already checked. `node` is None for the
    workload's rate. `name` ("app.instances", "workload.rate_per_s") is the key of the value in
    each point of the sweep document."""

    node: str | None
    param: str
    values: tuple[Value, ...]
    label: str
    unit: str | None
    numeric: bool

    @property
    def name(self) -> str:
        return f"{self.node if self.node is not None else 'workload'}.{self.param}"

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "node": self.node, "param": self.param, "label": self.label,
                "unit": self.unit, "numeric": self.numeric, "values": list(self.values)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Axis":
        return cls(node=data["node"], param=data["param"], values=tuple(data["values"]), label=data["label"],
                   unit=data["unit"], numeric=data["numeric"])


def read_axis(topology: Mapping[str, Any], raw: Any, path: str, problems: list[Problem]) -> Axis | None:
    """The axis `raw` describes, or None with the reasons appended to `problems`. `topology` is
    normalized (what `lab.sim.load` returns)."""
    if not isinstance(raw, dict):
        problems.append(problem(path, "an axis must be an object such as "
                                      "{\"node\": \"app\", \"param\": \"instances\", \"values\": [1, 2, 4]}"))
        return None
    before = len(problems)
    for key in raw:
        if key not in AXIS_FIELDS:
            problems.append(problem(f"{path}.{key}" if isinstance(key, str) else path,
                                    f"an axis has no field {show(key)}{suggest(key, list(AXIS_FIELDS))}; "
                                    f"its fields are {', '.join(AXIS_FIELDS)}"))
    if len(problems) > before:
        return None
    if "workload" in raw:
        if "node" in raw or "param" in raw:
            problems.append(problem(path, "an axis names either a node and its param, or the workload, not both"))
            return None
        return _workload_axis(topology, raw, path, problems)
    return _node_axis(topology, raw, path, problems)


def _node_axis(topology: Mapping[str, Any], raw: dict[str, Any], path: str, problems: list[Problem]) -> Axis | None:
    specs = {n["id"]: n for n in topology["nodes"]}
    node_id = raw.get("node")
    if not isinstance(node_id, str) or node_id not in specs:
        problems.append(problem(f"{path}.node", f"there is no node {show(node_id)}{suggest(node_id, list(specs))}"
                                                 " (or give \"workload\": \"rate_per_s\" to sweep the traffic)"))
        return None
    spec = specs[node_id]
    kind = REGISTRY[spec["kind"]]
    declared = {p.name: p for p in kind.params}
    name = raw.get("param")
    if not isinstance(name, str) or name not in declared:
        problems.append(problem(f"{path}.param", f"{kind.title.lower()} {node_id!r} has no parameter {show(name)}"
                                                  f"{suggest(name, list(declared))}"))
        return None
    param = declared[name]
    if param.type not in SWEEPABLE:
        problems.append(problem(f"{path}.param", f"{name} of {node_id!r} is {_article(param.type)} {param.type} "
                                                  "parameter, which a sweep cannot step through; sweep a number, "
                                                  "a whole number, a choice or a switch"))
        return None
    values = _values(raw, param, path, problems, param.check)
    if values is None:
        return None
    label = f"{name} of {spec['label'] or node_id}"
    return Axis(node=node_id, param=name, values=values, label=label, unit=param.unit,
                numeric=param.type in ("number", "integer"))


def _workload_axis(topology: Mapping[str, Any], raw: dict[str, Any], path: str, problems: list[Problem]) -> Axis | None:
    name = raw["workload"]
    if name not in WORKLOAD_PARAMS:
        problems.append(problem(f"{path}.workload", f"the workload has no parameter {show(name)}"
                                                     f"{suggest(name, list(WORKLOAD_PARAMS))}; a sweep can set its "
                                                     "rate_per_s (the total rate of its traffic sources)"))
        return None
    total = workload_rate(topology)
    if total <= 0:
        problems.append(problem(f"{path}.workload", "the traffic sources' rates add up to 0 requests/s, so there is "
                                                     "no rate to scale; give a source a rate first"))
        return None
    rate = Param("rate_per_s", "number", 1.0, "", unit=RATE_UNIT, minimum=0.0, maximum=None)

    def check(value: Any) -> str | None:
        reason = rate.check(value)
        if reason:
            return reason
        # Each source's scaled rates must still be legal for that source.
        for node_id, param, new in _scaled(topology, float(value) / total):
            why = param.check(new)
            if why:
                return f"would set {param.name} of {node_id!r} to {show(new)}, which {why}"
        return None

    values = _values(raw, rate, path, problems, check)
    if values is None:
        return None
    return Axis(node=None, param=name, values=values, label="workload rate", unit=RATE_UNIT, numeric=True)


def _values(raw: dict[str, Any], param: Param, path: str, problems: list[Problem],
            check: Callable[[Any], str | None]) -> tuple[Value, ...] | None:
    """The axis's values from `values` or `range`, each checked; None with problems if any is bad."""
    if ("values" in raw) == ("range" in raw):
        problems.append(problem(path, "an axis needs either \"values\" (a list) or \"range\" "
                                      "({\"start\", \"stop\", \"steps\"}), not both or neither"))
        return None
    if "values" in raw:
        listed = raw["values"]
        where = f"{path}.values"
        # The length first: a list of a million values is refused without looking at each one.
        if not isinstance(listed, list) or not listed:
            problems.append(problem(where, "values must be a non-empty list"))
            return None
        if len(listed) > MAX_VALUES:
            problems.append(problem(where, f"an axis may have at most {MAX_VALUES} values, not {len(listed)}"))
            return None
        values: list[Any] = list(listed)
    else:
        where = f"{path}.range"
        stepped = _range(raw["range"], param, where, problems)
        if stepped is None:
            return None
        values = stepped
    before = len(problems)
    seen: list[Any] = []
    for i, value in enumerate(values):
        reason = check(value)
        if reason:
            problems.append(problem(f"{where}[{i}]" if "values" in raw else where, f"{param.name} {reason}"))
        elif any(_same(value, s) for s in seen):
            problems.append(problem(f"{where}[{i}]", f"{show(value)} is listed twice"))
        seen.append(value)
        if len(problems) - before >= 10:
            break  # enough to show the pattern; the rest would repeat it
    return None if len(problems) > before else tuple(values)


def _range(raw: Any, param: Param, path: str, problems: list[Problem]) -> list[Any] | None:
    if param.type not in ("number", "integer"):
        problems.append(problem(path, f"{param.name} is {_article(param.type)} {param.type}: list its values instead "
                                      "of a range"))
        return None
    if not isinstance(raw, dict) or set(raw) != set(RANGE_FIELDS):
        problems.append(problem(path, "a range is {\"start\": number, \"stop\": number, \"steps\": whole number}"))
        return None
    start, stop, steps = raw["start"], raw["stop"], raw["steps"]
    if not is_number(start) or not is_number(stop):
        problems.append(problem(path, f"start and stop must be numbers, not {show(start)} and {show(stop)}"))
        return None
    if isinstance(steps, bool) or not isinstance(steps, int) or not 2 <= steps <= MAX_VALUES:
        problems.append(problem(f"{path}.steps", f"steps must be a whole number from 2 to {MAX_VALUES}, not {show(steps)}"))
        return None
    if start == stop:
        problems.append(problem(path, "start and stop are the same value: there is nothing to sweep"))
        return None
    values: list[Any] = [start + (stop - start) * i / (steps - 1) for i in range(steps)]
    if param.type == "integer":
        # Whole numbers: round each step, and keep each number once (a range of 1..3 in 5 steps
        # is 1, 2, 3).
        rounded: list[Any] = []
        for v in values:
            r = int(round(v))
            if r not in rounded:
                rounded.append(r)
        values = rounded
    else:
        values = [float(round(v, 9)) for v in values]
    return values


def apply(topology: Mapping[str, Any], axis: Axis, value: Value) -> dict[str, Any]:
    """A copy of the topology with the axis set to `value` (not validated: the loader does that)."""
    doc: dict[str, Any] = copy.deepcopy(dict(topology))
    if axis.node is not None:
        node = next(n for n in doc["nodes"] if n["id"] == axis.node)
        node["params"][axis.param] = value
        return doc
    nodes = {n["id"]: n for n in doc["nodes"]}
    assert not isinstance(value, (str, bool))  # the workload's rate is a number (read_axis checked)
    for node_id, param, new in _scaled(topology, float(value) / workload_rate(topology)):
        nodes[node_id]["params"][param.name] = new
    sources = _sources(topology)
    if len(sources) == 1:
        # One source: its rate is the value itself, not value / rate * rate (which can be off by
        # the last digit).
        nodes[sources[0]["id"]]["params"]["rate_per_s"] = value
    return doc


def workload_rate(topology: Mapping[str, Any]) -> float:
    """The total base rate of the traffic sources, in requests/s."""
    return float(sum(n["params"].get("rate_per_s", 0.0) for n in _sources(topology)))


def _sources(topology: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [n for n in topology["nodes"] if REGISTRY[n["kind"]].is_source]


def _scaled(topology: Mapping[str, Any], factor: float) -> list[tuple[str, Param, Any]]:
    """(node, parameter, new value) for every rate parameter of every source, times `factor`."""
    out: list[tuple[str, Param, Any]] = []
    for node in _sources(topology):
        for param in REGISTRY[node["kind"]].params:
            if param.unit != RATE_UNIT or param.name not in node["params"] or not _in_use(param, node["params"]):
                continue
            old = node["params"][param.name]
            if param.type == "number":
                out.append((node["id"], param, old * factor))
            elif param.type == "points":
                out.append((node["id"], param, [[t, v * factor] for t, v in old]))
    return out


def _in_use(param: Param, values: dict[str, Any]) -> bool:
    """Whether the parameter counts for this node (its `when` conditions hold): a steady source's
    spike rate is left alone, or scaling it could push an unused value out of range."""
    return all(values.get(name) in allowed for name, allowed in param.when.items())


def _same(a: Any, b: Any) -> bool:
    # 1 and True are equal in Python; a choice "1" and the number 1 are not the same value.
    if is_number(a) and is_number(b):
        return bool(a == b)
    return type(a) is type(b) and bool(a == b)


def _article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"
