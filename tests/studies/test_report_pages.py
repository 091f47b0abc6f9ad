"""The report pages, server-rendered: a study's (/studies/<id>/report, and through its design's
share link /s/<token>/studies/<id>/report) and a finished run's (/runs/<id>/report). Each kind
of study shows its own figures and verdicts in the HTML itself (the page reads and prints
without a script); the charts' series are the document's, not recomputed. Who may open a page
is who may see the study or the run; everyone else, and any id that is not one, gets 404.
Studies and runs are run by a worker in this process (conftest.work)."""
from __future__ import annotations

import html
import json
import re
import uuid
from typing import Any

import pytest
from django.test import Client

from lab.designs import services as design_services
from lab.runs.models import Run
from lab.sim.evidence.wording import sig
from lab.studies.models import Study

from .conftest import LOAD_SWEEP, call, design_of, small, start, work

pytestmark = pytest.mark.django_db

def run_study(client: Client, design: Any, body: dict[str, Any]) -> dict[str, Any]:
    """The study, run to its end, as the API answers it (with its document)."""
    study = start(client, design, body)
    work(lambda: Study.objects.get(id=study["id"]).is_over)
    return dict(call(client, "get", study["url"]).json())


def page(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    assert response["Content-Type"].startswith("text/html")
    return str(response.content.decode())


def report_data(text: str) -> dict[str, Any]:
    found = re.search(r'<script id="report-data" type="application/json">(.*?)</script>', text, re.S)
    assert found, "the page has no report-data"
    return dict(json.loads(found.group(1)))


def table_rows(text: str, table_id: str) -> list[str]:
    found = re.search(rf'<table[^>]*id="{table_id}".*?<tbody>(.*?)</tbody>', text, re.S)
    assert found, f"no table {table_id}"
    return re.findall(r"<tr[^>]*>(.*?)</tr>", found.group(1), re.S)


def has_text(text: str, sentence: str) -> bool:
    return html.escape(sentence, quote=True) in text or html.escape(sentence, quote=False) in text


# ---- each kind's figures, in the HTML ---------------------------------------------------------

def test_a_finished_sweeps_report_says_its_knee_and_shows_every_point_band_and_the_pareto_front(
        as_alice: Client, alice: Any) -> None:
    design = design_of(alice, small(duration=6), name="Load test")
    study = run_study(as_alice, design, LOAD_SWEEP)
    doc = study["document"]
    text = page(as_alice, f"/studies/{study['id']}/report")
    assert has_text(text, doc["knee"]["sentence"]) and 'id="study-knee"' in text
    assert "Sweep of Load test, revision 1" in text and "run by alice" in text and "seeds 1, 2" in text
    assert len(table_rows(text, "sweep-points")) == 4
    # Each point's p99 with its interval, spelled as the evidence package spells figures.
    first = table_rows(text, "sweep-points")[0]
    p99 = doc["points"][0]["metrics"]["latency_p99_ms"]
    assert f"<td>40</td><td>2</td><td>{sig(p99['mean'])} ({sig(p99['low'])} to {sig(p99['high'])})</td>" in first
    front = table_rows(text, "sweep-front")
    assert len(front) == len(doc["pareto"]["front"]) >= 1
    assert "<svg" in text and 'id="report-picture"' in text  # the design's picture, inline
    assert f'href="/api/v1/studies/{study["id"]}/study.csv"' in text
    assert f'href="/api/v1/studies/{study["id"]}/study.json"' in text
    assert f'href="/designs/{design.id}/edit?study={study["id"]}"' in text
    # The charts are the document's figures: p99 against the rate, with its band, the knee marked.
    charts = {c["id"]: c for c in report_data(text)["charts"]}
    p99 = charts["sweep-latency_p99_ms"]
    assert p99["x"] == [40, 100, 160, 190]
    assert p99["series"][0]["y"] == [p["metrics"]["latency_p99_ms"]["mean"] for p in doc["points"]]
    assert p99["series"][0]["high"] == [p["metrics"]["latency_p99_ms"]["high"] for p in doc["points"]]
    assert p99["marks"] == {"x": doc["knee"]["value"], "y": 40}
    assert {"sweep-error_rate", "sweep-cost_per_hour_usd", "sweep-utilization", "sweep-pareto"} <= set(charts)
    # A share is drawn as the percentage its axis title says.
    assert charts["sweep-error_rate"]["ytitle"] == "error rate (%)"
    assert charts["sweep-error_rate"]["series"][0]["y"] == [
        pytest.approx(100 * p["metrics"]["error_rate"]["mean"]) for p in doc["points"]]
    assert [s["name"] for s in charts["sweep-utilization"]["series"]] == ["app"]
    assert 'id="report-state"' not in text  # final: no "not final" banner


def test_a_sweep_of_two_parameters_has_heat_maps(as_alice: Client, alice: Any) -> None:
    body = {"kind": "sweep", "spec": {"axes": [{"workload": "rate_per_s", "values": [40, 120]},
                                               {"node": "app", "param": "workers_per_instance", "values": [1, 2]}],
                                      "seeds": 1}}
    study = run_study(as_alice, design_of(alice), body)
    text = page(as_alice, f"/studies/{study['id']}/report")
    charts = {c["id"]: c for c in report_data(text)["charts"]}
    heat = charts["sweep-heatmap-latency_p99_ms"]
    assert heat["z"] == study["document"]["grid"]["z"]["latency_p99_ms"] and heat["x"] == [40, 120]
    assert len(table_rows(text, "sweep-points")) == 4 and 'id="study-knee"' not in text


def test_a_replications_report_gives_every_figure_its_interval_and_the_seeds_needed(
        as_alice: Client, alice: Any) -> None:
    study = run_study(as_alice, design_of(alice), {"kind": "replications", "seeds": 4, "precision": 0.1})
    doc = study["document"]
    text = page(as_alice, f"/studies/{study['id']}/report")
    rows = table_rows(text, "seeds-figures")
    assert len(rows) == len(doc["metrics"])
    p99 = next(r for r in rows if "p99 latency (ms)" in r)
    needed = doc["precision"]["seeds_needed"]["latency_p99_ms"]
    figure = doc["metrics"]["latency_p99_ms"]
    assert f"<td>{sig(figure['mean'])} ({sig(figure['low'])} to {sig(figure['high'])})</td>" in p99
    assert f"<td>{needed}</td>" in p99
    assert "seeds for ±10%" in text
    for sentence in doc["precision"]["advice"]:
        assert has_text(text, sentence)
    charts = {c["id"]: c for c in report_data(text)["charts"]}
    band = charts["seeds-latency_p99_ms"]["series"][0]
    assert band["y"] == doc["windows"]["overall"]["latency_p99_ms"]["median"]
    assert band["low"] == doc["windows"]["overall"]["latency_p99_ms"]["low"]


def test_a_comparisons_report_gives_each_difference_with_its_interval_and_the_verdict(
        as_alice: Client, alice: Any) -> None:
    design = design_of(alice, small(rate=180, service_ms=10, workers=2))
    design_services.design_save(design=design, author=alice, topology=small(rate=180, service_ms=10, workers=4))
    study = run_study(as_alice, design, {"kind": "comparison", "seeds": 4, "a": {"revision": 1}, "b": {"revision": 2}})
    doc = study["document"]
    text = page(as_alice, f"/studies/{study['id']}/report")
    assert "A/B comparison: Queue r1 (A) against Queue r2 (B)" in text
    assert "A: Queue, revision 1 · B: Queue, revision 2 · 4 pairs of runs on the same seeds" in text
    for sentence in doc["verdicts"]:
        assert has_text(text, sentence)
    rows = table_rows(text, "ab-table")
    assert len(rows) == len(doc["metrics"])
    p95 = next(r for r in rows if "p95 latency (ms)" in r)
    assert doc["metrics"]["latency_p95_ms"]["verdict"].startswith("B's p95 latency is")
    assert has_text(p95, doc["metrics"]["latency_p95_ms"]["verdict"]) and "significant" in p95
    assert re.search(r"<td>-\d+(\.\d+)?% \(-", p95)  # B relative to A, lower, with its interval
    assert 'id="report-picture-b"' in text  # B's picture beside A's
    charts = {c["id"]: c for c in report_data(text)["charts"]}
    diff = charts["ab-difference"]
    at = diff["labels"].index("p95 latency (ms)")
    assert diff["y"][at] == pytest.approx(100 * doc["metrics"]["latency_p95_ms"]["relative"]["mean"])


# ---- states -----------------------------------------------------------------------------------

def test_a_running_study_shows_its_progress_and_says_the_page_is_not_final(as_alice: Client, alice: Any) -> None:
    study = start(as_alice, design_of(alice), LOAD_SWEEP)
    text = page(as_alice, f"/studies/{study['id']}/report")
    assert "This study is still running (0 of 8 runs finished): this page is not final." in text
    assert '<progress id="report-progress" max="8" value="0">' in text
    assert report_data(text)["poll"] == f"/api/v1/studies/{study['id']}"
    assert 'id="sweep-points"' not in text


def test_a_cancelled_study_says_so_and_shows_what_finished(as_alice: Client, alice: Any, settings: Any) -> None:
    study = start(as_alice, design_of(alice), LOAD_SWEEP)
    host = work(lambda: Study.objects.get(id=study["id"]).done >= 2)
    cancelled = call(as_alice, "post", f"{study['url']}/cancel").json()
    work(lambda: not Run.objects.filter(evidence__study=study["id"], status__in=("queued", "running")).exists(),
         host=host)
    done = cancelled["progress"]["done"]
    text = page(as_alice, f"/studies/{study['id']}/report")
    assert f"This study was cancelled: the figures below are of the {done} runs that finished, of 8 planned." in text
    assert report_data(text)["poll"] is None
    assert 'id="sweep-points"' in text


def test_a_cancelled_study_with_nothing_finished_and_a_failed_one_say_so(as_alice: Client, alice: Any) -> None:
    design = design_of(alice)
    study = start(as_alice, design, LOAD_SWEEP)
    call(as_alice, "post", f"{study['url']}/cancel")
    text = page(as_alice, f"/studies/{study['id']}/report")
    assert "This study was cancelled: no run had finished, so there are no figures." in text
    # A failed study (a worker writes this when no run finished or its document was too big).
    Study.objects.filter(id=study["id"]).update(status=Study.Status.FAILED, error="every run failed")
    text = page(as_alice, f"/studies/{study['id']}/report")
    assert "This study failed: every run failed." in text and "nothing to report" in text


# ---- who may open it --------------------------------------------------------------------------

def test_only_the_owner_opens_the_report_of_a_private_designs_study(as_alice: Client, alice: Any, as_bob: Client,
                                                                     visitor: Client) -> None:
    design = design_of(alice)
    study = start(as_alice, design, {"kind": "replications", "seeds": 2})
    url = f"/studies/{study['id']}/report"
    assert as_alice.get(url).status_code == 200
    assert as_bob.get(url).status_code == 404
    assert visitor.get(url).status_code == 404
    page_text = page(as_alice, url)
    assert "The design is private: only you can open it." in page_text


def test_a_share_links_holder_opens_the_report_and_their_browser_remembers_the_link(
        as_alice: Client, alice: Any, as_bob: Client, visitor: Client) -> None:
    design = design_of(alice, visibility="unlisted")
    study = start(as_alice, design, {"kind": "replications", "seeds": 2})
    url = f"/studies/{study['id']}/report"
    shared = f"/s/{design.share_token}/studies/{study['id']}/report"
    assert as_bob.get(url).status_code == 404
    # The owner's page offers the share link's address, which opens the report for others.
    assert f'value="http://testserver{shared}"' in page(as_alice, url)
    text = page(visitor, shared)
    assert f'href="/s/{design.share_token}/?study={study["id"]}"' in text  # back to the lab, by the link
    assert visitor.get(url).status_code == 200  # remembered, as /s/<token>/ is
    assert as_bob.get(shared).status_code == 200
    # A wrong token, another design's token, or a revoked link opens nothing.
    other = design_of(alice, visibility="unlisted")
    assert Client().get(f"/s/{'x' * 22}/studies/{study['id']}/report").status_code == 404
    assert Client().get(f"/s/{other.share_token}/studies/{study['id']}/report").status_code == 404
    design_services.design_revoke_link(design=design)
    assert Client().get(shared).status_code == 404


def test_a_comparison_whose_b_you_may_not_see_has_no_report_page_for_you(as_alice: Client, alice: Any,
                                                                          as_bob: Client) -> None:
    design = design_of(alice, visibility="public")
    secret = design_of(alice, small(workers=2), name="Secret B")
    study = start(as_alice, design, {"kind": "comparison", "seeds": 2, "b": {"design": str(secret.id)}})
    url = f"/studies/{study['id']}/report"
    assert "Secret B" in page(as_alice, url)
    assert as_bob.get(url).status_code == 404


def test_anyone_opens_the_report_of_a_public_designs_study(as_alice: Client, alice: Any, visitor: Client) -> None:
    design = design_of(alice, visibility="public")
    study = start(as_alice, design, {"kind": "replications", "seeds": 2})
    text = page(visitor, f"/studies/{study['id']}/report")
    assert f'value="http://testserver/studies/{study["id"]}/report"' in text


def test_unknown_and_malformed_ids_are_not_found(as_alice: Client) -> None:
    for url in (f"/studies/{uuid.uuid4()}/report", "/studies/not-a-study/report", f"/runs/{uuid.uuid4()}/report",
                "/runs/12/report", f"/s/nope/studies/{uuid.uuid4()}/report", "/studies/%00/report",
                f"/s/%C3%A9%00/studies/{uuid.uuid4()}/report", f"/s/{'t' * 300}/studies/{uuid.uuid4()}/report"):
        assert as_alice.get(url).status_code == 404, url


def test_a_hostile_design_name_is_escaped_everywhere_on_the_page(as_alice: Client, alice: Any) -> None:
    name = "<script>alert(1)</script> \u00e9\u4e2d\u0627\U0001F600" * 5
    topology = small(name=name)
    topology["nodes"][1]["label"] = "<img src=x onerror=alert(2)>"
    design = design_of(alice, topology, name=name[:200])
    design_services.design_save(design=design, author=alice, topology={**topology, "name": name + "B"})
    study = run_study(as_alice, design, {"kind": "comparison", "seeds": 2, "a": {"revision": 1}, "b": {"revision": 2}})
    text = page(as_alice, f"/studies/{study['id']}/report")
    assert "<script>alert" not in text and "<img src=x" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; \u00e9\u4e2d\u0627\U0001F600" in text
    report_data(text)  # the names in the charts' data are escaped by json_script and still read back


# ---- a run's report ---------------------------------------------------------------------------

def finished_run(client: Client, design: Any) -> str:
    response = call(client, "post", "/api/v1/runs", {"design": str(design.id), "speed": 0, "duration_s": 6})
    assert response.status_code == 201, response.json()
    run_id = response.json()["id"]
    work(lambda: Run.objects.get(id=run_id).is_over)
    return str(run_id)


def test_a_finished_runs_report_shows_its_figures_charts_picture_and_revision(as_alice: Client, alice: Any) -> None:
    design = design_of(alice, small(rate=150, service_ms=5), name="My queue")
    run_id = finished_run(as_alice, design)
    results = Run.objects.get(id=run_id).results
    assert isinstance(results, dict)
    text = page(as_alice, f"/runs/{run_id}/report")
    overall = results["measured"]["overall"]
    assert f"{overall['throughput_per_s']:,.1f} requests/s" in text
    lat = overall["latency_ms"]
    assert f"{lat['p50']:,.1f} / {lat['p95']:,.1f} / {lat['p99']:,.1f} ms" in text
    assert "revision 1 of My queue" in text and "Run by alice" in text and "<svg" in text
    assert [r.count("<code>") for r in table_rows(text, "run-nodes")] == [1, 1]
    assert f'href="/api/v1/runs/{run_id}/results.csv"' in text
    charts = {c["id"]: c for c in report_data(text)["charts"]}
    assert {"run-throughput", "run-latency", "run-utilization"} <= set(charts)
    assert len(charts["run-latency"]["x"]) == Run.objects.get(id=run_id).window_rows.count()


def test_a_runs_report_opens_only_for_who_may_see_the_run(as_alice: Client, alice: Any, as_bob: Client,
                                                          visitor: Client) -> None:
    design = design_of(alice, visibility="public")
    run_id = finished_run(as_bob, design)  # bob's run of alice's design: both may see it
    url = f"/runs/{run_id}/report"
    assert as_bob.get(url).status_code == 200 and as_alice.get(url).status_code == 200
    assert visitor.get(url).status_code == 404
    # Once the design is private, bob still sees his run, but not the design's name or link.
    design_services.design_share(design=design, visibility="private")
    text = page(as_bob, url)
    assert "a revision of a design you cannot open" in text and f"/designs/{design.id}/" not in text
    assert "revision 1 of Queue" in page(as_alice, url)
    # A study's run has no page of its own: its figures are in the study's report.
    study = run_study(as_alice, design, {"kind": "replications", "seeds": 2})
    study_run = Run.objects.filter(evidence__study=study["id"]).first()
    assert study_run is not None and as_alice.get(f"/runs/{study_run.id}/report").status_code == 404


def test_a_running_runs_report_says_it_is_not_written_yet(as_alice: Client, alice: Any) -> None:
    design = design_of(alice)
    response = call(as_alice, "post", "/api/v1/runs", {"design": str(design.id), "speed": 0, "duration_s": 6})
    text = page(as_alice, f"/runs/{response.json()['id']}/report")
    assert "This run is still queued: the report is written when it ends." in text and 'id="run-figures"' not in text
