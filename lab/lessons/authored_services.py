"""Writes for teachers' own lessons and challenges (lab/lessons/authored.py, challenge.py): an
uploaded lesson folder and a challenge built in the browser become an AuthoredLesson, checked
whole by the lesson loader; deleting one is refused while an assignment sets it.

Every refusal is an AuthoredRefused (a lab.sim.problems.Refused) with every problem (the
loader's paths for an upload, the document's for a challenge) and its HTTP status.
"""
from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction

from lab.accounts.roles import is_teacher
from lab.sim.problems import Problem, Refused

from . import authored, challenge
from . import selectors
from .access import assignments_using
from .models import AuthoredLesson

MAX_AUTHORED = 200  # per teacher: each keeps a zip of at most authored.MAX_ZIP_BYTES


class AuthoredRefused(Refused):
    """lab.sim.problems.Refused, as a class of its own so the challenge pages can show what was
    refused beside the form (the API answers any Refused itself)."""


def _check_author(owner: Any) -> None:
    if not is_teacher(owner):
        raise AuthoredRefused("only teachers add lessons and challenges; an administrator makes you one "
                              "(python manage.py grant_teacher <username>)", status=403)
    if AuthoredLesson.objects.filter(owner=owner).count() >= MAX_AUTHORED:
        raise AuthoredRefused(f"a teacher keeps at most {MAX_AUTHORED} lessons and challenges; delete old ones first",
                              status=409)


def _errors(problems: list[Problem]) -> bool:
    return any(p.get("severity", "error") == "error" for p in problems)


def _save(*, owner: Any, title: str, source: str, files: authored.Files,
          document: dict[str, Any] | None) -> AuthoredLesson:
    zipped = authored.to_zip(files)
    if len(zipped) > authored.MAX_ZIP_BYTES:
        raise AuthoredRefused(f"the lesson's files are {len(zipped):,} bytes zipped; at most "
                              f"{authored.MAX_ZIP_BYTES:,} "
                              "are kept", status=413)
    for _ in range(5):  # 16**16 keys: a clash is rare, five in a row is a broken generator
        try:
            with transaction.atomic():
                return AuthoredLesson.objects.create(key=authored.new_key(), owner=owner, title=title[:200],
                                                     source=source, files=zipped, document=document)
        except IntegrityError:
            continue
    raise AuthoredRefused("no free key could be made; try again", status=409)


def authored_upload(*, owner: Any, data: bytes) -> tuple[AuthoredLesson, list[Problem]]:
    """A lesson folder uploaded as a zip: saved if it loads (its warnings returned beside it),
    else refused with every problem of the zip or of the lesson."""
    _check_author(owner)
    files, problems = authored.read_zip(data)
    if problems:
        raise AuthoredRefused(problems)
    lesson, problems = authored.check_files(files)
    if lesson is None or _errors(problems):
        raise AuthoredRefused(problems)
    return _save(owner=owner, title=lesson.title, source=AuthoredLesson.Source.UPLOAD, files=files,
                 document=None), problems


def challenge_check(*, document: Any, by: Any) -> dict[str, Any]:
    """A challenge document checked as it would be saved, without saving it: every problem
    with the document's paths (the builder's preview). A teacher's tool: the loader's work is
    not for anyone signed in to spend."""
    if not is_teacher(by):
        raise AuthoredRefused("only teachers check challenges; an administrator makes you one", status=403)
    _, lesson, points, problems = challenge.check(document)
    return {"ok": lesson is not None and not _errors(problems), "problems": problems, "points": points,
            "step": challenge.STEP_ID}


def challenge_create(*, owner: Any, document: Any) -> tuple[AuthoredLesson, list[Problem]]:
    """A challenge built in the browser, saved as a one-step lesson. Editing a challenge is
    saving its changed document as a new one: an authored lesson never changes."""
    _check_author(owner)
    files, lesson, _, problems = challenge.check(document)
    if lesson is None or _errors(problems):
        raise AuthoredRefused(problems)
    return _save(owner=owner, title=lesson.title, source=AuthoredLesson.Source.CHALLENGE, files=files,
                 document=document), problems


def authored_delete(*, row: AuthoredLesson, by: Any) -> None:
    if row.owner_id != getattr(by, "pk", None):
        raise AuthoredRefused("only its owner can delete a lesson or challenge", status=403)
    used = assignments_using(row.key)
    if used:
        raise AuthoredRefused(f"{used} assignment{'s use' if used != 1 else ' uses'} this "
                              f"{'challenge' if row.source == AuthoredLesson.Source.CHALLENGE else 'lesson'}; delete "
                              f"{'them' if used != 1 else 'it'} or point {'them' if used != 1 else 'it'} at another "
                              "lesson first, so no student's grade loses its lesson", status=409)
    key = row.key
    row.delete()
    selectors.authored_forget(key=key)
