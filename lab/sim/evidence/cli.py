"""`python -m lab.sim sweep|replicate|compare`: the evidence subcommands. lab/sim/cli.py only
registers them (`add_commands`); everything else is here.

    python -m lab.sim sweep lab/sim/examples/reference.json --param rate_per_s --range 200:2000:10 --seeds 5
    python -m lab.sim sweep T.json --node app --param instances --values 1,2,4 --seeds 5 --json
    python -m lab.sim replicate T.json --seeds 10 --csv
    python -m lab.sim compare A.json B.json --seeds 10

Exit status as the rest of the command line: 0 done, 2 invalid input (the problems are printed
on stderr), 1 anything unexpected, 130 interrupted.
"""
from __future__ import annotations

import argparse
import csv
import json
import sys
import threading
from collections.abc import Callable
from typing import Any, TextIO

from ..document.format import LIMITS
from ..document.loading import InvalidTopology, load, parse
from ..document.types import Topology
from ..problems import Problem, Refused, problem
from .comparison import aggregate_comparison
from .documents import Document
from .executor import run_plans
from .plans import plan_comparison, plan_replications, plan_sweep
from .replications import aggregate_replications
from .running import METRICS
from .sweeps import KNEE_METRIC, KNEE_THRESHOLD_MS, aggregate_sweep
from .wording import METRIC_INFO, amount, sig

EXIT_INVALID = 2


def add_commands(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """Register the subcommands on lab/sim/cli.py's parser; each sets `func`, which returns the
    exit status."""
    sweep = sub.add_parser("sweep", help="run a topology over a parameter's values and seeds (a load curve, a knee)")
    sweep.add_argument("path")
    _axis_arguments(sweep, "")
    _axis_arguments(sweep, "2", " of a second parameter (a heat map)")
    sweep.add_argument("--knee-metric", default=KNEE_METRIC, choices=METRICS, help="the figure the knee sentence is about")
    sweep.add_argument("--threshold", type=float, default=KNEE_THRESHOLD_MS,
                       help="the knee's threshold, in the figure's unit (ms; a share for error_rate)")
    _common(sweep)
    sweep.set_defaults(func=cmd_sweep)
    rep = sub.add_parser("replicate", help="run a topology with many seeds: every figure with its 95%% interval")
    rep.add_argument("path")
    rep.add_argument("--precision", type=float, default=0.05,
                     help="target relative precision the suggested number of seeds is for (default 0.05)")
    _common(rep)
    rep.set_defaults(func=cmd_replicate)
    cmp = sub.add_parser("compare", help="run two topologies on the same seeds and say what differs")
    cmp.add_argument("path_a")
    cmp.add_argument("path_b")
    _common(cmp)
    cmp.set_defaults(func=cmd_compare)


def _axis_arguments(parser: argparse.ArgumentParser, n: str, what: str = "") -> None:
    parser.add_argument(f"--node{n}", help=f"the node whose parameter is swept{what} (leave out for the workload)")
    parser.add_argument(f"--param{n}", help=f"the parameter{what}; without --node{n}: rate_per_s, the workload's rate")
    parser.add_argument(f"--values{n}", help="comma-separated values: 1,2,4 or lru,lfu or true,false")
    parser.add_argument(f"--range{n}", metavar="START:STOP:STEPS", help="evenly spaced values, e.g. 200:2000:10")


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seeds", type=int, default=5, help="seeds per point (the topology's seed and the ones after)")
    parser.add_argument("--duration", type=float, help="simulated seconds of each run")
    parser.add_argument("--warmup", type=float, help="simulated seconds left out of each run's measurement")
    parser.add_argument("--window", type=float, help="length of a metrics window in simulated seconds")
    parser.add_argument("--workers", type=int, help="processes to run on (default: one per core)")
    out = parser.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print the document (docs/evidence.md)")
    out.add_argument("--csv", action="store_true", help="print the figures as CSV")
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")


def cmd_sweep(args: argparse.Namespace) -> int:
    def work() -> Document:
        topology = _topology(args.path, args)
        axes = [_axis(args, "")]
        if any(getattr(args, f"{k}2") is not None for k in ("node", "param", "values", "range")):
            axes.append(_axis(args, "2"))
        plan = plan_sweep(topology, {"axes": axes, "seeds": args.seeds})
        summaries = run_plans(plan.runs, workers=args.workers, on_progress=_progress(args))
        return aggregate_sweep(plan, summaries, knee_metric=args.knee_metric, threshold=args.threshold)
    return _main(args, work, _sweep_text, _sweep_rows)


def cmd_replicate(args: argparse.Namespace) -> int:
    def work() -> Document:
        plan = plan_replications(_topology(args.path, args), args.seeds)
        summaries = run_plans(plan.runs, workers=args.workers, on_progress=_progress(args))
        return aggregate_replications(plan, summaries, relative_precision=args.precision)
    return _main(args, work, _replications_text, _replications_rows)


def cmd_compare(args: argparse.Namespace) -> int:
    def work() -> Document:
        a, b = _topology(args.path_a, args), _topology(args.path_b, args)
        plan = plan_comparison(a, b, args.seeds)
        return aggregate_comparison(plan, run_plans(plan.runs, workers=args.workers, on_progress=_progress(args)))
    return _main(args, work, _comparison_text, _comparison_rows)


def _main(args: argparse.Namespace, work: Callable[[], Document], text: Callable[[Document], str],
          rows: Callable[[Document], list[list[Any]]]) -> int:
    try:
        doc = work()
    except Refused as exc:
        _print_problems(exc.problems, sys.stderr)
        return EXIT_INVALID
    if args.json:
        sys.stdout.write(json.dumps(doc, indent=2, sort_keys=True, allow_nan=False) + "\n")
    elif args.csv:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerows(rows(doc))
    else:
        sys.stdout.write(text(doc))
    return 0


# -- input ----------------------------------------------------------------------------------------

def _topology(path: str, args: argparse.Namespace) -> Topology:
    """The file's topology with the command line's settings, through the normal loader."""
    try:
        with open(path, "rb") as fh:
            data = fh.read(LIMITS["document_bytes"] + 1)
    except OSError as exc:
        raise Refused(f"cannot read {path}: {exc.strerror or exc}") from None
    doc, problems = parse(data)
    if problems:
        raise Refused(problems)
    if isinstance(doc, dict) and isinstance(doc.get("settings", {}), dict):
        overrides = {k: v for k, v in (("duration_s", args.duration), ("warmup_s", args.warmup),
                                       ("window_s", args.window)) if v is not None}
        doc["settings"] = {**doc.get("settings", {}), **overrides}
    try:
        return load(doc)
    except InvalidTopology as exc:
        raise Refused([problem(p["path"], f"{path}: {p['message']}", p["severity"]) for p in exc.problems]) from None


def _axis(args: argparse.Namespace, n: str) -> dict[str, Any]:
    node, param = getattr(args, f"node{n}"), getattr(args, f"param{n}")
    values, stepped = getattr(args, f"values{n}"), getattr(args, f"range{n}")
    if param is None:
        raise Refused(f"--param{n} is missing: the parameter to sweep", path=f"--param{n}")
    axis: dict[str, Any] = {"node": node, "param": param} if node is not None else {"workload": param}
    if values is not None and stepped is not None:
        raise Refused(f"give --values{n} or --range{n}, not both", path=f"--values{n}")
    if values is not None:
        axis["values"] = [_value(v) for v in values.split(",")]
    elif stepped is not None:
        parts = stepped.split(":")
        if len(parts) != 3:
            raise Refused(f"--range{n} is START:STOP:STEPS, e.g. 200:2000:10, not {stepped!r}", path=f"--range{n}")
        start, stop, steps = (_value(p) for p in parts)
        axis["range"] = {"start": start, "stop": stop, "steps": steps}
    else:
        raise Refused(f"give the values with --values{n} 1,2,4 or --range{n} START:STOP:STEPS", path=f"--values{n}")
    return axis


def _value(text: str) -> Any:
    """A value as typed: a JSON number or true/false, else the text itself (a choice)."""
    text = text.strip()
    try:
        value = json.loads(text)
    except ValueError:
        return text
    return value if isinstance(value, (int, float, bool)) else text


def _progress(args: argparse.Namespace) -> Callable[[int, int], None] | None:
    if args.quiet or args.json or args.csv or not sys.stderr.isatty():
        return None
    lock = threading.Lock()

    def show(done: int, total: int) -> None:
        with lock:
            sys.stderr.write(f"\r{done}/{total} runs" + ("\n" if done == total else ""))
            sys.stderr.flush()
    return show


def _print_problems(problems: list[Problem], out: TextIO) -> None:
    for p in problems:
        out.write(f"{p['severity']}: {p['path']}: {p['message']}\n")


# -- output ---------------------------------------------------------------------------------------

HEADLINE = ("throughput_per_s", "error_rate", "latency_p50_ms", "latency_p99_ms", "cost_per_hour_usd")


def _figure(interval: dict[str, Any], metric: str) -> str:
    unit = METRIC_INFO[metric].unit
    mean = interval["mean"]
    if mean is None:
        return "-"
    if interval["low"] is None:
        return amount(mean, unit)
    if unit in ("%", "$"):
        return f"{amount(mean, unit)} ({amount(interval['low'], unit)} to {amount(interval['high'], unit)})"
    return f"{amount(mean, unit)} ({sig(interval['low'])} to {sig(interval['high'])})"


def _sweep_text(doc: Document) -> str:
    names = [a["name"] for a in doc["axes"]]
    lines = [doc["topology"]["name"] or "(unnamed topology)",
             f"{doc['runs']['counted']} runs: {len(doc['points'])} points x {len(doc['seeds'])} seeds; "
             "mean (95% interval) over the seeds", ""]
    for point in doc["points"]:
        where = ", ".join(f"{n} = {point['values'][n]}" for n in names)
        figures = "   ".join(f"{METRIC_INFO[m].label} {_figure(point['metrics'][m], m)}" for m in HEADLINE)
        lines.append(f"{where}: {figures}")
    if doc["knee"]:
        lines += ["", doc["knee"]["sentence"] + "."]
    front = doc["pareto"]["front"]
    if len(front) > 1:
        lines.append("Pareto front (cost per hour vs p99): " + "; ".join(
            ", ".join(f"{n} = {doc['points'][i]['values'][n]}" for n in names) for i in front))
    lines += [f"note: {n}" for n in doc["notes"]]
    return "\n".join(lines) + "\n"


def _sweep_rows(doc: Document) -> list[list[Any]]:
    names = [a["name"] for a in doc["axes"]]
    head = names + ["runs"] + [f"{m}_{k}" for m in METRICS for k in ("mean", "low", "high")]
    rows: list[list[Any]] = [head]
    for p in doc["points"]:
        rows.append([p["values"][n] for n in names] + [p["runs"]]
                    + [_cell(p["metrics"][m][k]) for m in METRICS for k in ("mean", "low", "high")])
    return rows


def _replications_text(doc: Document) -> str:
    lines = [doc["topology"]["name"] or "(unnamed topology)",
             f"{doc['runs']['counted']} seeds ({doc['seeds'][0]} to {doc['seeds'][-1]}): "
             "median, mean (95% interval), seeds for ±" f"{doc['precision']['relative']:.0%}", ""]
    needed = doc["precision"]["seeds_needed"]
    for m in METRICS:
        fig = doc["metrics"][m]
        med = "-" if fig["median"] is None else amount(fig["median"], METRIC_INFO[m].unit)
        lines.append(f"{METRIC_INFO[m].label:<28}{med:>14}   {_figure(fig, m):<40} {needed[m] or '-'}")
    lines += [""] + [a + "." for a in doc["precision"]["advice"]]
    return "\n".join(lines) + "\n"


def _replications_rows(doc: Document) -> list[list[Any]]:
    rows: list[list[Any]] = [["metric", "n", "median", "mean", "low", "high", "sd", "seeds_needed"]]
    for m in METRICS:
        f = doc["metrics"][m]
        rows.append([m] + [_cell(f[k]) for k in ("n", "median", "mean", "low", "high", "sd")]
                    + [_cell(doc["precision"]["seeds_needed"][m])])
    return rows


def _comparison_text(doc: Document) -> str:
    lines = [f"A: {doc['a']['name'] or '(unnamed)'}", f"B: {doc['b']['name'] or '(unnamed)'}",
             f"{doc['pairs']} seeds, paired (the same traffic in A and B)", ""]
    lines += [v + "." for v in doc["verdicts"]]
    lines += [f"note: {n}" for n in doc["notes"]]
    return "\n".join(lines) + "\n"


def _comparison_rows(doc: Document) -> list[list[Any]]:
    rows: list[list[Any]] = [["metric", "a_mean", "b_mean", "difference_mean", "difference_low", "difference_high",
                              "relative_mean", "relative_low", "relative_high", "significant", "verdict"]]
    for m in METRICS:
        f = doc["metrics"][m]
        rel = f["relative"] or {}
        rows.append([m, _cell(f["a"]["mean"]), _cell(f["b"]["mean"])]
                    + [_cell(f["difference"][k]) for k in ("mean", "low", "high")]
                    + [_cell(rel.get(k)) for k in ("mean", "low", "high")] + [f["significant"], f["verdict"]])
    return rows


def _cell(value: Any) -> Any:
    return "" if value is None else value
