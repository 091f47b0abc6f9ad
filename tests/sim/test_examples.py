"""Every example topology loads, runs, ends every request, and shows what it was written to show."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from lab.sim import Simulation, check, load

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "lab" / "sim" / "examples").glob("*.json"))


def run(name: str, **settings: Any) -> tuple[Simulation, list[dict[str, Any]]]:
    topo = load((ROOT / "lab" / "sim" / "examples" / f"{name}.json").read_text())
    topo["settings"].update(settings)
    windows: list[dict[str, Any]] = []
    sim = Simulation(topo, on_window=windows.append)
    sim.run(topo["settings"]["duration_s"])
    sim.finish()
    return sim, windows


def test_there_are_at_least_five_examples() -> None:
    assert len(EXAMPLES) >= 5


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_each_example_is_valid_without_warnings(path: Path) -> None:
    assert check(path.read_text()) == []


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_each_example_runs_and_ends_every_request_when_drained(path: Path) -> None:
    topo = load(path.read_text())
    sim = Simulation(topo)
    sim.run(min(20.0, topo["settings"]["duration_s"]))
    sim.drain()
    requests = sim.results()["requests"]
    assert requests["created"] > 100
    assert requests["in_flight"] == 0
    assert requests["completed"] + requests["failed"] == requests["created"]


def test_the_engine_package_imports_no_web_framework() -> None:
    code = ("import sys, lab.sim, lab.sim.cli; "
            "from lab.sim import simulate, load; "
            "simulate(load(open(sys.argv[1]).read()), duration_s=2.0); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('django', 'channels', 'daphne')))")
    out = subprocess.run([sys.executable, "-c", code, str(EXAMPLES[0])], capture_output=True, text=True,
                         cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]"


def test_the_reference_example_puts_the_database_at_80_percent_utilization() -> None:
    sim, _ = run("reference", duration_s=60, warmup_s=5)
    db = sim.results()["measured"]["nodes"]["db"]
    assert db["utilization"] == pytest.approx(0.8, abs=0.03)


def test_a_crashed_zone_fails_requests_until_health_checks_take_it_out() -> None:
    sim, windows = run("three_zones_failover")
    faults_per_window = [w["overall"]["failures"].get("fault", 0) for w in windows]
    # Before the crash at 30 s nothing fails; during detection (at most 2 x 5 s) a share
    # fails; once the balancer has taken zone b out, nothing fails although it is still down.
    assert sum(faults_per_window[:30]) == 0
    assert sum(faults_per_window[30:40]) > 0
    assert sum(faults_per_window[41:70]) == 0
    kinds = [e["type"] for e in sim.results()["timeline"]]
    assert kinds.index("fault_started") < kinds.index("health_check")
    assert "fault_ended" in kinds


def test_the_cache_in_front_of_the_database_absorbs_most_reads() -> None:
    sim, _ = run("cached_api", duration_s=60)
    nodes = sim.results()["measured"]["nodes"]
    assert nodes["memcached"]["hit_ratio"] > 0.5
    assert nodes["db"]["arrival_rate_per_s"] < 0.6 * nodes["memcached"]["arrival_rate_per_s"]
    assert nodes["db"]["replication_lag_ms"]["mean"] > 0


def test_the_work_queue_backlog_grows_in_the_spike_and_drains_after() -> None:
    _, windows = run("work_queue")
    backlog = [w["nodes"]["jobs"]["backlog"] for w in windows]
    assert max(backlog[:20]) < 20
    assert backlog[35] > 500
    assert backlog[-1] < backlog[35]
    # The producers are answered quickly throughout: they only wait for the acknowledgement.
    assert max(w["overall"]["latency_ms"]["p99"] for w in windows) < 100


def test_the_wordpress_vm_saturates_as_the_ramp_climbs() -> None:
    _, windows = run("single_vm_wordpress")
    early = windows[20]["nodes"]["wordpress"]
    late = windows[110]["nodes"]["wordpress"]
    assert late["utilization"] > early["utilization"]
    assert late["queue_length"] > 10 * max(early["queue_length"], 0.1)


def test_windows_serialise_as_strict_json() -> None:
    _, windows = run("cached_api", duration_s=5)
    for window in windows:
        json.dumps(window, allow_nan=False)


def test_edge_rates_add_up_to_what_the_nodes_at_their_ends_count() -> None:
    _, windows = run("reference", duration_s=10)
    w = windows[-1]
    edges, nodes = w["edges"], w["nodes"]
    assert all(e["rate_per_s"] is not None for e in edges.values())  # every edge here is determined
    into_cache = sum(e["rate_per_s"] for e in edges.values() if e["to"] == "cache")
    assert into_cache == nodes["cache"]["arrival_rate_per_s"]
    out_of_lb = sum(e["rate_per_s"] for e in edges.values() if e["from"] == "lb")
    assert out_of_lb == nodes["lb"]["arrival_rate_per_s"]
    for e in edges.values():
        if e["from"].startswith("app"):
            assert e["rate_per_s"] == nodes[e["from"]]["throughput_per_s"]


def test_an_edge_whose_rate_the_counters_cannot_tell_counts_its_own_requests() -> None:
    doc = json.loads((ROOT / "lab" / "sim" / "examples" / "single_vm_wordpress.json").read_text())
    # Two thread-per-request pools share the database: how the database's arrivals split between
    # them is not something node counters tell, so those two edges count what passes them.
    doc["nodes"].append({**doc["nodes"][1], "id": "wordpress2"})
    doc["nodes"][0]["params"]["pattern"] = "steady"
    doc["edges"].append({"from": "visitors", "to": "wordpress2"})
    doc["edges"][0]["classes"] = ["page"]
    doc["edges"][-1]["classes"] = ["post"]
    doc["edges"].append({"from": "wordpress2", "to": "mysql"})
    doc["settings"]["warmup_s"] = 0
    windows: list[dict[str, Any]] = []
    sim = Simulation(load(doc), on_window=windows.append)
    sim.run(3.0)
    rates = {(e["from"], e["to"]): e["rate_per_s"] for e in windows[-1]["edges"].values()}
    split = rates[("wordpress", "mysql")], rates[("wordpress2", "mysql")]
    assert all(rate > 0 for rate in split)
    assert sum(split) == windows[-1]["nodes"]["mysql"]["arrival_rate_per_s"]
    assert [e.rule for e in sim.edges if e.target.id == "mysql"] == ["counted", "counted"]
    assert rates[("visitors", "wordpress")] > 0  # one incoming edge: determined
