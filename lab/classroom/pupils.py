"""Class-scoped pupil accounts (docs/pupil-accounts.md): a pupil with no e-mail address makes an
account for one class with a display name and a password, signs in with the class's join code,
that name and that password, and their teacher resets a forgotten password or renames them.

A pupil is a Django user (a generated username, never shown; no address; a hashed password)
with a PupilAccount, and a Membership of its class like any student. Refusals are the
classroom's one ClassroomRefused (every problem, with its JSON path, and an HTTP status).

The reads of pupils are here too, beside the writes they serve: they are few and pupil-only.
"""
from __future__ import annotations

import secrets
import unicodedata
from typing import Any

from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth import authenticate, get_user_model, password_validation
from django.contrib.auth.hashers import make_password
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from lab.accounts.roles import is_teacher
from lab.accounts.services import token_revoke_all

from . import checks
from .errors import ClassroomRefused
from .models import JOIN_ALPHABET, PUPIL_NAME_LENGTH, Classroom, Membership, PupilAccount
from .selectors import classroom_by_code, student_count
from .services import MAX_STUDENTS

# Lower case (of the join alphabet: no 0/o, 1/i/l) so a pupil types it on a tablet as it is read.
ONE_TIME_ALPHABET = JOIN_ALPHABET.lower()
ONE_TIME_LENGTH = 10  # 31**10, about 50 bits, and sign-in is throttled
MAX_TYPED = 1000      # what is read of a typed name or password before it is refused outright

__all__ = ["name_key", "pupil_create", "pupil_sign_in", "pupil_set_password", "pupil_reset", "pupil_rename",
           "pupils_of", "pupil_get", "pupil_of", "signups_key"]


def name_key(name: str) -> str:
    """What makes two display names one in a class: compatibility forms folded (full-width
    letters are letters), then case folded ("ANNA", "anna" and "Straße"/"STRASSE" are one)."""
    return unicodedata.normalize("NFKC", name).casefold()


def _display_name(value: Any, problems: list[checks.Problem]) -> str | None:
    return checks.clean_name(value, "$.display_name", max_length=PUPIL_NAME_LENGTH, what="display name",
                             problems=problems)


def _password_problems(password: Any, user: Any, problems: list[checks.Problem]) -> None:
    """Django's password validators (AUTH_PASSWORD_VALIDATORS), their sentences as problems."""
    if not isinstance(password, str) or not password:
        problems.append(checks.problem("$.password", "choose a password"))
        return
    if len(password) > MAX_TYPED:
        problems.append(checks.problem("$.password", f"a password is at most {MAX_TYPED:,} characters"))
        return
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        problems.extend(checks.problem("$.password", message) for message in exc.messages)


def _classroom_of(code: Any) -> Classroom:
    if not isinstance(code, str) or len(code) > 40:
        raise ClassroomRefused("a join code is text: the 8 letters and digits your teacher gave you",
                               status=400, path="$.code")
    classroom = classroom_by_code(code=code)
    if classroom is None:
        raise ClassroomRefused("no class has this join code; check it with your teacher", status=404, path="$.code")
    return classroom


def _name_taken(classroom: Classroom, key: str, but: PupilAccount | None = None) -> bool:
    query = PupilAccount.objects.filter(classroom=classroom, name_key=key)
    return (query.exclude(pk=but.pk) if but is not None else query).exists()


def _taken(name: str) -> ClassroomRefused:
    return ClassroomRefused(f"a pupil of this class is already called {name!r}: choose another display name (add an "
                            "initial, say), or sign in if it is you", status=400, path="$.display_name")


def _require_teacher_of(classroom: Classroom, by: Any) -> None:
    if classroom.teacher_id != getattr(by, "pk", None) or not is_teacher(by):
        raise ClassroomRefused("only the class's teacher can do this", status=403)


# -- making an account -------------------------------------------------------------------------

def signups_key(classroom: Classroom, network: str) -> str:
    return f"classroom:pupil-signups:{classroom.pk}:{network}"


def _take_signup(key: str) -> bool:
    """Count one account made from this network for this class; False (and nothing counted)
    when the window's allowance is used up, so refused tries never extend a wait."""
    window_s = settings.ARCHLAB_PUPIL_SIGNUP_WINDOW_MIN * 60
    cache.add(key, 0, window_s)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, window_s)
        count = 1
    if count > settings.ARCHLAB_PUPIL_SIGNUPS:
        _give_back(key)
        return False
    return True


def _give_back(key: str) -> None:
    try:
        cache.decr(key)
    except ValueError:
        pass


def _too_many() -> ClassroomRefused:
    return ClassroomRefused(f"too many pupil accounts were made (or names tried) for this class from your network in "
                            f"the last {settings.ARCHLAB_PUPIL_SIGNUP_WINDOW_MIN} minutes; wait a few minutes and try "
                            "again, or ask your teacher", status=429)


def pupil_create(*, code: Any, display_name: Any, password: Any, network: str) -> PupilAccount:
    """A new pupil of the class of `code`, a member of it, not signed in (the caller signs it in).

    Refused: an unknown code (404); a class archived or closed to new students (409); a display
    name that is not a clean name or that a pupil of the class already has, a password Django's
    validators refuse (400, every problem at once); more than ARCHLAB_PUPIL_SIGNUPS accounts for
    this class from `network` (quotas.network_of) in the window (429); a class with
    ARCHLAB_PUPILS_PER_CLASS pupils who can sign in, or full (409)."""
    classroom = _classroom_of(code)
    if classroom.archived is not None:
        raise ClassroomRefused("this class is archived: it takes no new pupils", status=409, path="$.code")
    if not classroom.joining_open:
        raise ClassroomRefused("this class is closed to new pupils; ask your teacher to open it",
                               status=409, path="$.code")
    problems: list[checks.Problem] = []
    name = _display_name(display_name, problems)
    user_model = get_user_model()
    _password_problems(password, user_model(first_name=name or ""), problems)
    key = signups_key(classroom, network)
    if name is not None and _name_taken(classroom, name_key(name)):
        # "Already taken" tells whether a classmate has that name: such answers count against the
        # network's allowance like an account made, so the class's names cannot be listed by trying.
        if not _take_signup(key):
            raise _too_many()
        problems.insert(0, _taken(name).problems[0])
    if problems or name is None:  # no name is always a problem listed
        raise ClassroomRefused(problems)
    if not _take_signup(key):
        raise _too_many()
    hashed = make_password(password)  # before the lock: hashing takes a while on purpose
    try:
        with transaction.atomic():
            # Locked so two sign-ups at once cannot both take the last place or the same name.
            Classroom.objects.select_for_update().filter(pk=classroom.pk).first()
            active = PupilAccount.objects.filter(classroom=classroom, user__is_active=True).count()
            if active >= settings.ARCHLAB_PUPILS_PER_CLASS:
                raise ClassroomRefused(f"this class has {active} pupil accounts, the most it may have; ask your teacher",
                                       status=409)
            if student_count(classroom=classroom) >= MAX_STUDENTS:
                raise ClassroomRefused(f"this class is full ({MAX_STUDENTS} students)", status=409, path="$.code")
            if _name_taken(classroom, name_key(name)):
                raise _taken(name)
            # The username is internal: a pupil signs in with the class code and display name.
            user = user_model.objects.create(username=f"pupil-{secrets.token_hex(6)}", first_name=name,
                                             email="", password=hashed)
            pupil = PupilAccount.objects.create(user=user, classroom=classroom, display_name=name,
                                                name_key=name_key(name))
            Membership.objects.create(classroom=classroom, student=user)
    except (ClassroomRefused, IntegrityError) as exc:
        _give_back(key)
        if isinstance(exc, IntegrityError):  # the same name, made a moment before
            raise _taken(name) from None
        raise
    return pupil


# -- signing in --------------------------------------------------------------------------------

def _locked(request: HttpRequest) -> bool:
    """django-axes marks the request when this name is locked from this address. Its own lockout
    page speaks of e-mailed reset links, which a pupil has none of: the flag is taken here, and
    the pupil is told to ask their teacher instead. The count itself stays axes'."""
    locked = bool(getattr(request, "axes_locked_out", False))
    setattr(request, "axes_locked_out", False)  # axes' own flag, not an HttpRequest attribute
    return locked


def pupil_sign_in(*, request: HttpRequest, code: Any, display_name: Any, password: Any) -> PupilAccount:
    """The pupil of the class of `code` with this display name and password. Checked by Django's
    authenticate with the pupil's internal username, so django-axes counts and locks failed
    tries as for any log-in (ARCHLAB_LOGIN_FAILURES per name and address: 429). A name no pupil
    has is counted and answered alike, so trying names tells nobody who is in the class.

    The caller signs the pupil in, unless `must_change_password` (after a teacher's reset): then
    the pupil first chooses a new password (pupil_set_password)."""
    classroom = _classroom_of(code)
    problems: list[checks.Problem] = []
    if not isinstance(display_name, str) or not display_name.strip() or len(display_name) > MAX_TYPED:
        problems.append(checks.problem("$.display_name", "type your display name in this class"))
    if not isinstance(password, str) or not password or len(password) > MAX_TYPED:
        problems.append(checks.problem("$.password", "type your password"))
    if problems:
        raise ClassroomRefused(problems)
    key = name_key(display_name.strip())
    pupil = PupilAccount.objects.filter(classroom=classroom, name_key=key).select_related("user").first()
    username = pupil.user.username if pupil is not None else f"pupil?{classroom.pk}:{key[:100]}"
    user = authenticate(request, username=username, password=password)
    if _locked(request):
        minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
        raise ClassroomRefused(f"too many wrong passwords for this name from your network: signing in with it is "
                               f"paused for {minutes} minute{'s' if minutes != 1 else ''}. Your teacher can reset your "
                               "password", status=429)
    if user is None or pupil is None or user.pk != pupil.user_id:
        if pupil is not None and not pupil.user.is_active and pupil.user.check_password(password):
            raise ClassroomRefused("this pupil account was removed from the class and cannot sign in; ask your teacher",
                                   status=403)
        raise ClassroomRefused("no pupil of this class has this display name and password; check both, or ask your "
                               "teacher to reset your password", status=400, path="$.password")
    return pupil


def pupil_set_password(*, pupil: PupilAccount, password: Any) -> PupilAccount:
    """The pupil's own new password (after a reset, the one-time password no longer works)."""
    problems: list[checks.Problem] = []
    _password_problems(password, pupil.user, problems)
    if problems:
        raise ClassroomRefused(problems)
    pupil.user.set_password(password)
    pupil.user.save(update_fields=["password"])
    pupil.must_change_password = False
    pupil.save(update_fields=["must_change_password"])
    return pupil


# -- the teacher's part ------------------------------------------------------------------------

def pupil_reset(*, pupil: PupilAccount, by: Any) -> str:
    """A new one-time password for a pupil who forgot theirs, returned to be shown once to the
    teacher (only its hash is kept). It lets the pupil in only to choose a new password. The
    pupil's open sessions end (the password changed) and any sign-in lock on them is lifted."""
    _require_teacher_of(pupil.classroom, by)
    pupil.user.refresh_from_db(fields=["is_active"])  # a removal deactivates with an UPDATE
    if not pupil.user.is_active:
        raise ClassroomRefused("this pupil was removed from the class; their account cannot sign in again", status=409)
    one_time = "".join(secrets.choice(ONE_TIME_ALPHABET) for _ in range(ONE_TIME_LENGTH))
    with transaction.atomic():
        pupil.user.set_password(one_time)
        pupil.user.save(update_fields=["password"])
        pupil.must_change_password = True
        pupil.reset_at = timezone.now()
        pupil.save(update_fields=["must_change_password", "reset_at"])
        # "Signed out everywhere" holds for the API too: the pupil's tokens end with the password.
        token_revoke_all(user=pupil.user)
    axes_reset(username=pupil.user.username)
    return one_time


def pupil_rename(*, pupil: PupilAccount, by: Any, display_name: Any) -> PupilAccount:
    """A new display name, shown from now on wherever the pupil is named (results and CSV too)."""
    _require_teacher_of(pupil.classroom, by)
    problems: list[checks.Problem] = []
    name = _display_name(display_name, problems)
    if problems or name is None:  # no name is always a problem listed
        raise ClassroomRefused(problems)
    if _name_taken(pupil.classroom, name_key(name), but=pupil):
        raise ClassroomRefused(f"a pupil of this class is already called {name!r}: choose another display name",
                               status=400, path="$.display_name")
    with transaction.atomic():
        pupil.display_name, pupil.name_key = name, name_key(name)
        pupil.save(update_fields=["display_name", "name_key"])
        pupil.user.first_name = name
        pupil.user.save(update_fields=["first_name"])
    return pupil


# -- reads -------------------------------------------------------------------------------------

def pupils_of(*, classroom: Classroom) -> list[PupilAccount]:
    """The class's pupils by display name, those removed (who cannot sign in) included."""
    return list(PupilAccount.objects.filter(classroom=classroom).select_related("user", "classroom"))


def pupil_get(*, classroom: Classroom, user_id: Any) -> PupilAccount | None:
    if isinstance(user_id, bool) or not isinstance(user_id, int) or not 1 <= user_id <= 2**31 - 1:
        return None
    return PupilAccount.objects.filter(classroom=classroom, user_id=user_id).select_related("user", "classroom") \
        .first()


def pupil_of(*, user: Any) -> PupilAccount | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return PupilAccount.objects.filter(user=user).select_related("classroom").first()
