"""Validation of topology documents.

`lab.sim.check` returns every problem of a document at once, each with the JSON path of the
value at fault and a sentence a student understands, and never raises whatever it is given.
`lab.sim.load` raises `InvalidTopology` carrying the same problems (errors only: a warning
never stops a run).
"""
from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lab.sim
from lab.sim import LIMITS, REGISTRY, InvalidTopology, Simulation, check, load
from lab.sim.topology import parse

EXAMPLES = Path(lab.sim.__file__).parent / "examples"


def topology() -> dict[str, Any]:
    """A small valid topology. Node and edge indexes matter: tests name paths by them.

    nodes: 0 users, 1 lb, 2 web1, 3 web2, 4 db
    edges: 0 users->lb, 1 lb->web1, 2 lb->web2, 3 web1->db, 4 web2->db
    """
    return {
        "version": 1,
        "settings": {"duration_s": 10, "warmup_s": 0},
        "nodes": [
            {"id": "users", "kind": "traffic_source", "params": {"rate_per_s": 50}},
            {"id": "lb", "kind": "load_balancer"},
            {"id": "web1", "kind": "service_pool"},
            {"id": "web2", "kind": "service_pool"},
            {"id": "db", "kind": "database"},
        ],
        "edges": [
            {"from": "users", "to": "lb"},
            {"from": "lb", "to": "web1"},
            {"from": "lb", "to": "web2"},
            {"from": "web1", "to": "db"},
            {"from": "web2", "to": "db"},
        ],
    }


def with_reads_and_writes(doc: dict[str, Any]) -> dict[str, Any]:
    doc["workload"] = {"classes": [{"name": "read", "operation": "read", "share": 9},
                                   {"name": "write", "operation": "write", "share": 1}]}
    return doc


def errors(doc: Any) -> list[dict[str, str]]:
    return [p for p in check(doc) if p["severity"] == "error"]


def the_error(doc: Any) -> dict[str, str]:
    """The one error of `doc`: a single mistake must not bury itself under follow-on noise."""
    found = errors(doc)
    assert len(found) == 1, f"expected exactly one error, got {json.dumps(found, indent=2)}"
    return found[0]


def error_at(doc: Any, path: str) -> dict[str, str]:
    found = [p for p in errors(doc) if p["path"] == path]
    assert found, f"no error at {path}; the errors were {json.dumps(errors(doc), indent=2)}"
    return found[0]


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


# ------------------------------------------------------------------ numbers in the JSON text


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_it_rejects_a_non_finite_constant_in_the_json_text(constant: str) -> None:
    text = json.dumps(topology()).replace('"rate_per_s": 50', f'"rate_per_s": {constant}')
    assert constant in text
    problems = check(text)
    assert len(problems) == 1
    assert problems[0]["path"] == "$"
    assert problems[0]["message"].startswith("this is not valid JSON")
    assert constant in problems[0]["message"]


def test_parse_returns_no_document_for_nan() -> None:
    doc, problems = parse('{"version": NaN}')
    assert doc is None and len(problems) == 1


def test_load_raises_for_nan_in_the_json_text() -> None:
    text = json.dumps(topology()).replace('"rate_per_s": 50', '"rate_per_s": NaN')
    with pytest.raises(InvalidTopology, match="NaN"):
        load(text)


def test_it_says_where_the_json_text_is_broken() -> None:
    problems = check('{"version": 1,\n "nodes": [}')
    assert len(problems) == 1 and problems[0]["path"] == "$"
    assert "line 2" in problems[0]["message"]


def test_it_rejects_a_number_literal_too_large_for_a_float() -> None:
    # json reads 1e999 as infinity without calling parse_constant; validation must catch it.
    text = json.dumps(topology()).replace('"rate_per_s": 50', '"rate_per_s": 1e999')
    problem = the_error(text)
    assert problem["path"] == "$.nodes[0].params.rate_per_s"
    assert "finite" in problem["message"]


def test_it_reports_an_integer_literal_too_large_for_a_float_instead_of_crashing() -> None:
    text = json.dumps(topology()).replace('"rate_per_s": 50', '"rate_per_s": 1' + "0" * 400)
    problem = the_error(text)
    assert problem["path"] == "$.nodes[0].params.rate_per_s"


def test_it_reports_a_huge_integer_setting_instead_of_crashing() -> None:
    doc = topology()
    doc["settings"]["duration_s"] = 10**400
    problem = the_error(doc)
    assert problem["path"] == "$.settings.duration_s"


def test_it_reports_a_huge_integer_position_instead_of_crashing() -> None:
    doc = topology()
    doc["nodes"][0]["position"] = {"x": 10**400, "y": 0}
    problem = the_error(doc)
    assert problem["path"] == "$.nodes[0].position"


# ------------------------------------------------------------------ values out of range


def test_it_rejects_a_negative_rate() -> None:
    doc = topology()
    doc["nodes"][0]["params"]["rate_per_s"] = -5
    problem = the_error(doc)
    assert problem["path"] == "$.nodes[0].params.rate_per_s"
    assert "'users'" in problem["message"]
    assert "rate_per_s must be at least 0 requests/s, not -5" in problem["message"]


def test_it_rejects_an_absurd_rate() -> None:
    doc = topology()
    doc["nodes"][0]["params"]["rate_per_s"] = 1e12
    problem = the_error(doc)
    assert problem["path"] == "$.nodes[0].params.rate_per_s"
    assert "must be at most 200000 requests/s" in problem["message"]


def test_it_rejects_an_absurd_duration() -> None:
    doc = topology()
    doc["settings"]["duration_s"] = 1e9
    problem = the_error(doc)
    assert problem["path"] == "$.settings.duration_s"
    assert f"must be at most {LIMITS['duration_s']:g} s" in problem["message"]


def test_it_rejects_a_negative_duration() -> None:
    doc = topology()
    doc["settings"]["duration_s"] = -1
    problem = the_error(doc)
    assert problem["path"] == "$.settings.duration_s"
    assert "must be at least" in problem["message"]


@pytest.mark.parametrize("warmup", [10, 25])
def test_it_rejects_a_warm_up_at_least_as_long_as_the_run(warmup: float) -> None:
    doc = topology()
    doc["settings"]["warmup_s"] = warmup
    problem = the_error(doc)
    assert problem["path"] == "$.settings.warmup_s"
    assert f"the warm-up ({warmup} s) must be shorter than the run (10 s)" in problem["message"]


def test_it_rejects_a_run_that_would_start_too_many_requests() -> None:
    doc = topology()
    doc["nodes"][0]["params"]["rate_per_s"] = 200_000
    doc["settings"]["duration_s"] = 1000  # 2e8 requests
    problem = the_error(doc)
    assert problem["path"] == "$.settings.duration_s"
    assert "200,000,000 requests" in problem["message"]
    assert f"{LIMITS['expected_requests']:,}" in problem["message"]


def test_it_counts_a_spike_at_its_peak_toward_the_request_limit() -> None:
    doc = topology()
    doc["nodes"][0]["params"] = {"rate_per_s": 1, "pattern": "spike", "spike_rate_per_s": 200_000}
    doc["settings"]["duration_s"] = 1000
    assert the_error(doc)["path"] == "$.settings.duration_s"


def test_it_rejects_an_oversize_document() -> None:
    doc = topology()
    doc["description"] = "x" * LIMITS["document_bytes"]
    text = json.dumps(doc)
    problems = check(text)
    assert len(problems) == 1
    assert problems[0]["path"] == "$"
    assert f"the limit is {LIMITS['document_bytes']:,} bytes" in problems[0]["message"]
    assert check(text.encode("utf-8")) == problems


def test_the_size_limit_does_not_fire_at_exactly_the_limit() -> None:
    # The size limit itself must not fire below the limit; the long description is the only error.
    doc = topology()
    doc["description"] = ""
    room = LIMITS["document_bytes"] - len(json.dumps(doc))
    doc["description"] = "x" * room
    assert len(json.dumps(doc).encode()) == LIMITS["document_bytes"]
    assert the_error(json.dumps(doc))["path"] == "$.description"


# ------------------------------------------------------------------ request classes


def test_it_rejects_a_mix_naming_a_class_the_workload_lacks() -> None:
    doc = with_reads_and_writes(topology())
    doc["nodes"][0]["params"]["mix"] = {"read": 9, "wirte": 1}
    problem = the_error(doc)
    assert problem["path"] == "$.nodes[0].params.mix"
    assert "'wirte'" in problem["message"] and "does not define" in problem["message"]
    assert "did you mean 'write'?" in problem["message"]


def test_it_rejects_a_source_sending_a_class_no_edge_accepts() -> None:
    doc = with_reads_and_writes(topology())
    doc["edges"][0]["classes"] = ["read"]
    problem = the_error(doc)
    assert problem["path"] == "$.nodes[0]"
    assert "'users'" in problem["message"] and "'write'" in problem["message"]
    assert "none of its edges accepts" in problem["message"]


def test_it_accepts_a_source_whose_mix_sends_only_the_classes_its_edges_accept() -> None:
    doc = with_reads_and_writes(topology())
    doc["edges"][0]["classes"] = ["read"]
    doc["nodes"][0]["params"]["mix"] = {"read": 1, "write": 0}
    assert check(doc) == []


def test_it_rejects_an_edge_naming_a_class_the_workload_lacks() -> None:
    doc = topology()
    doc["edges"][1]["classes"] = ["reads"]
    problem = error_at(doc, "$.edges[1].classes")
    assert "'reads'" in problem["message"] and "did you mean 'read'?" in problem["message"]


def test_an_edge_listing_no_classes_does_not_silently_carry_every_class() -> None:
    # Validation reads "classes": [] as "accepts none" (a source with only such an edge is an
    # error); loading must not turn it into null, which means "accepts all".
    doc = topology()
    doc["edges"][1]["classes"] = []
    if not [p for p in errors(doc) if p["path"] == "$.edges[1].classes"]:
        assert load(doc)["edges"][1]["classes"] == []


def test_it_rejects_a_workload_in_which_every_share_is_0_for_a_source_without_a_mix() -> None:
    # Like a mix of zeros (which is rejected), this source would send nothing; the engine
    # instead sends every request as the first class.
    doc = topology()
    doc["workload"] = {"classes": [{"name": "read", "share": 0}, {"name": "write", "operation": "write", "share": 0}]}
    problem = the_error(doc)
    assert problem["path"] in ("$.workload.classes", "$.nodes[0]", "$.nodes[0].params.mix")
    assert "share" in problem["message"]


# ------------------------------------------------------------------ faults


def test_it_names_an_unknown_fault_kind_and_suggests_the_closest() -> None:
    doc = topology()
    doc["faults"] = [{"kind": "crsh", "node": "db"}]
    problem = the_error(doc)
    assert problem["path"] == "$.faults[0].kind"
    assert "'crsh'" in problem["message"] and "did you mean 'crash'?" in problem["message"]


def test_an_unknown_fault_kind_message_is_punctuated_as_a_sentence() -> None:
    doc = topology()
    doc["faults"] = [{"kind": "crsh", "node": "db"}]
    assert "?;" not in the_error(doc)["message"]


def test_it_reports_a_fault_kind_that_is_not_text_instead_of_crashing() -> None:
    doc = topology()
    doc["faults"] = [{"kind": {"name": "crash"}, "node": "db"}]
    assert the_error(doc)["path"] == "$.faults[0].kind"


def test_it_rejects_a_fault_on_a_missing_node() -> None:
    doc = topology()
    doc["faults"] = [{"kind": "crash", "node": "dbb", "start_s": 5}]
    problem = the_error(doc)
    assert problem["path"] == "$.faults[0].node"
    assert "node 'dbb', which does not exist" in problem["message"]
    assert "did you mean 'db'?" in problem["message"]


def test_it_rejects_an_unknown_fault_parameter() -> None:
    doc = topology()
    doc["faults"] = [{"kind": "crash", "node": "db", "start": 5}]
    problem = the_error(doc)
    assert problem["path"] == "$.faults[0].start"
    assert "did you mean 'start_s'?" in problem["message"]


# ------------------------------------------------------------------ every problem at once


def test_it_reports_several_problems_in_one_call() -> None:
    doc = topology()
    del doc["version"]
    doc["settings"]["duration_s"] = "long"
    doc["nodes"][2]["params"] = {"instances": 0}
    doc["edges"][3]["to"] = "db2"
    doc["faults"] = [{"kind": "crash", "node": "nowhere"}]
    problems = check(doc)
    assert len(problems) == 5
    assert {p["path"] for p in problems} == {
        "$.version", "$.settings.duration_s", "$.nodes[2].params.instances", "$.edges[3].to", "$.faults[0].node",
    }
    assert all(p["severity"] == "error" for p in problems)


def test_load_raises_invalid_topology_carrying_every_problem() -> None:
    doc = topology()
    del doc["version"]
    doc["edges"][3]["to"] = "db2"
    with pytest.raises(InvalidTopology) as caught:
        load(doc)
    assert [p["path"] for p in caught.value.problems] == ["$.version", "$.edges[3].to"]
    assert str(caught.value).endswith("(and 1 more)")


def test_load_fills_in_the_defaults_of_a_valid_topology() -> None:
    loaded = load(topology())
    assert loaded["settings"]["window_s"] == 1.0
    assert loaded["nodes"][2]["params"] == REGISTRY["service_pool"].defaults()
    assert loaded["edges"][0]["id"] == "e1"


def test_check_and_load_leave_the_document_unchanged() -> None:
    doc = with_reads_and_writes(topology())
    doc["nodes"][2]["params"] = {"service_time_ms_by_class": {"write": 40}}
    before = copy.deepcopy(doc)
    check(doc)
    loaded = load(doc)
    loaded["nodes"][2]["params"]["service_time_ms_by_class"]["write"] = 1
    assert doc == before


# ------------------------------------------------------------------ never raising, whatever it is given

finite_or_huge_numbers = (
    st.integers()
    | st.integers(min_value=-(10**400), max_value=10**400)
    | st.floats(allow_nan=False)  # infinity is reachable from JSON text ("1e999"); NaN is not
)
json_scalars = st.none() | st.booleans() | finite_or_huge_numbers | st.text(max_size=20)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
# Objects that look a little like a topology, so that the checks past the first one get reached.
topology_like = st.fixed_dictionaries(
    {},
    optional={
        "version": st.just(1) | json_values,
        "settings": st.just({"duration_s": 1}) | json_values,
        "workload": json_values,
        "regions": json_values,
        "nodes": st.lists(
            st.fixed_dictionaries(
                {"id": st.sampled_from(["a", "b", "c"]) | json_values,
                 "kind": st.sampled_from(sorted(REGISTRY)) | json_values},
                optional={"params": json_values, "region": json_values, "zone": json_values, "position": json_values}),
            max_size=4),
        "edges": st.lists(
            st.fixed_dictionaries({"from": st.sampled_from(["a", "b", "c"]) | json_values,
                                   "to": st.sampled_from(["a", "b", "c"]) | json_values},
                                  optional={"classes": json_values, "latency_ms": json_values}),
            max_size=4),
        "faults": st.lists(st.fixed_dictionaries({"kind": st.just("crash") | json_values,
                                                  "node": st.sampled_from(["a", "b", "c"]) | json_values}),
                           max_size=2) | json_values,
    },
)


def _shortened(doc: dict[str, Any]) -> dict[str, Any]:
    doc = copy.deepcopy(doc)
    doc["settings"] = {**doc.get("settings", {}), "duration_s": 1, "warmup_s": 0}
    return doc


EXAMPLE_DOCS = [_shortened(json.loads(p.read_text())) for p in sorted(EXAMPLES.glob("*.json"))]


def _locations(value: Any, at: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place inside `value` (as a key path), the root excluded."""
    found = [at] if at else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += _locations(item, at + (key,))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found += _locations(item, at + (i,))
    return found


def _like(value: Any) -> st.SearchStrategy[Any]:
    """Values of the same JSON type as `value`: mutations that often stay valid reach the run."""
    if isinstance(value, bool):
        return st.booleans()
    if isinstance(value, (int, float)):
        return st.sampled_from([0, 1, 0.5, 2, 100, 1e-3]) | st.floats(min_value=0, max_value=1e4)
    if isinstance(value, str):
        return st.sampled_from(sorted({v for d in EXAMPLE_DOCS for v in _strings(d)}))
    return json_values


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value] if len(value) <= 30 else []
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else []
    return [s for item in items for s in _strings(item)]


@st.composite
def mutated_examples(draw: st.DrawFn) -> dict[str, Any]:
    """A shipped example with one to three values deleted, or replaced by a value of the same
    type or by arbitrary JSON."""
    doc = copy.deepcopy(draw(st.sampled_from(EXAMPLE_DOCS)))
    for _ in range(draw(st.integers(1, 3))):
        location = draw(st.sampled_from(_locations(doc)))
        parent = doc
        for key in location[:-1]:
            parent = parent[key]
        how = draw(st.sampled_from(["delete", "same type", "anything"]))
        if how == "delete":
            del parent[location[-1]]
        elif how == "same type":
            parent[location[-1]] = draw(_like(parent[location[-1]]))
        else:
            parent[location[-1]] = draw(json_values)
    return doc


# Mutated examples are drawn half of the time: they are what gets past validation to the run.
any_document = st.one_of(json_values, topology_like, mutated_examples(), mutated_examples())


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(any_document)
def test_check_never_raises_and_what_it_passes_runs(doc: Any) -> None:
    problems = check(doc)
    assert isinstance(problems, list)
    for p in problems:
        assert set(p) == {"path", "message", "severity"}
        assert isinstance(p["path"], str) and p["path"].startswith("$")
        assert isinstance(p["message"], str) and p["message"].strip()
        assert p["severity"] in ("error", "warning")
    if any(p["severity"] == "error" for p in problems):
        return
    loaded = load(doc)
    Simulation(loaded).run(0.5)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(any_document)
def test_check_never_raises_on_json_text(doc: Any) -> None:
    problems = check(json.dumps(doc))
    assert isinstance(problems, list)
    assert all(isinstance(p["message"], str) and p["message"].strip() for p in problems)
