"""Loading a lesson folder: every problem at once, with its path and a sentence a teacher
understands; a lesson index in which a broken lesson is listed, never fatal.

Paths name the file, then where in it: "lesson.toml: steps[2].goals[0].metric" (lists counted
from 0, as in the topology's JSON paths), "designs/x.json: $.nodes[3].kind",
"steps/one-vm.md: line 12". Every topology goes through lab.sim's own validator, so a lesson
design is valid exactly when the lab would run it.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lab.sim.problems import Problem, problem

from .folder import Folder, Problems, at
from .format import FORMAT, LESSON_FIELDS, LESSON_FILE, LIMITS, MAX_NUMBER, VERSION, InvalidLesson, Lesson, huge_numbers
from .step_checks import check_steps

# Ids that would collide with the lessons API's own routes (lab/api/urls.py).
RESERVED_IDS = frozenset({"progress", "authored"})
# Teachers' own lessons and challenges are named "t-<16 characters>" (lab/lessons/authored.py);
# a lesson folder may not take an id of that shape, so the two can never collide.
AUTHORED_PREFIX = "t-"

__all__ = ["AUTHORED_PREFIX", "BrokenLesson", "LessonIndex", "check_lesson", "load_all", "load_lesson"]


def _read_toml(folder: Folder) -> dict[str, Any] | None:
    path = folder.root / LESSON_FILE
    if not path.is_file():
        folder.problems.add(LESSON_FILE, f"the folder has no {LESSON_FILE}; every lesson folder needs one")
        return None
    text = folder.text(LESSON_FILE, LIMITS["lesson_toml_bytes"])
    if text is None:
        return None
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # The message carries the place, e.g. "Expected '=' after a key (at line 3, column 7)".
        folder.problems.add(LESSON_FILE, f"{LESSON_FILE} is not valid TOML: {exc}")
        return None
    huge = huge_numbers(doc)
    for where in huge:
        folder.problems.add(at(where), f"the number is too large; numbers in a lesson are at most {MAX_NUMBER:g}")
    return None if huge else doc


def _check_header(doc: dict[str, Any], folder: Folder) -> None:
    p = folder.problems
    p.table(doc, LESSON_FIELDS, "", "the lesson")
    if "format" in doc and doc["format"] != FORMAT:
        p.add(at("format"), f"format must be {FORMAT!r}, not {doc['format']!r}")
    if "version" in doc and doc["version"] != VERSION:
        p.add(at("version"), f"this lab reads version {VERSION} of the lesson format, not {doc['version']!r}")
    lesson_id = doc.get("id")
    if isinstance(lesson_id, str) and lesson_id != folder.root.name:
        p.add(at("id"), f"the id {lesson_id!r} must be the folder's name, {folder.root.name!r}")
    if lesson_id in RESERVED_IDS:
        p.add(at("id"), f"{lesson_id!r} is a name the lab's addresses use (/api/v1/lessons/{lesson_id}); choose another id")
    if isinstance(lesson_id, str) and lesson_id.startswith(AUTHORED_PREFIX):
        p.add(at("id"), f"ids starting with {AUTHORED_PREFIX!r} name teachers' uploaded lessons and challenges; "
                        "choose another id")
    minutes = doc.get("minutes")
    if isinstance(minutes, int) and not 1 <= minutes <= LIMITS["minutes"]:
        p.add(at("minutes"), f"minutes must be from 1 to {LIMITS['minutes']}, not {minutes}")
    teaches = doc.get("teaches")
    if isinstance(teaches, list) and not 1 <= len(teaches) <= LIMITS["teaches"]:
        p.add(at("teaches"), f"teaches lists 1 to {LIMITS['teaches']} things, not {len(teaches)}")
    steps = doc.get("steps")
    if isinstance(steps, list) and not 1 <= len(steps) <= LIMITS["steps"]:
        p.add(at("steps"), f"a lesson has 1 to {LIMITS['steps']} steps, not {len(steps)}")


def _lesson(folder: Path) -> tuple[Lesson | None, list[Problem]]:
    problems = Problems()
    files = Folder(folder, problems)
    if not folder.is_dir():
        problems.add(str(folder), "there is no such lesson folder")
        return None, problems.items
    doc = _read_toml(files)
    if doc is None:
        return None, problems.items
    _check_header(doc, files)
    raw_steps = doc.get("steps")
    steps = check_steps(raw_steps[: LIMITS["steps"]] if isinstance(raw_steps, list) else [], files)
    for unused in sorted(p.relative_to(folder).as_posix() for p in (folder / "designs").glob("*.json")):
        if unused not in files.used:
            problems.add(unused, "no step uses this design", severity="warning")
    if any(p["severity"] == "error" for p in problems.items) or steps is None:
        return None, problems.items
    lesson = Lesson(
        id=doc["id"], title=doc["title"], summary=doc["summary"], minutes=doc["minutes"],
        teaches=tuple(doc["teaches"]), order=doc.get("order", 0), steps=steps, folder=folder,
        designs={k: v for k, v in files.designs.items() if v is not None},
        warnings=tuple(problems.items),
    )
    return lesson, problems.items


def check_lesson(folder: Path) -> list[Problem]:
    """Every problem (errors and warnings) of the lesson in `folder`, never raising for a bad lesson."""
    return _lesson(Path(folder))[1]


def load_lesson(folder: Path) -> Lesson:
    """The lesson in `folder`, or `InvalidLesson` carrying every problem found."""
    lesson, problems = _lesson(Path(folder))
    if lesson is None:
        raise InvalidLesson(problems)
    return lesson


@dataclass(frozen=True)
class BrokenLesson:
    """A lesson folder that does not load: shown to its author with its problems, hidden from learners."""

    id: str
    folder: Path
    problems: tuple[Problem, ...]


@dataclass(frozen=True)
class LessonIndex:
    lessons: tuple[Lesson, ...]     # in index order: `order`, then id
    broken: tuple[BrokenLesson, ...]

    def get(self, lesson_id: str) -> Lesson | None:
        return next((lesson for lesson in self.lessons if lesson.id == lesson_id), None)


def load_all(root: Path) -> LessonIndex:
    """Every lesson folder under `root` (folders whose name starts with '.' or '_' are skipped)."""
    good: list[Lesson] = []
    broken: list[BrokenLesson] = []
    root = Path(root)
    folders = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))) if root.is_dir() else []
    for folder in folders:
        try:
            good.append(load_lesson(folder))
        except InvalidLesson as exc:
            broken.append(BrokenLesson(folder.name, folder, tuple(exc.problems)))
        except Exception as exc:  # noqa: BLE001 - one lesson's surprise must not take the index down with it
            broken.append(BrokenLesson(folder.name, folder, (
                problem(LESSON_FILE, f"the lesson could not be loaded ({type(exc).__name__}: {exc})"),)))
    good.sort(key=lambda lesson: (lesson.order, lesson.id))
    return LessonIndex(tuple(good), tuple(broken))
