"""The scenario belongs to the lesson: a graded run imposes its traffic, faults and settings on
the learner's design, and refuses a design that cannot take them, with a sentence."""
from __future__ import annotations

import copy

from lab.lessons.scenario import apply

from .goal_world import BASE, SCENARIO


def test_a_design_that_lowers_the_load_gets_the_steps_load():
    learner = copy.deepcopy(BASE)
    learner["nodes"][0]["params"]["rate_per_s"] = 1
    topology, problems = apply(learner, SCENARIO)
    assert problems == []
    assert topology["nodes"][0]["params"]["rate_per_s"] == 150
    assert learner["nodes"][0]["params"]["rate_per_s"] == 1  # the learner's document is not changed


def test_the_steps_settings_replace_the_learners():
    learner = {**copy.deepcopy(BASE), "settings": {"duration_s": 5, "warmup_s": 0, "window_s": 5}}
    topology, _ = apply(learner, SCENARIO)
    assert {k: topology["settings"][k] for k in ("duration_s", "warmup_s", "window_s")} == \
        {"duration_s": 30, "warmup_s": 5, "window_s": 1}


def test_the_learners_own_faults_are_replaced_by_the_steps():
    learner = {**copy.deepcopy(BASE), "faults": [{"id": "mine", "kind": "crash", "node": "cache", "start_s": 1}]}
    topology, _ = apply(learner, SCENARIO)
    assert [f["id"] for f in topology["faults"]] == ["db-slow"]


def test_a_design_that_deletes_the_faulted_node_cannot_take_the_scenario():
    learner = copy.deepcopy(BASE)
    learner["nodes"] = [n for n in learner["nodes"] if n["id"] != "db"]
    learner["edges"] = [e for e in learner["edges"] if e["to"] != "db"]
    topology, problems = apply(learner, SCENARIO)
    assert topology is None
    assert problems[0]["path"] == "scenario.faults[0].node"
    assert "your design has no node 'db'" in problems[0]["message"]


def test_a_fault_on_a_missing_zone_says_so():
    scenario = {**SCENARIO, "faults": [{"id": "b-down", "kind": "zone_outage", "zone": "us-west-c", "start_s": 10}]}
    _, problems = apply(BASE, scenario)
    assert problems[0]["message"] == ("this step's fault 'b-down' takes zone 'us-west-c' down, but your design has "
                                      "no node placed in zone 'us-west-c'")


def test_a_design_without_the_named_traffic_source_cannot_take_the_scenario():
    learner = copy.deepcopy(BASE)
    learner["nodes"][0]["id"] = "clients"
    learner["edges"][0]["from"] = "clients"
    _, problems = apply(learner, SCENARIO)
    assert problems[0]["path"] == "scenario.traffic[0].source"
    assert "traffic source named 'users', but your design has no node 'users'" in problems[0]["message"]
    assert "rename yours to 'users'" in problems[0]["message"]


def test_a_fault_with_an_end_time_becomes_a_duration():
    scenario = {**SCENARIO, "faults": [{"id": "x", "kind": "crash", "node": "cache", "start_s": 10, "end_s": 25}]}
    topology, problems = apply(BASE, scenario)
    assert problems == [] and topology["faults"][0]["duration_s"] == 15


def test_an_invalid_design_passes_the_engines_problems_through():
    learner = copy.deepcopy(BASE)
    learner["edges"].append({"id": "e9", "from": "db", "to": "nowhere"})
    _, problems = apply(learner, SCENARIO)
    assert problems and all(p["path"].startswith("$.") for p in problems)


def test_a_design_that_makes_its_instances_cheap_is_priced_at_the_labs_list_prices():
    learner = {**copy.deepcopy(BASE), "pricing": {"vm_medium_hour": 0.0001}}
    topology, problems = apply(learner, SCENARIO)
    honest, _ = apply(copy.deepcopy(BASE), SCENARIO)
    assert problems == [] and topology == honest  # its override is gone


def test_a_design_that_shrinks_its_responses_or_turns_writes_into_reads_gets_the_steps_classes():
    start = {**copy.deepcopy(BASE), "workload": {"classes": [
        {"name": "page", "operation": "read", "share": 9, "response_kb": 120},
        {"name": "post", "operation": "write", "share": 1}]}}
    learner = copy.deepcopy(start)
    learner["workload"]["classes"] = [{"name": "page", "operation": "read", "share": 9, "response_kb": 1},
                                      {"name": "post", "operation": "read", "share": 1}]
    topology, problems = apply(learner, SCENARIO, start=start)
    honest, _ = apply(start, SCENARIO, start=start)
    assert problems == [] and topology["workload"] == honest["workload"]
    assert learner["workload"]["classes"][0]["response_kb"] == 1  # the learner's document is not changed
