"""Validation of topology documents: the document, its nodes, regions and edges.

`lab.sim.check` returns every problem of a document at once, each with the JSON path of the
value at fault and a sentence a student understands, and never raises whatever it is given.
`lab.sim.load` raises `InvalidTopology` carrying the same problems (errors only: a warning
never stops a run). Values and the fuzzing are in test_validation_values.py and _fuzz.py.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from lab.sim import LIMITS, REGISTRY, check, load

from .validation_world import EXAMPLES, error_at, errors, the_error, topology


# ------------------------------------------------------------------ the baseline


def test_the_small_topology_used_here_has_no_problems() -> None:
    assert check(topology()) == []


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.json")), ids=lambda p: p.name)
def test_every_shipped_example_has_no_problems(path: Path) -> None:
    assert check(path.read_text()) == []


# ------------------------------------------------------------------ the document as a whole


@pytest.mark.parametrize("text", ["[]", '"nodes"', "3", "null", "true"])
def test_it_says_a_topology_must_be_an_object(text: str) -> None:
    problem = the_error(text)
    assert problem["path"] == "$"
    assert "JSON object" in problem["message"]


def test_it_asks_for_the_version_when_it_is_missing() -> None:
    doc = topology()
    del doc["version"]
    problem = the_error(doc)
    assert problem["path"] == "$.version"
    assert '"version": 1' in problem["message"]


@pytest.mark.parametrize("version", [2, 0, "1", True], ids=repr)
def test_it_rejects_a_version_it_does_not_read(version: Any) -> None:
    doc = topology()
    doc["version"] = version
    problem = the_error(doc)
    assert problem["path"] == "$.version"
    assert "version 1" in problem["message"] and repr(version) in problem["message"]


def test_it_suggests_the_field_meant_by_an_unknown_top_level_field() -> None:
    doc = topology()
    doc["setings"] = doc.pop("settings")
    problem = the_error(doc)
    assert problem["path"] == "$.setings"
    assert "did you mean 'settings'?" in problem["message"]


def test_it_rejects_a_format_that_is_not_archlabs() -> None:
    doc = topology()
    doc["format"] = "k8s.manifest"
    problem = the_error(doc)
    assert problem["path"] == "$.format"
    assert "'archlab.topology'" in problem["message"]


# ------------------------------------------------------------------ nodes


def test_it_names_an_unknown_kind_and_suggests_the_closest() -> None:
    doc = topology()
    doc["nodes"][2]["kind"] = "service_poll"
    problem = error_at(doc, "$.nodes[2].kind")
    assert "'web1'" in problem["message"] and "'service_poll'" in problem["message"]
    assert "did you mean 'service_pool'?" in problem["message"]


def test_it_lists_the_known_kinds_when_no_kind_is_close() -> None:
    doc = topology()
    doc["nodes"][2]["kind"] = "kubernetes"
    problem = error_at(doc, "$.nodes[2].kind")
    for kind in REGISTRY:
        assert kind in problem["message"]


def test_an_edge_to_a_node_of_unknown_kind_is_not_said_to_point_to_a_missing_node() -> None:
    # The node exists, only its kind is wrong: saying "which does not exist" about it sends the
    # student looking for a typo in the edge that is not there.
    doc = topology()
    doc["nodes"][4]["kind"] = "databse"
    for problem in check(doc):
        assert "does not exist" not in problem["message"], problem


def test_a_fault_on_a_node_of_unknown_kind_is_not_said_to_target_a_missing_node() -> None:
    doc = topology()
    doc["nodes"][4]["kind"] = "databse"
    doc["faults"] = [{"kind": "crash", "node": "db"}]
    for problem in check(doc):
        assert "does not exist" not in problem["message"], problem


def test_an_edge_to_a_node_with_a_malformed_id_is_not_said_to_point_to_a_missing_node() -> None:
    doc = topology()
    doc["nodes"][4]["id"] = "main db"
    for edge in doc["edges"][3:]:
        edge["to"] = "main db"
    assert [p["path"] for p in errors(doc)] == ["$.nodes[4].id"]


def test_it_reports_a_kind_that_is_not_text_instead_of_crashing() -> None:
    doc = topology()
    doc["nodes"][4]["kind"] = ["database"]
    problem = error_at(doc, "$.nodes[4].kind")
    assert "kind" in problem["message"]


def test_it_rejects_two_nodes_with_the_same_id() -> None:
    doc = topology()
    doc["nodes"].append({"id": "db", "kind": "database"})
    problem = the_error(doc)
    assert problem["path"] == "$.nodes[5].id"
    assert "'db'" in problem["message"] and "unique" in problem["message"]


def test_it_rejects_a_node_id_that_is_not_an_identifier() -> None:
    doc = topology()
    doc["nodes"].append({"id": "my db!", "kind": "database"})
    problem = the_error(doc)
    assert problem["path"] == "$.nodes[5].id"
    assert "'my db!'" in problem["message"]


def test_it_suggests_the_parameter_meant_by_an_unknown_one() -> None:
    doc = topology()
    doc["nodes"][2]["params"] = {"service_tme_ms": 30}
    problem = the_error(doc)
    assert problem["path"] == "$.nodes[2].params.service_tme_ms"
    assert "'web1'" in problem["message"]
    assert "did you mean 'service_time_ms'?" in problem["message"]


def test_it_lists_the_accepted_parameters_when_no_parameter_is_close() -> None:
    doc = topology()
    doc["nodes"][4]["params"] = {"shards": 4}
    problem = the_error(doc)
    assert problem["path"] == "$.nodes[4].params.shards"
    assert "read_time_ms" in problem["message"] and "replicas" in problem["message"]


@pytest.mark.parametrize(
    ("param", "value", "reason"),
    [
        ("instances", "two", "must be a number, not 'two'"),
        ("instances", True, "must be a number, not True"),
        ("instances", 1.5, "must be a whole number, not 1.5"),
        ("blocking_calls", 1, "must be true or false"),
        ("service_distribution", "gaussian", "must be one of 'exponential'"),
        ("service_time_ms_by_class", [20], "must be an object mapping request class names to numbers"),
    ],
)
def test_it_rejects_a_parameter_of_the_wrong_type(param: str, value: Any, reason: str) -> None:
    doc = topology()
    doc["nodes"][2]["params"] = {param: value}
    problem = the_error(doc)
    assert problem["path"] == f"$.nodes[2].params.{param}"
    assert problem["message"].startswith(f"node 'web1': {param} {reason}")


def test_it_rejects_params_that_are_not_an_object() -> None:
    doc = topology()
    doc["nodes"][2]["params"] = [1, 2]
    problem = the_error(doc)
    assert problem["path"] == "$.nodes[2].params"
    assert "object" in problem["message"]


def test_it_rejects_too_many_nodes() -> None:
    doc = topology()
    extra = LIMITS["nodes"] - len(doc["nodes"]) + 1
    doc["nodes"] += [{"id": f"spare{i}", "kind": "database"} for i in range(extra)]
    problem = the_error(doc)
    assert problem["path"] == "$.nodes"
    assert f"at most {LIMITS['nodes']} nodes, not {LIMITS['nodes'] + 1}" in problem["message"]


def test_an_unreachable_node_is_a_warning_not_an_error() -> None:
    doc = topology()
    doc["nodes"].append({"id": "archive", "kind": "database"})
    problems = check(doc)
    assert [(p["path"], p["severity"]) for p in problems] == [("$.nodes[5]", "warning")]
    assert "no traffic source reaches 'archive'" in problems[0]["message"]
    assert [n["id"] for n in load(doc)["nodes"]][-1] == "archive"


# ------------------------------------------------------------------ regions and zones


def test_it_reports_a_zone_that_is_a_list_instead_of_crashing() -> None:
    doc = topology()
    doc["regions"] = [{"id": "eu", "zones": ["eu-a"]}]
    doc["nodes"][4].update(region="eu", zone=["eu-a"])
    error_at(doc, "$.nodes[4].zone")


def test_it_rejects_a_zone_that_is_not_text() -> None:
    doc = topology()
    doc["nodes"][4].update(region="eu", zone=5)
    error_at(doc, "$.nodes[4].zone")


def test_it_rejects_a_region_label_that_is_not_text() -> None:
    doc = topology()
    doc["regions"] = [{"id": "eu", "label": 5}]
    error_at(doc, "$.regions[0].label")


# ------------------------------------------------------------------ edges and the graph


def test_it_names_the_missing_node_an_edge_points_to() -> None:
    doc = topology()
    doc["edges"][3]["to"] = "db2"
    problem = the_error(doc)
    assert problem["path"] == "$.edges[3].to"
    assert problem["message"].startswith("edge 3 points to node 'db2', which does not exist")
    assert "did you mean 'db'?" in problem["message"]


def test_it_names_the_missing_node_an_edge_comes_from() -> None:
    doc = topology()
    doc["edges"][3]["from"] = "web3"
    problem = error_at(doc, "$.edges[3].from")
    assert problem["message"].startswith("edge 3 points from node 'web3', which does not exist")


def test_it_rejects_an_edge_without_a_target() -> None:
    doc = topology()
    del doc["edges"][3]["to"]
    problem = the_error(doc)
    assert problem["path"] == "$.edges[3].to"
    assert problem["message"] == 'edge 3 has no "to" node'


def test_it_rejects_an_edge_from_a_node_to_itself() -> None:
    doc = topology()
    doc["edges"].append({"from": "web1", "to": "web1"})
    problem = the_error(doc)
    assert problem["path"] == "$.edges[5]"
    assert "'web1' to itself" in problem["message"]


def test_it_rejects_a_cycle_and_lists_the_loop() -> None:
    doc = topology()
    doc["edges"].append({"from": "web1", "to": "web2"})
    doc["edges"].append({"from": "web2", "to": "lb"})
    problem = the_error(doc)
    assert problem["path"] == "$.edges"
    loop = problem["message"].rsplit(": ", 1)[1].split(" -> ")
    assert len(loop) >= 3 and loop[0] == loop[-1]
    edges = {(e["from"], e["to"]) for e in doc["edges"]}
    assert all(step in edges for step in zip(loop, loop[1:])), loop


def test_it_rejects_an_edge_into_a_traffic_source() -> None:
    doc = topology()
    doc["edges"].append({"from": "web1", "to": "users"})
    problem = the_error(doc)
    assert problem["path"] == "$.edges[5].to"
    assert "'users'" in problem["message"] and "traffic source" in problem["message"]


def test_it_rejects_a_database_that_calls_another_node() -> None:
    doc = topology()
    doc["nodes"].append({"id": "replica", "kind": "database"})
    doc["edges"].append({"from": "db", "to": "replica"})
    problem = the_error(doc)
    assert problem["path"] == "$.nodes[4]"
    assert "'db' is a database, which does not call other nodes" in problem["message"]


def test_it_rejects_a_load_balancer_with_no_targets() -> None:
    doc = topology()
    doc["nodes"] = doc["nodes"][:2]
    doc["edges"] = [{"from": "users", "to": "lb"}]
    problem = the_error(doc)
    assert problem["path"] == "$.nodes[1]"
    assert "'lb' is a load balancer with nowhere to send requests" in problem["message"]


def test_it_rejects_a_topology_without_a_traffic_source() -> None:
    doc = topology()
    doc["nodes"][0] = {"id": "users", "kind": "service_pool"}
    problem = the_error(doc)
    assert problem["path"] == "$.nodes"
    assert "no traffic source" in problem["message"]
