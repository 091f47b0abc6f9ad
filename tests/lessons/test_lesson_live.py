"""While a graded attempt runs its goals show live, on the first seed's windows so far; every
attempt is compared with the step's start design on the same seeds, whose runs are shared by
every learner and charged to nobody; and a graded run's design and faults cannot be changed
while it runs (through the REST API and the run's websocket)."""
from __future__ import annotations

import json
import statistics
from pathlib import Path
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import User
from django.test import Client

from lab.asgi import application
from lab.lessons import selectors, services
from lab.lessons.goals import evaluate
from lab.lessons.models import Attempt, LessonProgress
from lab.runs import host
from lab.runs import services as runs
from lab.runs.models import Run
from lab.sim import Simulation

from .fixtures import LESSON_ID, design, replaced, write_lesson
from .test_lesson_api import (LESSON, call, graded, lessons_dir, make_user, signed_in, submit,  # noqa: F401 (a fixture)
                              work)

pytestmark = pytest.mark.django_db

# The p95 goal made relative: at least 30% lower than the start design's p95 on the same seeds.
RELATIVE = replaced('compare = "<="\nvalue = 100\nunit = "ms"', 'relative = { to = "start", change_pct = -30 }\nunit = "ms"')
SATURATED = design(1, workers=2)  # 100 requests/s at most, for 150 a second
REFUSED = "this run grades a lesson attempt: its design and faults are the step's; change your design and submit again"


@pytest.fixture
def alice() -> User:
    return make_user("alice")


@pytest.fixture
def as_alice(alice: User) -> Client:
    return signed_in(alice)


def design_run(attempt: dict[str, Any], seed: int = 1) -> Run:
    return Run.objects.get(id=next(r["id"] for r in attempt["runs"] if r["role"] == "design" and r["seed"] == seed))


def run_until(run: Run, t: float, windows: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """What a worker does for a run up to simulated time `t`: the windows it stores as it goes.
    The run must be claimed (running); `windows` are those already stored."""
    made: list[dict[str, Any]] = []
    sim = Simulation(run.topology, seed=run.seed, on_window=made.append)
    sim.run(t)
    new = made[len(windows or []):]
    assert runs.run_add_windows(run=run, windows=new, sim_time=t)
    return made


def claim_run(run: Run) -> Run:
    """Claim runs until `run` is claimed (the queue's order puts the first seed's design first)."""
    claimed = runs.run_claim_next(worker="w")
    assert claimed is not None and claimed.id == run.id
    return claimed


def live(client: Client, attempt: dict[str, Any], *, fresh: bool = True) -> dict[str, dict[str, Any]]:
    """The attempt's live goals by id; `fresh`: past the once-a-second limit (the submission's
    own answer evaluated them a moment ago)."""
    if fresh:
        selectors.cache.delete(f"lessons:live:{attempt['id']}")
    body = client.get(attempt["url"]).json()
    return {item["goal"]: item for item in body["live"]}


# -- live goals -------------------------------------------------------------------------------

def test_a_queued_attempt_lists_every_goal_as_pending(as_alice: Client) -> None:
    attempt = submit(as_alice, design(1)).json()
    assert attempt["status"] == "queued"
    assert [(g["goal"], g["state"]) for g in attempt["live"]] == [("p95", "pending"), ("errors-while-down", "pending")]
    assert "once the warm-up is over" in attempt["live"][0]["sentence"]


def test_a_running_attempt_shows_each_goal_on_the_first_seeds_windows_so_far(as_alice: Client) -> None:
    attempt = submit(as_alice, SATURATED).json()
    run = claim_run(design_run(attempt))
    windows = run_until(run, 12.0)
    now = live(as_alice, attempt)
    p95, errors = now["p95"], now["errors-while-down"]
    assert p95["state"] == "failing" and p95["value"] > 100 and p95["unit"] == "ms" and p95["target"] == 100
    assert p95["sentence"].startswith("So far: ") and "the goal is at most 100 ms" in p95["sentence"]
    assert p95["text"] == "95% of requests answered within 100 ms" and p95["look_at"]
    # The fault starts at 15 s: its span has not begun.
    assert errors["state"] == "pending" and errors["value"] is None
    assert errors["sentence"] == "The error rate is measured once one-instance-down starts."
    run_until(run, 20.0, windows)
    errors = live(as_alice, attempt)["errors-while-down"]
    assert errors["state"] in ("passing", "failing") and errors["value"] is not None
    assert "while one-instance-down is active" in errors["sentence"]


def test_live_goals_are_the_goals_code_on_the_windows_so_far(as_alice: Client) -> None:
    attempt = submit(as_alice, design(1)).json()
    run = claim_run(design_run(attempt))
    windows = run_until(run, 14.0)
    step = selectors.lesson_get(lesson_id=LESSON_ID).step("add-instances")
    expected = evaluate(step.goals[0], {"results": None, "windows": windows, "topology": run.topology})
    assert live(as_alice, attempt)["p95"]["value"] == expected.measured


def test_live_goals_are_evaluated_at_most_once_a_second(as_alice: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    attempt = submit(as_alice, design(1)).json()
    run = claim_run(design_run(attempt))
    windows = run_until(run, 8.0)
    calls: list[int] = []
    real = selectors.live_goals
    monkeypatch.setattr(selectors, "live_goals", lambda *a: calls.append(1) or real(*a))
    first = live(as_alice, attempt)
    live(as_alice, attempt, fresh=False)  # nothing new
    run_until(run, 9.0, windows)
    assert live(as_alice, attempt, fresh=False) == first and len(calls) == 1  # a new window, within the second
    monkeypatch.setattr(selectors, "LIVE_EVERY_S", 0.0)
    assert live(as_alice, attempt, fresh=False)["p95"]["value"] != first["p95"]["value"] and len(calls) == 2


def test_a_graded_attempt_shows_its_grade_in_the_live_shape(as_alice: Client) -> None:
    attempt = graded(as_alice, design(1))
    now = {g["goal"]: g for g in attempt["live"]}
    for goal in attempt["grade"]["goals"]:
        shown = next(m for m in goal["measured"] if not m["passed"])  # the seed its sentence is about
        assert now[goal["goal"]] == {"goal": goal["goal"], "text": goal["text"], "state": "failing",
                                     "value": shown["value"], "unit": shown["unit"], "target": shown["target"],
                                     "sentence": goal["sentence"], "look_at": goal["look_at"]}
    assert {g["state"] for g in graded(as_alice, design(3))["live"]} == {"passing"}


def test_an_attempt_whose_run_failed_shows_every_goal_failing_with_why(as_alice: Client) -> None:
    attempt = submit(as_alice, design(3)).json()
    runs.run_fail(run=runs.run_claim_next(worker="w"), error="MemoryError: out of memory")
    work()
    body = as_alice.get(attempt["url"]).json()
    assert [g["state"] for g in body["live"]] == ["failing", "failing"]
    assert "MemoryError: out of memory" in body["live"][0]["sentence"]


def test_a_relative_goal_is_pending_until_the_start_run_is_over(as_alice: Client, lessons_dir: Path) -> None:
    write_lesson(lessons_dir, toml=RELATIVE)
    attempt = submit(as_alice, design(3)).json()
    run = claim_run(design_run(attempt))
    run_until(run, 12.0)
    p95 = live(as_alice, attempt)["p95"]
    assert p95["state"] == "pending" and "once the start design's run is over" in p95["sentence"]
    start = runs.run_claim_next(worker="w")  # the start design's first seed, charged to nobody, goes next
    assert str(start.id) == next(r["id"] for r in attempt["runs"] if r["role"] == "start" and r["seed"] == 1)
    host.execute(start)
    p95 = live(as_alice, attempt)["p95"]
    assert p95["state"] == "passing" and "30% lower than the start design's" in p95["sentence"]


# -- the comparison with the start design -----------------------------------------------------

FIGURES = {"p50_ms", "p95_ms", "p99_ms", "error_rate_pct", "cost_per_1k_requests", "monthly_cost"}


def figures_of(run_ids: list[str]) -> dict[str, float]:
    overall = [Run.objects.get(id=i).results["measured"]["overall"] for i in run_ids]
    return {"p95_ms": statistics.median(o["latency_ms"]["p95"] for o in overall),
            "error_rate_pct": statistics.median(o["error_rate"] * 100 for o in overall),
            "cost_per_1k_requests": statistics.median(o["cost_per_million_usd"] for o in overall) / 1000,
            "monthly_cost": statistics.median(o["cost_monthly_usd"] for o in overall)}


def test_every_attempt_is_compared_with_the_start_design_on_the_same_seeds(as_alice: Client) -> None:
    attempt = graded(as_alice, design(3))
    comparison = attempt["grade"]["comparison"]
    assert set(comparison) == {"start", "design"}
    assert set(comparison["start"]) == set(comparison["design"]) == FIGURES
    for role in ("start", "design"):
        ids = [r["id"] for r in attempt["runs"] if r["role"] == role]
        for name, value in figures_of(ids).items():
            assert comparison[role][name] == pytest.approx(value, rel=1e-6), (role, name)
    assert comparison["start"]["p95_ms"] > 100 > comparison["design"]["p95_ms"]
    assert comparison["design"]["monthly_cost"] > comparison["start"]["monthly_cost"] > 0
    assert LessonProgress.objects.get().best["add-instances"]["comparison"] == comparison
    assert as_alice.get(LESSON).json()["steps"][0]["best"]["comparison"] == comparison


def test_start_runs_are_shared_by_every_learner_and_belong_to_nobody(as_alice: Client) -> None:
    first = graded(as_alice, design(3))
    as_bob = signed_in(make_user("bob"))
    second = submit(as_bob, design(2)).json()
    starts = {r["id"] for r in first["runs"] if r["role"] == "start"}
    assert {r["id"] for r in second["runs"] if r["role"] == "start"} == starts
    assert Run.objects.count() == 6  # 2 of alice's, 2 of bob's, 2 start runs
    shared = Run.objects.filter(id__in=starts)
    assert {(r.user_id, r.owner_key, r.principal, r.network) for r in shared} == {(None, "", "", "")}
    # Bob sees the figures in his grade, not the run itself; nor can anyone control it.
    assert all(not r["watchable"] for r in second["runs"] if r["role"] == "start")
    some = next(iter(starts))
    assert as_bob.get(f"/api/v1/runs/{some}").status_code == 404
    assert call(as_alice, "post", f"/api/v1/runs/{some}/commands", {"op": "stop"}).status_code == 404
    work()
    assert as_bob.get(second["url"]).json()["grade"]["comparison"]["start"] == first["grade"]["comparison"]["start"]


def test_a_start_run_still_going_is_shared_too(as_alice: Client) -> None:
    first = submit(as_alice, design(3)).json()
    second = submit(signed_in(make_user("bob")), design(3)).json()
    assert {r["id"] for r in first["runs"] if r["role"] == "start"} == \
        {r["id"] for r in second["runs"] if r["role"] == "start"}


def test_start_runs_are_not_charged_to_the_learners_allowance(as_alice: Client, settings: Any) -> None:
    settings.ARCHLAB_USER_RUNNING, settings.ARCHLAB_USER_QUEUED = 2, 0  # one attempt's two seeds
    first = submit(as_alice, design(3)).json()
    for _ in range(2):  # the design's runs end; the start runs are still queued
        claimed = runs.run_claim_next(worker="w")
        assert str(claimed.id) in {r["id"] for r in first["runs"] if r["role"] == "design"}
        host.execute(claimed)
    assert Run.objects.filter(status="queued").count() == 2
    assert submit(as_alice, design(2)).status_code == 202


def test_a_start_run_that_did_not_complete_leaves_no_start_figures_and_is_not_reused(as_alice: Client) -> None:
    first = submit(as_alice, design(3)).json()
    start = next(r["id"] for r in first["runs"] if r["role"] == "start" and r["seed"] == 1)
    Run.objects.filter(id=start).update(status="limited", reason="events", finished=None)
    work()
    grade = as_alice.get(first["url"]).json()["grade"]
    assert grade["passed"] is True and grade["comparison"]["start"] is None and grade["comparison"]["design"]
    second = submit(as_alice, design(3)).json()
    again = next(r["id"] for r in second["runs"] if r["role"] == "start" and r["seed"] == 1)
    assert again != start


def test_a_grade_older_than_the_comparison_reads_with_a_null_comparison(as_alice: Client) -> None:
    attempt = graded(as_alice, design(3))
    stored = Attempt.objects.get(id=attempt["id"])
    stored.grade = {k: v for k, v in stored.grade.items() if k != "comparison"}
    stored.save()
    assert as_alice.get(attempt["url"]).json()["grade"]["comparison"] is None


# -- graded runs keep the step's design and faults --------------------------------------------

@pytest.mark.parametrize("command", [
    {"op": "set_param", "node": "api", "param": "instances", "value": 6},
    {"op": "inject_fault", "fault": {"kind": "crash", "node": "db", "duration_s": 5}},
    {"op": "clear_fault", "id": "one-instance-down"},
])
def test_a_graded_run_refuses_a_change_of_design_or_faults(as_alice: Client, command: dict[str, Any]) -> None:
    attempt = submit(as_alice, design(1)).json()
    for run in attempt["runs"]:
        if run["role"] == "design":
            response = call(as_alice, "post", f"/api/v1/runs/{run['id']}/commands", command)
            assert response.status_code == 400
            assert response.json()["problems"] == [{"path": "$.command.op", "message": REFUSED, "severity": "error"}]


def test_a_graded_run_may_be_paused_sped_up_and_stopped_and_then_cannot_pass(as_alice: Client) -> None:
    attempt = submit(as_alice, design(3)).json()
    run = design_run(attempt)
    for command in ({"op": "pause"}, {"op": "resume"}, {"op": "speed", "value": 10}, {"op": "stop"}):
        assert call(as_alice, "post", f"/api/v1/runs/{run.id}/commands", command).status_code == 202
    work()
    body = as_alice.get(attempt["url"]).json()
    assert body["passed"] is False and "was stopped" in body["grade"]["problems"][0]["message"]


def test_an_ordinary_run_still_takes_every_command(alice: User) -> None:
    run = runs.run_create(topology=design(1), duration_s=10, speed=0, user=alice, owner_key="k")
    assert runs.run_command_add(run=run, command={"op": "set_param", "node": "api", "param": "instances", "value": 3})


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_the_runs_websocket_refuses_a_change_to_a_graded_run_and_takes_a_pause() -> None:
    key, attempt = await database_sync_to_async(_visitor_attempt)()
    run_id = await database_sync_to_async(
        lambda: str(attempt.attempt_runs.filter(role="design").order_by("seed").first().run_id))()
    ws = WebsocketCommunicator(application, f"/ws/runs/{run_id}/",
                               headers=[(b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1"),
                                        (b"cookie", f"sessionid={key}".encode())])
    connected, _ = await ws.connect()
    assert connected
    await ws.send_to(text_data=json.dumps({"type": "control", "command": {
        "op": "set_param", "node": "api", "param": "instances", "value": 6}}))
    error = await _next(ws, "error")
    assert error["message"] == REFUSED and error["problems"][0]["path"] == "$.command.op"
    await ws.send_to(text_data=json.dumps({"type": "control", "command": {"op": "pause"}}))
    assert (await _next(ws, "ack"))["command"] == {"op": "pause"}
    await ws.disconnect()


async def _next(ws: WebsocketCommunicator, kind: str) -> dict[str, Any]:
    while True:
        frame = json.loads(await ws.receive_from(10))
        if frame["type"] == kind:
            return frame


def _visitor_attempt() -> tuple[str, Attempt]:
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session["visitor"] = True
    session.create()
    lesson = selectors.lesson_get(lesson_id=LESSON_ID)
    attempt = services.attempt_create(user=None, visitor=session.session_key, lesson=lesson, step_id="add-instances",
                                      topology=design(3), owner_key=session.session_key, requester=None)
    return session.session_key, attempt


def test_the_answers_have_the_fields_the_openapi_document_lists(as_alice: Client, client: Client) -> None:
    components = client.get("/api/v1/schema?format=json").json()["components"]["schemas"]

    def fields(name: str) -> set[str]:
        return set(components[name]["properties"])

    attempt = graded(as_alice, design(3))
    assert set(attempt) == fields("Attempt") and set(attempt["grade"]) == fields("Grade")
    assert set(attempt["grade"]["comparison"]) == fields("Comparison")
    assert set(attempt["grade"]["comparison"]["start"]) == fields("ComparisonFigures") == FIGURES
    assert all(set(item) == fields("LiveGoal") for item in attempt["live"])
    assert set(attempt["runs"][0]) == fields("AttemptRun")
    assert set(as_alice.get(LESSON).json()["steps"][0]) == fields("LessonStep")
    claimed = call(as_alice, "post", "/api/v1/lessons/progress", {"attempts": []}).json()
    assert set(claimed) == fields("ProgressClaim") and claimed == {"claimed": 0, "ignored": 0,
                                                                    "lessons": claimed["lessons"]}
