"""The challenge builder in Debian's Chromium against a live lab (CSP enforced): a teacher pastes
a start and a reference design, checks the form and sees the problem beside its field, runs the
reference, ticks a captured goal and saves; the assignment form's address names the challenge."""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from .test_browser_classroom import manage
from .test_browser_designs import sign_up, watch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from lessons.fixtures import design  # noqa: E402

pytestmark = pytest.mark.browser


def test_a_teacher_builds_a_challenge_captures_a_goal_and_saves_it(live_lab_db: tuple[str, Path],
                                                                   browser: Any) -> None:
    base, db = live_lab_db
    page = browser.new_context(viewport={"width": 1280, "height": 1000}).new_page()
    problems = watch(page)
    sign_up(page, base, "builder")
    manage(db, "grant_teacher", "builder")
    page.goto(base + "/challenges/new")
    page.fill("#c-title", "Lunch <img src=x onerror=alert(1)>")
    page.fill("#c-start-json", json.dumps(design(1)))
    page.fill("#c-ref-json", json.dumps(design(3)))
    page.fill("#c-duration", "20")
    page.fill("#c-seeds", "1")
    page.fill("#c-rate", "150")
    page.fill("#c-goals tbody tr input[name=value]", "100")
    page.click("#c-check")
    page.wait_for_selector(".field-problems[data-path='$.narrative']")
    assert page.get_attribute("#c-narrative", "aria-invalid") == "true"
    page.fill("#c-narrative", "# Lunch\n\nMake it fast.")
    page.click("#c-run-reference")
    page.wait_for_selector("#c-suggestions input[type=checkbox]", timeout=120_000)
    suggestion = page.locator("#c-suggestions li", has_text="P95 latency at most")
    assert "measured" in suggestion.inner_text()
    suggestion.locator("input").check()
    page.click("#c-add-suggestions")
    assert page.locator("#c-goals tbody tr").count() == 2
    with page.expect_navigation():
        page.click("#c-save")
    assert re.search(r"/classes/\?lesson=t-[a-z0-9]{16}&step=challenge", page.url), page.url
    page.goto(base + "/challenges/")
    assert "Lunch <img src=x onerror=alert(1)>" in page.inner_text("[data-testid=authored]")
    assert problems == []
