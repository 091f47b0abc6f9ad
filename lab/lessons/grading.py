"""Grading a step, and proving that a lesson teaches.

`grade_step` imposes the step's scenario on a design (scenario.py), runs it once per seed with
lab.sim in this process as fast as the engine goes, evaluates every goal on every seed
(goals.py) and applies the step's seed rule. `prove_step` / `prove_lesson` grade a step's own
designs and check that the start fails, the reference passes, every hollow design fails and
every alternative passes. Everything returned is plain data with `to_dict()`.

A step is a lab.lessons.format.Step or a dict shaped like a [[steps]] table; designs are found
by the caller (`load_design(path) -> topology document`).
"""
from __future__ import annotations

import statistics
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Callable

from lab.sim import simulate
from lab.sim.document.types import Topology
from lab.sim.metrics.documents import Window
from lab.sim.problems import Problem

from . import scenario as scenarios
from . import spans
from .goals import METRICS, GoalResult, evaluate

Run = dict[str, Any]


def _get(obj: Any, name: str, default: Any = None) -> Any:
    return obj.get(name, default) if isinstance(obj, dict) else getattr(obj, name, default)


@dataclass
class GoalGrade:
    goal: str
    text: str
    passed: bool
    seeds_passed: int
    seeds_needed: int
    results: list[GoalResult]  # one per seed (one in all for a goal on the design's shape)
    sentence: str  # from the first seed that failed, else the first seed
    look_at: str

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "results": [r.to_dict() for r in self.results]}


@dataclass
class StepGrade:
    step: str
    passed: bool
    seeds: list[int]
    seeds_needed: int
    goals: list[GoalGrade]
    problems: list[Problem]  # why the design cannot take the scenario (then there are no goals)
    elapsed_s: float
    runs: list[Run] = field(default_factory=list, repr=False)  # kept for relative goals; not in to_dict

    def to_dict(self) -> dict[str, Any]:
        return {"step": self.step, "passed": self.passed, "seeds": self.seeds, "seeds_needed": self.seeds_needed,
                "goals": [g.to_dict() for g in self.goals], "problems": self.problems,
                "elapsed_s": round(self.elapsed_s, 3)}

    def summary(self) -> str:
        if self.problems:
            return "cannot take the scenario: " + "; ".join(p["message"] for p in self.problems[:3])
        failed = [g for g in self.goals if not g.passed]
        if not failed:
            return "passes every goal"
        return "; ".join(f"{g.goal} fails on {len(g.results) - g.seeds_passed} of {len(g.results)} "
                         f"seed{'s' if len(g.results) != 1 else ''} ({g.sentence})" for g in failed)


def run_design(topology: Topology, seed: int) -> Run:
    """One seed of a loaded (scenario-imposed) topology, with every window kept."""
    windows: list[Window] = []
    results = simulate(topology, seed=seed, on_window=windows.append)
    return {"results": results, "windows": windows, "topology": topology}


def _seeds_needed(scn: dict[str, Any]) -> int:
    rule = scn.get("seed_rule", "all")
    return len(scn["seeds"]) if rule == "all" else int(rule["at_least"])


def _is_once(goal: dict[str, Any]) -> bool:
    """A goal on the design's shape is the same on every seed: evaluate it once."""
    structure = goal.get("structure")
    return isinstance(structure, dict) and "monthly_cost_usd_at_most" not in structure


def grade_step(step: Any, learner_topology: dict[str, Any], *, start_topology: dict[str, Any] | None = None,
               start_runs: list[Run] | None = None) -> StepGrade:
    """Grade a design on a step. Relative goals compare with the start design run on the same
    seeds: pass `start_topology` (it is run here) or `start_runs` (runs already made, by seed)."""
    began = time.perf_counter()
    scn = scenarios.as_dict(_get(step, "scenario"))
    seeds = [int(s) for s in scn["seeds"]]
    needed = _seeds_needed(scn)
    step_id = str(_get(step, "id", ""))
    topology, problems = scenarios.apply(learner_topology, scn, start=start_topology)
    if topology is None:
        return StepGrade(step_id, False, seeds, needed, [], problems, time.perf_counter() - began)
    runs = [run_design(topology, seed) for seed in seeds]
    goals = list(_get(step, "goals", ()))
    if start_runs is None and start_topology is not None and any("relative" in g for g in goals):
        start, _ = scenarios.apply(start_topology, scn)
        start_runs = [run_design(start, seed) for seed in seeds] if start is not None else None
    grades = [_grade_goal(goal, runs, start_runs, needed) for goal in goals]
    return StepGrade(step_id, all(g.passed for g in grades), seeds, needed, grades, [],
                     time.perf_counter() - began, runs)


def grade_runs(goals: Any, scenario: Any, runs: list[Run], start_runs: list[Run] | None = None) -> list[GoalGrade]:
    """Grade runs already made (one per seed of `scenario`, in its order), e.g. by the server's
    workers: every goal with the scenario's seed rule. `start_runs` for relative goals."""
    needed = _seeds_needed(scenarios.as_dict(scenario))
    return [_grade_goal(goal, runs, start_runs, needed) for goal in goals]


def seeds_needed(scenario: Any) -> int:
    """How many seeds a goal must pass on under the scenario's seed rule."""
    return _seeds_needed(scenarios.as_dict(scenario))


def _grade_goal(goal: dict[str, Any], runs: list[Run], start_runs: list[Run] | None, needed: int) -> GoalGrade:
    if _is_once(goal):
        results = [evaluate(goal, runs[0])]
        needed = 1
    else:
        results = [evaluate(goal, run, start_run=start_runs[i] if start_runs else None)
                   for i, run in enumerate(runs)]
    passed = sum(r.passed for r in results)
    shown = next((r for r in results if not r.passed), results[0])
    return GoalGrade(str(goal.get("id", "")), str(goal.get("text", "")), passed >= needed, passed, needed,
                     results, shown.sentence, shown.look_at)


# -- the comparison with the start design ----------------------------------------------------

def comparison_figures(results: list[dict[str, Any]]) -> dict[str, float | None]:
    """The headline figures of a design on a step: the median over its seeds' results documents
    of the measured span's p50, p95 and p99 latency, error rate, cost per 1,000 completed
    requests and monthly cost. A figure no seed measured (nothing completed) is None."""
    overall = [((r or {}).get("measured") or {}).get("overall") or {} for r in results]

    def median(read: Callable[[dict[str, Any]], Any]) -> float | None:
        values = [float(v) for v in map(read, overall) if isinstance(v, (int, float))]
        return round(statistics.median(values), 6) if values else None

    def latency(q: str) -> Callable[[dict[str, Any]], Any]:
        return lambda o: (o.get("latency_ms") or {}).get(q) if o.get("completions") else None

    per_million = median(lambda o: o.get("cost_per_million_usd"))
    return {"p50_ms": median(latency("p50")), "p95_ms": median(latency("p95")), "p99_ms": median(latency("p99")),
            "error_rate_pct": median(lambda o: o["error_rate"] * 100.0 if o.get("error_rate") is not None else None),
            "cost_per_1k_requests": round(per_million / 1000.0, 9) if per_million is not None else None,
            "monthly_cost": median(lambda o: o.get("cost_monthly_usd"))}


# -- live goals -------------------------------------------------------------------------------

# Figures a partial run cannot stand for: a count over the measured span grows until the end,
# and the monthly cost structure reads the results document.
_AT_THE_END = ("completed_count",)


def live_goals(goals: Any, run: Run, start_run: Run | None = None) -> list[dict[str, Any]]:
    """Each goal on a run that is still going (`run` with the windows so far and results None),
    as a learner's checklist: state "passing" or "failing" on what has arrived, or "pending"
    when it cannot be told yet (measured at the end, a relative goal before the start run is
    over, a span that has not begun). The same evaluation as grading, on one seed."""
    out = []
    for spec in goals:
        item: dict[str, Any] = {"goal": str(spec.get("id", "")), "text": str(spec.get("text", "")), "state": "pending",
                "value": None, "unit": "", "target": None, "sentence": "", "look_at": ""}
        pending = _live_pending(spec, run, start_run)
        if pending is not None:
            item.update(unit=pending[0], sentence=pending[1])
            out.append(item)
            continue
        result = evaluate(spec, run, start_run=start_run)
        item.update(unit=result.unit, target=result.target, value=result.measured, look_at=result.look_at)
        if result.measured is None:
            item["sentence"] = result.sentence
        else:
            item["state"] = "passing" if result.passed else "failing"
            item["sentence"] = ("So far: " + result.sentence) if "structure" not in spec else result.sentence
        out.append(item)
    return out


def _live_pending(spec: dict[str, Any], run: Run, start_run: Run | None) -> tuple[str, str] | None:
    """(unit, sentence) when the goal cannot be told on the run so far, else None."""
    structure = spec.get("structure")
    if isinstance(structure, dict):
        if "monthly_cost_usd_at_most" in structure:
            return "USD/month", (f"The monthly cost is measured at the end of the run; the goal is at most "
                                 f"${float(structure['monthly_cost_usd_at_most']):,.0f} a month.")
        return None
    name = spec.get("metric")
    metric = METRICS.get(name) if isinstance(name, str) else None
    if metric is None:
        return "", "This goal is measured at the end of the run."
    if metric.name in _AT_THE_END:
        return metric.unit, f"The {metric.label} is counted at the end of the run."
    if "relative" in spec and start_run is None:
        return metric.unit, ("This goal compares with the start design on the same seed: it is measured at the "
                             "end, once the start design's run is over.")
    windows = run.get("windows") or []
    span = spec.get("span", "measured")
    if span in ("measured", "worst_window") and not any(w.get("measured") for w in windows):
        return metric.unit, f"The {metric.label} is measured once the warm-up is over."
    if isinstance(span, dict):
        fault = span.get("fault") or span.get("after")
        interval = spans.fault_interval(str(fault), run) if windows else None
        if interval is None or not spans.windows_between(windows, *interval):
            return metric.unit, f"The {metric.label} is measured once {fault} starts."
    return None


# -- proof ------------------------------------------------------------------------------------

@dataclass
class DesignCheck:
    role: str  # start, reference, hollow, alternative
    design: str  # its path in the lesson folder
    must_pass: bool
    passed: bool
    summary: str
    broken: bool  # the lesson's own design cannot take the step's scenario
    elapsed_s: float

    @property
    def ok(self) -> bool:
        return not self.broken and self.passed == self.must_pass

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok}


@dataclass
class ProofReport:
    lesson: str
    steps: list[tuple[str, list[DesignCheck]]]
    problems: list[Problem] = field(default_factory=list)  # the loader's, when it is broken
    elapsed_s: float = 0.0

    @property
    def broken(self) -> bool:
        return bool(self.problems) or any(c.broken for _, checks in self.steps for c in checks)

    @property
    def teaches(self) -> bool:
        return not self.broken and all(c.ok for _, checks in self.steps for c in checks)

    def to_dict(self) -> dict[str, Any]:
        return {"lesson": self.lesson, "teaches": self.teaches, "broken": self.broken, "problems": self.problems,
                "elapsed_s": round(self.elapsed_s, 3),
                "steps": [{"step": s, "checks": [c.to_dict() for c in checks]} for s, checks in self.steps]}

    def text(self) -> str:
        checks = [c for _, cs in self.steps for c in cs]
        verdict = "teaches" if self.teaches else ("is broken" if self.broken else "does not teach")
        lines = [f"Lesson {self.lesson} {verdict}: {sum(c.ok for c in checks)} of {len(checks)} checks as "
                 f"expected, {self.elapsed_s:.1f} s"]
        lines += [f"  {p['path']}: {p['message']}" for p in self.problems]
        for step_id, cs in self.steps:
            lines.append(f"  step {step_id} ({sum(c.elapsed_s for c in cs):.1f} s)")
            for c in cs:
                expect = "passes" if c.must_pass else "fails"
                if c.broken:
                    verdict = f"BROKEN: {c.summary}"
                elif c.ok:
                    verdict = f"{expect}, as it should" + ("" if c.must_pass else f": {c.summary}")
                else:
                    verdict = f"should {'pass' if c.must_pass else 'fail'}, but {c.summary}"
                lines.append(f"    {'ok  ' if c.ok else 'FAIL'} {c.role:<11} {c.design}: {verdict}")
        return "\n".join(lines)


def prove_step(step: Any, *, load_design: Callable[[str], dict[str, Any]],
               start_design: dict[str, Any] | None = None) -> list[DesignCheck]:
    """Grade the step's start, reference, hollow and alternative designs. `start_design` stands
    in for a start of "previous" / "previous-reference" (the previous step's reference)."""
    start_path = str(_get(step, "start"))
    start = start_design if start_design is not None else load_design(start_path)
    checks: list[DesignCheck] = []
    start_grade = grade_step(step, start, start_topology=start)
    checks.append(_check("start", start_path, False, start_grade))
    start_runs = start_grade.runs or None
    designs = [("reference", _get(step, "reference"), True)]
    designs += [("hollow", path, False) for path in _get(step, "hollow", ())]
    designs += [("alternative", path, True) for path in _get(step, "alternatives", ())]
    for role, path, must_pass in designs:
        grade = grade_step(step, load_design(path), start_topology=start, start_runs=start_runs)
        checks.append(_check(role, path, must_pass, grade))
    return checks


def _check(role: str, path: str, must_pass: bool, grade: StepGrade) -> DesignCheck:
    return DesignCheck(role, path, must_pass, grade.passed, grade.summary(), bool(grade.problems), grade.elapsed_s)


def prove_lesson(lesson: Any) -> ProofReport:
    """Prove every step of a loaded lesson (lab.lessons.format.Lesson)."""
    began = time.perf_counter()
    steps = []
    for i, step in enumerate(lesson.steps):
        start = lesson.start_design(i)
        steps.append((step.id, prove_step(step, load_design=lesson.design, start_design=start)))
    return ProofReport(lesson.id, steps, elapsed_s=time.perf_counter() - began)
