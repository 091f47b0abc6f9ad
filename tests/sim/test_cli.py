"""`python -m lab.sim`, run as a user runs it: in a fresh process, from the repository root.

Exit status: 0 success, 2 invalid input (the problems are printed), 1 anything unexpected.
Runs are kept short (5 simulated seconds of the reference topology) so the file takes seconds.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from lab.sim import REGISTRY

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "lab" / "sim" / "examples"
REFERENCE = EXAMPLES / "reference.json"
SHORT = ["--duration", "5", "--warmup", "1"]


def cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "lab.sim", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def results(*args: str | Path) -> dict[str, Any]:
    done = cli("run", REFERENCE, "--json", *SHORT, *args)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def write(tmp_path: Path, doc: Any, name: str = "topology.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(doc) if not isinstance(doc, str) else doc)
    return path


def broken_reference() -> dict[str, Any]:
    """The reference topology with two mistakes."""
    doc = json.loads(REFERENCE.read_text())
    del doc["version"]
    doc["edges"][5]["to"] = "cahce"  # app1 -> cache
    return doc


# ------------------------------------------------------------------ run


def test_run_twice_with_the_same_seed_prints_identical_bytes() -> None:
    first = cli("run", REFERENCE, "--json", "--seed", "7", *SHORT)
    second = cli("run", REFERENCE, "--json", "--seed", "7", *SHORT)
    assert first.returncode == second.returncode == 0, first.stderr + second.stderr
    assert first.stdout == second.stdout
    assert json.loads(first.stdout)["requests"]["created"] > 0


def test_run_with_another_seed_gives_other_results() -> None:
    one, two = results("--seed", "1"), results("--seed", "2")
    assert (one["seed"], two["seed"]) == (1, 2)
    assert one["measured"] != two["measured"]


def test_run_honours_duration_and_warmup() -> None:
    out = results("--duration", "4", "--warmup", "1.5")
    assert out["duration_s"] == 4.0
    assert out["warmup_s"] == 1.5
    assert out["measured"]["to_s"] == 4.0
    assert out["measured"]["from_s"] >= 1.5


def test_run_without_json_prints_a_readable_summary() -> None:
    done = cli("run", REFERENCE, *SHORT)
    assert done.returncode == 0, done.stderr
    assert "5 s simulated" in done.stdout and "throughput" in done.stdout
    for node in ("users", "lb", "cache", "db"):
        assert node in done.stdout


def test_run_writes_one_json_line_per_window_with_increasing_index(tmp_path: Path) -> None:
    windows = tmp_path / "windows.jsonl"
    out = results("--window", "0.5", "--windows", windows)
    lines = windows.read_text().splitlines()
    parsed = [json.loads(line) for line in lines]
    assert len(parsed) == out["windows"] == 10
    assert [w["index"] for w in parsed] == list(range(10))
    assert [w["t_end"] for w in parsed] == [0.5 * (i + 1) for i in range(10)]


def test_run_of_an_invalid_topology_prints_its_problems_and_exits_2(tmp_path: Path) -> None:
    done = cli("run", write(tmp_path, broken_reference()), "--json")
    assert done.returncode == 2
    assert done.stdout == ""
    assert "$.version" in done.stderr and "$.edges[5].to" in done.stderr


def test_run_with_a_warmup_not_shorter_than_the_duration_exits_2() -> None:
    done = cli("run", REFERENCE, "--duration", "5", "--warmup", "5")
    assert done.returncode == 2
    assert done.stdout == ""
    assert "$.settings.warmup_s" in done.stderr and "warm-up" in done.stderr


def test_run_of_a_missing_file_exits_2_naming_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-topology.json"
    done = cli("run", missing)
    assert done.returncode == 2
    assert "no-such-topology.json" in done.stderr
    assert "Traceback" not in done.stderr


def test_run_with_a_windows_file_it_cannot_write_exits_2_naming_the_file(tmp_path: Path) -> None:
    # Like a missing input file, a bad output path is the user's to fix: a sentence, not a traceback.
    unwritable = tmp_path / "no-such-dir" / "windows.jsonl"
    done = cli("run", REFERENCE, *SHORT, "--windows", unwritable)
    assert done.returncode == 2, done.stderr
    assert "windows.jsonl" in done.stderr
    assert "Traceback" not in done.stderr


def test_run_prints_warnings_but_still_runs(tmp_path: Path) -> None:
    doc = json.loads(REFERENCE.read_text())
    doc["nodes"].append({"id": "archive", "kind": "database"})
    done = cli("run", write(tmp_path, doc), "--json", *SHORT)
    assert done.returncode == 0, done.stderr
    assert "warning: $.nodes[8]:" in done.stderr and "'archive'" in done.stderr
    assert json.loads(done.stdout)["topology"]["nodes"] == 9


# ------------------------------------------------------------------ validate


def test_validate_accepts_a_valid_example_and_exits_0() -> None:
    done = cli("validate", REFERENCE)
    assert done.returncode == 0, done.stdout
    assert done.stdout == "valid: 8 nodes, 10 edges\n"


def test_validate_prints_each_problem_with_its_path_and_exits_2(tmp_path: Path) -> None:
    done = cli("validate", write(tmp_path, broken_reference()))
    assert done.returncode == 2
    lines = done.stdout.splitlines()
    assert len(lines) == 2, done.stdout
    assert lines[0].startswith("error: $.version: ")
    assert lines[1].startswith("error: $.edges[5].to: edge 5 points to node 'cahce', which does not exist")


def test_validate_json_reports_a_valid_topology() -> None:
    done = cli("validate", REFERENCE, "--json")
    assert done.returncode == 0
    assert json.loads(done.stdout) == {"valid": True, "problems": []}


def test_validate_json_reports_every_problem_of_an_invalid_topology(tmp_path: Path) -> None:
    done = cli("validate", "--json", write(tmp_path, broken_reference()))
    assert done.returncode == 2
    report = json.loads(done.stdout)
    assert report["valid"] is False
    assert [p["path"] for p in report["problems"]] == ["$.version", "$.edges[5].to"]
    assert all(p["severity"] == "error" and p["message"] for p in report["problems"])


def test_validate_json_counts_a_topology_with_only_warnings_as_valid(tmp_path: Path) -> None:
    doc = json.loads(REFERENCE.read_text())
    doc["nodes"].append({"id": "archive", "kind": "database"})
    done = cli("validate", "--json", write(tmp_path, doc))
    assert done.returncode == 0
    report = json.loads(done.stdout)
    assert report["valid"] is True
    assert [p["severity"] for p in report["problems"]] == ["warning"]


def test_validate_of_a_missing_file_exits_2_naming_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-topology.json"
    done = cli("validate", missing)
    assert done.returncode == 2
    assert "no-such-topology.json" in done.stdout + done.stderr
    assert "Traceback" not in done.stderr


def test_validate_rejects_nan_in_the_file(tmp_path: Path) -> None:
    text = REFERENCE.read_text().replace('"rate_per_s": 1000', '"rate_per_s": NaN')
    done = cli("validate", write(tmp_path, text))
    assert done.returncode == 2
    assert "NaN" in done.stdout


# ------------------------------------------------------------------ schema and kinds


def test_schema_prints_the_checked_in_schema() -> None:
    done = cli("schema")
    assert done.returncode == 0
    checked_in = (ROOT / "lab" / "sim" / "document" / "topology.schema.json").read_text()
    assert json.loads(done.stdout) == json.loads(checked_in)
    assert done.stdout == checked_in


def test_kinds_lists_every_registered_kind() -> None:
    done = cli("kinds")
    assert done.returncode == 0
    listed = json.loads(done.stdout)
    assert sorted(k["kind"] for k in listed["kinds"]) == sorted(REGISTRY)
    assert all(k["params"] for k in listed["kinds"])
