"""Theory beside the measurement in the node panel, in Debian's Chromium against a live lab: the
reference example runs to its end, then a service pool shows its queueing model, predicted
beside measured figures, its assumptions and the verdict, as GET /api/v1/runs/{id}/theory
has them; the traffic source, which no closed form describes, says why it has no model. On a
1366x768 laptop the prediction and the verdict are in view as soon as the node is selected,
without scrolling the inspector (they come before its parameters)."""
from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from .test_browser import open_lab, shot

pytestmark = pytest.mark.browser


def test_a_finished_runs_node_panel_shows_its_model_figures_assumptions_and_verdict(live_lab: str, browser: Any) -> None:
    page, errors = open_lab(browser, live_lab, width=1366, height=768)
    page.select_option("#example", "reference")
    page.wait_for_function("document.getElementById('topology').value.includes('Benchmark reference')")
    page.fill("#duration", "20")
    page.select_option("#speed", "0")
    page.click("#run")
    page.wait_for_selector("#downloads:not([hidden])", timeout=90_000)
    run_id = page.get_attribute("#download-json", "href").split("/")[4]
    overlay = page.evaluate("async (id) => (await (await fetch(`/api/v1/runs/${id}/theory`)).json()).nodes", run_id)

    page.click("#canvas [model-id='app1']")
    theory = page.locator("#inspector .theory[data-node='app1']")
    expect(theory).to_be_visible(timeout=20_000)
    # Seen without scrolling on a laptop: the first prediction beside its measurement, and the verdict.
    expect(theory.locator(".theory-figures tbody tr").first).to_be_in_viewport(ratio=1)
    expect(theory.locator(".theory-verdict")).to_be_in_viewport(ratio=1)
    assert page.evaluate("document.getElementById('inspector').scrollTop") == 0
    app1 = overlay["app1"]
    expect(theory.locator(".theory-model")).to_contain_text(app1["model"])
    expect(theory.locator(".theory-verdict")).to_have_text(app1["verdict"])
    # Every figure the engine compared, predicted beside measured; every assumption with its sentence.
    rows = theory.locator(".theory-figures tbody tr")
    expect(rows).to_have_count(len(app1["figures"]))
    figure = app1["figures"][0]
    row = theory.locator(f"tr[data-figure='{figure['name']}']")
    expect(row.locator("td").nth(3)).to_contain_text("%")
    assert ("large" in (row.get_attribute("class") or "")) == (figure["checked"] and abs(figure["departure"]) > 0.1)
    for assumption in app1["assumptions"]:
        item = theory.locator(f"li[data-assumption='{assumption['name']}']")
        expect(item).to_contain_text(assumption["why"])
        expect(item.locator(".theory-mark")).to_have_text("holds" if assumption["holds"] else "breaks")
    shot(page, "theory-1-service-pool")

    # The traffic source has no closed form: the panel says so, and why.
    page.click("#canvas [model-id='users']")
    source = page.locator("#inspector .theory[data-node='users']")
    expect(source).to_be_visible(timeout=20_000)
    assert overlay["users"]["model"] == "none"
    expect(source).to_contain_text("No model for this node.")
    expect(source.locator(".theory-why")).to_have_text(overlay["users"]["assumptions"][0]["why"])
    expect(page.locator("#inspector .theory[data-node='app1']")).to_have_count(0)
    assert not errors, errors
    page.close()
