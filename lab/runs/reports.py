"""A finished run's report page, assembled from its stored results document and windows
(docs/results.md): the measured span's figures as text for the page, which reads and prints
without a script, and the series of its charts over the windows (static/js/report-page.js).

A long run has thousands of windows: at most MAX_POINTS of them are drawn, evenly spaced, and
the page says so (the run's CSV and JSON downloads have every window). Picking windows rather
than averaging them keeps each drawn point a real window: an average of p99s is no p99.
"""
from __future__ import annotations

from typing import Any

from django.db.models import F
from django.db.models.functions import Mod

from lab.designs.thumbnails import thumbnail_svg
from lab.sim.strict_json import scrub

from .models import Run, RunWindow

MAX_POINTS = 600


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _fmt(value: Any, digits: int = 1, unit: str = "") -> str:
    number = _number(value)
    if number is None:
        return "n/a"
    text = f"{number:,.{digits}f}"
    return f"{text} {unit}" if unit else text


def run_state(run: Run) -> dict[str, Any]:
    """Whether the report is final, and what the page says when it is not."""
    if not run.is_over:
        return {"final": False, "going": True,
                "sentence": f"This run is still {run.status}: the report is written when it ends."}
    if run.status == Run.Status.FAILED:
        return {"final": False, "sentence": f"This run failed: {run.error or run.reason or 'it did not finish'}."}
    if run.status == Run.Status.STOPPED:
        return {"final": True, "sentence": f"This run was stopped before its end ({run.reason or 'stopped'}): "
                                           f"the figures are of the span it ran."}
    if run.status == Run.Status.LIMITED:
        return {"final": True, "sentence": f"This run was ended by its budget ({run.reason}): the figures are "
                                           f"of the span it ran."}
    return {"final": True, "sentence": ""}


def headline(results: dict[str, Any]) -> list[tuple[str, str]]:
    """The measured span's headline figures, named as the lab's run view names them (run-report.js)."""
    measured = results.get("measured") or {}
    o = measured.get("overall") or {}
    lat = o.get("latency_ms") or {}
    figures = [
        ("Measured", f"{_fmt(measured.get('from_s'))} to {_fmt(measured.get('to_s'))} s"),
        ("Throughput", _fmt(o.get("throughput_per_s"), 1, "requests/s")),
        ("Latency p50 / p95 / p99", f"{_fmt(lat.get('p50'))} / {_fmt(lat.get('p95'))} / {_fmt(lat.get('p99'))} ms"),
        ("Latency mean / max", f"{_fmt(lat.get('mean'))} / {_fmt(lat.get('max'))} ms"),
        ("Errors", f"{_fmt(o.get('errors'), 0)} ({_fmt(100 * (_number(o.get('error_rate')) or 0.0), 2)}%)"),
    ]
    if _number(o.get("cost_per_hour_usd")) is not None:
        figures.append(("Cost", f"${_fmt(o.get('cost_per_hour_usd'), 3)} per hour "
                                f"(${_fmt(o.get('cost_monthly_usd'), 0)} a month)"))
    if _number(o.get("cost_per_million_usd")) is not None:
        figures.append(("Cost per million requests", f"${_fmt(o.get('cost_per_million_usd'), 2)}"))
    requests = results.get("requests") or {}
    if requests:
        figures.append(("Requests", f"{_fmt(requests.get('created'), 0)} created, {_fmt(requests.get('completed'), 0)} "
                                    f"completed, {_fmt(requests.get('failed'), 0)} failed"))
    return figures


def failures(results: dict[str, Any]) -> list[tuple[str, str]]:
    """Errors by cause over the measured span, most first."""
    causes = ((results.get("measured") or {}).get("overall") or {}).get("failures") or {}
    return [(str(c), _fmt(n, 0)) for c, n in sorted(causes.items(), key=lambda kv: -(_number(kv[1]) or 0))]


def node_rows(results: dict[str, Any]) -> list[dict[str, str]]:
    rows = []
    for node_id, n in ((results.get("measured") or {}).get("nodes") or {}).items():
        lat = n.get("latency_ms") or {}
        rows.append({"id": str(node_id), "kind": str(n.get("kind", "")),
                     "throughput": _fmt(n.get("throughput_per_s")),
                     "utilization": _fmt(n.get("utilization"), 2) if "utilization" in n else "",
                     "latency": f"{_fmt(lat.get('mean'))} / {_fmt(lat.get('p99'))}",
                     "errors": _fmt(n.get("errors"), 0),
                     "cost": _fmt(n.get("cost_per_hour_usd"), 3) if "cost_per_hour_usd" in n else ""})
    return rows


def drawn_windows(run: Run) -> tuple[list[dict[str, Any]], int]:
    """The windows the charts draw (every one, or every k-th of a long run) and how many there are."""
    rows = RunWindow.objects.filter(run=run)
    total = rows.count()
    step = max(1, -(-total // MAX_POINTS))
    if step > 1:
        rows = rows.annotate(pick=Mod(F("seq"), step)).filter(pick=0)
    return [scrub(data) for data in rows.order_by("seq").values_list("data", flat=True)], total


def errors_per_s(window: dict[str, Any]) -> float:
    span = (_number(window.get("t_end")) or 0.0) - (_number(window.get("t_start")) or 0.0)
    return (_number((window.get("overall") or {}).get("errors")) or 0.0) / span if span > 0 else 0.0


def window_charts(windows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Throughput, latency percentiles, errors by cause, utilization per node and cost per hour,
    over the windows (the warm-up's too, as the lab's charts show them)."""
    if not windows:
        return []
    x = [w.get("t_end") for w in windows]
    overall = [w.get("overall") or {} for w in windows]

    def line(name: str, ys: list[Any]) -> dict[str, Any]:
        return {"name": name, "y": [_number(v) for v in ys]}
    causes = sorted({c for o in overall for c in (o.get("failures") or {})})
    nodes = [n for n, v in (windows[-1].get("nodes") or {}).items() if "utilization" in v]
    charts = [
        {"id": "run-throughput", "type": "band", "title": "Throughput per window", "x": x,
         "xtitle": "simulated time (s)", "ytitle": "requests/s",
         "series": [line("completed/s", [o.get("throughput_per_s") for o in overall]),
                    line("errors/s", [errors_per_s(w) for w in windows])]},
        {"id": "run-latency", "type": "band", "title": "Latency per window", "x": x, "xtitle": "simulated time (s)",
         "ytitle": "ms", "series": [line(p, [(o.get("latency_ms") or {}).get(p) for o in overall])
                                    for p in ("p50", "p95", "p99")]},
    ]
    if causes:
        charts.append({"id": "run-errors", "type": "stack", "title": "Errors by cause per window", "x": x,
                       "xtitle": "simulated time (s)", "ytitle": "errors",
                       "series": [line(c, [(o.get("failures") or {}).get(c, 0) for o in overall]) for c in causes]})
    if nodes:
        charts.append({"id": "run-utilization", "type": "band", "title": "Utilization per node", "x": x,
                       "xtitle": "simulated time (s)", "ytitle": "utilization",
                       "series": [line(n, [((w.get("nodes") or {}).get(n) or {}).get("utilization") for w in windows])
                                  for n in nodes]})
    if any("cost_per_hour_usd" in o for o in overall):
        charts.append({"id": "run-cost", "type": "band", "title": "Cost per hour", "x": x,
                       "xtitle": "simulated time (s)", "ytitle": "$ per hour",
                       "series": [line("cost per hour", [o.get("cost_per_hour_usd") for o in overall])]})
    return charts


def run_report(*, run: Run) -> dict[str, Any]:
    """The context of a run's report page (templates/runs/report.html), less what needs the
    request (links, and whether the viewer may open the design)."""
    results = scrub(run.results) if isinstance(run.results, dict) else None
    topology = scrub(run.topology) if isinstance(run.topology, dict) else {}
    context: dict[str, Any] = {"run": run, "state": run_state(run), "results": results, "charts": [],
                               "name": str(topology.get("name") or "a topology"), "picture": thumbnail_svg(topology)}
    if results is None or run.evidence is not None:
        return context
    windows, total = drawn_windows(run)
    context.update({"headline": headline(results), "failures": failures(results), "nodes": node_rows(results),
                    "charts": window_charts(windows), "windows_total": total, "windows_drawn": len(windows)})
    return context
