"""A new learner takes the case study in Debian's Chromium, as a visitor with a mouse: opens it from
the lab, submits step 1 as it starts and fails, reads what to look at, fixes the design on the
canvas, passes, goes on to step 2, applies the solution shown as a diff, passes it too, sees the
whole lesson side by side, and finds their progress again after a reload. Screenshots go to
test-artifacts/lesson-*.png."""
from __future__ import annotations

import pytest

from .test_browser import shot

pytestmark = pytest.mark.browser

GRADED = 120_000  # ms: a step's seeds run as fast as possible on the lab's two workers


def open_page(browser: object, url: str) -> tuple[object, list[str]]:
    page = browser.new_page(bypass_csp=True, viewport={"width": 1280, "height": 800})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url)
    return page, errors


def graded(page: object) -> str:
    page.wait_for_function("/Passed|Not passed|Not graded/.test(document.getElementById('attempt-status').textContent)",
                           timeout=GRADED)
    return page.inner_text("#attempt-status")


def test_a_new_learner_fails_step_one_reads_what_to_look_at_fixes_it_with_the_mouse_and_passes_two_steps(
        live_lab: str, browser: object) -> None:
    page, errors = open_page(browser, live_lab + "/")
    page.click("[data-testid=lab-lessons-link]")
    page.click("text=From one VM to two regions")
    page.wait_for_selector("#goals li.goal")
    assert page.inner_text("#step-title").startswith("Step 1 of")
    assert "Graded on:" in page.inner_text("#step-scenario")
    shot(page, "lesson-1-opened")

    # As it starts, the step fails, and each failed goal says what was measured and where to look.
    page.click("#submit-attempt")
    assert graded(page).startswith("Not passed yet")
    failing = page.locator("#goals li.goal.failing")
    assert failing.count() >= 1
    assert "Look at" in failing.first.inner_text() and "ms" in failing.first.inner_text()
    assert page.locator("#hints li").count() == 1  # a failed attempt unlocked the first hint
    shot(page, "lesson-2-step1-failed")

    # The fix, with the mouse: a bigger VM for the monolith.
    page.click("#canvas [model-id='app']")
    page.select_option("#inspector select[name='instance_size']", "xlarge")
    page.click("#submit-attempt")
    assert graded(page).startswith("Passed"), page.inner_text("#goals")
    assert page.locator("#goals li.goal.failing").count() == 0
    # The canvas shows the passing run, not the failed one: the VM is no longer saturated.
    page.wait_for_function("!document.querySelector(\"#canvas [model-id='app']\").textContent.includes('100%')")
    assert page.is_visible("#debrief") and page.inner_text("#debrief").strip()
    page.wait_for_function("(document.getElementById('comparison-chart').data || []).length > 0")
    shot(page, "lesson-3-step1-passed")

    # Step 2: the solution as a diff in words, applied to the canvas, and graded.
    page.click("#step-continue")
    page.wait_for_function("document.getElementById('step-title').textContent.startsWith('Step 2 of')")
    page.click("#solution-show")
    page.wait_for_selector("#solution-words li")
    assert any(w.startswith(("Add ", "Change ", "Connect ")) for w in page.locator("#solution-words li").all_inner_texts())
    page.click("#solution-apply")
    page.click("#submit-attempt")
    assert graded(page).startswith("Passed"), page.inner_text("#goals")
    shot(page, "lesson-4-step2-passed")

    page.click("#overview-toggle")
    rows = page.locator("#overview-table tbody tr")
    assert rows.nth(0).inner_text().count("✓") == 1 and rows.nth(1).inner_text().count("✓") == 1
    page.wait_for_function("(document.getElementById('overview-chart').data || []).length > 0")
    shot(page, "lesson-5-overview")

    # Leave and come back: the visitor's progress is in this browser.
    page.goto(live_lab + "/lessons/")
    assert "2 of" in page.inner_text("[data-lesson=startup-growth] .progress")
    page.click("[data-lesson=startup-growth] .progress a")
    page.wait_for_selector("#goals li.goal")
    assert page.inner_text("#step-title").startswith("Step 2 of")
    assert errors == []


@pytest.mark.parametrize("width,height", [(1280, 800), (1024, 768)])
def test_a_lesson_fits_a_laptop_and_a_tablet_with_the_canvas_the_largest_part(
        live_lab: str, browser: object, width: int, height: int) -> None:
    page = browser.new_page(bypass_csp=True, viewport={"width": width, "height": height})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(live_lab + "/lessons/startup-growth/steps/zones/")
    page.wait_for_selector("#goals li.goal")
    page.wait_for_selector("#canvas .joint-element")
    assert page.inner_text("#step-title").startswith("Step 4 of")
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    area = "(el) => { const r = el.getBoundingClientRect(); return r.width * r.height; }"
    assert page.eval_on_selector("#canvas", area) > page.eval_on_selector("#panel-lesson", area)
    # The step's palette offers only its kinds, and a group with none of them has no heading.
    visible = page.locator("#palette .palette-item:visible").all_inner_texts()
    assert visible and len(visible) < page.locator("#palette .palette-item").count()
    shot(page, f"lesson-{width}x{height}")
    assert errors == []
