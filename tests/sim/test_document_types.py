"""The topology's types (lab/sim/document/types.py) say what the format says: the same fields as
the JSON Schema, required where it requires them, and every key `load` fills in for the examples.
A field added to the format without its type (or the other way round) fails here."""
from __future__ import annotations

from pathlib import Path
from typing import Any, get_args, get_origin, get_type_hints, is_typeddict

import pytest

import lab.sim
from lab.sim import load
from lab.sim.document import types
from lab.sim.document.schema import topology_schema
from lab.sim.faults import FAULT_KINDS, TARGET_FIELDS

EXAMPLES = sorted((Path(lab.sim.__file__).parent / "examples").glob("*.json"))
SCHEMA = topology_schema()
PROPS = SCHEMA["properties"]


def keys(td: Any) -> set[str]:
    return set(td.__required_keys__ | td.__optional_keys__)


def object_fields(schema: dict[str, Any]) -> tuple[set[str], set[str]]:
    """An object schema's fields and its required ones."""
    return set(schema["properties"]), set(schema.get("required", ()))


# (what, its schema object, the type as written, the type after load)
SECTIONS = [
    ("the topology", SCHEMA, types.TopologyDocument, types.Topology),
    ("settings", PROPS["settings"], types.SettingsDocument, types.Settings),
    ("the workload", PROPS["workload"], types.WorkloadDocument, types.Workload),
    ("a request class", PROPS["workload"]["properties"]["classes"]["items"], types.RequestClassDocument,
     types.RequestClass),
    ("the key space", PROPS["workload"]["properties"]["keys"], types.KeysDocument, types.Keys),
    ("a region", PROPS["regions"]["items"], types.Region, types.Region),
    ("a node", PROPS["nodes"]["items"], types.NodeDocument, types.NodeSpec),
    ("a node's position", PROPS["nodes"]["items"]["properties"]["position"], types.PositionDocument,
     types.Position),
    ("an edge", PROPS["edges"]["items"], types.EdgeDocument, types.EdgeSpec),
    ("the latency table", PROPS["latency"], types.LatencyTable, types.LatencyTable),
    ("a region pair", PROPS["latency"]["properties"]["between_regions"]["items"], types.RegionPair,
     types.RegionPair),
]


@pytest.mark.parametrize(("what", "schema", "written", "loaded"), SECTIONS, ids=[s[0] for s in SECTIONS])
def test_each_section_has_the_schemas_fields_and_requires_what_it_requires(
        what: str, schema: dict[str, Any], written: Any, loaded: Any) -> None:
    fields, required = object_fields(schema)
    assert keys(written) == fields, what
    assert set(written.__required_keys__) == required, what
    assert keys(loaded) == fields, what


def test_a_fault_has_an_id_a_kind_a_target_and_the_fields_its_kinds_declare() -> None:
    declared = {p.name for spec in FAULT_KINDS.values() for p in spec["params"]}
    schema_fields, required = object_fields(PROPS["faults"]["items"])
    for rule in PROPS["faults"]["items"]["allOf"]:
        schema_fields |= set(rule["then"]["properties"])
    assert keys(types.FaultDocument) == {"id", "kind", *TARGET_FIELDS, *declared} == schema_fields
    assert set(types.FaultDocument.__required_keys__) == required == {"kind"}
    assert keys(types.FaultSpec) == keys(types.FaultDocument)
    # Every kind declares a start and a duration, so a loaded fault always has them.
    assert all({"start_s", "duration_s"} <= {p.name for p in spec["params"]} for spec in FAULT_KINDS.values())
    assert set(types.FaultSpec.__required_keys__) == {"id", "kind", "start_s", "duration_s"}


LOADED_COMPLETE = [types.Topology, types.Settings, types.Workload, types.RequestClass, types.Keys, types.NodeSpec,
                   types.Position, types.EdgeSpec]


@pytest.mark.parametrize("td", LOADED_COMPLETE, ids=lambda td: td.__name__)
def test_a_loaded_section_has_every_field(td: Any) -> None:
    assert not td.__optional_keys__, f"{td.__name__}: load fills in every field"


def conforms(value: Any, hint: Any, where: str) -> list[str]:
    """Where `value` has keys its type does not name, or lacks keys its type requires."""
    if is_typeddict(hint):
        if not isinstance(value, dict):
            return [f"{where}: {value!r} is not an object"]
        found = []
        missing = set(hint.__required_keys__) - set(value)
        extra = set(value) - keys(hint)
        if missing or extra:
            found.append(f"{where}: missing {sorted(missing)}, not in the type {sorted(extra)}")
        hints = get_type_hints(hint)
        for key in set(value) & keys(hint):
            found += conforms(value[key], hints[key], f"{where}.{key}")
        return found
    origin, args = get_origin(hint), get_args(hint)
    if origin is list and value is not None:
        return [msg for i, item in enumerate(value) for msg in conforms(item, args[0], f"{where}[{i}]")]
    if origin is dict and value is not None and is_typeddict(args[1]):
        return [msg for k, item in value.items() for msg in conforms(item, args[1], f"{where}.{k}")]
    return []


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_what_load_returns_for_each_example_is_a_topology(path: Path) -> None:
    assert conforms(load(path.read_text()), types.Topology, "$") == []


def test_the_document_in_the_docs_is_a_topology_with_a_region_and_a_fault() -> None:
    doc: dict[str, Any] = {
        "version": 1,
        "regions": [{"id": "eu-west", "label": "EU West", "zones": ["eu-west-a"]}],
        "latency": {"cross_zone_ms": 0.8, "between_regions": [{"from": "eu-west", "to": "mars", "ms": 600}]},
        "nodes": [{"id": "users", "kind": "traffic_source", "region": "eu-west"},
                  {"id": "api", "kind": "service_pool", "region": "eu-west", "zone": "eu-west-a"}],
        "edges": [{"from": "users", "to": "api", "policy": {"timeout_ms": 200}}],
        "faults": [{"kind": "crash_instances", "node": "api", "count": 1, "start_s": 5}],
    }
    assert conforms(load(doc), types.Topology, "$") == []
