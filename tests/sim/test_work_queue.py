"""The queue and its workers: fast acknowledgements, backlog and its age."""
from __future__ import annotations

from typing import Any

import pytest

from .component_world import topology, node, source, Run


def queue_topology(rate: float, faults: list[dict[str, Any]] | None = None, **params: Any) -> dict[str, Any]:
    settings = {"ack_latency_ms": 2, "workers": 2, "job_time_ms": 50, **params}
    return topology([source(rate), node("jobs", "work_queue", **settings)], [("users", "jobs")], faults=faults)


def test_producers_wait_only_for_the_acknowledgement_while_the_backlog_grows() -> None:
    # Two workers at 50 ms finish 40 jobs/s; 100 arrive each second.
    r = Run(queue_topology(100.0)).run(20.0)
    results = r.finish()
    assert results["requests"]["failed"] == 0
    assert results["measured"]["overall"]["latency_ms"]["mean"] == pytest.approx(2.0)
    assert results["measured"]["overall"]["latency_ms"]["max"] == pytest.approx(2.0)
    backlog = [w["backlog"] for w in r.window_nodes("jobs")]
    assert backlog[19] == pytest.approx(60 * 20, rel=0.1)
    assert backlog[19] > backlog[9] > backlog[1]


def test_the_backlog_age_is_how_long_the_oldest_waiting_job_has_waited() -> None:
    r = Run(queue_topology(100.0)).run(20.0)
    r.finish()
    ages = [w["backlog_age_ms"] for w in r.window_nodes("jobs")]
    # At 60 jobs/s of backlog growth, the job at the head arrived when 40% of the run had passed.
    assert ages[19] == pytest.approx(0.6 * 20_000, rel=0.1)
    assert ages[19] > ages[9] > ages[1]
    assert r.window_nodes("jobs")[19]["backlog_age_max_ms"] >= ages[19]


def test_jobs_done_counts_every_job_the_workers_finish() -> None:
    r = Run(queue_topology(50.0, workers=4, job_time_ms=20)).run(20.0)
    r.sim.drain()
    results = r.sim.results()
    jobs = results["measured"]["nodes"]["jobs"]
    assert jobs["jobs_done"] == results["requests"]["created"] > 800
    assert jobs["jobs_failed"] == 0 and jobs["backlog"] == 0


def test_crashing_a_queue_loses_its_backlog_without_failing_acknowledged_requests_again() -> None:
    topo = queue_topology(100.0, faults=[{"kind": "crash", "node": "jobs", "start_s": 10, "duration_s": 2}])
    r = Run(topo).run(15.0)
    requests = r.sim.results()["requests"]
    assert requests["in_flight"] >= 0, requests
    assert requests["created"] == requests["completed"] + requests["failed"] + requests["in_flight"]
    # Only producers that reached the queue while it was down were refused.
    assert requests["failed"] == pytest.approx(200, rel=0.2)
    lost = sum(w["failures"].get("fault", 0) for w in r.window_nodes("jobs")) - requests["failed"]
    assert lost > 500
    assert sum(w["jobs_failed"] for w in r.window_nodes("jobs")) == lost


# ---------------------------------------------------------------- faults and control
