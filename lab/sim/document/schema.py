"""The topology format's JSON Schema, generated from the component registry.

The checked-in copy (`topology.schema.json`) is what editors and other tools read; a test
fails when it differs from what this module generates, so it can never drift from the code.
Regenerate it with `python -m lab.sim schema > lab/sim/document/topology.schema.json`.
"""
from __future__ import annotations

import json
from typing import Any

from ..components.base import GROUPS
from ..components.registry import REGISTRY
from ..faults import FAULT_KINDS
from ..cloud.geography import LATENCY_FIELDS
from ..kernel.request import CAUSES
from ..parts.resilience import POLICY_FIELDS
from ..cloud.pricing import DEFAULT_PRICES, MAX_PRICE, prices_markdown
from ..params import Param
from .format import FORMAT, ID_PATTERN, LIMITS, VERSION
from .validation import CLASS_FIELDS, EDGE_LATENCY, KEYS, SETTINGS


def param_schema(param: Param) -> dict[str, Any]:
    bounds: dict[str, Any] = {}
    if param.minimum is not None:
        bounds["minimum"] = param.minimum
    if param.maximum is not None:
        bounds["maximum"] = param.maximum
    kind = param.type
    if kind == "number":
        out: dict[str, Any] = {"type": "number", **bounds}
    elif kind == "integer":
        out = {"type": "integer", **bounds}
    elif kind == "boolean":
        out = {"type": "boolean"}
    elif kind == "choice":
        out = {"enum": list(param.choices)}
    elif kind == "text":
        out = {"type": "string", "maxLength": 200}
    elif kind == "weights":
        out = {"type": "object", "maxProperties": 100, "additionalProperties": {"type": "number", **bounds}}
    elif kind == "numbers":
        out = {"type": "array", "maxItems": 10_000, "items": {"type": "number", **bounds}}
    else:  # points
        out = {
            "type": "array", "minItems": 1, "maxItems": 10_000,
            "items": {"type": "array", "prefixItems": [{"type": "number", "minimum": 0}, {"type": "number", **bounds}],
                      "minItems": 2, "maxItems": 2},
        }
    out["default"] = param.default
    out["description"] = param.help + (f" Unit: {param.unit}." if param.unit else "")
    return out


def params_object(params: tuple[Param, ...]) -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": False,
        "properties": {p.name: param_schema(p) for p in params},
    }


def topology_schema() -> dict[str, Any]:
    kinds = sorted(REGISTRY)
    identifier = {"type": "string", "pattern": ID_PATTERN}
    node_rules = [
        {
            "if": {"properties": {"kind": {"const": kind}}, "required": ["kind"]},
            "then": {"properties": {"params": {"$ref": f"#/$defs/params_{kind}"}}},
        }
        for kind in kinds
    ]
    fault_rules = [
        {
            "if": {"properties": {"kind": {"const": kind}}, "required": ["kind"]},
            "then": {"properties": {p.name: param_schema(p) for p in spec["params"]}},
        }
        for kind, spec in sorted(FAULT_KINDS.items())
    ]
    defs: dict[str, Any] = {f"params_{kind}": params_object(REGISTRY[kind].params) for kind in kinds}
    defs["id"] = identifier
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"urn:archlab:topology:{VERSION}",
        "title": f"Archlab topology, version {VERSION}",
        "description": "One document for the editor, saving, sharing, lessons, the API and the command line. "
                       "See docs/topology.md. Validation by the engine adds checks a schema cannot express "
                       "(edges to missing nodes, loops, which kinds may call which).",
        "type": "object",
        "required": ["version", "nodes", "edges"],
        "additionalProperties": False,
        "properties": {
            "format": {"const": FORMAT},
            "version": {"const": VERSION},
            "name": {"type": "string", "maxLength": LIMITS["text"]},
            "description": {"type": "string", "maxLength": LIMITS["description"]},
            "settings": params_object(SETTINGS),
            "workload": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "classes": {
                        "type": "array", "minItems": 1, "maxItems": LIMITS["classes"],
                        "items": {**params_object(CLASS_FIELDS), "required": ["name"]},
                    },
                    "keys": params_object(KEYS),
                },
            },
            "regions": {
                "type": "array", "maxItems": LIMITS["regions"],
                "items": {
                    "type": "object", "required": ["id"], "additionalProperties": False,
                    "properties": {"id": {"$ref": "#/$defs/id"}, "label": {"type": "string"},
                                   "zones": {"type": "array", "items": {"$ref": "#/$defs/id"}}},
                },
            },
            "nodes": {
                "type": "array", "maxItems": LIMITS["nodes"],
                "items": {
                    "type": "object",
                    "required": ["id", "kind"],
                    "additionalProperties": False,
                    "properties": {
                        "id": {"$ref": "#/$defs/id"},
                        "kind": {"enum": kinds},
                        "label": {"type": "string", "maxLength": 100},
                        "region": {"type": ["string", "null"]},
                        "zone": {"type": ["string", "null"]},
                        "position": {"type": "object", "additionalProperties": False,
                                     "properties": {"x": {"type": "number"}, "y": {"type": "number"}}},
                        "params": {"type": "object"},
                    },
                    "allOf": node_rules,
                },
            },
            "edges": {
                "type": "array", "maxItems": LIMITS["edges"],
                "items": {
                    "type": "object",
                    "required": ["from", "to"],
                    "additionalProperties": False,
                    "properties": {
                        "id": {"$ref": "#/$defs/id"},
                        "from": {"$ref": "#/$defs/id"},
                        "to": {"$ref": "#/$defs/id"},
                        "latency_ms": param_schema(EDGE_LATENCY),
                        "classes": {"type": ["array", "null"], "items": {"type": "string"}},
                        "policy": {
                            "type": ["object", "null"], "additionalProperties": False,
                            "description": "Timeout, retries, circuit breaker and bulkhead on the call.",
                            "properties": {p.name: param_schema(p) for p in POLICY_FIELDS},
                        },
                    },
                },
            },
            "faults": {
                "type": "array", "maxItems": LIMITS["faults"],
                "items": {
                    "type": "object",
                    "required": ["kind"],
                    "properties": {"id": {"$ref": "#/$defs/id"}, "kind": {"enum": sorted(FAULT_KINDS)},
                                   "node": {"$ref": "#/$defs/id"}, "edge": {"$ref": "#/$defs/id"},
                                   "zone": {"$ref": "#/$defs/id"}, "region": {"$ref": "#/$defs/id"},
                                   "between": {"type": "array", "items": {"$ref": "#/$defs/id"},
                                               "minItems": 2, "maxItems": 2}},
                    "oneOf": [{"required": [f]} for f in ("node", "edge", "zone", "region", "between")],
                    "allOf": fault_rules,
                    # Fields come from the kind's rule in allOf, which additionalProperties cannot see.
                    "unevaluatedProperties": False,
                },
            },
            "latency": {
                "type": "object",
                "description": "The latency table edges without latency_ms take their latency from; see docs/topology.md#geography.",
                "additionalProperties": False,
                "properties": {
                    **{p.name: param_schema(p) for p in LATENCY_FIELDS},
                    "between_regions": {
                        "type": "array",
                        "items": {"type": "object", "additionalProperties": False, "required": ["from", "to", "ms"],
                                  "properties": {"from": {"$ref": "#/$defs/id"}, "to": {"$ref": "#/$defs/id"},
                                                 "ms": {"type": "number", "minimum": 0, "maximum": 10000}}},
                    },
                },
            },
            "pricing": {
                "type": "object",
                "description": "Overrides of the default prices (USD), by name; see docs/components.md#prices.",
                "additionalProperties": False,
                "properties": {name: {"type": "number", "minimum": 0, "maximum": MAX_PRICE, "default": usd}
                               for name, usd in DEFAULT_PRICES.items()},
            },
        },
        "$defs": defs,
    }


def schema_text() -> str:
    return json.dumps(topology_schema(), indent=2, sort_keys=False) + "\n"


def catalogue() -> dict[str, Any]:
    """Every component kind and fault kind, described for the editor's palette and the API."""
    return {
        "format": FORMAT,
        "version": VERSION,
        "groups": list(GROUPS),
        "kinds": [REGISTRY[k].describe() for k in sorted(REGISTRY)],
        "faults": [
            {"kind": k, "title": v["title"], "help": v["help"], "target": v["target"],
             "params": [p.describe() for p in v["params"]]}
            for k, v in sorted(FAULT_KINDS.items())
        ],
        "edge_policy": [p.describe() for p in POLICY_FIELDS],
        "causes": [{"code": c.code, "status": c.status, "text": c.text} for c in CAUSES.values()],
        "limits": LIMITS,
    }


def components_markdown() -> str:
    """docs/components.md: every kind's parameters, generated so it cannot drift from the code.
    Regenerate with `python -m lab.sim kinds --markdown > docs/components.md`."""
    lines = [
        "# Component reference",
        "",
        "Generated from the engine's registry by `python -m lab.sim kinds --markdown`; a test keeps it current.",
        "Parameters go in a node's `params` object; any left out take their default. *Live* parameters",
        "can be changed while a run is going (`set_param`).",
        "",
    ]
    for kind in sorted(REGISTRY):
        cls = REGISTRY[kind]
        callees = ("no outgoing edges" if cls.max_callees == 0 else
                   f"at least {cls.min_callees} outgoing edge(s)" if cls.min_callees else "any number of outgoing edges")
        lines += [f"## `{kind}`: {cls.title}", "", f"{cls.summary} Group: {cls.group}; {callees}"
                  + ("; cannot be called (it starts requests)." if cls.is_source else "."), "",
                  "| parameter | type | default | range | live | meaning |", "|---|---|---|---|---|---|"]
        for p in cls.params:
            rng = ""
            if p.choices:
                rng = ", ".join(f"`{c}`" for c in p.choices)
            elif p.minimum is not None or p.maximum is not None:
                rng = f"{p.minimum:g} to {p.maximum:g}" if p.maximum is not None else f">= {p.minimum:g}"
            unit = f" ({p.unit})" if p.unit else ""
            shown_when = (" Used when " + ", ".join(f"`{k}` is {' or '.join(f'`{x}`' for x in v)}" for k, v in p.when.items())
                          + ".") if p.when else ""
            default = json.dumps(p.default)
            lines.append(f"| `{p.name}` | {p.type}{unit} | `{default}` | {rng} | {'yes' if p.live else 'no'} | "
                         f"{p.help.replace('|', '/')}{shown_when} |")
        lines.append("")
    lines += ["## Fault kinds", ""]
    for kind, spec in sorted(FAULT_KINDS.items()):
        params = ", ".join(f"`{p.name}` ({p.unit}, default {p.default:g})" for p in spec["params"])
        target = {"node_or_edge": "`node` or `edge`"}.get(spec["target"], f"`{spec['target']}`")
        lines += [f"- `{kind}`: {spec['help']} Target: {target}. Fields: {params}.", ""]
    lines += ["## Prices", "",
              "Every kind prices itself from this list (lab/sim/cloud/pricing.py): round figures in the style of public",
              "cloud on-demand list prices. A topology overrides any of them in its `pricing` object, e.g.",
              "`\"pricing\": {\"vm_medium_hour\": 0.05}`. A month is 730 hours.", "",
              prices_markdown(), ""]
    return "\n".join(lines)
