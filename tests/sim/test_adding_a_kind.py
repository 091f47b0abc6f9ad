"""docs/adding-a-component-kind.md builds a kind; its code runs here, so the guide stays true."""
from __future__ import annotations

import re
from pathlib import Path

import lab.sim
from lab.sim import REGISTRY, Simulation
from lab.sim.components.base import Component

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "adding-a-component-kind.md"


def guide_kind() -> type[Component]:
    code = re.search(r"```python\n(.*?)```", GUIDE.read_text(), re.S).group(1)
    namespace: dict = {"__name__": "fixed_delay"}
    exec(compile(code, str(GUIDE), "exec"), namespace)
    return namespace["FixedDelay"]


def test_the_guides_kind_holds_each_request_for_its_delay_and_loses_none(monkeypatch):
    kind = guide_kind()
    monkeypatch.setitem(REGISTRY, kind.kind, kind)
    topology = lab.sim.load({
        "format": "archlab.topology", "version": 1,
        "nodes": [
            {"id": "users", "kind": "traffic_source", "params": {"rate_per_s": 100}},
            {"id": "hold", "kind": "fixed_delay", "params": {"delay_ms": 50}},
            {"id": "app", "kind": "service_pool", "params": {"service_distribution": "deterministic",
                                                             "service_time_ms": 10}},
        ],
        "edges": [{"from": "users", "to": "hold", "latency_ms": 0}, {"from": "hold", "to": "app", "latency_ms": 0}],
        "settings": {"duration_s": 20},
    })
    sim = Simulation(topology, seed=3)
    sim.run(20.0)
    sim.drain()
    assert sim.created > 1500 and sim.completed + sim.failed == sim.created
    results = sim.results()
    latency = results["measured"]["overall"]["latency_ms"]
    assert 59.0 < latency["p50"] < 62.0  # 50 ms held + 10 ms served (no queueing at this load)
    # Its declared figures are harvested, shown and totalled without code of its own: the count
    # adds up over the measured windows, the level is the last window's.
    hold = results["measured"]["nodes"]["hold"]
    assert hold["released"] == hold["completions"] > 1000
    assert 0 <= hold["held"] <= 15  # about 100/s x 50 ms are held at any moment
