"""python -m lab.sim sweep|replicate|compare: the documents, CSV, and the exit codes of the rest of
the command line (0 done, 2 invalid input with its problems on stderr)."""
from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from lab.sim.cli import main

ROOT = Path(__file__).resolve().parents[3]

DOC: dict[str, Any] = {
    "version": 1, "name": "M/M/1",
    "settings": {"duration_s": 4, "warmup_s": 1},
    "nodes": [{"id": "src", "kind": "traffic_source", "params": {"rate_per_s": 300}},
              {"id": "app", "kind": "service_pool", "params": {"instances": 1, "workers_per_instance": 1,
                                                               "service_time_ms": 1}}],
    "edges": [{"from": "src", "to": "app"}],
}


@pytest.fixture
def topology(tmp_path: Path) -> str:
    path = tmp_path / "t.json"
    path.write_text(json.dumps(DOC))
    return str(path)


def test_sweep_prints_the_document_as_json(topology: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["sweep", topology, "--param", "rate_per_s", "--values", "200,600", "--seeds", "2",
                 "--workers", "1", "--json"])
    assert code == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["format"] == "archlab.sweep" and [p["values"]["workload.rate_per_s"] for p in doc["points"]] == [200, 600]
    assert doc["knee"]["sentence"].startswith("p99 latency stays under 200 ms")


def test_sweep_of_a_node_param_prints_csv(topology: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["sweep", topology, "--node", "app", "--param", "instances", "--range", "1:3:3", "--seeds", "2",
                 "--workers", "1", "--csv"])
    assert code == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows[0][:3] == ["app.instances", "runs", "throughput_per_s_mean"] and [r[0] for r in rows[1:]] == ["1", "2", "3"]


def test_a_bad_sweep_exits_2_with_its_problems(topology: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["sweep", topology, "--node", "ap", "--param", "instances", "--values", "1,2"])
    assert code == 2
    err = capsys.readouterr().err
    assert "error: $.axes[0].node: there is no node 'ap' (did you mean 'app'?)" in err
    assert main(["sweep", topology, "--param", "rate_per_s"]) == 2
    assert "give the values with --values" in capsys.readouterr().err
    assert main(["replicate", topology + ".missing"]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_replicate_prints_every_figure_with_its_interval(topology: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["replicate", topology, "--seeds", "3", "--workers", "1"]) == 0
    out = capsys.readouterr().out
    assert "p99 latency" in out and "needs about" in out


def test_compare_runs_as_a_module_on_two_processes(topology: str, tmp_path: Path) -> None:
    b = json.loads(json.dumps(DOC))
    b["nodes"][1]["params"]["workers_per_instance"] = 3
    path_b = tmp_path / "b.json"
    path_b.write_text(json.dumps(b))
    out = subprocess.run([sys.executable, "-m", "lab.sim", "compare", topology, str(path_b), "--seeds", "4",
                          "--workers", "2"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "B's mean latency is " in out.stdout and "% lower (" in out.stdout
