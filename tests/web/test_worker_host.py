"""One worker process hosts many runs: the claim is fair across principals and never passes a
running cap, paced runs advance together, a run over budget ends as limited with its partial
results, a broken run fails alone, and a paced run nobody watches is stopped."""
from __future__ import annotations

import time
from typing import Any

import pytest
from django.utils import timezone

from lab.runs import services
from lab.runs.host import Host, execute
from lab.runs.models import Run

from .conftest import example

pytestmark = pytest.mark.django_db


def queue(principal: str, *, duration: float = 3.0, speed: float = 0, priority: int = 0, cap: int | None = 2,
          name: str = "reference") -> Run:
    run = services.run_create(topology=example(name), duration_s=duration, speed=speed, priority=priority)
    budget = {**run.budget, "running_cap": cap}
    Run.objects.filter(id=run.id).update(principal=principal, budget=budget)
    run.refresh_from_db()
    return run


def drive(host: Host, *, until: Any, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not until() and time.monotonic() < deadline:
        pause = host.tick()
        if pause > 0:
            time.sleep(min(pause, 0.02))
    assert until(), "the host did not get there in time"


def test_the_claim_goes_to_the_principal_with_fewer_runs_running() -> None:
    for _ in range(4):
        queue("user:1", cap=10)
    services.run_claim_next(worker="w")  # user 1 now has one running, three queued
    late = queue("user:2", cap=10)
    assert services.run_claim_next(worker="w").id == late.id


def test_a_principal_never_has_more_than_its_running_cap_running() -> None:
    for _ in range(5):
        queue("visitor:abc", cap=2)
    claimed = [services.run_claim_next(worker="w") for _ in range(5)]
    assert sum(r is not None for r in claimed) == 2
    assert Run.objects.filter(principal="visitor:abc", status="running").count() == 2


def test_a_graded_run_is_claimed_before_older_ordinary_runs() -> None:
    queue("user:1", cap=10)
    queue("user:2", cap=10)
    graded = queue("user:3", priority=10, cap=10)
    assert services.run_claim_next(worker="w").id == graded.id


def test_one_host_advances_many_paced_runs_at_once() -> None:
    runs = [queue(f"user:{i}", duration=20.0, speed=10) for i in range(6)]
    host = Host(worker="w")
    for _ in runs:
        host.adopt(services.run_claim_next(worker="w"))
    start = time.monotonic()
    drive(host, until=lambda: not host.executions)
    elapsed = time.monotonic() - start
    assert {r.status for r in Run.objects.filter(id__in=[r.id for r in runs])} == {"done"}
    # Six runs of 2 s of wall time each, side by side: about 2 s, not 12.
    assert elapsed < 6.0


def test_runs_as_fast_as_possible_share_the_cpu_fairly_between_principals() -> None:
    greedy = [queue("user:greedy", duration=600.0, cap=10) for _ in range(3)]
    modest = queue("user:modest", duration=600.0, cap=10)
    host = Host(worker="w")
    for _ in range(4):
        host.adopt(services.run_claim_next(worker="w"))
    deadline = time.monotonic() + 1.5
    while time.monotonic() < deadline:
        host.tick()
    cpu = {rid: ex.cpu_s for rid, ex in host.executions.items()}
    greedy_total = sum(cpu[r.id] for r in greedy)
    # One user's three runs together get about what the other user's one run gets.
    assert 0.6 < cpu[modest.id] / greedy_total < 1.6
    host.release()


def test_a_run_over_its_event_budget_ends_as_limited_with_its_partial_results() -> None:
    run = queue("user:1", duration=600.0)
    Run.objects.filter(id=run.id).update(budget={**run.budget, "limits": {**run.budget["limits"], "max_events": 50_000}})
    execute(services.run_claim_next(worker="w"))
    run.refresh_from_db()
    assert run.status == "limited" and run.sim_time < 600
    assert "budget of 50,000 events" in run.reason or "budget of 50 thousand events" in run.reason
    assert run.results["limited"] == run.reason and run.results["requests"]["created"] > 0
    assert run.windows >= 1


def test_a_run_that_breaks_fails_alone_and_the_others_finish() -> None:
    good = queue("user:1")
    bad = queue("user:2")
    broken = {**bad.topology, "nodes": [{**n, "kind": "no-such-kind"} for n in bad.topology["nodes"]]}
    Run.objects.filter(id=bad.id).update(topology=broken)
    host = Host(worker="w")
    host.adopt(services.run_claim_next(worker="w"))
    host.adopt(services.run_claim_next(worker="w"))
    drive(host, until=lambda: not host.executions)
    good.refresh_from_db()
    bad.refresh_from_db()
    assert good.status == "done" and bad.status == "failed" and "no-such-kind" in bad.error


def test_a_paced_run_nobody_watches_is_stopped_after_the_idle_time(settings: Any) -> None:
    settings.ARCHLAB_IDLE_STOP_S = 1
    watched = queue("user:1", duration=600.0, speed=1)
    unwatched = queue("user:2", duration=600.0, speed=1)
    host = Host(worker="w")
    host.adopt(services.run_claim_next(worker="w"))
    host.adopt(services.run_claim_next(worker="w"))
    Run.objects.filter(id__in=[watched.id, unwatched.id]).update(started=timezone.now() - timezone.timedelta(seconds=5))
    deadline = time.monotonic() + 2.5
    while time.monotonic() < deadline:
        services.run_mark_watched(run_ids=[watched.id])
        pause = host.tick()
        time.sleep(min(pause, 0.05))
    unwatched.refresh_from_db()
    watched.refresh_from_db()
    assert unwatched.status == "stopped" and "nobody watched it" in unwatched.reason
    assert watched.status == "running"
    host.release()


def test_over_the_workers_memory_limit_the_run_holding_the_most_events_is_limited() -> None:
    small = queue("user:1", duration=600.0)
    big = queue("user:2", duration=600.0, name="two_regions_geo_routing")
    host = Host(worker="w")
    host.adopt(services.run_claim_next(worker="w"))
    host.adopt(services.run_claim_next(worker="w"))
    for _ in range(20):
        host.tick()
    sizes = {rid: len(ex.sim.heap) for rid, ex in host.executions.items()}
    biggest = max(sizes, key=sizes.get)
    host.memory_guard(rss_bytes=3 * 2**30, limit_bytes=2 * 2**30)
    drive(host, until=lambda: biggest not in host.executions)
    limited = Run.objects.get(id=biggest)
    assert limited.status == "limited" and "ran short of memory (3072 MiB used, limit 2048 MiB)" in limited.reason
    other = small if biggest == big.id else big
    assert other.id in host.executions  # the others go on
    host.memory_guard(rss_bytes=2**30, limit_bytes=2 * 2**30)  # under the limit: nothing happens
    assert not host.executions[other.id].over
    host.release()


@pytest.mark.parametrize("speed", [1.0, 0.0], ids=["paced", "as fast as possible"])
def test_step_pauses_a_run_and_advances_it_exactly_one_window_at_a_time(speed: float) -> None:
    run = queue("user:1", duration=60.0, speed=speed)
    host = Host(worker="w")
    host.adopt(services.run_claim_next(worker="w"))
    ex = host.executions[run.id]
    window = ex.window
    services.run_command_add(run=run, command={"op": "pause"})
    drive(host, until=lambda: ex.paused)
    for _ in range(20):  # paused: ticking does not move it
        host.tick()
    paused_at = ex.sim.now
    assert paused_at < 60.0
    for n in (1, 2):
        services.run_command_add(run=run, command={"op": "step"})
        drive(host, until=lambda: ex.sim.now > paused_at + (n - 1) * window + 1e-9 and not ex.stepping)
        for _ in range(20):
            host.tick()
        # It stopped at the next window's end, and stays paused there.
        boundary = (int(paused_at / window + 1e-9) + n) * window
        assert ex.sim.now == pytest.approx(boundary)
        assert ex.paused
    services.run_command_add(run=run, command={"op": "resume"})
    drive(host, until=lambda: ex.sim.now > paused_at + 3 * window)
    assert not ex.paused
    services.run_command_add(run=run, command={"op": "stop"})
    drive(host, until=lambda: not host.executions)
    assert "step" in [e["type"] for e in Run.objects.get(id=run.id).results["timeline"]]
