"""Grading a step over its seeds, and proving that a step teaches."""
from __future__ import annotations

import copy
import json

from lab.lessons.grading import grade_step, prove_step

from .goal_world import BASE, design, goal, step

P95 = goal("latency_p95_ms", "ms", value=120, scope={"origin": "us-west"})
SMALL = design(instances=1, workers_per_instance=2)  # 150 + 50 req/s on 2 workers of 10 ms: saturated
BIG = design(instances=4)


def test_a_saturated_design_fails_and_a_sized_one_passes():
    assert not grade_step(step(P95), SMALL).passed
    grade = grade_step(step(P95), BIG)
    assert grade.passed and grade.goals[0].seeds_passed == 3
    json.dumps(grade.to_dict(), allow_nan=False)  # plain data the web side can store


def test_lowering_the_load_does_not_escape_the_scenario():
    learner = copy.deepcopy(SMALL)
    learner["nodes"][0]["params"]["rate_per_s"] = 5
    learner["nodes"][1]["params"]["rate_per_s"] = 1
    scenario_traffic = [{"source": "users", "params": {"rate_per_s": 150}},
                        {"source": "jp-users", "params": {"rate_per_s": 50}}]
    assert not grade_step(step(P95, traffic=scenario_traffic), learner).passed


def test_the_seed_rule_counts_the_seeds_that_pass():
    probe = grade_step(step(goal("latency_mean_ms", "ms", value=0, scope={"node": "api"})), design(instances=1, workers_per_instance=4))
    values = sorted(r.measured for r in probe.goals[0].results)
    between = goal("latency_mean_ms", "ms", value=(values[0] + values[1]) / 2, scope={"node": "api"})  # exactly one seed passes
    assert values[0] < values[1]
    strict = grade_step(step(between), design(instances=1, workers_per_instance=4))
    lenient = grade_step(step(between, seed_rule={"at_least": 1}), design(instances=1, workers_per_instance=4))
    assert (strict.passed, strict.goals[0].seeds_passed, strict.seeds_needed) == (False, 1, 3)
    assert (lenient.passed, lenient.goals[0].seeds_needed) == (True, 1)


def test_a_relative_goal_compares_with_the_start_design_on_the_same_seeds():
    faster = {"id": "r", "metric": "latency_mean_ms", "unit": "ms", "relative": {"to": "start", "change_pct": -30}}
    start = SMALL
    grade = grade_step(step(faster), BIG, start_topology=start)
    assert grade.passed
    result = grade.goals[0].results[0]
    assert result.target == round(result.baseline * 0.7, 6)
    assert "30% lower than the start design's" in result.sentence
    assert not grade_step(step(faster), start, start_topology=start).passed


def test_structural_goals_read_the_design():
    goals = [{"id": "c", "structure": {"kind": "cache", "at_least": 1}},
             {"id": "i", "structure": {"instances_at_most": 3}},
             {"id": "m", "structure": {"monthly_cost_usd_at_most": 1}}]
    grade = grade_step(step(*goals), BIG)
    by_id = {g.goal: g for g in grade.goals}
    assert by_id["c"].passed and by_id["c"].results[0].sentence.startswith("Your design has 1 cache node (cache)")
    assert not by_id["i"].passed and "pays for 5 instances" in by_id["i"].sentence  # 4 API + 1 database
    assert not by_id["m"].passed and len(by_id["m"].results) == 3  # a measured cost: one per seed


def test_a_design_that_cannot_take_the_scenario_fails_with_its_problems():
    learner = copy.deepcopy(BIG)
    learner["nodes"] = [n for n in learner["nodes"] if n["id"] != "db"]
    learner["edges"] = [e for e in learner["edges"] if e["to"] != "db"]
    grade = grade_step(step(P95), learner)
    assert not grade.passed and grade.goals == [] and "no node 'db'" in grade.summary()


def test_a_step_proves_it_teaches_and_a_passing_hollow_design_is_reported():
    designs = {"start.json": SMALL, "reference.json": BIG, "hollow.json": design(instances=1, workers_per_instance=2, service_time_ms=9.5),
               "alt.json": design(instances=2, workers_per_instance=8), "bad-hollow.json": BIG}
    teaching = {**step(P95), "hollow": ["hollow.json"], "alternatives": ["alt.json"]}
    checks = prove_step(teaching, load_design=designs.__getitem__)
    assert [(c.role, c.ok) for c in checks] == [("start", True), ("reference", True), ("hollow", True),
                                               ("alternative", True)]
    broken = {**teaching, "hollow": ["bad-hollow.json"]}
    checks = prove_step(broken, load_design=designs.__getitem__)
    assert [c.ok for c in checks] == [True, True, False, True]
    assert checks[2].summary == "passes every goal"
