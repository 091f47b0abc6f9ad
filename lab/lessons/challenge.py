"""A challenge built in the browser is a one-step lesson in the lesson format: its document (the
builder's form as JSON) is written out as a lesson folder (lesson.toml, designs/start.json,
designs/reference.json, steps/challenge.md), and that folder is checked, graded and taken by the
same loader and grading as any lesson. The loader's problems are mapped back to the document's
own fields ("lesson.toml: steps[0].goals[2].unit" is "$.goals[2].unit"), so the builder shows
each beside its field. Framework-free.

The document (docs/challenges.md):

    {"title": "...", "narrative": "Markdown", "summary": "...", "minutes": 15,
     "start": <topology>, "reference": <topology or absent>,
     "scenario": {"duration_s": 30, "warmup_s": 5, "seeds": [1, 2],
                  "traffic": [{"source": "users", "params": {"rate_per_s": 200}}],
                  "faults": [{"id": "db-down", "kind": "crash", "node": "db", "start_s": 10, "duration_s": 5}]},
     "goals": [{"metric": "latency_p95_ms", "scope": {"overall": true}, "compare": "<=", "value": 105,
                "unit": "ms", "points": 2}],
     "hints": ["..."]}
"""
from __future__ import annotations

import json
import re
from typing import Any

from lab.sim.problems import Problem, problem

from .format import GOAL_FIELDS, LIMITS, MAX_NUMBER, SCENARIO_FIELDS, Lesson, huge_numbers
from .goals import COMPARE_WORDS, METRICS, fmt, scope_words
from .authored import Files, check_files

LESSON_ID = "challenge"
STEP_ID = "challenge"
NARRATIVE = f"steps/{STEP_ID}.md"
START = "designs/start.json"
REFERENCE = "designs/reference.json"

DOCUMENT_FIELDS = ("title", "summary", "narrative", "minutes", "teaches", "start", "reference", "scenario",
                   "goals", "hints", "palette", "locked")
GOAL_KEYS = tuple(f.name for f in GOAL_FIELDS) + ("points",)
SCENARIO_KEYS = tuple(f.name for f in SCENARIO_FIELDS)
MAX_POINTS = 1000


# -- TOML, for the subset a challenge needs ---------------------------------------------------

_BARE = re.compile(r"^[A-Za-z0-9_-]+$")


def _string(text: str) -> str:
    out = []
    for ch in text:
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _key(name: str) -> str:
    return name if _BARE.match(name) else _string(name)


def toml_value(value: Any) -> str:
    """A value as TOML, inline (arrays and inline tables); null is left out of tables."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value if v is not None) + "]"
    if isinstance(value, dict):
        items = [f"{_key(str(k))} = {toml_value(v)}" for k, v in value.items() if v is not None]
        return "{ " + ", ".join(items) + " }" if items else "{}"
    raise TypeError(f"{type(value).__name__} has no TOML form")


# -- the document -----------------------------------------------------------------------------

def _or(value: Any, default: Any) -> Any:
    """An optional field's value; null (or absent) is its default."""
    return default if value is None else value


def _nulls(value: Any, path: str, problems: list[Problem]) -> None:
    """TOML has no null: say so where the document has one, rather than silently dropping it."""
    if value is None:
        problems.append(problem(path, "null is not a value here; leave the field out"))
    elif isinstance(value, dict):
        for k, v in value.items():
            _nulls(v, f"{path}.{k}", problems)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _nulls(v, f"{path}[{i}]", problems)


def goal_text(goal: dict[str, Any]) -> str:
    """A goal in words when the teacher wrote none: "p95 latency at most 105 ms"."""
    # Only text names a metric or a comparison (a list or an object is not even looked up).
    name, compare, value = goal.get("metric"), goal.get("compare"), goal.get("value")
    metric = METRICS.get(name) if isinstance(name, str) else None
    if metric is None or not isinstance(compare, str) or compare not in COMPARE_WORDS or not isinstance(value, (int, float)) or isinstance(value, bool):
        return "the goal"
    given = goal.get("scope")
    scope = given if isinstance(given, dict) and len(given) == 1 else {"overall": True}
    try:
        where = scope_words(scope)
    except KeyError:
        where = ""
    span = goal.get("span")
    when = (" in the worst window" if span == "worst_window" else
            f" while {span['fault']} is active" if isinstance(span, dict) and isinstance(span.get("fault"), str) else "")
    text = f"{metric.label}{where}{when} {COMPARE_WORDS[compare]} {fmt(float(value), metric.unit)}"
    return (text[0].upper() + text[1:])[: LIMITS["text"]]


def _goals(raw: list[Any], problems: list[Problem]) -> tuple[list[dict[str, Any]], dict[str, float]]:
    goals: list[dict[str, Any]] = []
    points: dict[str, float] = {}
    for i, row in enumerate(raw):
        where = f"$.goals[{i}]"
        if not isinstance(row, dict):
            problems.append(problem(where, "a goal is an object: metric, scope, span, compare, value, unit"))
            goals.append({})
            continue
        for key in row:
            if key not in GOAL_KEYS:
                problems.append(problem(f"{where}.{key}", f"a goal has no field {key!r}; it takes {', '.join(GOAL_KEYS)}"))
        goal = {k: v for k, v in row.items() if k in GOAL_KEYS and k != "points" and v is not None}
        goal.setdefault("id", f"g{i + 1}")
        if "text" not in goal or (isinstance(goal["text"], str) and not goal["text"].strip()):
            goal["text"] = goal_text(goal)
        if "points" in row and row["points"] is not None:
            value = row["points"]
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= MAX_POINTS:
                problems.append(problem(f"{where}.points", f"points are a number from 0 to {MAX_POINTS}"))
            elif isinstance(goal["id"], str):
                points[goal["id"]] = value
        goals.append(goal)
    return goals, points


def build(document: Any) -> tuple[Files, dict[str, float], list[Problem]]:
    """The lesson folder's files a challenge document makes, the points per goal id, and the
    document's own problems (its shape; the lesson's are found by the loader, in `check`)."""
    problems: list[Problem] = []
    if not isinstance(document, dict):
        return {}, {}, [problem("$", "a challenge is a JSON object: title, narrative, start, scenario, goals")]
    huge = huge_numbers(document, "$")
    if huge:
        return {}, {}, [problem(where, f"the number is too large; numbers in a challenge are at most {MAX_NUMBER:g}")
                        for where in huge]
    for key in document:
        if key not in DOCUMENT_FIELDS:
            problems.append(problem(f"$.{key}", f"a challenge has no field {key!r}; it takes {', '.join(DOCUMENT_FIELDS)}"))
    for key in ("title", "narrative", "start", "scenario", "goals"):
        if document.get(key) is None:
            problems.append(problem(f"$.{key}", f"the challenge needs {key}"))
    for key in ("title", "narrative", "summary"):
        if key in document and document[key] is not None and not isinstance(document[key], str):
            problems.append(problem(f"$.{key}", f"{key} is text"))
    for key in ("start", "reference"):
        if document.get(key) is not None and not isinstance(document[key], dict):
            problems.append(problem(f"$.{key}", f"{key} is a topology document (a JSON object)"))
    scenario = document.get("scenario")
    if scenario is not None and not isinstance(scenario, dict):
        problems.append(problem("$.scenario", "the scenario is an object: duration_s, warmup_s, seeds, traffic, faults"))
    raw_goals = document.get("goals")
    if raw_goals is not None and not isinstance(raw_goals, list):
        problems.append(problem("$.goals", "goals is a list of goals"))
    hints = document.get("hints", [])
    if not isinstance(hints, list) or not all(isinstance(h, str) for h in hints):
        problems.append(problem("$.hints", "hints is a list of text"))
    for key in ("scenario", "goals", "hints", "teaches", "palette", "locked", "minutes"):
        if key in document and document[key] is not None:
            _nulls(document[key], f"$.{key}", problems)
    if problems:
        return {}, {}, problems
    goals, points = _goals(raw_goals if isinstance(raw_goals, list) else [], problems)
    narrative = document["narrative"]
    title = document["title"].strip()
    summary = (document.get("summary") or "").strip() or title
    step: dict[str, Any] = {
        "id": STEP_ID, "title": title, "narrative": NARRATIVE, "start": START, "reference": REFERENCE,
        "hollow": [START],
    }
    for key in ("palette", "locked"):
        if document.get(key) is not None:  # null: left out, as if not sent
            step[key] = document[key]
    lines = [
        "# A challenge built in the lab's challenge builder (lab/lessons/challenge.py).",
        'format = "archlab.lesson"', "version = 1", f'id = "{LESSON_ID}"',
        f"title = {toml_value(title)}", f"summary = {toml_value(summary[: LIMITS['summary']])}",
        f"minutes = {toml_value(_or(document.get('minutes'), 15))}",
        f"teaches = {toml_value(_or(document.get('teaches'), ['meeting goals under a scenario']))}",
        "", "[[steps]]",
        *(f"{key} = {toml_value(value)}" for key, value in step.items()),
        f"scenario = {toml_value(scenario)}",
        "goals = [", *(f"  {toml_value(g)}," for g in goals), "]",
        f"hints = {toml_value([{'text': h} for h in hints])}",
    ]
    start = document["start"]
    reference = document.get("reference")
    files: Files = {
        "lesson.toml": ("\n".join(lines) + "\n").encode("utf-8"),
        NARRATIVE: narrative.encode("utf-8"),
        START: json.dumps(start, indent=1, ensure_ascii=False).encode("utf-8"),
        REFERENCE: json.dumps(reference if reference is not None else start, indent=1,
                              ensure_ascii=False).encode("utf-8"),
    }
    return files, points, problems


# -- the loader's problems, as the document's ------------------------------------------------

_TOML = re.compile(r"^lesson\.toml(?:: (.*))?$")
_DESIGN = re.compile(r"^designs/(start|reference)\.json(?:: \$(.*))?$")
_STEP_FIELDS = {"narrative": "narrative", "title": "title", "start": "start", "reference": "reference",
                "hollow": "start", "palette": "palette", "locked": "locked"}


def document_path(path: str, *, has_reference: bool) -> tuple[str, str]:
    """Where in the document a loader problem is, and words to put before its message (a
    Markdown problem's line)."""
    if path.startswith(f"{NARRATIVE}"):
        rest = path[len(NARRATIVE):].lstrip(": ")
        return "$.narrative", f"{rest}: " if rest else ""
    design = _DESIGN.match(path)
    if design:
        which = design.group(1) if has_reference else "start"
        return f"$.{which}{design.group(2) or ''}", ""
    toml = _TOML.match(path)
    if not toml:
        return "$", ""
    inner = toml.group(1) or ""
    if not inner.startswith("steps[0]"):
        return (f"$.{inner}" if inner in ("title", "summary", "minutes", "teaches") else "$"), ""
    rest = inner[len("steps[0]"):].lstrip(".")
    head = re.split(r"[.\[]", rest, maxsplit=1)[0]
    if head in ("scenario", "goals"):
        return f"$.{rest}", ""
    if head == "hints":
        return "$." + re.sub(r"^(hints\[\d+\]).*$", r"\1", rest), ""
    if head in _STEP_FIELDS:
        return f"$.{_STEP_FIELDS[head]}", ""
    return "$", ""


def check(document: Any) -> tuple[Files, Lesson | None, dict[str, float], list[Problem]]:
    """A challenge document checked whole: its files, the lesson they make (None if it has an
    error), the points per goal, and every problem with the document's paths."""
    files, points, problems = build(document)
    if problems:
        return {}, None, {}, problems
    lesson, found = check_files(files)
    if not document["narrative"].strip():  # a lesson's Markdown may be empty; a challenge's is all its students read
        problems.append(problem("$.narrative", "the narrative must not be empty: it is what the students read"))
        lesson = None
    has_reference = document.get("reference") is not None
    for q in found:
        path, before = document_path(q["path"], has_reference=has_reference)
        problems.append(problem(path, before + q["message"], q.get("severity", "error")))
    if not has_reference:
        problems.append(problem("$.reference", "no reference design: nobody has shown that the challenge can be passed; "
                                          "build one, run it and capture the goals from its run", "warning"))
    return files, lesson, points, problems
