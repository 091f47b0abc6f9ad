"""The documentation's examples work, and the generated reference is current."""
from __future__ import annotations

import json
import re
from pathlib import Path

from lab.sim import Simulation, check, load
from lab.sim.document.schema import components_markdown
from lab.sim import apply_command

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_the_complete_example_in_the_topology_guide_is_valid_and_runs() -> None:
    text = (DOCS / "topology.md").read_text()
    example = re.search(r"## A complete example.*?```json\n(.*?)```", text, re.S).group(1)
    assert check(example) == []
    sim = Simulation(load(example))
    sim.run(40.0)
    sim.finish()
    results = sim.results()
    assert results["measured"]["nodes"]["cache"]["hit_ratio"] > 0
    assert [e["type"] for e in results["timeline"]][:1] == ["fault_started"]


def test_the_component_reference_is_current() -> None:
    assert (DOCS / "components.md").read_text() == components_markdown(), (
        "docs/components.md is stale: run `python -m lab.sim kinds --markdown > docs/components.md`")


def test_the_control_commands_in_the_results_guide_are_accepted() -> None:
    text = (DOCS / "results.md").read_text()
    section = text[text.index("## Control commands"):]
    commands = [json.loads(c) for c in re.findall(r"`(\{\"op\".*?\})`", section)]
    assert [c["op"] for c in commands] == ["set_param", "inject_fault", "clear_fault"]
    doc = json.loads(re.search(r"```json\n(.*?)```", (DOCS / "topology.md").read_text(), re.S).group(1))
    doc["nodes"][2]["id"] = "api"
    for edge in doc["edges"]:
        edge["from"] = "api" if edge["from"] == "app-a" else edge["from"]
        edge["to"] = "api" if edge["to"] == "app-a" else edge["to"]
    sim = Simulation(load(doc))
    sim.run(5.0)
    for command in commands:
        assert apply_command(sim, command) == [], command
