"""A study's document from its runs' summaries (lab.sim.evidence's aggregate functions), kept
within the stored size, and its figures as CSV rows for a spreadsheet."""
from __future__ import annotations

import csv
import io
import json
from typing import Any

from lab.sim.evidence import Plan, aggregate_comparison, aggregate_replications, aggregate_sweep
from lab.sim.problems import Refused

from .models import Study


def aggregate(study: Study, summaries: list[Any]) -> dict[str, Any]:
    """The document of `summaries` (any subset of the plan's runs: a point with fewer runs has a
    wider interval, a point with none has empty figures)."""
    plan = Plan.from_dict(study.plan)
    options = study.request
    if study.kind == Study.Kind.SWEEP:
        return dict(aggregate_sweep(plan, summaries, **{k: options[k] for k in ("knee_metric", "threshold")
                                                        if k in options}))
    if study.kind == Study.Kind.REPLICATIONS:
        return dict(aggregate_replications(plan, summaries, **(
            {"relative_precision": options["precision"]} if "precision" in options else {})))
    return dict(aggregate_comparison(plan, summaries))


def bounded(document: dict[str, Any], max_bytes: int) -> tuple[dict[str, Any], int]:
    """The document and its size in bytes, within `max_bytes`: past it, the bands over windows
    (the largest part) are left out with a note saying so; still past it, Refused."""
    text = json.dumps(document, allow_nan=False, separators=(",", ":"))
    if len(text.encode()) <= max_bytes:
        return document, len(text.encode())
    slim = {**document, "notes": [*document.get("notes", []),
                                  f"the bands over windows are left out: the document was over the server's limit "
                                  f"of {max_bytes // 1024:,} KiB with them"]}
    if "windows" in slim:
        slim["windows"] = None
    for arm in ("a", "b"):
        if isinstance(slim.get(arm), dict):
            slim[arm] = {**slim[arm], "windows": None}
    text = json.dumps(slim, allow_nan=False, separators=(",", ":"))
    if len(text.encode()) > max_bytes:
        raise Refused(f"the study's document is {len(text.encode()) // 1024:,} KiB, over the server's limit of "
                      f"{max_bytes // 1024:,} KiB: use fewer values or a smaller design")
    return slim, len(text.encode())


INTERVAL = ("n", "median", "mean", "low", "high")


def csv_text(study: Study) -> str:
    """Sweep: one row per point and figure (the overall figures, then each node's), with the
    point's values, median and 95% interval. Replications: one row per figure. Comparison: one
    row per figure with A's and B's means, B - A with its interval, the relative difference, and
    the verdict. Empty (the header only) until the document exists."""
    out = io.StringIO()
    writer = csv.writer(out)
    doc = study.document or {}
    if study.kind == Study.Kind.COMPARISON:
        writer.writerow(["metric", "a_mean", "b_mean", "difference_mean", "difference_low", "difference_high",
                         "relative_mean", "relative_low", "relative_high", "significant", "better", "verdict"])
        for metric, m in (doc.get("metrics") or {}).items():
            d, rel = m.get("difference") or {}, m.get("relative") or {}
            writer.writerow(_cells([metric, (m.get("a") or {}).get("mean"), (m.get("b") or {}).get("mean"),
                                    d.get("mean"), d.get("low"), d.get("high"), rel.get("mean"), rel.get("low"),
                                    rel.get("high"), m.get("significant"), m.get("better"), m.get("verdict")]))
        return out.getvalue()
    if study.kind == Study.Kind.SWEEP:
        names = [a["name"] for a in doc.get("axes", [])]
        writer.writerow(["point", *names, "node", "metric", *INTERVAL])
        for point in doc.get("points", []):
            values = [point["values"].get(n) for n in names]
            for node, metric, interval in _figures(point):
                writer.writerow(_cells([point["index"], *values, node, metric, *(interval.get(k) for k in INTERVAL)]))
        return out.getvalue()
    writer.writerow(["node", "metric", *INTERVAL, "seeds_needed"])
    needed = (doc.get("precision") or {}).get("seeds_needed", {})
    for node, metric, interval in _figures(doc):
        writer.writerow(_cells([node, metric, *(interval.get(k) for k in INTERVAL),
                                needed.get(metric) if not node else ""]))
    return out.getvalue()


def _figures(part: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    rows = [("", metric, interval or {}) for metric, interval in (part.get("metrics") or {}).items()]
    for node, figures in (part.get("nodes") or {}).items():
        rows += [(node, metric, interval or {}) for metric, interval in figures.items()]
    return rows


def _cells(row: list[Any]) -> list[Any]:
    """Text a spreadsheet would run as a formula (=, +, -, @ first) is quoted with an apostrophe;
    None is an empty cell."""
    out = []
    for cell in row:
        if cell is None:
            out.append("")
        elif isinstance(cell, str) and cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
            out.append("'" + cell)
        else:
            out.append(cell)
    return out
