"""Run budgets against what runs really cost: every example's estimate (lab/sim/budget.py)
beside what a run of it measured, the calibration the constants in budget.py come from.

    .venv/bin/python bench/budget_calibration.py [topology.json ...]   # the examples by default

tests/sim/test_budget.py holds the estimate to these measurements for the examples.
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lab.sim import REGISTRY, Simulation, load  # noqa: E402
from lab.sim.budget import estimate  # noqa: E402
from lab.sim.document.types import Topology  # noqa: E402
from lab.sim.metrics.documents import Window  # noqa: E402


def measure(topology: Topology, *, duration_s: float | None = None) -> dict[str, float]:
    """Run a normalized topology and count what the estimate predicts: requests, node visits per
    request (arrivals at every node but the sources), heap events, windows and their JSON bytes,
    and the CPU seconds it took."""
    windows: list[Window] = []
    sim = Simulation(topology, on_window=windows.append)
    started = time.process_time()
    sim.run(float(topology["settings"]["duration_s"] if duration_s is None else duration_s))
    sim.finish()
    cpu_s = time.process_time() - started
    nodes = [n["id"] for n in topology["nodes"] if not REGISTRY[n["kind"]].is_source]
    arrivals = sum(w["nodes"][n].get("arrivals", 0) for w in windows for n in nodes)
    return {"requests": sim.created, "visits": arrivals / max(1, sim.created),
            "events": sim.events_scheduled(), "windows": len(windows),
            "stored_bytes": sum(len(json.dumps(w)) for w in windows), "cpu_s": cpu_s}


def main(paths: list[str]) -> None:
    paths = paths or sorted(str(p) for p in (ROOT / "lab" / "sim" / "examples").glob("*.json"))
    print(f"{'example':28} {'visits est/meas':>16} {'events est/meas':>24} {'ratio':>6} "
          f"{'bytes ratio':>11} {'events/cpu s':>12}")
    for path in paths:
        topology = load(Path(path).read_text())
        e, m = estimate(topology), measure(topology)
        print(f"{Path(path).stem:28} {e.visits:7.2f} {m['visits']:7.2f}  {e.events:11,.0f} {m['events']:11,.0f} "
              f"{e.events / m['events']:6.2f} {e.stored_bytes / m['stored_bytes']:11.2f} "
              f"{m['events'] / max(m['cpu_s'], 1e-9):12,.0f}")


if __name__ == "__main__":
    main(sys.argv[1:])
