"""Every lesson proves that it teaches, in CI: each step's start design fails its goals, its
reference passes, each of its tempting hollow designs fails and each alternative right design
passes, on the step's own scenario and seeds. A lesson that stops teaching after an engine change
fails here. The authors' command (`python -m lab.lessons check <folder>`) runs the same proof."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from lab.lessons.grading import prove_lesson
from lab.lessons.loader import load_all

from .fixtures import write_lesson

ROOT = Path(__file__).resolve().parents[2]
CONTENT = ROOT / "lab" / "lessons" / "content"
INDEX = load_all(CONTENT)


def test_every_shipped_lesson_loads() -> None:
    assert not INDEX.broken, "\n".join(f"{b.id}: {p['path']}: {p['message']}" for b in INDEX.broken for p in b.problems)
    assert INDEX.lessons, "no lesson in lab/lessons/content"


@pytest.mark.parametrize("lesson", INDEX.lessons, ids=lambda lesson: lesson.id)
def test_every_step_of_the_lesson_teaches(lesson: object) -> None:
    report = prove_lesson(lesson)
    assert report.teaches, report.text()


@pytest.mark.parametrize("lesson", INDEX.lessons, ids=lambda lesson: lesson.id)
def test_every_step_has_a_hollow_design_and_a_hint(lesson: object) -> None:
    for step in lesson.steps:
        assert step.hollow, f"step {step.id} has no tempting wrong design to prove it teaches"
        assert step.hints and all(h.text.strip() for h in step.hints), f"step {step.id} has no hint"


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "lab.lessons", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)


# The command on the tests' small lesson (the shipped ones are proved in-process above).

def test_the_authors_command_says_a_lesson_teaches(tmp_path: Path) -> None:
    done = run_cli("check", str(write_lesson(tmp_path)))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "fails, as it should" in done.stdout and "passes, as it should" in done.stdout


def test_the_authors_command_grades_one_design_and_says_what_failed(tmp_path: Path) -> None:
    folder = write_lesson(tmp_path)
    failing = run_cli("grade", str(folder), "add-instances", str(folder / "designs" / "hollow-faster-db.json"))
    assert failing.returncode == 1, failing.stdout + failing.stderr
    assert "FAIL p95" in failing.stdout and "the goal is at most 100 ms" in failing.stdout
    passing = run_cli("grade", str(folder), "add-instances", str(folder / "designs" / "reference.json"))
    assert passing.returncode == 0 and "Step add-instances: passed" in passing.stdout


def test_the_authors_command_lists_a_broken_lessons_problems_and_exits_2(tmp_path: Path) -> None:
    folder = write_lesson(tmp_path, {"designs/reference.json": '{"format": "archlab.topology", "version": 1, "nodes": 3}'})
    broken = run_cli("check", str(folder))
    assert broken.returncode == 2
    assert "does not load" in broken.stdout and "designs/reference.json" in broken.stdout


def test_a_design_that_is_not_strict_json_is_refused_by_the_grade_command(tmp_path: Path) -> None:
    folder = write_lesson(tmp_path)
    (tmp_path / "nan.json").write_text('{"format": "archlab.topology", "version": 1, "x": NaN}')
    done = run_cli("grade", str(folder), "add-instances", str(tmp_path / "nan.json"))
    assert done.returncode == 2 and "NaN is not a number JSON allows" in done.stdout
