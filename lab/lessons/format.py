"""The lesson file's vocabulary (lesson.toml, format "archlab.lesson" version 1): its fields,
limits, and the typed objects a loaded lesson is made of.

The field tables below are the one declaration of what lesson.toml may hold: the loader refuses
any other key, and schema.py generates lesson.schema.json from the same tables, so the two cannot
disagree. docs/lessons.md explains each field for a teacher.

Goals stay plain dicts (as written in the TOML): their meaning belongs to lab.lessons.goals,
which checks and evaluates them; the loader only hands them over.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lab.sim.problems import Problem, Refused

FORMAT = "archlab.lesson"
VERSION = 1
LESSON_FILE = "lesson.toml"

# Lowercase so an id is also a safe URL segment and folder name on every file system.
ID_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$"

# Starts that are not files: what the learner built in the previous step (or, if they did not
# pass it, that step's reference), or the previous step's reference whatever the learner built.
START_PREVIOUS = "previous"
START_PREVIOUS_REFERENCE = "previous-reference"
STARTS = (START_PREVIOUS, START_PREVIOUS_REFERENCE)

COMPARES = ("<=", "<", ">=", ">")
NAMED_SPANS = ("measured", "worst_window")
SCOPE_KEYS = ("overall", "class", "origin", "node", "edge")

# Limits keep one lesson within what a page shows and a grading run can afford.
LIMITS: dict[str, int] = {
    "lesson_toml_bytes": 200_000,
    "markdown_bytes": 200_000,
    "image_bytes": 2_000_000,
    "steps": 30,
    "goals": 20,          # per step
    "hints": 10,          # per step
    "predictions": 10,    # per step
    "designs": 10,        # hollow or alternative designs per step
    "seeds": 10,
    "teaches": 12,
    "traffic": 20,
    "faults": 50,
    "minutes": 600,
    "title": 120,
    "summary": 300,
    "text": 500,          # a goal's text, a hint, a prediction's question
}


# No number a lesson needs is this large; past it, arithmetic on it (a float, a comparison with a
# float, math.isfinite) raises instead of comparing, so the loader refuses it first.
MAX_NUMBER = 1e15


def huge_numbers(value: Any, path: str = "") -> list[str]:
    """The paths ("steps[0].goals[1].value") of every number in a parsed document past MAX_NUMBER."""
    out: list[str] = []
    stack: list[tuple[str, Any]] = [(path, value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, (int, float)) and not isinstance(item, bool):
            if isinstance(item, int) and abs(item) > MAX_NUMBER:
                out.append(where)
        elif isinstance(item, dict):
            stack.extend((f"{where}.{k}" if where else str(k), v) for k, v in item.items())
        elif isinstance(item, list):
            stack.extend((f"{where}[{i}]", v) for i, v in enumerate(item))
    return sorted(out)


@dataclass(frozen=True)
class Field:
    """One key of a table in lesson.toml. `type` is one of: string, id, integer, number,
    boolean, path, paths, strings, table, tables, any (checked by the code that owns it)."""

    name: str
    type: str
    help: str
    required: bool = False
    max_length: int | None = None


LESSON_FIELDS = (
    Field("format", "string", f'Always "{FORMAT}".', required=True),
    Field("version", "integer", f"The version of the lesson format: {VERSION}.", required=True),
    Field("id", "id", "The lesson's id: lowercase letters, digits and '-'; the same as its folder's name.", required=True),
    Field("title", "string", "The lesson's title in the lesson index.", required=True, max_length=LIMITS["title"]),
    Field("summary", "string", "One sentence for the lesson index.", required=True, max_length=LIMITS["summary"]),
    Field("minutes", "integer", "Estimated minutes to complete the lesson.", required=True),
    Field("teaches", "strings", "What the lesson teaches, a few words each, for the lesson index.", required=True),
    Field("order", "integer", "Position in the lesson index (lower first; ties by id)."),
    Field("steps", "tables", "The steps, in the order the learner takes them.", required=True),
)

STEP_FIELDS = (
    Field("id", "id", "The step's id, unique in the lesson.", required=True),
    Field("title", "string", "The step's title.", required=True, max_length=LIMITS["title"]),
    Field("narrative", "path", "The step's Markdown file (e.g. steps/one-vm.md).", required=True),
    Field("debrief", "path", "Markdown shown after the learner passes the step."),
    Field("start", "string", 'The design the learner starts from: a file, "previous" (what they built in the '
                             'previous step) or "previous-reference". The first step must name a file.', required=True),
    Field("reference", "path", "A design that passes every goal: the solution.", required=True),
    Field("hollow", "paths", "Tempting designs that must fail the goals (at least one).", required=True),
    Field("alternatives", "paths", "Other designs that must pass (where more than one design is right)."),
    Field("palette", "strings", "The component kinds the palette offers (default: all)."),
    Field("locked", "strings", 'Node ids whose parameters the learner may not change; "node.param" locks one parameter.'),
    Field("scenario", "table", "The traffic, faults, duration and seeds imposed on the learner's design.", required=True),
    Field("goals", "tables", "What the learner's design must achieve (at least one).", required=True),
    Field("hints", "tables", "Hints, unlocked one at a time."),
    Field("predictions", "tables", "Numbers the learner guesses before the run."),
)

SCENARIO_FIELDS = (
    Field("duration_s", "number", "Simulated seconds of each graded run.", required=True),
    Field("warmup_s", "number", "Seconds left out of the measured results (default 0)."),
    Field("window_s", "number", "Length of one metrics window in seconds (default 1)."),
    Field("seeds", "any", "The seeds the step is graded with, e.g. [1, 2, 3].", required=True),
    Field("seed_rule", "any", '"all" (every seed must pass, the default) or { at_least = 2 }.'),
    Field("traffic", "tables", "Parameters set on the learner's traffic sources."),
    Field("faults", "tables", "Faults in the topology format, each with an id; they replace the learner's own."),
)

TRAFFIC_FIELDS = (
    Field("source", "id", "The id of a traffic_source node the learner's design must have.", required=True),
    Field("params", "table", "traffic_source parameters to impose, e.g. { rate_per_s = 120 }.", required=True),
)

GOAL_FIELDS = (
    Field("id", "id", "The goal's id, unique in the step.", required=True),
    Field("text", "string", "What the learner reads, e.g. \"95% of requests answered within 300 ms\".",
          required=True, max_length=LIMITS["text"]),
    Field("metric", "string", "What is measured (see the metric vocabulary)."),
    Field("cause", "string", "The error cause, for errors_by_cause_pct."),
    Field("scope", "any", "Where it is measured: { overall = true }, { class = ... }, { origin = ... }, { node = ... }, { edge = ... }."),
    Field("span", "any", '"measured", "worst_window", { fault = "id" } or { after = "id", seconds = 30 }.'),
    Field("compare", "string", 'How the measurement compares with the value: "<=", "<", ">=" or ">".'),
    Field("value", "number", "The value compared with."),
    Field("unit", "string", "The metric's unit, written out so a reader sees it (ms, %, /s, USD/h, ...)."),
    Field("relative", "any", 'Instead of a value: { to = "start", change_pct = -30 }.'),
    Field("structure", "any", "Instead of a metric: { kind = \"cache\", at_least = 1 }, { instances_at_most = 6 }, "
                              "{ monthly_cost_usd_at_most = 900 }."),
)

HINT_FIELDS = (
    Field("text", "string", "The hint (Markdown-free text).", required=True, max_length=LIMITS["text"]),
)

PREDICTION_FIELDS = (
    Field("id", "id", "The prediction's id, unique in the step.", required=True),
    Field("question", "string", "The question the learner answers with a number.", required=True,
          max_length=LIMITS["text"]),
    Field("metric", "string", "The metric measured after the run, shown beside the guess.", required=True),
    Field("cause", "string", "The error cause, for errors_by_cause_pct."),
    Field("scope", "any", "Where it is measured, as for a goal."),
    Field("span", "any", "When it is measured, as for a goal."),
    Field("unit", "string", "The metric's unit.", required=True),
)


@dataclass(frozen=True)
class Hint:
    text: str


@dataclass(frozen=True)
class Prediction:
    id: str
    question: str
    metric: str
    unit: str
    scope: dict[str, Any] = field(default_factory=lambda: {"overall": True})
    span: str | dict[str, Any] = "measured"
    cause: str | None = None


@dataclass(frozen=True)
class Traffic:
    source: str
    params: dict[str, Any]


@dataclass(frozen=True)
class Scenario:
    duration_s: float
    warmup_s: float
    window_s: float
    seeds: tuple[int, ...]
    seed_rule: str | dict[str, int]          # "all" or {"at_least": k}
    traffic: tuple[Traffic, ...] = ()
    faults: tuple[dict[str, Any], ...] = ()  # topology fault objects, each with an id

    @property
    def seeds_needed(self) -> int:
        """How many seeds a goal must pass on."""
        return len(self.seeds) if isinstance(self.seed_rule, str) else int(self.seed_rule["at_least"])

    @property
    def fault_ids(self) -> tuple[str, ...]:
        return tuple(f["id"] for f in self.faults)


@dataclass(frozen=True)
class Step:
    id: str
    title: str
    narrative: str                  # path inside the lesson folder
    narrative_markdown: str
    start: str                      # a path, "previous" or "previous-reference"
    reference: str
    hollow: tuple[str, ...]
    alternatives: tuple[str, ...]
    scenario: Scenario
    goals: tuple[dict[str, Any], ...]
    hints: tuple[Hint, ...] = ()
    predictions: tuple[Prediction, ...] = ()
    palette: tuple[str, ...] | None = None    # None: every kind
    locked: tuple[str, ...] = ()
    debrief: str | None = None
    debrief_markdown: str | None = None

    @property
    def start_is_file(self) -> bool:
        return self.start not in STARTS


@dataclass(frozen=True)
class Lesson:
    id: str
    title: str
    summary: str
    minutes: int
    teaches: tuple[str, ...]
    order: int
    steps: tuple[Step, ...]
    folder: Path
    designs: dict[str, dict[str, Any]]        # path -> the topology document as written (valid)
    warnings: tuple[Problem, ...] = ()

    def design(self, path: str) -> dict[str, Any]:
        """A copy of one of the lesson's topology documents, safe for the caller to change."""
        return copy.deepcopy(self.designs[path])

    def step(self, step_id: str) -> Step:
        return next(s for s in self.steps if s.id == step_id)

    def start_design(self, index: int) -> dict[str, Any]:
        """The design step `index` starts from when the learner brings nothing of their own:
        its start file, or (for "previous" and "previous-reference") the previous step's reference."""
        step = self.steps[index]
        return self.design(step.start if step.start_is_file else self.steps[index - 1].reference)


class InvalidLesson(Refused):
    """A lesson that cannot be offered: a refusal (400), as an invalid topology is. `problems`
    lists every reason, each {"path", "message", "severity"} with a path such as
    "lesson.toml: steps[2].goals[0].metric"."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(problems)

    def __str__(self) -> str:
        # The first problem's path leads: a lesson's problems lie in several files.
        problems = self.problems
        first = f"{problems[0]['path']}: {problems[0]['message']}" if problems else "invalid lesson"
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        return first + more
