"""The types of a run's documents (lab/sim/metrics/documents.py) say what a run produces: every
window and the results of every example have exactly the keys their types name (a node may add
its kind's own figures), and docs/results.md documents every key the types name."""
from __future__ import annotations

from pathlib import Path
from typing import Any, get_args, get_origin, get_type_hints, is_typeddict

import pytest

import lab.sim
from lab.sim import Simulation, apply_command, load
from lab.sim.metrics import documents

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((Path(lab.sim.__file__).parent / "examples").glob("*.json"))
# A node's entry has the figures every node has, and its kind's own, which the type cannot name.
OPEN = (documents.NodeView, documents.MeasuredNode)


def keys(td: Any) -> set[str]:
    return set(td.__required_keys__ | td.__optional_keys__)


def conforms(value: Any, hint: Any, where: str) -> list[str]:
    """Where `value` has keys its type does not name, or lacks keys its type requires."""
    if is_typeddict(hint):
        if not isinstance(value, dict):
            return [f"{where}: {value!r} is not an object"]
        found = []
        missing = set(hint.__required_keys__) - set(value)
        extra = set() if hint in OPEN else set(value) - keys(hint)
        if missing or extra:
            found.append(f"{where}: missing {sorted(missing)}, not in the type {sorted(extra)}")
        hints = get_type_hints(hint)
        for key in set(value) & keys(hint):
            found += conforms(value[key], hints[key], f"{where}.{key}")
        return found
    origin, args = get_origin(hint), get_args(hint)
    if origin is list:
        return [msg for i, item in enumerate(value) for msg in conforms(item, args[0], f"{where}[{i}]")]
    if origin is dict and is_typeddict(args[1]):
        return [msg for k, item in value.items() for msg in conforms(item, args[1], f"{where}.{k}")]
    return []


def run(path: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Ten seconds of an example, with a fault injected live at 5 s so failures are traced."""
    topology = load(path.read_text())
    windows: list[dict[str, Any]] = []
    sim = Simulation(topology, seed=3, on_window=windows.append)
    sim.run(5.0)
    target = next(n["id"] for n in topology["nodes"] if not lab.sim.REGISTRY[n["kind"]].is_source)
    assert apply_command(sim, {"op": "inject_fault", "fault": {"kind": "crash", "node": target,
                                                               "duration_s": 2}}) == []
    sim.run(10.0)
    sim.finish()
    return sim.results(), windows


@pytest.fixture(scope="module")
def runs() -> dict[str, tuple[dict[str, Any], list[dict[str, Any]]]]:
    return {path.stem: run(path) for path in EXAMPLES}


def test_the_results_of_every_example_are_results(runs: dict[str, Any]) -> None:
    problems = [msg for name, (results, _) in runs.items() for msg in conforms(results, documents.Results, name)]
    assert problems == []


def test_every_window_of_every_example_is_a_window(runs: dict[str, Any]) -> None:
    problems = [msg for name, (_, windows) in runs.items() for w in windows
                for msg in conforms(w, documents.Window, f"{name}[{w['index']}]")]
    assert problems == []


def test_the_runs_exercise_the_optional_keys(runs: dict[str, Any]) -> None:
    """So the checks above are not vacuous: some edge has a policy and a cost, some node a
    utilization, some trace a failure with its hops."""
    windows = [w for _, ws in runs.values() for w in ws]
    edges = [e for w in windows for e in w["edges"].values()]
    assert any("policy" in e for e in edges) and any("cost_usd" in e for e in edges)
    assert any("utilization" in n for w in windows for n in w["nodes"].values())
    assert any(w["origins"] for w in windows)
    failed = [t for results, _ in runs.values() for ts in results["traces"]["failed"].values() for t in ts]
    assert any("cause" in t and any("failed" in h for h in t["hops"]) for t in failed)


DOCUMENTED = [documents.Results, documents.Measured, documents.Ledger, documents.TopologySummary, documents.Window,
              documents.Flow, documents.ClassFlow, documents.WindowOverall, documents.MeasuredOverall,
              documents.LatencySummary, documents.NodeView, documents.MeasuredNode, documents.EdgeWindow,
              documents.Traces, documents.Trace, documents.Hop]


@pytest.mark.parametrize("td", DOCUMENTED, ids=lambda td: td.__name__)
def test_docs_results_md_documents_every_key_of(td: Any) -> None:
    text = (ROOT / "docs" / "results.md").read_text()
    undocumented = sorted(k for k in keys(td) if f"`{k}`" not in text and f'"{k}"' not in text)
    assert undocumented == []
