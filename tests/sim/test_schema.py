"""The topology JSON Schema and the component catalogue, both generated from the registry.

Editors and other tools read the checked-in `lab/sim/document/topology.schema.json`; the lab's editor
builds its palette and forms from `catalogue()`. Both must describe exactly what the engine
accepts, so these tests hold them to the code.
"""
from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

import lab.sim
from lab.sim import REGISTRY, check
from lab.sim.faults import FAULT_KINDS
from lab.sim.params import PARAM_TYPES, Param
from lab.sim.document.schema import catalogue, param_schema, schema_text, topology_schema
from lab.sim.document.validation import CLASS_FIELDS, EDGE_LATENCY, KEYS, SETTINGS

PACKAGE = Path(lab.sim.__file__).parent
SCHEMA_FILE = PACKAGE / "document" / "topology.schema.json"
EXAMPLES = sorted((PACKAGE / "examples").glob("*.json"))

# Every declared parameter, named by where it lives, for the tests that hold to all of them.
ALL_PARAMS: list[tuple[str, Param]] = (
    [(f"{kind}.{p.name}", p) for kind in sorted(REGISTRY) for p in REGISTRY[kind].params]
    + [(f"fault {kind}.{p.name}", p) for kind in sorted(FAULT_KINDS) for p in FAULT_KINDS[kind]["params"]]
    + [(f"settings.{p.name}", p) for p in SETTINGS]
    + [(f"workload.keys.{p.name}", p) for p in KEYS]
    + [(f"workload.classes.{p.name}", p) for p in CLASS_FIELDS]
    + [("edges.latency_ms", EDGE_LATENCY)]
)


@pytest.fixture(scope="module")
def validator() -> Draft202012Validator:
    return Draft202012Validator(json.loads(SCHEMA_FILE.read_text()))


def reference() -> dict[str, Any]:
    return json.loads((PACKAGE / "examples" / "reference.json").read_text())


def schema_errors(validator: Draft202012Validator, doc: Any) -> list[str]:
    return [f"{e.json_path}: {e.message}" for e in validator.iter_errors(doc)]


# ------------------------------------------------------------------ the checked-in file


def test_the_checked_in_schema_is_what_the_code_generates() -> None:
    assert SCHEMA_FILE.read_text(encoding="utf-8") == schema_text(), (
        "lab/sim/document/topology.schema.json is out of date; regenerate it with "
        "`python -m lab.sim schema > lab/sim/document/topology.schema.json`"
    )


def test_the_schema_is_a_valid_draft_2020_12_schema() -> None:
    schema = json.loads(SCHEMA_FILE.read_text())
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)


def test_the_generated_schema_is_plain_json() -> None:
    # No NaN, Infinity or Python-only values: other tools must be able to read it.
    text = json.dumps(topology_schema(), allow_nan=False)
    assert json.loads(text) == topology_schema()


# ------------------------------------------------------------------ documents against the schema


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_every_example_validates_against_the_schema(path: Path, validator: Draft202012Validator) -> None:
    assert schema_errors(validator, json.loads(path.read_text())) == []


def test_the_schema_rejects_an_unknown_kind(validator: Draft202012Validator) -> None:
    doc = reference()
    doc["nodes"][7]["kind"] = "databse"
    assert schema_errors(validator, doc)


def test_the_schema_rejects_an_unknown_parameter(validator: Draft202012Validator) -> None:
    doc = reference()
    doc["nodes"][2]["params"]["service_tme_ms"] = 3
    errors = schema_errors(validator, doc)
    assert errors and any("service_tme_ms" in e for e in errors)


@pytest.mark.parametrize(
    ("node", "param", "value"),
    [(2, "instances", "two"), (2, "instances", 1.5), (2, "blocking_calls", 1), (1, "policy", "fastest"),
     (0, "mix", {"read": "most"})],
    ids=lambda v: repr(v),
)
def test_the_schema_rejects_a_parameter_of_the_wrong_type(
        validator: Draft202012Validator, node: int, param: str, value: Any) -> None:
    doc = reference()
    doc["nodes"][node]["params"][param] = value
    assert schema_errors(validator, doc)


def test_the_schema_rejects_a_value_out_of_range(validator: Draft202012Validator) -> None:
    doc = reference()
    doc["nodes"][0]["params"]["rate_per_s"] = -1
    assert schema_errors(validator, doc)


def test_the_schema_rejects_a_document_without_a_version(validator: Draft202012Validator) -> None:
    doc = reference()
    del doc["version"]
    assert schema_errors(validator, doc)


def test_the_schema_rejects_an_unknown_top_level_field(validator: Draft202012Validator) -> None:
    doc = reference()
    doc["setings"] = {}
    assert schema_errors(validator, doc)


def test_the_schema_rejects_an_unknown_fault_parameter(validator: Draft202012Validator) -> None:
    # The engine rejects {"start": 5} (a typo for start_s); an editor checking with the schema
    # must not accept a fault the engine then refuses.
    doc = reference()
    doc["faults"] = [{"kind": "crash", "node": "db", "start": 5}]
    assert check(doc), "the engine should reject the unknown fault parameter"
    assert schema_errors(validator, doc)


def test_the_schema_accepts_every_value_the_engine_accepts_at_each_parameters_bounds(
        validator: Draft202012Validator) -> None:
    # The engine adds checks the schema cannot express, so it may reject more; it must never
    # accept a document the schema rejects.
    base = reference()
    disagreements = []
    for kind in sorted(REGISTRY):
        for p in REGISTRY[kind].params:
            for value in _edge_values(p):
                doc = copy.deepcopy(base)
                node = next((n for n in doc["nodes"] if n["kind"] == kind), None)
                if node is None:  # a kind the reference lacks: a lone node (only a warning)
                    doc["nodes"].append({"id": "extra", "kind": kind, "params": {}})
                    node = doc["nodes"][-1]
                node.setdefault("params", {})[p.name] = value
                engine_ok = not [e for e in check(doc) if e["severity"] == "error"]
                if engine_ok and schema_errors(validator, doc):
                    disagreements.append((kind, p.name, value, schema_errors(validator, doc)[:1]))
    assert disagreements == []


def _edge_values(p: Param) -> list[Any]:
    values: list[Any] = [p.default]
    if p.type in ("number", "integer"):
        values += [v for v in (p.minimum, p.maximum) if v is not None]
    elif p.type == "choice":
        values += list(p.choices)
    elif p.type == "boolean":
        values += [True, False]
    return values


# ------------------------------------------------------------------ every kind, described in full


def test_every_registered_kind_appears_in_the_schema() -> None:
    schema = topology_schema()
    assert schema["properties"]["nodes"]["items"]["properties"]["kind"]["enum"] == sorted(REGISTRY)
    for kind, cls in REGISTRY.items():
        declared = schema["$defs"][f"params_{kind}"]
        assert declared["additionalProperties"] is False
        assert list(declared["properties"]) == [p.name for p in cls.params], kind


def test_every_registered_kind_appears_in_the_catalogue() -> None:
    described = {k["kind"]: k for k in catalogue()["kinds"]}
    assert sorted(described) == sorted(REGISTRY)
    for kind, cls in REGISTRY.items():
        assert [p["name"] for p in described[kind]["params"]] == [p.name for p in cls.params], kind
        assert described[kind]["title"] and described[kind]["summary"], kind


def test_every_fault_kind_appears_in_the_schema_and_the_catalogue() -> None:
    schema = topology_schema()
    assert schema["properties"]["faults"]["items"]["properties"]["kind"]["enum"] == sorted(FAULT_KINDS)
    assert [f["kind"] for f in catalogue()["faults"]] == sorted(FAULT_KINDS)


@pytest.mark.parametrize("kind", sorted(REGISTRY))
def test_every_parameter_in_the_catalogue_has_a_type_a_default_and_help(kind: str) -> None:
    described = next(k for k in catalogue()["kinds"] if k["kind"] == kind)
    for p in described["params"]:
        assert p["type"] in PARAM_TYPES, p
        assert "default" in p, p
        assert isinstance(p["help"], str) and p["help"].strip(), p


@pytest.mark.parametrize(("where", "param"), ALL_PARAMS, ids=[w for w, _ in ALL_PARAMS])
def test_every_default_passes_its_own_check(where: str, param: Param) -> None:
    assert param.check(param.default) is None


@pytest.mark.parametrize(("where", "param"), ALL_PARAMS, ids=[w for w, _ in ALL_PARAMS])
def test_every_default_passes_its_own_schema(where: str, param: Param) -> None:
    schema = param_schema(param)
    assert list(Draft202012Validator(schema).iter_errors(param.default)) == []
    assert schema["default"] == param.default


def test_the_catalogue_is_plain_json() -> None:
    text = json.dumps(catalogue(), allow_nan=False)
    assert json.loads(text)["limits"] == lab.sim.LIMITS
