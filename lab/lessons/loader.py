"""Loading a lesson folder: every problem at once, with its path and a sentence a teacher
understands; a lesson index in which a broken lesson is listed, never fatal.

Paths name the file, then where in it: "lesson.toml: steps[2].goals[0].metric" (lists counted
from 0, as in the topology's JSON paths), "designs/x.json: $.nodes[3].kind",
"steps/one-vm.md: line 12". Every topology goes through lab.sim's own validator, so a lesson
design is valid exactly when the lab would run it.
"""
from __future__ import annotations

import difflib
import math
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from lab.sim import check as check_topology
from lab.sim.topology import parse as parse_topology

from . import render
from .format import (FORMAT, ID_PATTERN, LESSON_FIELDS, LESSON_FILE, LIMITS, MAX_NUMBER, VERSION, Field, InvalidLesson,
                     Lesson, huge_numbers)

_ID = re.compile(ID_PATTERN)
# Ids that would collide with the lessons API's own routes (lab/api/urls.py).
RESERVED_IDS = frozenset({"progress", "authored"})
# Teachers' own lessons and challenges are named "t-<16 characters>" (lab/lessons/authored.py);
# a lesson folder may not take an id of that shape, so the two can never collide.
AUTHORED_PREFIX = "t-"
_DRIVE = re.compile(r"^[A-Za-z]:")

__all__ = ["AUTHORED_PREFIX", "BrokenLesson", "LessonIndex", "check_lesson", "load_all", "load_lesson"]


def at(path: str) -> str:
    """A path inside lesson.toml."""
    return f"{LESSON_FILE}: {path}" if path else LESSON_FILE


def suggest(word: Any, options: list[str]) -> str:
    if not isinstance(word, str):
        return ""
    close = difflib.get_close_matches(word, options, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


class Problems:
    """The problems found so far, in the engine's shape."""

    def __init__(self) -> None:
        self.items: list[dict[str, str]] = []

    def add(self, path: str, message: str, severity: str = "error") -> None:
        item = {"path": path, "message": message, "severity": severity}
        if item not in self.items:
            self.items.append(item)

    def table(self, obj: Any, fields: tuple[Field, ...], path: str, what: str) -> dict[str, Any]:
        """Check one TOML table against its declared fields: unknown keys (with a near miss),
        missing required keys, and each value's type. Returns the table ({} if it is not one)."""
        if not isinstance(obj, dict):
            self.add(at(path), f"{what} must be a table of named values")
            return {}
        names = [f.name for f in fields]
        for key in obj:
            if key not in names:
                self.add(at(f"{path}.{key}" if path else key),
                         f"{what} has no field {key!r}{suggest(key, names) or '; it accepts: ' + ', '.join(names)}")
        for f in fields:
            where = at(f"{path}.{f.name}" if path else f.name)
            if f.name not in obj:
                if f.required:
                    self.add(at(path), f"{what} needs {f.name!r}: {f.help}")
                continue
            reason = type_problem(obj[f.name], f)
            if reason:
                self.add(where, f"{f.name} {reason}")
        return obj


def type_problem(value: Any, f: Field) -> str | None:
    kind = f.type
    if kind in ("string", "path"):
        if not isinstance(value, str) or not value.strip():
            return "must be text" if not isinstance(value, str) else "must not be empty"
        if f.max_length and len(value) > f.max_length:
            return f"is {len(value)} characters long; at most {f.max_length} are allowed"
    elif kind == "id":
        if not isinstance(value, str) or not _ID.match(value):
            return f"must be 1 to 64 lowercase letters, digits and '-' (not starting or ending with '-'), not {value!r}"
    elif kind == "integer":
        if not isinstance(value, int) or isinstance(value, bool):
            return f"must be a whole number, not {value!r}"
    elif kind == "number":
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
            return f"must be a number, not {value!r}"
    elif kind in ("paths", "strings"):
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            return "must be a list of text, e.g. [\"a\", \"b\"]"
    elif kind == "table":
        if not isinstance(value, dict):
            return "must be a table, e.g. { name = value }"
    elif kind == "tables":
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            return f"must be a list of tables, written [[...{f.name}]] in TOML"
    return None


class Folder:
    """The files of one lesson folder: paths checked to stay inside it, texts and designs read once."""

    def __init__(self, root: Path, problems: Problems) -> None:
        self.root = root
        self.real = root.resolve()
        self.problems = problems
        self.designs: dict[str, dict[str, Any] | None] = {}
        self.used: set[str] = set()

    def file(self, value: Any, where: str) -> str | None:
        """The normalized relative path of an existing file inside the folder, or None (with a problem)."""
        if not isinstance(value, str) or not value.strip():
            return None  # its type problem is reported by the table check
        pure = PurePosixPath(value)
        if value.startswith(("/", "\\")) or _DRIVE.match(value) or pure.is_absolute():
            self.problems.add(where, f"{value!r} is an absolute path; name a file inside the lesson folder, e.g. designs/start.json")
            return None
        if "\\" in value:
            self.problems.add(where, f"{value!r} uses '\\'; write paths with '/', e.g. designs/start.json")
            return None
        if ".." in pure.parts:
            self.problems.add(where, f"{value!r} leads outside the lesson folder ('..'); lessons may only use their own files")
            return None
        rel = pure.as_posix()
        full = self.root / rel
        try:
            inside = full.resolve().is_relative_to(self.real)
        except OSError:
            inside = False
        if not inside:
            self.problems.add(where, f"{value!r} is a link that leads outside the lesson folder; lessons may only use their own files")
            return None
        if not full.is_file():
            nearby = [p.relative_to(self.root).as_posix() for p in self.root.rglob("*") if p.is_file()]
            self.problems.add(where, f"there is no file {rel!r} in the lesson folder{suggest(rel, nearby)}")
            return None
        self.used.add(rel)
        return rel

    def text(self, rel: str, limit: int) -> str | None:
        data = (self.root / rel).read_bytes()
        if len(data) > limit:
            self.problems.add(rel, f"the file is {len(data):,} bytes; at most {limit:,} are allowed")
            return None
        try:
            return data.decode("utf-8").removeprefix("\ufeff")
        except UnicodeDecodeError as exc:
            self.problems.add(rel, f"the file is not UTF-8 text (a bad byte at position {exc.start:,})")
            return None

    def markdown(self, value: Any, where: str) -> tuple[str | None, str | None]:
        rel = self.file(value, where)
        text = self.text(rel, LIMITS["markdown_bytes"]) if rel else None
        if rel and text is not None:
            for p in render.markdown_problems(text, folder=self.root, source=rel):
                self.problems.add(p["path"], p["message"], p["severity"])
        return rel, text

    def design(self, value: Any, where: str) -> tuple[str | None, dict[str, Any] | None]:
        """A topology file, checked by lab.sim; the document if it has no error."""
        rel = self.file(value, where)
        if rel is None:
            return None, None
        if rel not in self.designs:
            self.designs[rel] = self._read_design(rel)
        return rel, self.designs[rel]

    def _read_design(self, rel: str) -> dict[str, Any] | None:
        doc, problems = parse_topology((self.root / rel).read_bytes())
        if not problems:
            problems = check_topology(doc)
        for p in problems:
            self.problems.add(f"{rel}: {p['path']}", p["message"], p["severity"])
        return doc if not any(p["severity"] == "error" for p in problems) else None


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


def _lesson(folder: Path) -> tuple[Lesson | None, list[dict[str, str]]]:
    from .step_checks import check_steps  # the per-step half of the loader

    problems = Problems()
    files = Folder(folder, problems)
    if not folder.is_dir():
        problems.add(str(folder), "there is no such lesson folder")
        return None, problems.items
    doc = _read_toml(files)
    if doc is None:
        return None, problems.items
    _check_header(doc, files)
    raw_steps = doc.get("steps") if isinstance(doc.get("steps"), list) else []
    steps = check_steps(raw_steps[: LIMITS["steps"]], files)
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


def check_lesson(folder: Path) -> list[dict[str, str]]:
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
    problems: tuple[dict[str, str], ...]


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
                {"path": LESSON_FILE, "message": f"the lesson could not be loaded ({type(exc).__name__}: {exc})",
                 "severity": "error"},)))
    good.sort(key=lambda lesson: (lesson.order, lesson.id))
    return LessonIndex(tuple(good), tuple(broken))
