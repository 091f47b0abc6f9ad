"""A lesson folder's files and the problems found reading them, shared by the loader
(lab/lessons/loader.py: the lesson's header) and its per-step half (step_checks.py).

Paths name the file, then where in it: "lesson.toml: steps[2].goals[0].metric" (lists counted
from 0, as in the topology's JSON paths), "designs/x.json: $.nodes[3].kind".
"""
from __future__ import annotations

import difflib
import math
import re
from pathlib import Path, PurePosixPath
from typing import Any

from lab.sim import check as check_topology
from lab.sim.document.loading import parse as parse_topology
from lab.sim.problems import Problem, problem

from . import render
from .format import ID_PATTERN, LESSON_FILE, LIMITS, Field

ID_RE = re.compile(ID_PATTERN)
_DRIVE = re.compile(r"^[A-Za-z]:")


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
        self.items: list[Problem] = []

    def add(self, path: str, message: str, severity: str = "error") -> None:
        item = problem(path, message, severity)
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
        if not isinstance(value, str) or not ID_RE.match(value):
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
