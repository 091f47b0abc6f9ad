"""A visitor's lesson progress, kept in the browser (static/js/lesson-progress.js), saved to the
account they sign up for, in Debian's Chromium against a live Daphne: the profile page offers it
as it offers an unsaved draft, saves it, says how many attempts it saved, and forgets them here."""
from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from .test_browser_designs import VIEWPORT, shot, sign_up, watch

pytestmark = pytest.mark.browser
LESSON = "startup-growth"

# As a visitor, in the page: submit the first step as it starts, through the API as the lesson page
# does, record it with lesson-progress.js, wait for the grade and record that too.
TAKE_STEP = """async (lesson) => {
  const { getJSON, postJSON } = await import("/static/js/api.js");
  const progress = await import("/static/js/lesson-progress.js");
  const detail = await getJSON(`/api/v1/lessons/${lesson}`);
  const step = detail.steps[0];
  const sent = await postJSON(`/api/v1/lessons/${lesson}/steps/${step.id}/attempts`, { topology: step.start });
  if (!sent.ok) return { status: sent.status, body: sent.body };
  progress.recordAttempt(lesson, step.id, sent.body.id, step.start);
  progress.setCurrent(lesson, step.id);
  for (let i = 0; i < 240; i += 1) {
    const attempt = await getJSON(sent.body.url);
    if (attempt.status === "graded") {
      progress.recordGrade(lesson, step.id, attempt.id, attempt.grade, attempt.topology);
      return { status: sent.status, attempt, step: step.id, live: attempt.live };
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return { status: "not graded in 2 minutes" };
}"""


def test_a_visitors_lesson_progress_is_offered_saved_to_their_new_account_and_forgotten_here(
        live_lab: str, browser: Any) -> None:
    context = browser.new_context(bypass_csp=True, viewport=VIEWPORT)
    page = context.new_page()
    problems = watch(page)
    page.goto(live_lab + "/")  # any page of the site: it sets the CSRF cookie
    taken = page.evaluate(TAKE_STEP, LESSON)
    assert taken["status"] == 202, taken
    attempt = taken["attempt"]
    assert attempt["passed"] is False  # the step fails as it starts
    assert attempt["grade"]["comparison"]["start"]["p95_ms"] == attempt["grade"]["comparison"]["design"]["p95_ms"]
    kept = page.evaluate("() => JSON.parse(localStorage.getItem('archlab.lessons'))")
    step = kept[LESSON]["steps"][taken["step"]]
    assert step["attempts"] == [attempt["id"]] and step["passed"] is False
    assert step["best"]["comparison"] == attempt["grade"]["comparison"]

    sign_up(page, live_lab, "carol")
    offer = page.locator("#lessons-offer")
    expect(offer).to_be_visible()
    expect(offer).to_contain_text("Your lesson progress from before you signed up is kept in this browser: "
                                  "save it to your account")
    shot(page, "lesson-claim-1-offered")
    page.click("#lessons-save")
    expect(page.locator("#lessons-status")).to_have_text("Saved 1 lesson attempt to your account.")
    expect(page.locator("#lessons-save")).to_be_hidden()
    shot(page, "lesson-claim-2-saved")

    ids = page.evaluate("async () => (await import('/static/js/lesson-progress.js')).allAttemptIds()")
    assert ids == []
    lessons = page.evaluate("async () => (await fetch('/api/v1/lessons?page_size=100')).json()")
    mine = next(item for item in lessons["results"] if item["id"] == LESSON)
    assert mine["progress"]["attempts"] == 1 and mine["progress"]["current_step"] == taken["step"]
    assert mine["progress"]["best"][taken["step"]]["attempt"] == attempt["id"]
    detail = page.evaluate(f"async () => (await fetch('/api/v1/lessons/{LESSON}')).json()")
    assert len(detail["steps"][0]["hints"]["unlocked"]) == 1  # the failed attempt's hint came along

    page.reload()
    expect(page.locator("#lessons-offer")).to_be_hidden()
    assert problems == []
    context.close()
