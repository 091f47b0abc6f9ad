"""The per-step half of the lesson loader: a step's files, designs, scenario, goals, hints and
predictions, checked together so one pass reports every problem of every step."""
from __future__ import annotations

from typing import Any

from lab.sim import REGISTRY
from lab.sim.document.checker import Checker
from lab.sim.document.fault_checks import validate_fault
from lab.sim.document.validation import SETTINGS
from lab.sim.problems import Problem

from .format import (GOAL_FIELDS, HINT_FIELDS, LIMITS, PREDICTION_FIELDS, SCENARIO_FIELDS, STARTS, STEP_FIELDS,
                     TRAFFIC_FIELDS, Hint, Prediction, Scenario, Step, Traffic)
from .folder import Folder, Problems, at, suggest
from .goals import check_goal, check_measure, step_context_for

_SETTING = {p.name: p for p in SETTINGS}
_MAX_SEED = 2**63 - 1


def _list(obj: dict[str, Any], key: str) -> list[Any]:
    value = obj.get(key, [])
    return value if isinstance(value, list) else []


def check_steps(raw: list[Any], files: Folder) -> tuple[Step, ...] | None:
    p = files.problems
    steps: list[Step] = []
    seen: set[str] = set()
    references: list[dict[str, Any] | None] = []
    complete = True
    for i, spec in enumerate(raw):
        path = f"steps[{i}]"
        if not isinstance(spec, dict):
            p.add(at(path), "a step must be a table, written [[steps]] in TOML")
            complete = False
            continue
        p.table(spec, STEP_FIELDS, path, f"step {i + 1}")
        step_id = spec.get("id")
        if isinstance(step_id, str):
            if step_id in seen:
                p.add(at(f"{path}.id"), f"two steps have the id {step_id!r}; step ids must be unique in the lesson")
            seen.add(step_id)
        step = _step(spec, path, i, files, references)
        complete = complete and step is not None
        if step is not None:
            steps.append(step)
    return tuple(steps) if complete else None


def _designs(spec: dict[str, Any], key: str, path: str, files: Folder, need: int) -> list[str]:
    values = spec.get(key, [])
    if not isinstance(values, list):
        return []
    if len(values) < need:
        files.problems.add(at(f"{path}.{key}"), "each step needs at least one hollow design: a tempting change that "
                                                "does not teach the point, and must fail the goals")
    if len(values) > LIMITS["designs"]:
        files.problems.add(at(f"{path}.{key}"), f"at most {LIMITS['designs']} designs, not {len(values)}")
    return [rel for j, v in enumerate(values[: LIMITS["designs"]])
            if (rel := files.design(v, at(f"{path}.{key}[{j}]"))[0]) is not None]


def _step(spec: dict[str, Any], path: str, index: int, files: Folder,
          references: list[dict[str, Any] | None]) -> Step | None:
    p = files.problems
    narrative, narrative_text = files.markdown(spec.get("narrative"), at(f"{path}.narrative"))
    debrief, debrief_text = files.markdown(spec["debrief"], at(f"{path}.debrief")) if "debrief" in spec else (None, None)
    start_value = spec.get("start")
    start_doc: dict[str, Any] | None = None
    start = start_value if start_value in STARTS else None
    if start_value in STARTS:
        if index == 0:
            p.add(at(f"{path}.start"), f"the first step has no previous step, so start = {start_value!r} has nothing "
                                       "to start from; name a design file, e.g. start = \"designs/start.json\"")
        else:
            start_doc = references[index - 1]  # what the learner falls back to
    elif isinstance(start_value, str):
        start, start_doc = files.design(start_value, at(f"{path}.start"))
    reference, ref_doc = files.design(spec.get("reference"), at(f"{path}.reference"))
    references.append(ref_doc)
    hollow = _designs(spec, "hollow", path, files, need=1)
    alternatives = _designs(spec, "alternatives", path, files, need=0)
    if reference and reference in hollow:
        p.add(at(f"{path}.hollow"), f"{reference!r} is the step's reference, which must pass; it cannot also be hollow")
    palette = _palette(spec, path, p, ref_doc, start_doc)
    locked = _locked(spec, path, p, start_doc)
    scenario = _scenario(spec.get("scenario"), f"{path}.scenario", p, start if start_value not in STARTS else None,
                         start_doc, ref_doc)
    goals = _goals(spec, path, p, scenario, ref_doc)
    hints = _hints(spec, path, p)
    predictions = _predictions(spec, path, p, scenario, ref_doc)
    if (narrative is None or narrative_text is None or start is None or reference is None or scenario is None
            or (debrief and debrief_text is None)):
        return None
    return Step(id=spec["id"], title=spec["title"], narrative=narrative, narrative_markdown=narrative_text,
                start=start, reference=reference, hollow=tuple(hollow), alternatives=tuple(alternatives),
                scenario=scenario, goals=tuple(goals), hints=hints, predictions=predictions,
                palette=palette, locked=locked, debrief=debrief, debrief_markdown=debrief_text)


def _palette(spec: dict[str, Any], path: str, p: Problems, ref: dict[str, Any] | None,
             start: dict[str, Any] | None) -> tuple[str, ...] | None:
    palette = spec.get("palette")
    if not isinstance(palette, list) or not all(isinstance(k, str) for k in palette):
        return None
    for j, kind in enumerate(palette):
        if kind not in REGISTRY:
            p.add(at(f"{path}.palette[{j}]"), f"there is no component kind {kind!r}{suggest(kind, sorted(REGISTRY))}")
    if ref is not None:
        have = {n.get("kind") for n in (start or {}).get("nodes", [])}
        missing = sorted({n["kind"] for n in ref["nodes"]} - have - set(palette))
        if missing:
            p.add(at(f"{path}.palette"), f"the reference uses {', '.join(missing)}, which the start design lacks and the "
                                         "palette does not offer, so the learner cannot build it")
    return tuple(palette)


def _locked(spec: dict[str, Any], path: str, p: Problems, start: dict[str, Any] | None) -> tuple[str, ...]:
    locked = spec.get("locked")
    if not isinstance(locked, list) or not all(isinstance(k, str) for k in locked):
        return ()
    if start is not None:
        kinds = {n["id"]: n["kind"] for n in start["nodes"]}
        for j, entry in enumerate(locked):
            # Node ids may contain '.', so a whole match is a node; otherwise the last '.' splits off a parameter.
            node, _, param = (entry, "", "") if entry in kinds else entry.rpartition(".")
            if node not in kinds:
                p.add(at(f"{path}.locked[{j}]"), f"the start design has no node {node or entry!r}{suggest(node or entry, list(kinds))}")
            elif param and param not in (names := [q.name for q in REGISTRY[kinds[node]].params]):
                p.add(at(f"{path}.locked[{j}]"), f"a {kinds[node]} has no parameter {param!r}{suggest(param, names)}")
    return tuple(locked)


def _scenario(raw: Any, path: str, p: Problems, start_file: str | None, start: dict[str, Any] | None,
              ref: dict[str, Any] | None) -> Scenario | None:
    if raw is None:
        return None  # reported by the step's table check
    spec = p.table(raw, SCENARIO_FIELDS, path, "the scenario")
    values: dict[str, float] = {}
    for key, default in (("duration_s", None), ("warmup_s", 0.0), ("window_s", 1.0)):
        value = spec.get(key, default)
        reason = _SETTING[key].check(value) if value is not None else None
        if reason:
            p.add(at(f"{path}.{key}"), f"{key} {reason}")
        elif value is not None:
            values[key] = float(value)
    if "duration_s" in values and values.get("warmup_s", 0.0) >= values["duration_s"]:
        p.add(at(f"{path}.warmup_s"), f"the warm-up ({values['warmup_s']:g} s) must be shorter than the run ({values['duration_s']:g} s)")
    seeds = spec.get("seeds")
    seeds_ok = (isinstance(seeds, list) and 1 <= len(seeds) <= LIMITS["seeds"]
                and all(isinstance(s, int) and not isinstance(s, bool) and 0 <= s <= _MAX_SEED for s in seeds)
                and len(set(seeds)) == len(seeds))
    if "seeds" in spec and not seeds_ok:
        p.add(at(f"{path}.seeds"), f"seeds is a list of 1 to {LIMITS['seeds']} different whole numbers, e.g. [1, 2, 3]")
    rule = spec.get("seed_rule", "all")
    k = rule.get("at_least") if isinstance(rule, dict) and set(rule) == {"at_least"} else None
    if rule != "all" and not (isinstance(k, int) and not isinstance(k, bool)
                              and 1 <= k <= (len(seeds) if isinstance(seeds, list) and seeds_ok else k)):
        p.add(at(f"{path}.seed_rule"), f"seed_rule is \"all\" or {{ at_least = k }} with k from 1 to the number of seeds, not {rule!r}")
    traffic = _traffic(spec, path, p, start_file, start, ref)
    faults = check_faults(spec, path, p, ref, values.get("duration_s"))
    if not seeds_ok or not isinstance(seeds, list) or "duration_s" not in values or traffic is None or faults is None:
        return None
    return Scenario(duration_s=values["duration_s"], warmup_s=values.get("warmup_s", 0.0),
                    window_s=values.get("window_s", 1.0), seeds=tuple(seeds), seed_rule=rule,
                    traffic=traffic, faults=faults)


def _sources(doc: dict[str, Any] | None) -> set[str] | None:
    return None if doc is None else {n["id"] for n in doc["nodes"] if n.get("kind") == "traffic_source"}


def _traffic(spec: dict[str, Any], path: str, p: Problems, start_file: str | None, start: dict[str, Any] | None,
             ref: dict[str, Any] | None) -> tuple[Traffic, ...] | None:
    items = _list(spec, "traffic")
    if len(items) > LIMITS["traffic"]:
        p.add(at(f"{path}.traffic"), f"at most {LIMITS['traffic']} traffic entries, not {len(items)}")
    out: list[Traffic] = []
    seen: set[str] = set()
    ok = True
    for j, item in enumerate(items[: LIMITS["traffic"]]):
        where = f"{path}.traffic[{j}]"
        p.table(item, TRAFFIC_FIELDS, where, "a traffic entry")
        source = item.get("source") if isinstance(item, dict) else None
        if not isinstance(source, str) or not isinstance(item.get("params"), dict):
            ok = False
            continue
        if source in seen:
            p.add(at(f"{where}.source"), f"traffic for {source!r} is given twice")
        seen.add(source)
        for what, doc in (("start", start if start_file else None), ("reference", ref)):
            ids = _sources(doc)
            if ids is not None and source not in ids:
                p.add(at(f"{where}.source"), f"the {what} design has no traffic source {source!r}"
                                             f"{suggest(source, sorted(ids)) or '; its traffic sources: ' + (', '.join(sorted(ids)) or 'none')}")
        c = Checker()
        c.params(item["params"], REGISTRY["traffic_source"].params, at(f"{where}.params"), "the traffic")
        for q in c.problems:
            p.add(q["path"], q["message"], q["severity"])
        ok = ok and not c.problems
        out.append(Traffic(source, dict(item["params"])))
    return tuple(out) if ok else None


def check_faults(spec: dict[str, Any], path: str, p: Problems, ref: dict[str, Any] | None,
            duration: float | None) -> tuple[dict[str, Any], ...] | None:
    items = _list(spec, "faults")
    if len(items) > LIMITS["faults"]:
        p.add(at(f"{path}.faults"), f"at most {LIMITS['faults']} faults, not {len(items)}")
    items = items[: LIMITS["faults"]]
    for j, item in enumerate(items):
        if isinstance(item, dict) and "id" not in item:
            p.add(at(f"{path}.faults[{j}]"), "a scenario fault needs an id, so goals can name it (span = { fault = \"...\" })")
        elif isinstance(item, dict) and isinstance(duration, float) and isinstance(item.get("start_s"), (int, float)) \
                and item["start_s"] >= duration:
            p.add(at(f"{path}.faults[{j}].start_s"), f"the fault starts at {item['start_s']:g} s, after the run ends ({duration:g} s)")
    if ref is None:
        return None if items else ()  # the reference's own problems are reported; its targets are unknown
    # lab.sim's own fault check, against the reference design: the design that must pass under them.
    c = Checker()
    nodes = {n["id"]: {"kind": n["kind"]} for n in ref["nodes"]}
    edge_ids = {e.get("id", f"e{k + 1}") for k, e in enumerate(ref["edges"])}
    places = {"zone": {n["zone"] for n in ref["nodes"] if n.get("zone")},
              "region": {n["region"] for n in ref["nodes"] if n.get("region")}}
    seen: set[str] = set()
    for j, item in enumerate(items):
        validate_fault(item, nodes, at(f"{path}.faults[{j}]"), c, seen, default_id=f"f{j + 1}",
                       edge_ids=edge_ids, places=places)
    for q in c.problems:
        p.add(q["path"], q["message"].replace("which does not exist", "which the reference design does not have")
              .replace("no node is placed in", "no node of the reference design is placed in"), q["severity"])
    if c.problems or not all(isinstance(f, dict) and "id" in f for f in items):
        return None
    return tuple(dict(f) for f in items)


def _context(scenario: Scenario | None, ref: dict[str, Any] | None) -> dict[str, Any]:
    faults = list(scenario.faults) if scenario is not None else None
    return step_context_for(ref or {"nodes": [], "edges": []}, faults)


def _relative_problems(problems: list[Problem], base: str) -> None:
    for q in problems:
        sub = q["path"].removeprefix("$").lstrip(".")
        q["path"] = at(f"{base}.{sub}" if sub else base)


def _goals(spec: dict[str, Any], path: str, p: Problems, scenario: Scenario | None,
           ref: dict[str, Any] | None) -> list[dict[str, Any]]:
    goals = _list(spec, "goals")
    if "goals" in spec and not goals:
        p.add(at(f"{path}.goals"), "a step needs at least one goal")
    if len(goals) > LIMITS["goals"]:
        p.add(at(f"{path}.goals"), f"at most {LIMITS['goals']} goals per step, not {len(goals)}")
    seen: set[str] = set()
    for j, goal in enumerate(goals[: LIMITS["goals"]]):
        where = f"{path}.goals[{j}]"
        p.table(goal, GOAL_FIELDS, where, "a goal")
        if not isinstance(goal, dict):
            continue
        goal_id = goal.get("id")
        if isinstance(goal_id, str) and goal_id in seen:
            p.add(at(f"{where}.id"), f"two goals of this step have the id {goal_id!r}")
        seen.add(goal_id if isinstance(goal_id, str) else "")
        if ref is None:
            continue  # scopes are checked against the reference design, whose problems are reported
        problems = check_goal(goal, step_context=_context(scenario, ref))
        _relative_problems(problems, where)
        for q in problems:
            p.add(q["path"], q["message"], q.get("severity", "error"))
    return [dict(g) for g in goals if isinstance(g, dict)]


def _hints(spec: dict[str, Any], path: str, p: Problems) -> tuple[Hint, ...]:
    hints = _list(spec, "hints")
    if len(hints) > LIMITS["hints"]:
        p.add(at(f"{path}.hints"), f"at most {LIMITS['hints']} hints per step, not {len(hints)}")
    out = []
    for j, hint in enumerate(hints[: LIMITS["hints"]]):
        p.table(hint, HINT_FIELDS, f"{path}.hints[{j}]", "a hint")
        if isinstance(hint, dict) and isinstance(hint.get("text"), str) and hint["text"].strip():
            out.append(Hint(hint["text"].strip()))
    return tuple(out)


def _predictions(spec: dict[str, Any], path: str, p: Problems, scenario: Scenario | None,
                 ref: dict[str, Any] | None) -> tuple[Prediction, ...]:
    items = _list(spec, "predictions")
    if len(items) > LIMITS["predictions"]:
        p.add(at(f"{path}.predictions"), f"at most {LIMITS['predictions']} predictions per step, not {len(items)}")
    out, seen = [], set()
    for j, item in enumerate(items[: LIMITS["predictions"]]):
        where = f"{path}.predictions[{j}]"
        p.table(item, PREDICTION_FIELDS, where, "a prediction")
        if not isinstance(item, dict):
            continue
        item_id = item.get("id")
        if isinstance(item_id, str) and item_id in seen:
            p.add(at(f"{where}.id"), f"two predictions of this step have the id {item_id!r}")
        seen.add(item_id if isinstance(item_id, str) else "")
        if ref is not None:
            problems = check_measure(item, step_context=_context(scenario, ref))
            _relative_problems(problems, where)
            for q in problems:
                p.add(q["path"], q["message"], q.get("severity", "error"))
        if all(isinstance(item.get(k), str) for k in ("id", "question", "metric", "unit")):
            out.append(Prediction(id=item["id"], question=item["question"], metric=item["metric"], unit=item["unit"],
                                  scope=item.get("scope", {"overall": True}), span=item.get("span", "measured"),
                                  cause=item.get("cause")))
    return tuple(out)
