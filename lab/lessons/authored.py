"""Teachers' own lessons as files: a zip upload read safely into a lesson folder's files, those
files checked by the lesson loader (every problem of the lesson, in the loader's shape), and an
authored lesson's stored files materialised into a per-process cache directory and loaded under
its key. Framework-free: the database row (models.AuthoredLesson) and who may read it are the
callers' business; a challenge document becomes files in challenge.py.

An upload is hostile until shown otherwise. Refused, each with a sentence naming the file: a
name leading out of the folder ("..", an absolute path, a drive letter, "\\"), a link, an
encrypted file, a name that is not UTF-8, duplicate names, more than MAX_FILES files, more than
MAX_UNCOMPRESSED_BYTES once unpacked (counted while unpacking, not believed from the zip's
header), a file compressed more than MAX_RATIO times (a zip bomb), and a zip larger than
MAX_ZIP_BYTES. The files are either at the zip's root or in one top folder (its name does not
matter: the lesson is named by its key).
"""
from __future__ import annotations

import atexit
import dataclasses
import io
import os
import re
import shutil
import stat
import tempfile
import threading
import tomllib
import uuid
import zipfile
from collections import OrderedDict
from pathlib import Path, PurePosixPath

from lab.sim.problems import Problem, problem

from .format import ID_PATTERN, LESSON_FILE, InvalidLesson, Lesson
from .loader import AUTHORED_PREFIX, load_lesson

Files = dict[str, bytes]

MAX_ZIP_BYTES = 5 * 1024 * 1024
MAX_FILES = 200
MAX_UNCOMPRESSED_BYTES = 20 * 1024 * 1024
# Lesson files (TOML, Markdown, JSON, pictures) compress 2 to 20 times; a bomb, thousands.
MAX_RATIO = 100
RATIO_FLOOR_BYTES = 64 * 1024  # smaller files are not worth the suspicion
KEY_PATTERN = re.compile(r"^t-[a-z0-9]{16}$")
ZIP = "the zip"

ID_RE = re.compile(ID_PATTERN)
_DRIVE = re.compile(r"^[A-Za-z]:")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def new_key() -> str:
    """A fresh authored lesson key: the reserved prefix and 16 random lowercase hex characters."""
    return AUTHORED_PREFIX + uuid.uuid4().hex[:16]


def is_authored_id(lesson_id: str) -> bool:
    return isinstance(lesson_id, str) and lesson_id.startswith(AUTHORED_PREFIX)


# -- a zip upload -------------------------------------------------------------------------------

def _name(info: zipfile.ZipInfo) -> tuple[str | None, str | None]:
    """The member's name as UTF-8 text, or why not. zipfile decodes names without the UTF-8
    flag as cp437; most tools write UTF-8 without setting it, so such a name is read again as
    UTF-8, and refused if it is not."""
    if info.flag_bits & 0x800:
        return info.filename, None
    try:
        raw = info.filename.encode("cp437")
    except UnicodeEncodeError:
        return info.filename, None
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError:
        return None, f"the name {raw!r} is not UTF-8 text; name files with UTF-8 (any zip tool does by default)"


MAX_NAME_BYTES = 255
MAX_PATH_BYTES = 1000


def _name_problem(name: str) -> str | None:
    if name.startswith(("/", "\\")) or _DRIVE.match(name):
        return "is an absolute path; a lesson zip holds the lesson folder's own files, named relative to it"
    if "\\" in name:
        return "uses '\\'; file names in a zip are written with '/'"
    if _CONTROL.search(name):
        return "has a control character in its name"
    parts = PurePosixPath(name).parts
    if ".." in parts:
        return "leads outside the lesson folder ('..'); a lesson may only hold its own files"
    if "//" in name.rstrip("/"):
        return "has an empty folder name ('//')"
    # What every file system takes: 255 bytes a name, and a path well inside PATH_MAX.
    if any(len(part.encode("utf-8")) > MAX_NAME_BYTES for part in parts):
        return f"has a file or folder name longer than {MAX_NAME_BYTES} bytes"
    if len(name.encode("utf-8")) > MAX_PATH_BYTES:
        return f"is a path longer than {MAX_PATH_BYTES} bytes"
    return None


def read_zip(data: bytes) -> tuple[Files, list[Problem]]:
    """The files of a lesson zip ({relative path: bytes}, the top folder taken off), or every
    reason it is refused (then no files)."""
    if len(data) > MAX_ZIP_BYTES:
        return {}, [problem(ZIP, f"the zip is {len(data):,} bytes; at most {MAX_ZIP_BYTES:,} are allowed")]
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except UnicodeDecodeError:
        return {}, [problem(ZIP, "a file name in the zip says it is UTF-8 but is not; name files with UTF-8 text")]
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        return {}, [problem(ZIP, f"the upload is not a zip file that can be read ({exc})")]
    with archive:
        return _members(archive)


def _members(archive: zipfile.ZipFile) -> tuple[Files, list[Problem]]:
    problems: list[Problem] = []
    infos = archive.infolist()
    if len(infos) > MAX_FILES:
        return {}, [problem(ZIP, f"the zip holds {len(infos):,} entries; a lesson has at most {MAX_FILES}")]
    declared = sum(i.file_size for i in infos)
    if declared > MAX_UNCOMPRESSED_BYTES:
        return {}, [problem(ZIP, f"the zip unpacks to {declared:,} bytes; "
                                 f"at most {MAX_UNCOMPRESSED_BYTES:,} are allowed")]
    chosen: list[tuple[str, zipfile.ZipInfo]] = []
    seen: set[str] = set()
    for info in infos:
        name, why = _name(info)
        where = f"{ZIP}: {name if name is not None else info.filename!r}"
        if why or name is None:
            problems.append(problem(where, why or "the name cannot be read"))
            continue
        why = _name_problem(name)
        mode = info.external_attr >> 16
        if why:
            problems.append(problem(where, f"{name!r} {why}"))
        elif stat.S_ISLNK(mode):
            problems.append(problem(where, f"{name!r} is a symbolic link; a lesson zip holds files only"))
        elif info.flag_bits & 0x1:
            problems.append(problem(where, f"{name!r} is encrypted; upload the lesson without a password"))
        elif info.is_dir():
            continue
        elif name.lower() in seen:
            problems.append(problem(where, f"{name!r} is in the zip twice"))
        elif (info.file_size > RATIO_FLOOR_BYTES
              and info.file_size > MAX_RATIO * max(info.compress_size, 1)):
            problems.append(problem(where, f"{name!r} is compressed {info.file_size // max(info.compress_size, 1):,} "
                                      f"times (at most {MAX_RATIO} is believable for a lesson file); this looks "
                                      "like a zip bomb"))
        else:
            seen.add(name.lower())
            chosen.append((name, info))
    # A name that is a file and also the folder of another ("x" and "x/y") cannot be unpacked.
    folders = {str(parent).lower() for name, _ in chosen for parent in PurePosixPath(name).parents if str(parent) != "."}
    for name, _ in chosen:
        if name.lower() in folders:
            problems.append(problem(f"{ZIP}: {name}",
                                    f"{name!r} is a file and also the folder of other files in the zip"))
    if problems:
        return {}, problems
    files: Files = {}
    budget = MAX_UNCOMPRESSED_BYTES
    for name, info in chosen:
        try:
            with archive.open(info) as member:
                # Read one byte more than the zip declares: a header may lie about the size.
                content = member.read(min(info.file_size, budget) + 1)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, RuntimeError) as exc:
            problems.append(problem(f"{ZIP}: {name}", f"{name!r} cannot be unpacked ({exc})"))
            continue
        if len(content) > info.file_size or len(content) > budget:
            return {}, [problem(f"{ZIP}: {name}", f"{name!r} unpacks to more than the zip says, or past "
                                             f"{MAX_UNCOMPRESSED_BYTES:,} bytes in all; this looks like a zip bomb")]
        budget -= len(content)
        files[name] = content
    if problems:
        return {}, problems
    return _strip_top(files)


def _strip_top(files: Files) -> tuple[Files, list[Problem]]:
    """Files at the zip's root, or all in one top folder: then the folder is taken off."""
    if not files:
        return {}, [problem(ZIP, f"the zip holds no file; it needs at least {LESSON_FILE}")]
    if LESSON_FILE in files:
        return files, []
    tops = {name.split("/", 1)[0] for name in files}
    if len(tops) == 1 and all("/" in name for name in files):
        top = tops.pop()
        return {name[len(top) + 1:]: data for name, data in files.items()}, []
    return {}, [problem(ZIP, f"the zip has no {LESSON_FILE}: put the lesson's files at its root, or in one folder "
                        f"with {LESSON_FILE} in it (it holds: {', '.join(sorted(tops)[:10])})")]


def to_zip(files: Files) -> bytes:
    """The files as a zip, in a stable order (what is stored: only files that were accepted)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=(2000, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, files[name])
    return out.getvalue()


# -- checking files with the lesson loader ----------------------------------------------------

def lesson_id_of(files: Files) -> str:
    """The id lesson.toml gives itself, if it is one; else a neutral folder name."""
    try:
        doc = tomllib.loads(files.get(LESSON_FILE, b"").decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError):
        return "lesson"
    found = doc.get("id")
    return found if isinstance(found, str) and ID_RE.match(found) else "lesson"


def write_files(folder: Path, files: Files) -> None:
    for name, data in files.items():
        target = folder / name
        if not target.resolve().is_relative_to(folder.resolve()):  # read_zip refused these already
            raise ValueError(f"{name!r} leads outside the folder")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def _only_lesson_problems(problems: list[Problem]) -> list[Problem]:
    # The folder's name is ours, not the teacher's: "must be the folder's name" is not their mistake.
    return [p for p in problems if "must be the folder's name" not in p["message"]]


def check_files(files: Files) -> tuple[Lesson | None, list[Problem]]:
    """Load the lesson the files make, in a temporary folder: the lesson (None if it has an
    error) and every problem the loader finds, errors and warnings, with the loader's paths."""
    with tempfile.TemporaryDirectory(prefix="archlab-check-") as tmp:
        folder = Path(tmp) / lesson_id_of(files)
        folder.mkdir()
        try:
            write_files(folder, files)
        except (OSError, ValueError) as exc:  # what the checks above missed, said rather than raised
            return None, [problem(ZIP, f"the lesson's files cannot be unpacked ({type(exc).__name__}: {exc})")]
        try:
            lesson = load_lesson(folder)
        except InvalidLesson as exc:
            return None, _only_lesson_problems(exc.problems)
        return lesson, _only_lesson_problems(list(lesson.warnings))


# -- authored lessons in this process ---------------------------------------------------------

class LessonCache:
    """Authored lessons loaded in this process, by key: each one's files written once into its
    own folder under `root` (an authored lesson never changes, so nothing is ever stale), at
    most `size` kept loaded."""

    def __init__(self, root: Path | None = None, size: int = 256) -> None:
        self._root = root
        self.size = size
        self._lessons: OrderedDict[str, Lesson] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def root(self) -> Path:
        if self._root is None:
            self._root = Path(tempfile.mkdtemp(prefix="archlab-authored-"))
            # The files are copies of rows in the database: nothing is lost when the process
            # ends, and a restarted server does not leave a folder behind per start.
            atexit.register(shutil.rmtree, self._root, ignore_errors=True)
        return self._root

    def get(self, key: str) -> Lesson | None:
        with self._lock:
            lesson = self._lessons.get(key)
            if lesson is not None:
                self._lessons.move_to_end(key)
            return lesson

    def load(self, key: str, zipped: bytes) -> Lesson:
        """The authored lesson `key` from its stored zip, loaded under its key (InvalidLesson if
        the files no longer load, e.g. after a change of the lesson format)."""
        if not KEY_PATTERN.match(key):
            raise ValueError(f"{key!r} is not an authored lesson key")
        files, problems = read_zip(zipped)
        if problems:
            raise InvalidLesson(problems)
        home = self.root / key
        folder = home / lesson_id_of(files)
        if not folder.is_dir():
            # Written beside, then renamed into place: two threads loading it at once both succeed.
            scratch = Path(tempfile.mkdtemp(prefix=f".{key}-", dir=self.root))
            write_files(scratch / folder.name, files)
            try:
                os.rename(scratch, home)
            except OSError:
                shutil.rmtree(scratch, ignore_errors=True)  # the other one won; its files are the same
        lesson = dataclasses.replace(load_lesson(folder), id=key)
        with self._lock:
            self._lessons[key] = lesson
            while len(self._lessons) > self.size:
                self._lessons.popitem(last=False)
        return lesson

    def forget(self, key: str) -> None:
        with self._lock:
            self._lessons.pop(key, None)
        if KEY_PATTERN.match(key):
            shutil.rmtree(self.root / key, ignore_errors=True)


__all__ = ["MAX_FILES", "MAX_RATIO", "MAX_UNCOMPRESSED_BYTES", "MAX_ZIP_BYTES", "LessonCache", "check_files",
           "is_authored_id", "new_key", "read_zip", "to_zip"]
