"""Validation never raises, whatever it is given, and what it passes runs."""
from __future__ import annotations

import copy
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lab.sim import REGISTRY, Simulation, check, load

from .validation_world import EXAMPLES


# ------------------------------------------------------------------ never raising, whatever it is given

finite_or_huge_numbers = (
    st.integers()
    | st.integers(min_value=-(10**400), max_value=10**400)
    | st.floats(allow_nan=False)  # infinity is reachable from JSON text ("1e999"); NaN is not
)
json_scalars = st.none() | st.booleans() | finite_or_huge_numbers | st.text(max_size=20)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
# Objects that look a little like a topology, so that the checks past the first one get reached.
topology_like = st.fixed_dictionaries(
    {},
    optional={
        "version": st.just(1) | json_values,
        "settings": st.just({"duration_s": 1}) | json_values,
        "workload": json_values,
        "regions": json_values,
        "nodes": st.lists(
            st.fixed_dictionaries(
                {"id": st.sampled_from(["a", "b", "c"]) | json_values,
                 "kind": st.sampled_from(sorted(REGISTRY)) | json_values},
                optional={"params": json_values, "region": json_values, "zone": json_values, "position": json_values}),
            max_size=4),
        "edges": st.lists(
            st.fixed_dictionaries({"from": st.sampled_from(["a", "b", "c"]) | json_values,
                                   "to": st.sampled_from(["a", "b", "c"]) | json_values},
                                  optional={"classes": json_values, "latency_ms": json_values}),
            max_size=4),
        "faults": st.lists(st.fixed_dictionaries({"kind": st.just("crash") | json_values,
                                                  "node": st.sampled_from(["a", "b", "c"]) | json_values}),
                           max_size=2) | json_values,
    },
)


def _shortened(doc: dict[str, Any]) -> dict[str, Any]:
    doc = copy.deepcopy(doc)
    doc["settings"] = {**doc.get("settings", {}), "duration_s": 1, "warmup_s": 0}
    return doc


EXAMPLE_DOCS = [_shortened(json.loads(p.read_text())) for p in sorted(EXAMPLES.glob("*.json"))]


def _locations(value: Any, at: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place inside `value` (as a key path), the root excluded."""
    found = [at] if at else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += _locations(item, at + (key,))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found += _locations(item, at + (i,))
    return found


def _like(value: Any) -> st.SearchStrategy[Any]:
    """Values of the same JSON type as `value`: mutations that often stay valid reach the run."""
    if isinstance(value, bool):
        return st.booleans()
    if isinstance(value, (int, float)):
        return st.sampled_from([0, 1, 0.5, 2, 100, 1e-3]) | st.floats(min_value=0, max_value=1e4)
    if isinstance(value, str):
        return st.sampled_from(sorted({v for d in EXAMPLE_DOCS for v in _strings(d)}))
    return json_values


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value] if len(value) <= 30 else []
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else []
    return [s for item in items for s in _strings(item)]


@st.composite
def mutated_examples(draw: st.DrawFn) -> dict[str, Any]:
    """A shipped example with one to three values deleted, or replaced by a value of the same
    type or by arbitrary JSON."""
    doc = copy.deepcopy(draw(st.sampled_from(EXAMPLE_DOCS)))
    for _ in range(draw(st.integers(1, 3))):
        location = draw(st.sampled_from(_locations(doc)))
        parent = doc
        for key in location[:-1]:
            parent = parent[key]
        how = draw(st.sampled_from(["delete", "same type", "anything"]))
        if how == "delete":
            del parent[location[-1]]
        elif how == "same type":
            parent[location[-1]] = draw(_like(parent[location[-1]]))
        else:
            parent[location[-1]] = draw(json_values)
    return doc


# Mutated examples are drawn half of the time: they are what gets past validation to the run.
any_document = st.one_of(json_values, topology_like, mutated_examples(), mutated_examples())


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(any_document)
def test_check_never_raises_and_what_it_passes_runs(doc: Any) -> None:
    problems = check(doc)
    assert isinstance(problems, list)
    for p in problems:
        assert set(p) == {"path", "message", "severity"}
        assert isinstance(p["path"], str) and p["path"].startswith("$")
        assert isinstance(p["message"], str) and p["message"].strip()
        assert p["severity"] in ("error", "warning")
    if any(p["severity"] == "error" for p in problems):
        return
    loaded = load(doc)
    Simulation(loaded).run(0.5)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(any_document)
def test_check_never_raises_on_json_text(doc: Any) -> None:
    problems = check(json.dumps(doc))
    assert isinstance(problems, list)
    assert all(isinstance(p["message"], str) and p["message"].strip() for p in problems)
