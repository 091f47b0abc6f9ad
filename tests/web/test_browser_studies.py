"""Studies in the lab's evidence panel, in Debian's Chromium against a live lab with its two
embedded workers: a signed-in user's saved design is swept over the workload's rate (2 values,
2 seeds, short runs), the progress bar follows it to the end, the knee sentence is the
document's, the report opens with the design's picture and charts that download as PNG and SVG
and a link that opens it again; an A/B comparison against an earlier revision gives verdicts, and one against the canvas as it
is now (an unsaved change) names B the proposed change; a run over seeds gives intervals
and the seeds needed;
a longer sweep is cancelled. The panel follows a study over its websocket (no polling while
the socket is up), a longer sweep's points appear as its runs finish, a study whose socket
cannot open is followed by polling to its end, and one whose first socket drops reconnects.
The Designs view draws several saved designs' cost against p99 with the front named.
Screenshots go to test-artifacts/."""
from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from .test_browser_designs import VIEWPORT, sign_up, watch

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
DONE = 120_000  # a study's runs queue behind whatever else the two workers do


def topology(app_instances: int = 1) -> dict[str, Any]:
    doc = json.loads((ROOT / "lab" / "sim" / "examples" / "reference.json").read_text())
    doc["settings"].update({"warmup_s": 1, "duration_s": 4})
    for node in doc["nodes"]:
        if node["id"] == "app1":
            node["params"]["instances"] = app_instances
    return doc


POST = """async ([url, body]) => {
  const token = document.cookie.match(/csrftoken=([^;]+)/)[1];
  const r = await fetch(url, {method: 'POST', body: JSON.stringify(body),
    headers: {'Content-Type': 'application/json', 'X-CSRFToken': token}});
  return {status: r.status, body: await r.json()};
}"""


def post(page: Any, url: str, body: dict[str, Any]) -> dict[str, Any]:
    answer = page.evaluate(POST, [url, body])
    assert answer["status"] in (200, 201), answer
    return answer["body"]


def start(page: Any, kind: str, seeds: int = 2, duration: int = 4) -> None:
    page.click(f"[data-study-kind='{kind}']")
    page.fill("#study-seeds", str(seeds))
    page.fill("#study-duration", str(duration))
    page.click("#study-start")
    expect(page.locator("#study-progress")).to_be_visible(timeout=20_000)


def finished(page: Any, status: str = "done") -> dict[str, Any]:
    page.wait_for_selector(f"#study-progress[data-status='{status}']", timeout=DONE)
    return page.evaluate("async () => (await (await fetch(document.getElementById('study-json').href)).json())")


STUDY_SOCKET = re.compile(r"/ws/studies/")


def test_a_sweep_shows_progress_and_its_knee_its_report_downloads_charts_and_ab_and_cancel_work(live_lab: str, browser: Any) -> None:
    context = browser.new_context(bypass_csp=True, viewport=VIEWPORT, accept_downloads=True)
    page = context.new_page()
    problems = watch(page)
    sockets: list[str] = []
    page.on("websocket", lambda ws: sockets.append(ws.url))
    polls: list[str] = []  # plain reads of a study, as a panel that polls makes once a second
    page.on("request", lambda r: polls.append(r.url) if re.search(r"/api/v1/studies/[0-9a-f-]{36}$", r.url) else None)
    sign_up(page, live_lab, "sweeper")
    page.goto(live_lab + "/")
    design = post(page, "/api/v1/designs", {"name": "Reference to sweep", "topology": topology(1), "message": "one app1"})
    post(page, f"/api/v1/designs/{design['id']}/revisions", {"topology": topology(2), "message": "two app1"})
    page.goto(live_lab + design["lab_url"])
    expect(page.locator("#panel-studies")).to_be_visible()

    # A sweep of the workload's rate: 2 values x 2 seeds.
    page.select_option("#sweep-target", "workload")
    page.fill("#sweep-values", "300, 600")
    start(page, "sweep")
    expect(page.locator("#study-bar")).to_have_attribute("max", "4")
    saved = finished(page)
    document = saved["document"]
    assert document["format"] == "archlab.sweep" and document["runs"]["done"] == 4
    expect(page.locator("#study-summary")).to_contain_text(document["knee"]["sentence"])
    expect(page.locator("#study-progress-text")).to_contain_text("4 of 4 runs")
    # Followed over its websocket, not by polling: the study was read once, for its document.
    study_id = saved["study"]["id"]
    assert any(url.endswith(f"/ws/studies/{study_id}/") for url in sockets), sockets
    assert page.get_attribute("#study-progress", "data-via") == "socket"
    assert [u for u in polls if u.endswith(study_id)] == [f"{live_lab}/api/v1/studies/{study_id}"]

    # The report: the design's picture, the knee in words, the charts, each as PNG and SVG.
    page.click("#study-report")
    report = page.locator("#study-report-view")
    expect(report).to_be_visible()
    expect(report.locator("#study-knee")).to_have_text(document["knee"]["sentence"])
    page.wait_for_function("document.querySelector('#study-report-view img').naturalWidth > 0", timeout=20_000)
    page.wait_for_selector("#study-sweep-metric .main-svg")
    page.wait_for_selector("#study-sweep-pareto .main-svg")
    expect(report.locator("#sweep-points tbody tr")).to_have_count(2)
    for fmt in ("png", "svg"):
        with page.expect_download(timeout=30_000) as download:
            page.click(f"#study-sweep-metric + .chart-tools [data-export='{fmt}']")
        assert download.value.suggested_filename == f"archlab-study-sweep-metric.{fmt}"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "studies-1-sweep-report.png"), full_page=True)
    # The whole report in view: docs/img/lab-evidence-report.png is a copy of this picture (a test
    # writes nothing into the repository).
    page.set_viewport_size({"width": 1100, "height": 2400})
    report.locator(".study-report-sheet").screenshot(path=str(ARTIFACTS / "lab-evidence-report.png"))
    page.set_viewport_size(VIEWPORT)

    # Its link is the study's report page, which says the same on a fresh page.
    link = page.input_value("#study-report-link")
    assert link.endswith(f"/studies/{saved['study']['id']}/report")
    again = context.new_page()
    again.goto(link)
    expect(again.locator("#study-knee")).to_have_text(document["knee"]["sentence"], timeout=30_000)
    again.close()
    page.click("#study-report-close")
    expect(report).to_have_count(0)

    # A/B: this revision (two app1 instances) against revision 1, on the same seeds.
    page.click("[data-study-kind='comparison']")
    page.select_option("#ab-b", "rev:1")
    start(page, "comparison")
    document = finished(page)["document"]
    assert document["format"] == "archlab.comparison"
    for verdict in document["verdicts"]:
        expect(page.locator("#study-summary")).to_contain_text(verdict)
    page.click("#study-report")
    expect(page.locator("#ab-table tbody tr")).to_have_count(len(document["metrics"]))
    page.screenshot(path=str(ARTIFACTS / "studies-2-ab-report.png"), full_page=True)
    page.click("#study-report-close")

    # A/B against the canvas as it is now: one app1 instance again, edited and not saved.
    page.evaluate("""() => {
      const box = document.getElementById('topology');
      const doc = JSON.parse(box.value);
      doc.nodes.find((n) => n.id === 'app1').params.instances = 1;
      box.value = JSON.stringify(doc, null, 2);
      box.dispatchEvent(new Event('input'));
    }""")
    page.click("[data-study-kind='comparison']")
    page.select_option("#ab-b", "canvas")
    start(page, "comparison")
    saved = finished(page)  # study.json: the study as described, B's topology with it, and its document
    b = saved["study"]["b"]
    assert b["proposed"] and b["name"] == "proposed change (unsaved)"
    app1 = next(n for n in b["topology"]["nodes"] if n["id"] == "app1")
    assert app1["params"]["instances"] == 1 and saved["document"]["format"] == "archlab.comparison"
    for verdict in saved["document"]["verdicts"]:
        expect(page.locator("#study-summary")).to_contain_text(verdict)
    page.click("#study-report")
    expect(page.locator("#study-report-view h2")).to_contain_text("against a proposed change (unsaved) (B)")
    expect(page.locator("#study-report-view")).to_contain_text("B: proposed change (unsaved)")
    page.click("#study-report-close")

    # Seeds, with no websocket to be had (it closes as it opens): the panel polls to the end.
    # Every headline figure with its interval, the seeds a precision needs, a band per window.
    page.route_web_socket(STUDY_SOCKET, lambda ws: ws.close())
    start(page, "replications")
    document = finished(page)["document"]
    assert page.get_attribute("#study-progress", "data-via") == "polling"
    assert document["format"] == "archlab.replications"
    for advice in document["precision"]["advice"]:
        expect(page.locator("#study-summary")).to_contain_text(advice)
    page.click("#study-report")
    expect(page.locator("#seeds-figures tbody tr")).to_have_count(len(document["metrics"]))
    page.wait_for_selector("#study-seeds-latency_p99_ms .main-svg")
    page.click("#study-report-close")

    # A longer sweep whose first socket drops: the panel reconnects (and polls meanwhile), its
    # points appear as their runs finish, and it is cancelled while it goes: it stops, and says so.
    opened = {"n": 0}

    def first_drops(ws: Any) -> None:
        opened["n"] += 1
        if opened["n"] == 1:
            ws.close()
        else:
            ws.connect_to_server()

    page.route_web_socket(STUDY_SOCKET, first_drops)  # the latest route is the one that answers
    page.click("[data-study-kind='sweep']")
    page.fill("#sweep-values", "100:1000:10")
    start(page, "sweep", seeds=2, duration=60)
    expect(page.locator("#study-cancel")).to_be_visible()
    page.wait_for_selector("#study-live-points[data-points]:not([data-points='0'])", timeout=DONE)
    page.wait_for_selector("#study-progress[data-via='socket']", timeout=30_000)
    assert opened["n"] >= 2
    page.locator("#panel-studies").screenshot(path=str(ARTIFACTS / "studies-4-points-so-far.png"))
    page.click("#study-cancel")
    page.wait_for_selector("#study-progress[data-status='cancelled']", timeout=30_000)
    expect(page.locator("#study-cancel")).to_be_hidden()
    expect(page.locator("#study-start")).to_be_enabled()
    assert not problems, problems
    context.close()


def test_the_designs_view_draws_several_designs_cost_against_p99_and_names_the_front(live_lab: str, browser: Any) -> None:
    context = browser.new_context(bypass_csp=True, viewport=VIEWPORT)
    page = context.new_page()
    problems = watch(page)
    sign_up(page, live_lab, "comparer")
    page.goto(live_lab + "/")
    one = post(page, "/api/v1/designs", {"name": "One app server", "topology": topology(1)})
    two = post(page, "/api/v1/designs", {"name": "Two app servers", "topology": topology(2)})
    bare = post(page, "/api/v1/designs", {"name": "Not measured", "topology": topology(1)})
    for design in (one, two):  # one after the other: a user has one study going at a time
        study = post(page, f"/api/v1/designs/{design['id']}/studies", {"kind": "replications", "seeds": 2, "duration_s": 4})
        deadline = time.monotonic() + DONE / 1000
        while page.evaluate("async (url) => (await (await fetch(url)).json()).status", study["url"]) != "done":
            assert time.monotonic() < deadline, "the study did not finish in time"
            page.wait_for_timeout(500)
    ids = ",".join(d["id"] for d in (one, two, bare))
    expected = page.evaluate("async (q) => (await (await fetch(`/api/v1/studies/frontier?designs=${q}`)).json())", ids)

    page.goto(live_lab + one["lab_url"])
    page.click("[data-study-kind='designs']")
    expect(page.locator("#designs-view")).to_be_visible()
    expect(page.locator("#study-form")).to_be_hidden()
    choices = page.locator("#designs-list input[type='checkbox']")
    expect(choices).to_have_count(3)
    for box in choices.all():
        box.check()
    # One design is not a comparison: the panel says so before asking.
    choices.nth(1).uncheck()
    choices.nth(2).uncheck()
    page.click("#designs-compare")
    expect(page.locator("#designs-problems")).to_contain_text("Pick 2 to 20 designs")
    choices.nth(1).check()
    choices.nth(2).check()
    page.click("#designs-compare")
    expect(page.locator("#designs-sentence")).to_have_text(expected["sentence"])
    assert expected["sentence"].startswith("On the Pareto front") or expected["sentence"].startswith("Every design")
    page.wait_for_selector("#designs-pareto .main-svg")
    front = page.evaluate("document.getElementById('designs-pareto').data[1].x.length")
    assert front == len(expected["front"]) >= 1
    expect(page.locator("#designs-without")).to_contain_text("Not measured: no finished run over seeds yet: run seeds on it first")
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator("#designs-pareto").scroll_into_view_if_needed()
    page.locator("#panel-studies").screenshot(path=str(ARTIFACTS / "studies-3-designs.png"))
    assert not problems, problems
    context.close()
