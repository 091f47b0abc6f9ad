"""A live class session in Debian's Chromium with three browsers: the teacher shows a run to the
class, both students see it come alive on their own screens and cannot control it, the teacher
asks a question, both answer, the teacher sees how many answered and reveals the distribution
beside the measured value, then crashes a node and both students' charts show the failures.
Screenshots go to test-artifacts/live-*.png."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


from .test_browser import POINTS, shot

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]

# Inside the lab's database: a teacher, a class of two, a session showing the reference example,
# and a signed-in browser session for each of the three.
SETUP = """
import json
from pathlib import Path
from django.contrib.auth.models import User
from livelab import signed_in_session as session_of
from lab.classroom.models import Classroom, Membership
from lab.classroom.services import grant_teacher
from lab.live.services import session_start

teacher = User.objects.create_user("live-teacher")
grant_teacher(user=teacher)
room = Classroom.objects.create(name="Systems <b>101</b>", teacher=teacher, join_code="LIVE2345")
ann, ben = User.objects.create_user("ann"), User.objects.create_user("ben")
for s in (ann, ben):
    Membership.objects.create(classroom=room, student=s)
design = json.loads(Path("lab/sim/examples/reference.json").read_text())
live = session_start(classroom=room, by=teacher, title="When a server dies", topology=design)
print(json.dumps({"session": str(live.id), "teacher": session_of(teacher), "ann": session_of(ann), "ben": session_of(ben)}))
"""


def setup_class(db: Path) -> dict[str, str]:
    # The shell imports the test harness (tests/livelab.py), so tests/ goes on its path.
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "lab.settings", "ARCHLAB_SQLITE": str(db),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "tests"), os.environ.get("PYTHONPATH")]))}
    out = subprocess.run([sys.executable, "manage.py", "shell", "-c", SETUP], cwd=ROOT, env=env, check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def page_of(browser: object, live_lab: str, session_key: str, path: str) -> tuple[object, list[str]]:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, bypass_csp=True)
    context.add_cookies([{"name": "sessionid", "value": session_key, "url": live_lab}])
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(live_lab + path)
    return page, errors


def test_a_teacher_shows_a_run_asks_reveals_and_crashes_a_node_on_both_students_screens(
        live_lab_db: tuple[str, Path], browser: object) -> None:
    live_lab, db = live_lab_db
    people = setup_class(db)
    path = f"/live/{people['session']}/"
    teacher, teacher_errors = page_of(browser, live_lab, people["teacher"], path)
    ann, ann_errors = page_of(browser, live_lab, people["ann"], path)
    ben, ben_errors = page_of(browser, live_lab, people["ben"], path)
    assert "Systems <b>101</b>" in teacher.inner_text("#design-bar")  # a hostile name shows as text
    assert not ann.is_visible("#run") and not ann.is_visible("#live-run")  # students do not control

    teacher.fill("#duration", "1200")  # still running at the last question
    teacher.select_option("#speed", "10")
    teacher.click("#live-run")
    for page in (teacher, ann, ben):
        page.wait_for_function(f"{POINTS} >= 3", timeout=30_000)
    shot(ann, "live-1-student-watching")

    teacher.fill("#question-text", "How many errors a second once app1 crashes?")
    teacher.fill("#question-unit", "errors/s")
    teacher.click("#question-form button[type=submit]")
    teacher.click("#live-questions li .primary")  # Ask the class
    for page, value in ((ann, "40"), (ben, "90")):
        page.wait_for_selector("#live-questions li.open form")
        page.fill("#live-questions li.open input[type=number]", value)
        page.click("#live-questions li.open button[type=submit]")
        page.wait_for_selector("#live-questions li .mine")
    teacher.wait_for_function("document.querySelector('#live-questions li').textContent.includes('2 answered')")
    for page in (ann, ben):  # the answers went over the session's websocket, not over HTTP
        assert page.evaluate("performance.getEntriesByType('resource').filter(e => e.name.includes('/answers')).length") == 0
    assert "40" not in teacher.inner_text("#live-questions") and "90" not in teacher.inner_text("#live-questions")
    shot(teacher, "live-2-teacher-counts")

    # The crash, from the teacher's canvas: every screen shows its failures.
    teacher.click("#canvas [model-id='app1']")
    teacher.click("#inject-fault")
    for page in (teacher, ann, ben):
        page.wait_for_function(
            "(document.getElementById('chart-errors').data.find(t => t.name === 'fault') || {y: []}).y.some(v => v > 0)",
            timeout=30_000)
    teacher.fill("#live-questions li input[type=number]", "63")
    teacher.click("#live-questions li button:has-text('Reveal')")
    for page in (ann, ben):
        page.wait_for_selector("#live-questions li.revealed .measured")
        text = page.inner_text("#live-questions li.revealed")
        assert "Measured: 63" in text and "2 answers, median 65" in text
    shot(ben, "live-3-student-revealed")

    # A question the lab measures itself: left empty at the reveal, the run's p99 is shown.
    teacher.fill("#question-text", "p99 with app1 down?")
    teacher.fill("#question-unit", "")
    teacher.select_option("#question-measure", "latency_p99_ms")
    teacher.click("#question-form button[type=submit]")
    teacher.wait_for_selector("#live-questions li:nth-child(2) .primary")
    teacher.click("#live-questions li:nth-child(2) .primary")
    ann.wait_for_selector("#live-questions li:nth-child(2).open form")
    ann.fill("#live-questions li:nth-child(2).open input[type=number]", "250")
    ann.click("#live-questions li:nth-child(2).open button[type=submit]")
    ann.wait_for_selector("#live-questions li:nth-child(2) .mine")
    teacher.wait_for_function("document.querySelector('#live-questions li:nth-child(2)').textContent.includes('1 answered')")
    teacher.wait_for_timeout(1500)  # a window or two of the run closes after the question was asked
    teacher.click("#live-questions li:nth-child(2) button:has-text('Reveal')")
    for page in (ann, ben):
        page.wait_for_selector("#live-questions li:nth-child(2).revealed .measured-note")
        text = page.inner_text("#live-questions li:nth-child(2).revealed")
        assert "Measured: " in text and " ms" in text and "p99 latency, measured by the lab over t = " in text
    assert teacher_errors == [] and ann_errors == [] and ben_errors == []
