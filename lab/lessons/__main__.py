"""The lesson author's command line.

    python -m lab.lessons check <folder>                      # does the lesson load, and does it teach?
    python -m lab.lessons grade <folder> <step-id> <design.json>  # grade one design on one step

Exit status: 0 the lesson teaches (or the design passes), 1 it does not (or the design fails),
2 the lesson (or the design) is broken.
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from lab.sim import LIMITS, strict_json
from lab.sim.problems import Problem, Refused

from .format import InvalidLesson, Lesson
from .grading import grade_step, prove_lesson
from .loader import load_lesson


def _show(problems: Sequence[Problem]) -> None:
    for p in problems:
        print(f"  {p['severity']}: {p['path']}: {p['message']}")


def _load(folder: str) -> Lesson | None:
    try:
        lesson = load_lesson(Path(folder))
    except InvalidLesson as exc:
        print(f"The lesson in {folder} does not load:")
        _show(exc.problems)
        return None
    _show(lesson.warnings)
    return lesson


def check(folder: str) -> int:
    lesson = _load(folder)
    if lesson is None:
        return 2
    report = prove_lesson(lesson)
    print(report.text())
    return 0 if report.teaches else 2 if report.broken else 1


def grade(folder: str, step_id: str, design_path: str) -> int:
    lesson = _load(folder)
    if lesson is None:
        return 2
    index = next((i for i, s in enumerate(lesson.steps) if s.id == step_id), None)
    if index is None:
        print(f"The lesson has no step {step_id!r}.")
        return 2
    try:
        design = strict_json.loads(Path(design_path).read_bytes(), max_bytes=int(LIMITS["document_bytes"]),
                                   what=design_path)
    except OSError as exc:
        print(f"Cannot read {design_path}: {exc.strerror}")
        return 2
    except Refused as exc:  # not strict JSON, or too large
        print(f"The design in {design_path} cannot be read:")
        _show(exc.problems)
        return 2
    result = grade_step(lesson.steps[index], design, start_topology=lesson.start_design(index))
    for p in result.problems:
        print(f"  {p['path']}: {p['message']}")
    for g in result.goals:
        print(f"{'PASS' if g.passed else 'FAIL'} {g.goal} ({g.seeds_passed} of {len(g.results)} seeds, "
              f"{g.seeds_needed} needed): {g.sentence}" + (f" {g.look_at}" if not g.passed and g.look_at else ""))
    print(f"Step {step_id}: {'passed' if result.passed else 'not passed'} in {result.elapsed_s:.2f} s")
    return 2 if result.problems else 0 if result.passed else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lab.lessons", description="Check and grade lessons.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("check", help="load a lesson and prove that every step teaches").add_argument("folder")
    g = sub.add_parser("grade", help="grade a design on one step")
    g.add_argument("folder")
    g.add_argument("step")
    g.add_argument("design")
    args = parser.parse_args(argv)
    if args.command == "check":
        return check(args.folder)
    return grade(args.folder, args.step, args.design)


if __name__ == "__main__":
    sys.exit(main())
