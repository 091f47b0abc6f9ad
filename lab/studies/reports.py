"""A study's report page, assembled from its stored document (lab.studies.documents, the same one
the API serves and the downloads write): the figures and verdicts as text for the page, which
reads and prints without a script, and the series its charts are drawn from.

Nothing here computes a statistic: every interval, band, verdict, the knee sentence, the Pareto
front and the seeds needed are the document's, made by lab.sim.evidence. This module only picks
them out and spells them the way the evidence package's sentences do (lab.sim.evidence.wording),
so "22.6 ms" reads the same in a table as in a verdict.
"""
from __future__ import annotations

from typing import Any

from lab.accounts.selectors import public_name
from lab.designs import selectors as designs
from lab.designs.thumbnails import thumbnail_svg
from lab.sim.evidence.wording import METRIC_INFO, amount, percent

from .models import Study
from .selectors import PROPOSED, side_name

KINDS: dict[str, str] = {Study.Kind.SWEEP: "Sweep", Study.Kind.REPLICATIONS: "Seeds",
                         Study.Kind.COMPARISON: "A/B comparison"}
# The figures a sweep's report plots against the parameter, one chart each, the knee's first.
SWEEP_CHARTS = ("latency_p99_ms", "latency_p95_ms", "latency_p50_ms", "throughput_per_s", "error_rate",
                "cost_per_hour_usd", "cost_per_million_usd")
# The columns of a sweep's table of points (every figure is in the CSV download).
POINT_COLUMNS = ("latency_p99_ms", "latency_p95_ms", "throughput_per_s", "error_rate", "cost_per_hour_usd")
HEATMAPS = ("latency_p99_ms", "error_rate", "cost_per_hour_usd")


# ---- how figures read -------------------------------------------------------------------------

def label(metric: str) -> str:
    """"p99 latency (ms)", "error rate (%)", "cost per hour ($)"; a node figure without a unit bare."""
    info = METRIC_INFO.get(metric)
    if info is None:
        return metric.replace("_", " ")
    return f"{info.label} ({info.unit})" if info.unit else info.label


def _unit(metric: str) -> str:
    info = METRIC_INFO.get(metric)
    return info.unit if info else ""


def value_text(metric: str, value: Any) -> str:
    """A value as a table cell under a heading that names its unit: "22.6", "-4.2", a share as a
    percentage ("1.2%") and dollars with their sign ("$0.52", "-$0.12"); "n/a" for none."""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return "n/a"
    unit = _unit(metric)
    return ("-" if value < 0 else "") + amount(abs(float(value)), unit if unit in ("%", "$") else "")


def interval_text(metric: str, figure: Any) -> str:
    """"22.6 (18.1 to 27)": the mean and its 95% interval; "(one run)" when there is no spread."""
    if not isinstance(figure, dict) or figure.get("mean") is None:
        return "n/a"
    mean = value_text(metric, figure["mean"])
    if figure.get("low") is None or figure.get("high") is None:
        return f"{mean} (one run)"
    return f"{mean} ({value_text(metric, figure['low'])} to {value_text(metric, figure['high'])})"


def _signed_percent(share: Any) -> str:
    if not isinstance(share, (int, float)):
        return "n/a"
    return ("-" if share < 0 else "+" if share > 0 else "") + percent(share)


def relative_text(relative: Any) -> str:
    """B relative to A: "-31% (-35% to -27%)"."""
    if not isinstance(relative, dict) or relative.get("mean") is None:
        return "n/a"
    if relative.get("low") is None or relative.get("high") is None:
        return _signed_percent(relative["mean"])
    return (f"{_signed_percent(relative['mean'])} ({_signed_percent(relative['low'])} to "
            f"{_signed_percent(relative['high'])})")


# ---- the page ---------------------------------------------------------------------------------

def _picture(design: Any, number: int) -> str:
    """The revision's picture as inline SVG (lab.designs.thumbnails escapes every text in it), from
    the scrubbed revision the design pages show."""
    revision = designs.revision_get(design=design, number=number)
    return thumbnail_svg(revision.topology) if revision is not None else ""


def _picture_b(study: Study) -> str:
    """B's picture, if B is not A: a proposed change's from the topology it ran (the plan keeps it)."""
    if study.b_proposed:
        topology = study.b_topology
        return thumbnail_svg(topology) if topology is not None else ""
    if study.design_b is None or study.revision_b is None \
            or (study.design_b_id, study.revision_b_id) == (study.design_id, study.revision_id):
        return ""
    return _picture(study.design_b, study.revision_b.number)


def _state(study: Study) -> dict[str, Any]:
    """Whether the page is final, and the sentence that says what it shows when it is not."""
    done, total, failed = study.done, study.total, study.failed
    runs = f"{done} of {total} runs finished" + (f", {failed} failed" if failed else "")
    if study.status == Study.Status.DONE:
        return {"final": True, "sentence": "", "runs": runs}
    if study.status in (Study.Status.QUEUED, Study.Status.RUNNING):
        return {"final": False, "going": True, "runs": runs,
                "sentence": f"This study is still running ({runs}): this page is not final. The figures "
                            f"appear when its last run ends."}
    if study.status == Study.Status.CANCELLED:
        shown = (f"the figures below are of the {done} runs that finished, of {total} planned" if study.document
                 else "no run had finished, so there are no figures")
        return {"final": False, "runs": runs, "sentence": f"This study was cancelled: {shown}."}
    why = study.error or "no run of it finished"
    return {"final": False, "runs": runs, "sentence": f"This study failed: {why}."}


def study_report(*, study: Study) -> dict[str, Any]:
    """The context of the study's report page (templates/studies/report.html): who ran what, on
    which revision and seeds, when; its state; and by kind, the figures in words and the charts'
    series (`charts`, for static/js/report-page.js)."""
    doc = study.document if isinstance(study.document, dict) else None
    name_a = study.design.name
    if study.b_proposed:
        title = f"A/B comparison: {name_a} r{study.revision.number} (A) against a {PROPOSED} (B)"
    elif study.kind == Study.Kind.COMPARISON and study.design_b is not None and study.revision_b is not None:
        title = (f"A/B comparison: {name_a} r{study.revision.number} (A) against "
                 f"{study.design_b.name} r{study.revision_b.number} (B)")
    else:
        title = f"{KINDS.get(study.kind, study.kind)} of {name_a}, revision {study.revision.number}"
    context: dict[str, Any] = {
        "study": study, "title": title, "kind": KINDS.get(study.kind, study.kind), "by": public_name(study.user),
        "seeds": ", ".join(str(s) for s in study.seeds), "state": _state(study),
        "picture": _picture(study.design, study.revision.number),
        "picture_b": _picture_b(study), "name_a": side_name(study, "a"), "name_b": side_name(study, "b"),
        "notes": list(doc.get("notes") or []) if doc else [],
        "limited": len(doc.get("limited") or []) if doc else 0,
        "document": doc, "charts": [],
    }
    if doc is None:
        return context
    if doc.get("format") == "archlab.sweep":
        context.update(sweep_report(doc))
    elif doc.get("format") == "archlab.replications":
        context.update(replications_report(doc))
    elif doc.get("format") == "archlab.comparison":
        # The designs by their saved names and revisions (the document knows their topologies' names).
        names = (side_name(study, "a"), side_name(study, "b"))
        context.update(comparison_report(doc, names=names if names[1] else None))
    return context


# ---- by kind ----------------------------------------------------------------------------------

def _band(name: str, figures: list[Any], scale: float = 1.0) -> dict[str, Any]:
    """A series of intervals as the chart draws it: the mean, and the band from low to high (the
    mean itself where a point has no spread, as with one run). `scale` 100 draws a share in %."""
    def pick(f: Any, key: str) -> Any:
        if not isinstance(f, dict):
            return None
        v = f.get(key) if f.get(key) is not None else f.get("mean")
        return v * scale if isinstance(v, (int, float)) else v
    return {"name": name, "y": [pick(f, "mean") for f in figures], "low": [pick(f, "low") for f in figures],
            "high": [pick(f, "high") for f in figures]}


def _scale(metric: str) -> float:
    return 100.0 if _unit(metric) == "%" else 1.0


def _times(values: list[Any], k: float) -> list[Any]:
    return [v * k if isinstance(v, (int, float)) and k != 1.0 else v for v in values]


def _axis_title(axis: dict[str, Any]) -> str:
    if axis.get("node"):
        return f"{axis['node']}.{axis['param']}"
    return f"{axis.get('label') or axis.get('name')}" + (f" ({axis['unit']})" if axis.get("unit") else "")


def _point_label(point: dict[str, Any]) -> str:
    return ", ".join(f"{k} = {v}" for k, v in (point.get("values") or {}).items())


def sweep_report(doc: dict[str, Any]) -> dict[str, Any]:
    axes, points = doc.get("axes") or [], doc.get("points") or []
    names = [a["name"] for a in axes]
    knee = doc.get("knee")
    rows = [{"values": [point["values"].get(n) for n in names], "runs": point["runs"],
             "figures": [interval_text(m, point["metrics"].get(m)) for m in POINT_COLUMNS],
             "front": point["index"] in (doc.get("pareto") or {}).get("front", [])} for point in points]
    charts: list[dict[str, Any]] = []
    if len(axes) == 1:
        axis = axes[0]
        x = [p["values"].get(axis["name"]) for p in points]
        for metric in sorted(SWEEP_CHARTS, key=lambda m: m != (knee or {}).get("metric")):
            chart: dict[str, Any] = {
                "id": f"sweep-{metric}", "type": "band", "title": f"{label(metric)} against {_axis_title(axis)}",
                "x": x, "xtitle": _axis_title(axis), "ytitle": label(metric),
                "series": [_band(label(metric), [p["metrics"].get(metric) for p in points], _scale(metric))]}
            if knee and knee.get("metric") == metric:
                threshold = knee.get("threshold")
                chart["marks"] = {"x": knee.get("value"),
                                  "y": threshold * _scale(metric) if isinstance(threshold, (int, float)) else None}
            charts.append(chart)
        info = doc.get("node_info") or {}
        busy = [n for n in (points[0]["nodes"] if points else {}) if "utilization" in points[0]["nodes"][n]]
        if busy:
            charts.append({"id": "sweep-utilization", "type": "band", "title": "Utilization per node",
                           "x": x, "xtitle": _axis_title(axis), "ytitle": "utilization",
                           "series": [_band((info.get(n) or {}).get("label") or n,
                                            [p["nodes"].get(n, {}).get("utilization") for p in points]) for n in busy]})
    grid = doc.get("grid")
    if isinstance(grid, dict):
        for metric in HEATMAPS:
            if metric in grid.get("z", {}):
                charts.append({"id": f"sweep-heatmap-{metric}", "type": "heatmap",
                               "title": f"{label(metric)}, the mean over seeds", "x": grid["x"]["values"],
                               "y": grid["y"]["values"],
                               "z": [_times(row, _scale(metric)) for row in grid["z"][metric]],
                               "xtitle": grid["x"]["name"],
                               "ytitle": grid["y"]["name"], "ztitle": label(metric)})
    pareto = doc.get("pareto") or {}
    front = [points[i] for i in pareto.get("front", []) if 0 <= i < len(points)]
    if pareto:
        xm, ym = pareto["x"], pareto["y"]

        def means(group: list[dict[str, Any]], metric: str) -> list[Any]:
            return [(p["metrics"].get(metric) or {}).get("mean") for p in group]
        charts.append({"id": "sweep-pareto", "type": "pareto", "title": f"{label(xm)} against {label(ym)}, "
                                                                        f"the Pareto front marked",
                       "xtitle": label(xm), "ytitle": label(ym),
                       "points": {"x": means(points, xm), "y": means(points, ym),
                                  "text": [_point_label(p) for p in points]},
                       "front": {"x": means(front, xm), "y": means(front, ym),
                                 "text": [_point_label(p) for p in front]}})
    return {
        "sweep": {
            "knee": knee.get("sentence") if isinstance(knee, dict) else "",
            "axes": [{"title": _axis_title(a), "values": ", ".join(str(v) for v in a.get("values", []))} for a in axes],
            "columns": [*(_axis_title(a) for a in axes), "runs", *(label(m) for m in POINT_COLUMNS)], "rows": rows,
            "front": [{"point": _point_label(p),
                       "cost": interval_text(pareto["x"], p["metrics"].get(pareto["x"])),
                       "p99": interval_text(pareto["y"], p["metrics"].get(pareto["y"]))} for p in front],
            "front_titles": (label(pareto["x"]), label(pareto["y"])) if pareto else ("", ""),
        },
        "charts": charts,
    }


def _node_rows(nodes: dict[str, Any], info: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"node": (info.get(n) or {}).get("label") or n, "id": n, "metric": label(m),
             "figure": interval_text(m, f)} for n, figures in (nodes or {}).items() for m, f in figures.items()]


def _window_charts(prefix: str, arms: list[tuple[str, Any]]) -> list[dict[str, Any]]:
    """One chart per overall figure of the per-window bands (`arms`: each series' name and its
    document's `windows`): the median over seeds and its 95% band, of one design or of A and B."""
    first = next((w for _, w in arms if isinstance(w, dict) and w.get("t_end")), None)
    if first is None:
        return []
    charts = []
    for metric in first.get("overall", {}):
        series = []
        for name, w in arms:
            band = (w or {}).get("overall", {}).get(metric) if isinstance(w, dict) else None
            if band:
                k = _scale(metric)
                series.append({"name": name, "x": w["t_end"], **{key: _times(band[src], k) for key, src in
                                                                 (("y", "median"), ("low", "low"), ("high", "high"))}})
        charts.append({"id": f"{prefix}-{metric}", "type": "band", "title": f"{label(metric)} per window",
                       "x": first["t_end"], "xtitle": "simulated time (s)", "ytitle": label(metric), "series": series})
    return charts


def replications_report(doc: dict[str, Any]) -> dict[str, Any]:
    precision = doc.get("precision") or {}
    needed = precision.get("seeds_needed") or {}
    rows = [{"metric": label(m), "figure": interval_text(m, f), "median": value_text(m, (f or {}).get("median")),
             "needed": needed.get(m) if needed.get(m) is not None else "n/a"}
            for m, f in (doc.get("metrics") or {}).items()]
    return {
        "replications": {"rows": rows, "advice": list(precision.get("advice") or []),
                         "precision": percent(precision.get("relative", 0.05)),
                         "nodes": _node_rows(doc.get("nodes") or {}, doc.get("node_info") or {})},
        "charts": _window_charts("seeds", [("median over seeds", doc.get("windows"))]),
    }


def comparison_report(doc: dict[str, Any], names: tuple[str, str] | None = None) -> dict[str, Any]:
    """`names`: how A and B are called (by default, their topologies' names)."""
    metrics = doc.get("metrics") or {}
    rows = [{"metric": label(m), "a": interval_text(m, f.get("a")), "b": interval_text(m, f.get("b")),
             "difference": interval_text(m, f.get("difference")), "relative": relative_text(f.get("relative")),
             "verdict": f.get("verdict", ""), "significant": bool(f.get("significant")), "better": f.get("better")}
            for m, f in metrics.items()]
    shown = [(m, f) for m, f in metrics.items() if isinstance(f.get("relative"), dict)
             and f["relative"].get("mean") is not None]
    charts: list[dict[str, Any]] = []
    if shown:
        def pct(f: dict[str, Any], key: str) -> Any:
            v = f["relative"].get(key)
            return None if v is None else 100 * v
        charts.append({"id": "ab-difference", "type": "bars", "title": "B relative to A, with its 95% interval",
                       "labels": [label(m) for m, _ in shown], "y": [pct(f, "mean") for _, f in shown],
                       "low": [pct(f, "low") for _, f in shown], "high": [pct(f, "high") for _, f in shown],
                       "xtitle": "B relative to A (%)"})
    a, b = doc.get("a") or {}, doc.get("b") or {}
    name_a, name_b = names or (str(a.get("name", "A")), str(b.get("name", "B")))
    charts += _window_charts("ab", [(f"A: {name_a}", a.get("windows")), (f"B: {name_b}", b.get("windows"))])
    return {
        "comparison": {"a": name_a, "b": name_b, "pairs": doc.get("pairs", 0),
                       "verdicts": list(doc.get("verdicts") or []), "rows": rows},
        "charts": charts,
    }
