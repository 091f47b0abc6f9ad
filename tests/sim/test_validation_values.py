"""Validation of values: numbers in the JSON text, ranges, request classes, faults, and every problem at once."""
from __future__ import annotations

import copy
import json

import pytest

from lab.sim import LIMITS, REGISTRY, InvalidTopology, check, load
from lab.sim.document.loading import parse

from .validation_world import error_at, errors, the_error, topology, with_reads_and_writes


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


def test_a_nul_character_anywhere_is_refused_with_its_path() -> None:
    from lab.sim import check

    doc = {"version": 1, "nodes": [{"id": "u", "kind": "traffic_source", "label": "a\x00b"}], "edges": []}
    assert check(doc) == [{"path": "$.nodes[0].label", "message": "text may not contain the NUL character (\\u0000)",
                           "severity": "error"}]
