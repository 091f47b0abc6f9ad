"""The report pages in Debian's Chromium against a live lab with its two embedded workers: a
signed-in user's sweep (2 values x 2 seeds, short runs) is followed on its report page while it
runs, which reloads itself when it is over and then says the knee in the document's words and
draws its charts; the lab's report overlay links to it; on paper (print media) the charts and
figures stay and the site's navigation goes, and the page prints to an A4 PDF. A finished run's
report page draws its charts over the windows, and a comparison's page its differences. Screenshots and the PDF go to test-artifacts/."""
from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from .test_browser_designs import VIEWPORT, sign_up, watch
from .test_browser_studies import ARTIFACTS, DONE, post, topology

pytestmark = pytest.mark.browser

GET = "async (url) => (await (await fetch(url)).json())"
FITTED = """(id) => { const svg = document.querySelector(`#${id} .main-svg`).getBoundingClientRect();
  const box = document.getElementById(id).getBoundingClientRect();
  return svg.width > 600 && Math.abs(svg.width - box.width) < 2 && Math.abs(svg.height - box.height) < 2; }"""


def test_a_sweeps_report_page_follows_it_says_its_knee_draws_its_charts_and_prints(live_lab: str,
                                                                                    browser: Any) -> None:
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    problems = watch(page)
    sign_up(page, live_lab, "reporter")
    page.goto(live_lab + "/")
    design = post(page, "/api/v1/designs", {"name": "Reference <b>report</b> ✓", "topology": topology(1),
                                            "message": "one app1"})
    study = post(page, f"/api/v1/designs/{design['id']}/studies", {
        "kind": "sweep", "duration_s": 4,
        "spec": {"axes": [{"workload": "rate_per_s", "values": [300, 600]}], "seeds": 2}})

    # Opened while it runs, the page says it is not final, then reloads itself once it is done.
    page.goto(f"{live_lab}/studies/{study['id']}/report")
    expect(page.locator("#report-title")).to_have_text("Sweep of Reference <b>report</b> ✓, revision 1")
    knee = page.locator("#study-knee")
    expect(knee).to_be_visible(timeout=DONE)
    document = page.evaluate(GET, study["url"])["document"]
    expect(knee).to_have_text(document["knee"]["sentence"])
    expect(page.locator("#report-state")).to_have_count(0)
    expect(page.locator("#sweep-points tbody tr")).to_have_count(2)
    page.wait_for_selector("body[data-charts-drawn='true']", timeout=30_000)
    for chart in ("sweep-latency_p99_ms", "sweep-utilization", "sweep-pareto"):
        expect(page.locator(f"#chart-{chart} .main-svg").first).to_be_visible()
    expect(page.locator("#chart-sweep-latency_p99_ms + .chart-tools [data-export='png']")).to_be_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "report-pages-1-sweep.png"), full_page=True)

    # On paper: the charts and the figures stay, the navigation and the buttons go.
    page.emulate_media(media="print")
    expect(page.locator("header.site")).to_be_hidden()
    expect(page.locator(".report-nav").first).to_be_hidden()
    expect(page.locator(".chart-tools").first).to_be_hidden()
    for chart in ("sweep-latency_p99_ms", "sweep-pareto"):
        expect(page.locator(f"#chart-{chart} .main-svg").first).to_be_visible()
        # Still a chart, refitted to its box on paper: one a row, the page's width, 78 mm high.
        page.wait_for_function(FITTED, arg=f"chart-{chart}", timeout=10_000)
    expect(page.locator("#study-knee")).to_be_visible()
    expect(page.locator("#sweep-points")).to_be_visible()
    expect(page.locator("#report-picture svg")).to_be_visible()
    # At A4's width (210 mm at 96 dpi) the charts are refitted to it.
    page.set_viewport_size({"width": 794, "height": 1123})
    page.wait_for_function(FITTED, arg="chart-sweep-latency_p99_ms", timeout=10_000)
    page.screenshot(path=str(ARTIFACTS / "report-pages-2-sweep-print.png"), full_page=True)
    pdf = page.pdf(path=str(ARTIFACTS / "report-pages-sweep.pdf"), format="A4", print_background=True)
    assert pdf.startswith(b"%PDF") and b"/MediaBox [0 0 595.9" in pdf and len(pdf) > 20_000
    page.set_viewport_size(VIEWPORT)
    page.emulate_media(media="screen")

    # The lab's report overlay links to the page, and its share link is the page's address.
    page.goto(f"{live_lab}{design['lab_url']}?study={study['id']}")
    expect(page.locator("#study-report-view #study-knee")).to_have_text(document["knee"]["sentence"],
                                                                        timeout=30_000)
    assert page.input_value("#study-report-link") == f"{live_lab}/studies/{study['id']}/report"
    page.click("#study-report-page")
    page.wait_for_url(f"**/studies/{study['id']}/report")
    expect(page.locator("#study-knee")).to_have_text(document["knee"]["sentence"])
    assert not problems, problems
    context.close()


def test_a_runs_report_page_draws_its_charts_over_the_windows_and_a_comparisons_its_differences(live_lab: str, browser: Any) -> None:
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    problems = watch(page)
    sign_up(page, live_lab, "runreporter")
    page.goto(live_lab + "/")
    design = post(page, "/api/v1/designs", {"name": "Reference run", "topology": topology(1), "message": "r1"})
    run = post(page, "/api/v1/runs", {"design": design["id"], "speed": 0, "duration_s": 6})
    page.wait_for_function(f"fetch('/api/v1/runs/{run['id']}').then(r => r.json()).then(r => r.status === 'done')",
                           timeout=DONE, polling=500)
    page.goto(f"{live_lab}/runs/{run['id']}/report")
    expect(page.locator("#run-figures")).to_contain_text("requests/s")
    expect(page.locator("#report-byline")).to_contain_text("revision 1 of Reference run")
    page.wait_for_selector("body[data-charts-drawn='true']", timeout=30_000)
    for chart in ("run-throughput", "run-latency", "run-utilization"):
        expect(page.locator(f"#chart-{chart} .main-svg").first).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "report-pages-3-run.png"), full_page=True)

    # A comparison's page: each figure's difference with its interval as a chart, and the verdicts.
    post(page, f"/api/v1/designs/{design['id']}/revisions", {"topology": topology(2), "message": "two app1"})
    study = post(page, f"/api/v1/designs/{design['id']}/studies", {
        "kind": "comparison", "seeds": 2, "duration_s": 4, "a": {"revision": 2}, "b": {"revision": 1}})
    page.goto(f"{live_lab}/studies/{study['id']}/report")
    expect(page.locator("#ab-table")).to_be_visible(timeout=DONE)
    document = page.evaluate(GET, study["url"])["document"]
    expect(page.locator("#ab-verdicts li")).to_have_text(document["verdicts"])
    page.wait_for_selector("body[data-charts-drawn='true']", timeout=30_000)
    expect(page.locator("#chart-ab-difference .main-svg").first).to_be_visible()
    expect(page.locator("#chart-ab-latency_p99_ms .main-svg").first).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "report-pages-4-ab.png"), full_page=True)
    assert not problems, problems
    context.close()
