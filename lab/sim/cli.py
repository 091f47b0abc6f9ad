"""`python -m lab.sim`: run, validate and describe topologies from the command line.

Exit status: 0 success, 2 invalid input (the problems are printed), 1 anything unexpected.
Same topology and seed: byte-identical output (nothing in it depends on the wall clock).
"""
from __future__ import annotations

import argparse
import json
import sys
from typing import Any, Callable, TextIO

from .simulation import Simulation
from .document.schema import catalogue, components_markdown, schema_text
from .document.format import LIMITS
from .document.loading import InvalidTopology, normalize, parse
from .problems import Problem, problem
from .document.validation import validate
from .metrics.documents import Results, Window

EXIT_INVALID = 2


def _read(path: str) -> tuple[Any, list[Problem]]:
    try:
        with open(path, "rb") as fh:
            data = fh.read(LIMITS["document_bytes"] + 1)
    except OSError as exc:
        return None, [problem("$", f"cannot read {path}: {exc.strerror or exc}")]
    return parse(data)


def _print_problems(problems: list[Problem], out: TextIO) -> None:
    for p in problems:
        out.write(f"{p['severity']}: {p['path']}: {p['message']}\n")


def _dumps(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, allow_nan=False)


def cmd_validate(args: argparse.Namespace) -> int:
    doc, problems = _read(args.path)
    if not problems:
        problems = validate(doc)
    errors = [p for p in problems if p["severity"] == "error"]
    if args.json:
        sys.stdout.write(_dumps({"valid": not errors, "problems": problems}) + "\n")
    else:
        _print_problems(problems, sys.stdout)
        if not errors:
            sys.stdout.write(f"valid: {len(doc['nodes'])} nodes, {len(doc['edges'])} edges\n")
    return EXIT_INVALID if errors else 0


def cmd_run(args: argparse.Namespace) -> int:
    doc, problems = _read(args.path)
    if not problems and isinstance(doc, dict):
        # Command-line settings go through the same validation as the document's own.
        settings = doc.get("settings")
        if isinstance(settings, dict) or settings is None:
            overrides = {k: v for k, v in (("seed", args.seed), ("duration_s", args.duration),
                                           ("warmup_s", args.warmup), ("window_s", args.window)) if v is not None}
            doc["settings"] = {**(settings or {}), **overrides}
    if not problems:
        problems = validate(doc)
    errors = [p for p in problems if p["severity"] == "error"]
    if errors:
        _print_problems(errors, sys.stderr)
        return EXIT_INVALID
    _print_problems(problems, sys.stderr)  # warnings
    topology = normalize(doc)
    try:
        windows_file = open(args.windows, "w", encoding="utf-8") if args.windows else None
    except OSError as exc:
        sys.stderr.write(f"error: cannot write the windows file {args.windows}: {exc.strerror or exc}\n")
        return EXIT_INVALID
    try:
        on_window: Callable[[Window], None] | None = None
        if windows_file is not None:
            def write_window(window: Window) -> None:
                windows_file.write(json.dumps(window, sort_keys=True, allow_nan=False) + "\n")

            on_window = write_window
        sim = Simulation(topology, on_window=on_window)
        sim.run(float(topology["settings"]["duration_s"]))
        sim.finish()
        results = sim.results()
    finally:
        if windows_file is not None:
            windows_file.close()
    sys.stdout.write(_dumps(results) + "\n" if args.json else summary_text(results))
    return 0


def summary_text(r: Results) -> str:
    m = r["measured"]
    o = m["overall"]
    lat = o["latency_ms"]
    req = r["requests"]
    lines = [
        r["topology"]["name"] or "(unnamed topology)",
        f"seed {r['seed']}, {r['duration_s']:g} s simulated, measured from {m['from_s']:g} s to {m['to_s']:g} s",
        f"requests: {req['created']} started, {req['completed']} completed, {req['failed']} failed, {req['in_flight']} in flight at the end",
        "",
        f"throughput {o['throughput_per_s']:.1f}/s   errors {o['error_rate'] * 100:.2f}%   "
        f"latency ms: mean {lat['mean']:.2f}  p50 {lat['p50']:.2f}  p95 {lat['p95']:.2f}  p99 {lat['p99']:.2f}  max {lat['max']:.2f}",
    ]
    if o["failures"]:
        lines.append("failures: " + ", ".join(f"{k} {v}" for k, v in o["failures"].items()))
    lines += ["", f"{'node':<16}{'kind':<16}{'in/s':>10}{'util':>7}{'queue':>9}{'errors':>8}{'mean ms':>10}{'p99 ms':>10}"]
    for node_id, n in m["nodes"].items():
        util = f"{n['utilization']:.2f}" if "utilization" in n else "-"
        queue = f"{n['queue_length']:.2f}" if "queue_length" in n else "-"
        lines.append(f"{node_id[:15]:<16}{n['kind']:<16}{n['arrival_rate_per_s']:>10.1f}{util:>7}{queue:>9}"
                     f"{n['errors']:>8}{n['latency_ms']['mean']:>10.2f}{n['latency_ms']['p99']:>10.2f}")
    return "\n".join(lines) + "\n"


def cmd_schema(args: argparse.Namespace) -> int:
    sys.stdout.write(schema_text())
    return 0


def cmd_kinds(args: argparse.Namespace) -> int:
    sys.stdout.write(components_markdown() if args.markdown else _dumps(catalogue()) + "\n")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m lab.sim", description="Archlab's simulation engine.")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run a topology headless and print a summary")
    run.add_argument("path")
    run.add_argument("--seed", type=int, help="seed of the random numbers (default: the topology's)")
    run.add_argument("--duration", type=float, help="simulated seconds to run")
    run.add_argument("--warmup", type=float, help="simulated seconds left out of the measured results")
    run.add_argument("--window", type=float, help="length of a metrics window in simulated seconds")
    run.add_argument("--json", action="store_true", help="print the results document (docs/results.md)")
    run.add_argument("--windows", metavar="FILE", help="write every window as a JSON line to FILE")
    run.set_defaults(func=cmd_run)
    val = sub.add_parser("validate", help="print a topology's problems; exit 2 if it is invalid")
    val.add_argument("path")
    val.add_argument("--json", action="store_true")
    val.set_defaults(func=cmd_validate)
    sub.add_parser("schema", help="print the topology JSON Schema").set_defaults(func=cmd_schema)
    kinds = sub.add_parser("kinds", help="print the component catalogue (JSON, or Markdown for the docs)")
    kinds.add_argument("--markdown", action="store_true")
    kinds.set_defaults(func=cmd_kinds)
    # sweep, replicate, compare: many runs and what they say together (lab/sim/evidence/cli.py).
    from .evidence.cli import add_commands
    add_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except InvalidTopology as exc:
        _print_problems(exc.problems, sys.stderr)
        return EXIT_INVALID
    except KeyboardInterrupt:
        return 130
