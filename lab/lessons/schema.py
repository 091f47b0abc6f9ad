"""The JSON Schema of lesson.toml, read as its JSON equivalent (what tomllib returns), generated
from the field tables of format.py and the engine's registry.

Editors that read TOML through a JSON Schema (Taplo, the VS Code "Even Better TOML" extension)
complete and check a lesson file with it. The loader checks more than a schema can say (files
exist, designs are valid, goals name nodes of the reference), so the schema may accept a lesson
the loader refuses, never the reverse. A test fails when the checked-in `lesson.schema.json`
differs from what this module generates; regenerate it with
`python -m lab.lessons.schema > lab/lessons/lesson.schema.json`.
"""
from __future__ import annotations

import json
import sys
from typing import Any

from lab.sim import REGISTRY
from lab.sim.document.schema import params_object, topology_schema
from lab.sim.document.validation import SETTINGS

from .format import (COMPARES, FORMAT, GOAL_FIELDS, HINT_FIELDS, ID_PATTERN, LESSON_FIELDS, LIMITS, NAMED_SPANS,
                     PREDICTION_FIELDS, SCENARIO_FIELDS, SCOPE_KEYS, STARTS, STEP_FIELDS, TRAFFIC_FIELDS, VERSION,
                     Field)

_TYPES: dict[str, dict[str, Any]] = {
    "string": {"type": "string", "minLength": 1},
    "path": {"type": "string", "minLength": 1, "pattern": r"^(?![/\\])(?!.*(^|/)\.\.(/|$))[^\\]+$"},
    "id": {"$ref": "#/$defs/id"},
    "integer": {"type": "integer"},
    "number": {"type": "number"},
    "boolean": {"type": "boolean"},
    "strings": {"type": "array", "items": {"type": "string", "minLength": 1}},
    "paths": {"type": "array", "items": {"type": "string", "minLength": 1}},
    "table": {"type": "object"},
    "tables": {"type": "array", "items": {"type": "object"}},
    "any": {},
}


def _scope() -> dict[str, Any]:
    return {"oneOf": [
        {"type": "object", "additionalProperties": False, "required": [key], "minProperties": 1, "maxProperties": 1,
         "properties": {key: {"const": True} if key == "overall" else {"type": "string"}}}
        for key in SCOPE_KEYS]}


def _span() -> dict[str, Any]:
    return {"oneOf": [
        {"enum": list(NAMED_SPANS)},
        {"type": "object", "additionalProperties": False, "required": ["fault"],
         "properties": {"fault": {"$ref": "#/$defs/id"}}},
        {"type": "object", "additionalProperties": False, "required": ["after", "seconds"],
         "properties": {"after": {"$ref": "#/$defs/id"}, "seconds": {"type": "number", "exclusiveMinimum": 0},
                        "from": {"enum": ["start", "end"]}}},
    ]}


def _setting(name: str) -> dict[str, Any]:
    param = next(p for p in SETTINGS if p.name == name)
    return {"type": "number", "minimum": param.minimum, "maximum": param.maximum}


def _fault() -> dict[str, Any]:
    fault = json.loads(json.dumps(topology_schema()["properties"]["faults"]["items"]))
    fault["required"] = sorted({*fault.get("required", []), "id", "kind"})
    fault["properties"]["id"] = {"$ref": "#/$defs/id"}
    return fault


def _refinements() -> dict[str, dict[str, Any]]:
    """What a field's schema says beyond its type, keyed by table and field name."""
    files = {"type": "array", "maxItems": LIMITS["designs"], "items": _TYPES["path"]}
    return {
        "lesson.format": {"const": FORMAT},
        "lesson.version": {"const": VERSION},
        "lesson.minutes": {"type": "integer", "minimum": 1, "maximum": LIMITS["minutes"]},
        "lesson.teaches": {**_TYPES["strings"], "minItems": 1, "maxItems": LIMITS["teaches"]},
        "lesson.steps": {"type": "array", "minItems": 1, "maxItems": LIMITS["steps"], "items": {"$ref": "#/$defs/step"}},
        "step.start": {"anyOf": [{"enum": list(STARTS)}, _TYPES["path"]]},
        "step.hollow": {**files, "minItems": 1},
        "step.alternatives": files,
        "step.palette": {"type": "array", "items": {"enum": sorted(REGISTRY)}},
        "step.scenario": {"$ref": "#/$defs/scenario"},
        "step.goals": {"type": "array", "minItems": 1, "maxItems": LIMITS["goals"], "items": {"$ref": "#/$defs/goal"}},
        "step.hints": {"type": "array", "maxItems": LIMITS["hints"], "items": {"$ref": "#/$defs/hint"}},
        "step.predictions": {"type": "array", "maxItems": LIMITS["predictions"], "items": {"$ref": "#/$defs/prediction"}},
        "scenario.duration_s": _setting("duration_s"),
        "scenario.warmup_s": _setting("warmup_s"),
        "scenario.window_s": _setting("window_s"),
        "scenario.seeds": {"type": "array", "minItems": 1, "maxItems": LIMITS["seeds"], "uniqueItems": True,
                           "items": {"type": "integer", "minimum": 0, "maximum": 2**63 - 1}},
        "scenario.seed_rule": {"oneOf": [{"const": "all"}, {
            "type": "object", "additionalProperties": False, "required": ["at_least"],
            "properties": {"at_least": {"type": "integer", "minimum": 1}}}]},
        "scenario.traffic": {"type": "array", "maxItems": LIMITS["traffic"], "items": {"$ref": "#/$defs/traffic"}},
        "scenario.faults": {"type": "array", "maxItems": LIMITS["faults"], "items": {"$ref": "#/$defs/fault"}},
        "traffic.params": params_object(REGISTRY["traffic_source"].params),
        "goal.scope": _scope(),
        "goal.span": _span(),
        "goal.compare": {"enum": list(COMPARES)},
        "goal.relative": {"type": "object", "additionalProperties": False, "required": ["to", "change_pct"],
                          "properties": {"to": {"const": "start"}, "change_pct": {"type": "number"}}},
        "goal.structure": {"type": "object", "minProperties": 1},
        "prediction.scope": _scope(),
        "prediction.span": _span(),
    }


def _table(name: str, fields: tuple[Field, ...], refine: dict[str, dict[str, Any]]) -> dict[str, Any]:
    properties = {}
    for f in fields:
        schema = dict(refine.get(f"{name}.{f.name}", _TYPES[f.type]))
        if f.max_length:
            schema["maxLength"] = f.max_length
        properties[f.name] = {**schema, "description": f.help}
    return {"type": "object", "additionalProperties": False,
            "required": [f.name for f in fields if f.required], "properties": properties}


def lesson_schema() -> dict[str, Any]:
    refine = _refinements()
    root = _table("lesson", LESSON_FIELDS, refine)
    goal = _table("goal", GOAL_FIELDS, refine)
    # A measured goal has a metric; a structural one a structure instead.
    goal["oneOf"] = [{"required": ["metric"], "not": {"required": ["structure"]}},
                     {"required": ["structure"], "not": {"required": ["metric"]}}]
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"urn:archlab:lesson:{VERSION}",
        "title": f"Archlab lesson file (lesson.toml), version {VERSION}",
        "description": "The JSON equivalent of a lesson's lesson.toml. See docs/lessons.md. The loader adds "
                       "checks a schema cannot express (files exist, designs are valid topologies, goals name "
                       "nodes of the reference design).",
        **root,
        "$defs": {
            "id": {"type": "string", "pattern": ID_PATTERN},
            "step": _table("step", STEP_FIELDS, refine),
            "scenario": _table("scenario", SCENARIO_FIELDS, refine),
            "traffic": _table("traffic", TRAFFIC_FIELDS, refine),
            "fault": _fault(),
            "goal": goal,
            "hint": _table("hint", HINT_FIELDS, refine),
            "prediction": _table("prediction", PREDICTION_FIELDS, refine),
        },
    }


def schema_text() -> str:
    return json.dumps(lesson_schema(), indent=2) + "\n"


if __name__ == "__main__":
    sys.stdout.write(schema_text())
