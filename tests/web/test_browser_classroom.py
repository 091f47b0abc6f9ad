"""A class in Debian's Chromium against a live Daphne, with three people in three browsers: a
teacher (granted with `manage.py grant_teacher` on the live lab's database) creates a class and
an assignment of the case study's first step with a hidden seed; two students sign up and join
with the code, open the assignment in the lab; one submits the step as it starts (and fails),
the other gives the VM an xlarge instance on the canvas's inspector (and passes); the teacher
reads both rows with their totals, sorts them by total and downloads the CSV, whose rows say
the same. Screenshots go to test-artifacts/classroom-*.png."""
from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from livelab import ROOT

from .test_browser_designs import sign_up, watch

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
VIEWPORT = {"width": 1280, "height": 900}
GRADED = 180_000  # ms: two students' graded runs (four seeds each) on the lab's two workers


def manage(db: Path, *args: str) -> None:
    env = {**os.environ, "ARCHLAB_SQLITE": str(db), "DJANGO_SETTINGS_MODULE": "lab.settings"}
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True)


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"classroom-{name}.png"), full_page=True)


def graded(page: Any) -> str:
    page.wait_for_function("/Passed|Not passed|Not graded/.test(document.getElementById('attempt-status').textContent)"
                           " && /Score:/.test(document.getElementById('attempt-status').textContent)", timeout=GRADED)
    return page.inner_text("#attempt-status")


def score(status: str) -> tuple[float, float]:
    found = re.search(r"Score: ([\d.]+) of ([\d.]+)", status)
    assert found, status
    return float(found.group(1)), float(found.group(2))


def student(browser: Any, base: str, name: str, code: str) -> tuple[Any, list[str]]:
    """A student who signs up, joins with the code and opens the assignment in the lab."""
    context = browser.new_context(bypass_csp=True, viewport=VIEWPORT)
    page = context.new_page()
    problems = watch(page)
    sign_up(page, base, name)
    page.click("[data-testid=nav-classes]")
    page.fill("#join-code", code.lower())  # as read off a projector: case does not matter
    page.click("#join-class button[type=submit]")
    page.wait_for_selector("h1#class-name")
    page.click("a.open-assignment")
    assert "seeds or faults you see only once you have submitted" in page.inner_text("[data-testid=assignment]")
    page.click("#work-in-lab")
    page.wait_for_selector("#goals li.goal")
    page.wait_for_selector("#canvas [model-id='app']")
    assert "Launch on one VM" in page.inner_text("#step-title")
    assert page.is_hidden("#step-pick") and "more seeds or faults" in page.inner_text("#step-scenario")
    return page, problems


def test_a_teacher_sets_the_case_study_two_students_submit_and_the_results_and_csv_agree(
        live_lab_db: tuple[str, Path], browser: Any) -> None:
    base, db = live_lab_db
    teacher = browser.new_context(bypass_csp=True, viewport=VIEWPORT, accept_downloads=True).new_page()
    teacher_problems = watch(teacher)
    sign_up(teacher, base, "teacher")
    manage(db, "grant_teacher", "teacher")

    teacher.click("[data-testid=nav-classes]")
    teacher.fill("#class-name", "Systems 101")
    teacher.click("#create-class button[type=submit]")
    teacher.wait_for_selector("#join-code")
    code = teacher.input_value("#join-code")
    assert re.fullmatch(r"[A-Z0-9]{8}", code) and teacher.input_value("#join-url").endswith(f"/classes/join/{code}")

    teacher.fill("#a-title", "Launch day")
    teacher.select_option("#a-step", "startup-growth/one-vm")
    teacher.fill("#a-seeds", "41")
    teacher.fill("#a-points input[name='points.p95']", "3")  # the form shows the chosen step's goals
    # An element's screenshot: a full-page one here leaves the next click on the button without effect.
    teacher.locator("[data-testid=new-assignment]").screenshot(path=str(ARTIFACTS / "classroom-1-assignment-form.png"))
    with teacher.expect_navigation():
        teacher.click("#a-create")
    assert "Assignment 'Launch day' set." in teacher.inner_text(".messages"), teacher.inner_text("main")
    assert "Launch day" in teacher.inner_text("[data-testid=assignments]")
    results_url = teacher.get_attribute("a.results-link", "href")
    shot(teacher, "2-class")

    fails, fails_problems = student(browser, base, "ada", code)
    passes, passes_problems = student(browser, base, "bo", code)
    shot(passes, "3-assignment-in-the-lab")

    # Ada submits the step as it starts: one saturated VM.
    fails.click("#submit-attempt")
    # Bo gives the VM a bigger instance with the mouse, and submits.
    passes.click("#canvas [model-id='app']")
    passes.select_option("#inspector select[name='instance_size']", "xlarge")
    passes.click("#submit-attempt")

    failed = graded(fails)
    assert failed.startswith("Not passed"), fails.inner_text("#goals")
    ada_score, most = score(failed)
    assert most == 4 and ada_score < most  # p95 3 points, errors 1
    assert "41" in fails.inner_text("#guesses")  # the hidden seed, revealed once submitted
    shot(fails, "4-failed")
    passed = graded(passes)
    assert passed.startswith("Passed"), passes.inner_text("#goals")
    assert score(passed) == (4, 4)
    shot(passes, "5-passed")

    # Their submissions with their feedback, on the assignment's page.
    passes.click("#assignment-link")
    assert "4 / 4" in passes.inner_text("[data-testid=submissions]")

    teacher.goto(base + results_url)
    rows = teacher.locator("#results-table tbody tr")
    assert rows.count() == 2
    totals = {rows.nth(i).locator("td.name").inner_text(): rows.nth(i).locator("td.total").inner_text()
              for i in range(2)}
    assert totals == {"ada": f"{ada_score:g}", "bo": "4"}
    teacher.click("#sort-total")
    assert rows.nth(0).locator("td.name").inner_text() == "bo"
    teacher.click("#sort-total")
    assert rows.nth(0).locator("td.name").inner_text() == "ada"
    teacher.wait_for_function("(document.querySelector('#distribution .chart').data || []).length > 0")
    shot(teacher, "6-results")

    with teacher.expect_download() as download:
        teacher.click("#results-csv")
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    table = {row["username"]: row for row in csv.DictReader(io.StringIO(text))}
    assert set(table) == {"ada", "bo"}
    assert float(table["bo"]["total"]) == 4 and float(table["bo"]["p95"]) == 3 and float(table["bo"]["errors"]) == 1
    assert float(table["ada"]["total"]) == ada_score and table["ada"]["attempts"] == "1"

    teacher.click("#anonymise")
    teacher.wait_for_url("**?anonymise=1")
    assert "ada" not in teacher.inner_text("#results-table") and "Student 1" in teacher.inner_text("#results-table")
    teacher.click("#results-table tbody tr:first-child a.best-link")
    teacher.wait_for_selector("#canvas [model-id='app']")
    assert "Feedback" in teacher.inner_text("[data-testid=feedback]")
    shot(teacher, "7-submission")

    assert teacher_problems == [] and fails_problems == [] and passes_problems == []
