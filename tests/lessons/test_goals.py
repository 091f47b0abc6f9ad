"""Goal evaluation over real short runs: every metric, every span and scope, empty runs, the
sentences a learner reads, and the refusals an author reads."""
from __future__ import annotations

import copy
import subprocess
import sys
from functools import cache

import pytest

from lab.lessons.goals import METRICS, check_goal, evaluate, step_context_for
from lab.lessons.spans import fault_interval

from .goal_world import BASE, SCENARIO, design, goal, run_of, with_fault


@cache
def faulted_run() -> dict:
    return run_of(with_fault(BASE))


@cache
def overloaded_run() -> dict:
    return run_of(design(instances=1, service_time_ms=40))


def measured(spec: dict, run: dict | None = None) -> float | None:
    return evaluate(spec, run or faulted_run()).measured


def test_every_metric_reads_the_measured_results():
    res = faulted_run()["results"]["measured"]
    o, api, cache_node = res["overall"], res["nodes"]["api"], res["nodes"]["cache"]
    expected = {
        "latency_mean_ms": o["latency_ms"]["mean"], "latency_p50_ms": o["latency_ms"]["p50"],
        "latency_p95_ms": o["latency_ms"]["p95"], "latency_p99_ms": o["latency_ms"]["p99"],
        "error_rate_pct": o["error_rate"] * 100, "throughput_per_s": o["throughput_per_s"],
        "completed_count": o["completions"], "cost_per_hour_usd": o["cost_per_hour_usd"],
        "cost_monthly_usd": o["cost_monthly_usd"], "cost_per_million_usd": o["cost_per_million_usd"],
    }
    for name, value in expected.items():
        assert measured(goal(name, METRICS[name].unit)) == pytest.approx(value), name
    assert measured(goal("utilization_pct", "%", scope={"node": "api"})) == pytest.approx(api["utilization"] * 100)
    assert measured(goal("hit_ratio_pct", "%", scope={"node": "cache"})) == pytest.approx(cache_node["hit_ratio"] * 100)
    assert set(METRICS) == set(expected) | {"utilization_pct", "hit_ratio_pct", "errors_by_cause_pct"}


def test_errors_by_cause_counts_only_that_cause():
    run = overloaded_run()
    o = run["results"]["measured"]["overall"]
    assert o["failures"].get("overloaded", 0) > 0
    share = o["failures"]["overloaded"] / (o["completions"] + o["errors"]) * 100
    assert measured(goal("errors_by_cause_pct", "%", cause="overloaded"), run) == pytest.approx(share)
    assert measured(goal("errors_by_cause_pct", "%", cause="timeout"), run) == 0


def test_scopes_read_the_class_the_origin_the_node_and_the_edge():
    run = faulted_run()
    res = run["results"]["measured"]
    assert measured(goal("latency_p95_ms", "ms", scope={"class": "write"})) == res["classes"]["write"]["latency_ms"]["p95"]
    assert measured(goal("latency_p95_ms", "ms", scope={"origin": "ap-northeast"})) == \
        res["origins"]["ap-northeast"]["latency_ms"]["p95"]
    assert measured(goal("latency_mean_ms", "ms", scope={"node": "db"})) == res["nodes"]["db"]["latency_ms"]["mean"]
    rates = [w["edges"]["e4"]["rate_per_s"] for w in run["windows"] if w["measured"]]
    assert measured(goal("throughput_per_s", "/s", scope={"edge": "e4"})) == pytest.approx(sum(rates) / len(rates))


def test_the_users_far_away_wait_longer_than_the_users_nearby():
    far = measured(goal("latency_p50_ms", "ms", scope={"origin": "ap-northeast"}))
    near = measured(goal("latency_p50_ms", "ms", scope={"origin": "us-west"}))
    assert far > near + 50  # the round trip across the Pacific


def test_a_fault_span_covers_the_windows_while_the_fault_is_active():
    result = evaluate(goal("latency_p95_ms", "ms", span={"fault": "db-slow"}), faulted_run())
    assert result.span == {"from_s": 12.0, "to_s": 20.0}
    assert fault_interval("db-slow", faulted_run()) == (12.0, 20.0)
    assert result.measured > measured(goal("latency_p95_ms", "ms"))
    assert "while db-slow is active" in result.sentence


def test_an_after_span_covers_the_seconds_after_the_fault_starts_or_ends():
    start = evaluate(goal("latency_p95_ms", "ms", span={"after": "db-slow", "seconds": 3}), faulted_run())
    end = evaluate(goal("latency_p95_ms", "ms", span={"after": "db-slow", "seconds": 3, "from": "end"}), faulted_run())
    assert start.span == {"from_s": 12.0, "to_s": 15.0} and end.span == {"from_s": 20.0, "to_s": 23.0}
    assert start.measured > end.measured


def test_the_worst_window_is_the_worst_for_the_goals_direction():
    windows = [w for w in faulted_run()["windows"] if w["measured"]]
    worst = max(w["overall"]["latency_ms"]["p99"] for w in windows)
    least = min(w["overall"]["throughput_per_s"] for w in windows)
    assert measured(goal("latency_p99_ms", "ms", span="worst_window")) == worst
    assert measured(goal("throughput_per_s", "/s", value=1, compare=">=", span="worst_window")) == least


def test_a_span_percentile_pooled_from_windows_is_close_to_the_exact_one():
    # The exact p95 over t = 10-22 s (a fault inside it): the same seed, measured from 10 s.
    exact_run = run_of(with_fault(BASE), warmup_s=10, duration_s=22)
    exact = exact_run["results"]["measured"]["overall"]["latency_ms"]
    run = faulted_run()
    span = {"after": "db-slow", "seconds": 10}
    shifted = copy.deepcopy(run)
    for w in shifted["windows"]:  # the span is 12-22; widen it to 10-22 by moving the fault's start
        for e in w["events"]:
            e["t"] = 10.0 if e.get("type") == "fault_started" else e["t"]
    shifted["results"]["timeline"][0]["t"] = 10.0
    for q in ("p95", "p99"):
        pooled = measured(goal(f"latency_{q}_ms", "ms", span={**span, "seconds": 12}), shifted)
        assert pooled == pytest.approx(exact[q], rel=0.06), q
    assert measured(goal("latency_mean_ms", "ms", span={**span, "seconds": 12}), shifted) == \
        pytest.approx(exact["mean"], rel=0.01)


def test_a_latency_goal_fails_when_nothing_completed():
    doc = with_fault(BASE)
    doc["faults"] = [{"id": "api-down", "kind": "crash", "node": "api", "start_s": 0}]
    run = run_of(doc)
    result = evaluate(goal("latency_p99_ms", "ms", value=1000), run)
    assert not result.passed and result.measured is None
    assert "no request completed" in result.sentence.lower() and "there is no p99 latency" in result.sentence
    assert measured(goal("error_rate_pct", "%"), run) == 100.0


def test_the_sentence_says_what_was_measured_against_the_goal():
    result = evaluate(goal("latency_p95_ms", "ms", value=1, scope={"origin": "ap-northeast"}), faulted_run())
    assert not result.passed
    assert result.sentence.startswith("P95 latency for users in ap-northeast is ")
    assert result.sentence.endswith("; the goal is at most 1.0 ms.")


def test_what_to_look_at_names_the_saturated_node_in_an_overloaded_run():
    result = evaluate(goal("latency_p95_ms", "ms", value=100), overloaded_run())
    assert not result.passed
    assert result.look_at.startswith("Look at api: it is 100% busy, the busiest node")
    errors = evaluate(goal("error_rate_pct", "%", value=1), overloaded_run())
    assert "are overloaded, most of them at api" in errors.look_at


def test_a_live_run_is_evaluated_from_its_windows():
    run = {**faulted_run(), "results": None}
    live = evaluate(goal("throughput_per_s", "/s"), run).measured
    assert live == pytest.approx(faulted_run()["results"]["measured"]["overall"]["throughput_per_s"], rel=0.001)
    assert evaluate(goal("latency_p95_ms", "ms", span={"fault": "db-slow"}), run).span == {"from_s": 12.0, "to_s": 20.0}


CTX = step_context_for(BASE, SCENARIO["faults"])


@pytest.mark.parametrize("spec, path, words", [
    (goal("latency_p96_ms", "ms"), "metric", "unknown metric 'latency_p96_ms'"),
    (goal("latency_p95_ms", "s"), "unit", "latency_p95_ms is measured in ms, not 's'"),
    (goal("utilization_pct", "%"), "scope.overall", "utilization_pct is measured for node, not for a overall"),
    (goal("hit_ratio_pct", "%", scope={"node": "api"}), "scope.node", "only a cache or a CDN has a hit ratio"),
    (goal("latency_p95_ms", "ms", scope={"node": "web"}), "scope.node", "the reference design has no node 'web'"),
    (goal("latency_p95_ms", "ms", scope={"origin": "eu-west"}), "scope.origin", "no users' origin region"),
    (goal("latency_p95_ms", "ms", span={"fault": "zone-b-down"}), "span.fault", "the step's scenario has no fault 'zone-b-down'"),
    (goal("latency_p95_ms", "ms", compare="=<"), "compare", "compare is one of"),
    (goal("errors_by_cause_pct", "%"), "cause", "needs the failure cause"),
    ({"id": "g", "structure": {"kind": "memcache", "at_least": 1}}, "structure.kind", "unknown component kind"),
])
def test_check_goal_refuses_with_a_path_and_a_sentence(spec, path, words):
    problems = check_goal(spec, step_context=CTX)
    assert [p["path"] for p in problems] == [path]
    assert words in problems[0]["message"]


def test_check_goal_accepts_every_goal_shape():
    for spec in (goal("latency_p95_ms", "ms", span={"after": "db-slow", "seconds": 5}, scope={"class": "read"}),
                 goal("throughput_per_s", "/s", scope={"edge": "e3"}, span="worst_window"),
                 {"id": "r", "metric": "latency_mean_ms", "unit": "ms", "relative": {"to": "start", "change_pct": -30}},
                 {"id": "s", "structure": {"instances_at_most": 6}}):
        assert check_goal(spec, step_context=CTX) == []


def test_the_lesson_modules_import_no_django():
    code = ("import sys, lab.lessons.goals, lab.lessons.scenario, lab.lessons.grading; "
            "assert 'django' not in sys.modules, 'django imported'")
    subprocess.run([sys.executable, "-c", code], check=True)
