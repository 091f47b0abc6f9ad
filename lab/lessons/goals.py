"""Lesson goals as data: the metric vocabulary, checking a goal against its step, and evaluating
it over one seed's run (docs/lessons-goals.md).

A goal reads one number from a *view* of the run (spans.py: the exact measured totals, or the
windows of a span added together), compares it with a value (or with the same number measured
on the step's start design), and says in a sentence what was measured, what the goal is and,
from the run itself, what to look at (advice.py). Framework-free: no Django.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Callable

from lab.sim.problems import Problem, problem

from . import advice, spans
from .structure import STRUCTURES, check_structure, evaluate_structure

Reader = Callable[[dict[str, Any], dict[str, Any]], "float | None"]

SCOPES = ("overall", "class", "origin", "node", "edge")
_FLOW = ("overall", "class", "origin", "node")
COMPARES: dict[str, Callable[[float, float], bool]] = {
    "<=": lambda a, b: a <= b + 1e-9, "<": lambda a, b: a < b,
    ">=": lambda a, b: a >= b - 1e-9, ">": lambda a, b: a > b,
}
COMPARE_WORDS = {"<=": "at most", "<": "under", ">=": "at least", ">": "over"}


@dataclass(frozen=True)
class Metric:
    name: str
    unit: str
    label: str
    scopes: tuple[str, ...]
    read: Reader  # (scope's entry of the view, the goal spec) -> value, None if unmeasurable
    needs_completions: bool  # "nothing completed" makes it unmeasurable (the p99 of nothing is not 0)
    family: str  # latency, errors, throughput, utilization, hit_ratio, cost: picks the advice
    help: str


def check_latency(key: str) -> Reader:
    return lambda e, _s: e["latency_ms"][key] if e.get("completions", 0) > 0 else None


def _ended(e: dict[str, Any]) -> int:
    return e.get("completions", 0) + e.get("errors", 0)


def _by_cause(e: dict[str, Any], spec: dict[str, Any]) -> float | None:
    return e.get("failures", {}).get(spec.get("cause"), 0) / _ended(e) * 100.0 if _ended(e) else None


def _pct(key: str) -> Reader:
    return lambda e, _s: e[key] * 100.0 if e.get(key) is not None else None


def _hit_ratio(e: dict[str, Any], _s: dict[str, Any]) -> float | None:
    if "hit_ratio" not in e or e.get("hits", 0) + e.get("misses", 0) == 0:
        return None
    return e["hit_ratio"] * 100.0


def _monthly(e: dict[str, Any], _s: dict[str, Any]) -> float | None:
    if e.get("cost_monthly_usd") is not None:
        return e["cost_monthly_usd"]
    return e["cost_per_hour_usd"] * 730.0 if e.get("cost_per_hour_usd") is not None else None


def _m(name: str, unit: str, label: str, scopes: tuple[str, ...], read: Reader, family: str, help: str,
       needs_completions: bool = False) -> Metric:
    return Metric(name, unit, label, scopes, read, needs_completions, family, help)


METRICS: dict[str, Metric] = {m.name: m for m in (
    _m("latency_mean_ms", "ms", "mean latency", _FLOW, check_latency("mean"), "latency",
       "mean end-to-end latency of completed requests (time in the node, for a node)", True),
    _m("latency_p50_ms", "ms", "p50 latency", _FLOW, check_latency("p50"), "latency", "median latency", True),
    _m("latency_p95_ms", "ms", "p95 latency", _FLOW, check_latency("p95"), "latency", "95th percentile", True),
    _m("latency_p99_ms", "ms", "p99 latency", _FLOW, check_latency("p99"), "latency", "99th percentile", True),
    _m("error_rate_pct", "%", "error rate", _FLOW,
       lambda e, _s: e.get("errors", 0) / _ended(e) * 100.0 if _ended(e) else None, "errors",
       "failed / (completed + failed) requests"),
    _m("errors_by_cause_pct", "%", "share of requests failing", _FLOW, _by_cause, "errors",
       "requests failed with the goal's `cause` / (completed + failed)"),
    _m("throughput_per_s", "/s", "throughput", SCOPES, lambda e, _s: e.get("throughput_per_s"), "throughput",
       "completed requests per second (requests along it, for an edge)"),
    _m("completed_count", "count", "completed requests", _FLOW, lambda e, _s: e.get("completions"), "throughput",
       "requests completed in the span"),
    _m("utilization_pct", "%", "utilization", ("node",), _pct("utilization"), "utilization",
       "busy worker-time / available worker-time of a pool, database or queue"),
    _m("hit_ratio_pct", "%", "hit ratio", ("node",), _hit_ratio, "hit_ratio", "hits / lookups of a cache or CDN"),
    _m("cost_per_hour_usd", "USD/h", "cost", ("overall", "node", "edge"),
       lambda e, _s: e.get("cost_per_hour_usd"), "cost", "dollars per hour at the span's rate"),
    _m("cost_monthly_usd", "USD/month", "cost", ("overall", "node", "edge"), _monthly, "cost",
       "cost per hour x 730"),
    _m("cost_per_million_usd", "USD/1M", "cost", ("overall",),
       lambda e, _s: e.get("cost_per_million_usd"), "cost", "dollars per million completed requests", True),
)}

_HIT_RATIO_KINDS = ("cache", "cdn")


@dataclass
class GoalResult:
    goal: str
    passed: bool
    measured: float | None  # None: not measurable (nothing completed, a missing node...)
    unit: str
    target: float | None  # the number `measured` was compared with
    compare: str
    sentence: str  # what was measured against the goal
    look_at: str  # where to look, from the run
    baseline: float | None = None  # a relative goal's value on the start design
    seed: int | None = None
    span: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# -- checking a goal against its step -------------------------------------------------------------

def step_context_for(topology: dict[str, Any], faults: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """What check_goal needs to know about a step, from its reference design (a raw or loaded
    topology) and its scenario's faults."""
    nodes = [n for n in topology.get("nodes", []) if isinstance(n, dict)]
    kinds = {n.get("id"): n.get("kind") for n in nodes}
    classes = [c.get("name") for c in topology.get("workload", {}).get("classes", [])] or ["read"]
    return {
        "nodes": kinds,
        "edges": [e.get("id", f"e{i + 1}") for i, e in enumerate(topology.get("edges", [])) if isinstance(e, dict)],
        "classes": classes,
        "origins": sorted({n["region"] for n in nodes if n.get("kind") == "traffic_source" and n.get("region")}),
        "faults": [f.get("id", f"f{i + 1}") for i, f in enumerate(faults if faults is not None else
                                                                   topology.get("faults", []))],
    }


def _names(items: Any) -> str:
    items = list(items)
    return ", ".join(map(str, items)) if items else "none"


def check_goal(spec: dict[str, Any], *, step_context: dict[str, Any]) -> list[Problem]:
    """Every problem of one goal, with a path relative to the goal ("metric", "scope.node")."""
    if not isinstance(spec, dict):
        return [problem("", "a goal is a table with a metric (or a structure), a comparison and a value")]
    if "structure" in spec:
        return check_structure(spec["structure"], step_context)
    problems = check_measure(spec, step_context=step_context)
    name = spec.get("metric")
    metric = METRICS.get(name) if isinstance(name, str) else None  # a list or a table names nothing
    relative = spec.get("relative")
    if relative is not None:
        if not isinstance(relative, dict) or relative.get("to") != "start":
            problems.append(problem("relative.to", "a relative goal compares with the start design: "
                                                   'relative = { to = "start", change_pct = -30 }'))
        elif not isinstance(relative.get("change_pct"), (int, float)) or isinstance(relative.get("change_pct"), bool):
            problems.append(problem("relative.change_pct", "change_pct is a number of percent, e.g. -30 for at least 30% lower"))
        if "value" in spec:
            problems.append(problem("value", "a relative goal has change_pct instead of a value"))
    else:
        if "value" not in spec or not isinstance(spec["value"], (int, float)) or isinstance(spec["value"], bool):
            problems.append(problem("value", "the goal needs a number to compare with (value = ...), or a relative = { ... }"))
        if not isinstance(spec.get("compare"), str) or spec["compare"] not in COMPARES:
            problems.append(problem("compare", f"compare is one of {', '.join(COMPARES)}, not {spec.get('compare')!r}"))
    if relative is not None and "compare" in spec and (not isinstance(spec["compare"], str)
                                                      or spec["compare"] not in COMPARES):
        problems.append(problem("compare", f"compare is one of {', '.join(COMPARES)}, not {spec.get('compare')!r}"))
    if metric is not None and "unit" not in spec:
        problems.append(problem("unit", f"say the unit: {metric.name} is in {metric.unit}"))
    return problems


def check_measure(spec: dict[str, Any], *, step_context: dict[str, Any]) -> list[Problem]:
    """The metric, unit, scope and span of a goal or a prediction."""
    problems: list[Problem] = []
    name = spec.get("metric")
    metric = METRICS.get(name) if isinstance(name, str) else None
    if metric is None:
        problems.append(problem("metric", f"unknown metric {name!r}; the metrics are {', '.join(METRICS)}"))
    elif "unit" in spec and spec["unit"] != metric.unit:
        problems.append(problem("unit", f"{metric.name} is measured in {metric.unit}, not {spec['unit']!r}"))
    if metric is not None and metric.name == "errors_by_cause_pct" and not isinstance(spec.get("cause"), str):
        problems.append(problem("cause", 'errors_by_cause_pct needs the failure cause, e.g. cause = "timeout"'))
    problems += _check_scope(spec.get("scope", {"overall": True}), metric, step_context)
    problems += _check_span(spec.get("span", "measured"), step_context)
    return problems


def _check_scope(scope: Any, metric: Metric | None, ctx: dict[str, Any]) -> list[Problem]:
    if not isinstance(scope, dict) or len(scope) != 1 or next(iter(scope)) not in SCOPES:
        return [problem("scope", "scope is one of { overall = true }, { class = \"...\" }, { origin = \"...\" }, "
                            "{ node = \"...\" }, { edge = \"...\" }")]
    kind, name = next(iter(scope.items()))
    if metric is not None and kind not in metric.scopes:
        return [problem(f"scope.{kind}", f"{metric.name} is measured for {' or '.join(metric.scopes)}, not for a {kind}")]
    known = {"class": ctx.get("classes", []), "origin": ctx.get("origins", []),
             "node": list(ctx.get("nodes", {})), "edge": ctx.get("edges", [])}.get(kind, [])
    if kind == "overall":
        return [] if name is True else [problem("scope.overall", "write { overall = true }")]
    if name not in known:
        what = {"class": "request class", "origin": "users' origin region (a placed traffic source)",
                "node": "node", "edge": "edge"}[kind]
        return [problem(f"scope.{kind}", f"the reference design has no {what} {name!r}; it has {_names(known)}")]
    if metric is not None and metric.name == "hit_ratio_pct" and ctx.get("nodes", {}).get(name) not in _HIT_RATIO_KINDS:
        return [problem("scope.node", f"{name!r} is a {ctx['nodes'][name]}; only a cache or a CDN has a hit ratio")]
    return []


def _check_span(span: Any, ctx: dict[str, Any]) -> list[Problem]:
    if span in ("measured", "worst_window"):
        return []
    if isinstance(span, dict) and set(span) == {"fault"} or isinstance(span, dict) and "after" in span:
        key = "fault" if "fault" in span else "after"
        if span[key] not in ctx.get("faults", []):
            return [problem(f"span.{key}", f"the step's scenario has no fault {span[key]!r}; its faults are {_names(ctx.get('faults', []))}")]
        if key == "after":
            if not isinstance(span.get("seconds"), (int, float)) or isinstance(span.get("seconds"), bool) or span["seconds"] <= 0:
                return [problem("span.seconds", "after = \"<fault>\" needs seconds = N (> 0): the N seconds after the fault starts")]
            if span.get("from", "start") not in ("start", "end") or set(span) - {"after", "seconds", "from"}:
                return [problem("span", 'write { after = "<fault>", seconds = N } (optionally from = "end")')]
        return []
    return [problem("span", 'span is "measured", "worst_window", { fault = "<id>" } or { after = "<id>", seconds = N }')]


# -- evaluating a goal on a run -------------------------------------------------------------------

def _scope_entry(view: dict[str, Any], scope: dict[str, Any]) -> tuple[dict[str, Any] | None, str]:
    kind, name = next(iter(scope.items()))
    if kind == "overall":
        return view["overall"], ""
    section = {"class": "classes", "origin": "origins", "node": "nodes", "edge": "edges"}[kind]
    entry = view.get(section, {}).get(name)
    if entry is None:
        missing = {"class": f"no request class {name!r} ran", "origin": f"no users came from {name!r}",
                   "node": f"your design has no node {name!r}", "edge": f"your design has no edge {name!r}"}[kind]
        return None, missing
    return entry, ""


def scope_words(scope: dict[str, Any]) -> str:
    kind, name = next(iter(scope.items()))
    return {"overall": "", "class": f" for {name} requests", "origin": f" for users in {name}",
            "node": f" at {name}", "edge": f" on edge {name}"}[kind]


def _span_views(span: Any, run: dict[str, Any]) -> tuple[list[tuple[dict[str, Any], str]], str]:
    """The views a span covers (one, or one per window for the worst window) and, when it
    covers nothing, why."""
    if span == "measured":
        return [(spans.measured_view(run), "")], ""
    windows = run.get("windows", [])
    if span == "worst_window":
        measured = [w for w in windows if w.get("measured")]
        return [(spans.window_view([w]), f" in the worst window (t = {w['t_start']:g}-{w['t_end']:g} s)")
                for w in measured], "" if measured else "no measured window has closed yet"
    fault = span.get("fault") or span.get("after")
    interval = spans.fault_interval(fault, run)
    if interval is None:
        return [], f"fault {fault!r} never started in this run"
    start, end = interval
    words = f" while {fault} is active"
    if "after" in span:
        base = end if span.get("from") == "end" else start
        start, end = base, base + float(span["seconds"])
        words = f" in the {span['seconds']:g} s after {fault} {'ends' if span.get('from') == 'end' else 'starts'}"
    chosen = spans.windows_between(windows, start, end)
    if not chosen:
        return [], f"no window of the run covers t = {start:g}-{end:g} s"
    return [(spans.window_view(chosen), words)], ""


def measure(spec: dict[str, Any], run: dict[str, Any]) -> tuple[float | None, str, dict[str, Any] | None, str]:
    """The goal's number on this run: (value or None, span words, the view it came from, why
    it is not measurable). For the worst window, the window worst for the goal's direction."""
    metric = METRICS[spec["metric"]]
    scope = spec.get("scope", {"overall": True})
    views, why = _span_views(spec.get("span", "measured"), run)
    lower_is_better = _direction(spec) in ("<=", "<")
    best: tuple[float | None, str, dict[str, Any] | None, str] | None = None
    for view, words in views:
        entry, missing = _scope_entry(view, scope)
        if entry is None:
            return None, words, view, missing
        value = metric.read(entry, spec)
        if value is None:
            why_not = ("no request completed" if metric.needs_completions else "nothing was measured") + \
                      f"{scope_words(scope)}{words or ' in the measured run'}, so there is no {metric.label}"
            return None, words, view, why_not  # an unmeasurable window is the worst window
        if best is None or best[0] is None or (value > best[0] if lower_is_better else value < best[0]):
            best = (value, words, view, "")
    return best if best is not None else (None, "", None, why)


def measure_windows(spec: dict[str, Any], windows: list[dict[str, Any]]) -> tuple[float | None, str, str]:
    """A checked measure ({"metric", "scope"?}) over some windows of a run, pooled as one span:
    (value or None, its unit, why there is none). A live session's question uses it to show what
    the run measured beside the class's answers."""
    metric = METRICS[spec["metric"]]
    if not windows:
        return None, metric.unit, "no window of the run has closed since the question was asked"
    scope = spec.get("scope", {"overall": True})
    entry, missing = _scope_entry(spans.window_view(windows), scope)
    if entry is None:
        return None, metric.unit, missing
    value = metric.read(entry, spec)
    if value is None:
        return None, metric.unit, ("no request completed" if metric.needs_completions else "nothing was measured") + \
            f"{scope_words(scope)}, so there is no {metric.label}"
    return value, metric.unit, ""


def _direction(spec: dict[str, Any]) -> str:
    if "compare" in spec:
        return spec["compare"]
    relative = spec.get("relative") or {}
    return "<=" if relative.get("change_pct", 0) < 0 else ">="


def fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "not measurable"
    if unit == "ms":
        return f"{value:.0f} ms" if abs(value) >= 100 else f"{value:.1f} ms"
    if unit == "%":
        return f"{value:.1f}%" if abs(value) >= 1 or value == 0 else f"{value:.2f}%"
    if unit.startswith("USD"):
        money = f"${value:,.0f}" if abs(value) >= 100 else f"${value:,.2f}"
        return money + {"USD/h": " per hour", "USD/month": " a month", "USD/1M": " per million requests"}.get(unit, "")
    if unit == "/s":
        return f"{value:,.1f} /s"
    return f"{value:,.0f}"


def evaluate(spec: dict[str, Any], run: dict[str, Any], *, start_run: dict[str, Any] | None = None) -> GoalResult:
    """Evaluate one goal over one seed's run: {"results", "windows", "topology"} (results may be
    None during a live run). A relative goal needs `start_run`: the start design's run on the
    same seed and scenario."""
    goal_id = str(spec.get("id", ""))
    seed = (run.get("results") or {}).get("seed")
    if "structure" in spec:
        passed, value, unit, sentence = evaluate_structure(spec["structure"], run)
        return GoalResult(goal_id, passed, value, unit, None, "", sentence, "", seed=seed)
    metric = METRICS[spec["metric"]]
    compare = _direction(spec)
    scope = spec.get("scope", {"overall": True})
    value, words, view, why = measure(spec, run)
    baseline = None
    if "relative" in spec:
        change = float(spec["relative"]["change_pct"])
        if start_run is None:
            return _unmeasurable(spec, metric, compare, "a relative goal needs the start design's run", seed)
        baseline, _, _, start_why = measure(spec, start_run)
        if baseline is None:
            return _unmeasurable(spec, metric, compare, f"on the start design {start_why}", seed)
        target = baseline * (1.0 + change / 100.0)
        goal_words = (f"the goal is {abs(change):g}% {'lower' if change < 0 else 'higher'} than the start design's "
                      f"{fmt(baseline, metric.unit)}, so {COMPARE_WORDS[compare]} {fmt(target, metric.unit)}")
    else:
        target = float(spec["value"])
        goal_words = f"the goal is {COMPARE_WORDS[compare]} {fmt(target, metric.unit)}"
    look = advice.look_at(metric.family, spec, view, run) if view is not None else ""
    label = metric.label + (f" {spec['cause']}" if metric.name == "errors_by_cause_pct" else "")
    if value is None:
        sentence = f"{why[0].upper()}{why[1:]}; {goal_words}."
        return GoalResult(goal_id, False, None, metric.unit, target, compare, sentence, look, baseline, seed,
                          _span_of(view))
    passed = COMPARES[compare](value, target)
    subject = f"{label}{scope_words(scope)}{words}"
    sentence = f"{subject[0].upper()}{subject[1:]} is {fmt(value, metric.unit)}; {goal_words}."
    return GoalResult(goal_id, passed, round(value, 6), metric.unit, round(target, 6), compare, sentence, look,
                      baseline, seed, _span_of(view))


def _span_of(view: dict[str, Any] | None) -> dict[str, float]:
    return {"from_s": view.get("from_s", 0.0), "to_s": view.get("to_s", 0.0)} if view else {}


def _unmeasurable(spec: dict[str, Any], metric: Metric, compare: str, why: str, seed: int | None) -> GoalResult:
    return GoalResult(str(spec.get("id", "")), False, None, metric.unit, None, compare,
                      f"{why[0].upper()}{why[1:]}, so this goal cannot be checked.", "", None, seed)


__all__ = ["METRICS", "STRUCTURES", "GoalResult", "Metric", "check_goal", "check_measure", "evaluate",
           "measure", "step_context_for"]
