"""Pupil account pages (docs/pupil-accounts.md): on a class's join link, making a pupil account
or signing in with one; choosing a new password after a teacher's reset; and the teacher's
roster of pupils, with Rename and Reset password.

Rules live in lab/classroom/pupils.py; these parse a form, call one service and render. A
roster someone may not see is a 404, as every class page (a visitor is sent to log in first).
"""
from __future__ import annotations

import time
from typing import Any

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from lab.accounts.throttle import client_address
from lab.runs.quotas import network_of
from lab.sim.problems import Problem

from . import pupils, selectors
from . import views as classroom_views
from .errors import ClassroomRefused

BACKEND = "django.contrib.auth.backends.ModelBackend"
# A pupil who signed in with a one-time password, waiting to choose their own: in the session,
# not signed in, so nothing else can be done with the one-time password.
PENDING = "pupil_pending"
PENDING_S = 600
# The one-time password just made, shown once on the roster and removed from the session there.
NEW_PASSWORD = "pupil_new_password"


def _by_field(problems: list[Problem]) -> tuple[dict[str, list[str]], list[Problem]]:
    """Problems of a form's fields ($.display_name...) to show beside them, and the rest above."""
    fields: dict[str, list[str]] = {}
    rest = []
    for p in problems:
        name = p["path"][2:] if p["path"].startswith("$.") else ""
        if name in ("display_name", "password", "password2"):
            fields.setdefault(name, []).append(p["message"])
        else:
            rest.append(p)
    return fields, rest


# ---- the join link -----------------------------------------------------------------------------

def _join_page(request: HttpRequest, classroom: Any, code: str, status: int = 200, **extra: Any) -> HttpResponse:
    return render(request, "classroom/pupil_join.html", {
        "classroom": classroom, "code": code, "create_form": {}, "sign_in_form": {}, **extra}, status=status)


def _joinable(code: str) -> Any:
    classroom = selectors.classroom_by_code(code=code)
    if classroom is None or classroom.archived is not None:
        raise Http404("this join link does not work")
    return classroom


@ensure_csrf_cookie
def join(request: HttpRequest, code: str) -> HttpResponse:
    """A class's join link. A visitor sees the three ways in: their own account (sign up or log
    in, as before), a new pupil account, or the pupil account they have. Anyone signed in, and
    every POST, is the classroom's own join view (lab/classroom/views.py class_join)."""
    if request.user.is_authenticated or request.method not in ("GET", "HEAD"):
        return classroom_views.class_join(request, code)
    return _join_page(request, _joinable(code), code)


@require_POST
def create(request: HttpRequest, code: str) -> HttpResponse:
    classroom = _joinable(code)
    if request.user.is_authenticated:
        # Not a second account made over the one signed in: they join with the one they have.
        messages.error(request, "You are signed in: join with your account, or log out to make a pupil account.")
        return redirect("pupils:join", code)
    form = {"display_name": request.POST.get("display_name", "")[:200]}
    password, again = request.POST.get("password", ""), request.POST.get("password2", "")
    if password != again:
        return _join_page(request, classroom, code, status=400, create_form=form,
                          create_fields={"password2": ["the two passwords are not the same"]})
    try:
        pupil = pupils.pupil_create(code=code, display_name=request.POST.get("display_name", ""), password=password,
                                    network=network_of(client_address(request)))
    except ClassroomRefused as exc:
        fields, rest = _by_field(exc.problems)
        return _join_page(request, classroom, code, status=exc.status, create_form=form, create_fields=fields,
                          create_problems=rest)
    login(request, pupil.user, backend=BACKEND)
    messages.success(request, f"Welcome, {pupil.display_name}: you are in {classroom.name}. To sign in again, open "
                              "this class's link and type your display name and password.")
    return redirect("classroom:detail", classroom.pk)


@require_POST
def sign_in(request: HttpRequest, code: str) -> HttpResponse:
    classroom = _joinable(code)
    form = {"display_name": request.POST.get("display_name", "")[:200]}
    try:
        pupil = pupils.pupil_sign_in(request=request, code=code, display_name=request.POST.get("display_name", ""),
                                     password=request.POST.get("password", ""))
    except ClassroomRefused as exc:
        fields, rest = _by_field(exc.problems)
        return _join_page(request, classroom, code, status=exc.status, sign_in_form=form, sign_in_fields=fields,
                          sign_in_problems=rest)
    if pupil.must_change_password:
        request.session[PENDING] = {"user": pupil.user_id, "hash": pupil.user.get_session_auth_hash(),
                                    "until": time.time() + PENDING_S}
        return redirect("pupils:password")
    login(request, pupil.user, backend=BACKEND)
    return redirect("classroom:detail", classroom.pk)


def _pending(request: HttpRequest) -> Any:
    """The pupil waiting to choose a password: still active, still with the one-time password
    they signed in with (a second reset voids the first), within PENDING_S."""
    pending = request.session.get(PENDING)
    if not isinstance(pending, dict) or pending.get("until", 0) < time.time() or not isinstance(pending.get("user"), int):
        return None
    pupil = pupils.PupilAccount.objects.filter(user_id=pending["user"]).select_related("user", "classroom").first()
    if pupil is None or not pupil.user.is_active or not pupil.must_change_password \
            or pupil.user.get_session_auth_hash() != pending.get("hash"):
        return None
    return pupil


@require_http_methods(["GET", "HEAD", "POST"])
def password(request: HttpRequest) -> HttpResponse:
    """Choosing a new password after a teacher's reset, before anything else."""
    pupil = _pending(request)
    if pupil is None:
        request.session.pop(PENDING, None)
        messages.error(request, "Sign in with your class's link first (the one-time password is valid for one "
                                "sign-in, for ten minutes).")
        return redirect("classroom:list") if request.user.is_authenticated else redirect("lab")
    if request.method == "POST":
        new, again = request.POST.get("password", ""), request.POST.get("password2", "")
        fields: dict[str, list[str]] = {}
        if new != again:
            fields = {"password2": ["the two passwords are not the same"]}
        else:
            try:
                pupils.pupil_set_password(pupil=pupil, password=new)
            except ClassroomRefused as exc:
                fields, _ = _by_field(exc.problems)
        if fields:
            return render(request, "classroom/pupil_password.html", {"pupil": pupil, "fields": fields}, status=400)
        request.session.pop(PENDING, None)
        login(request, pupil.user, backend=BACKEND)
        messages.success(request, "Your new password is set: use it from now on.")
        return redirect("classroom:detail", pupil.classroom_id)
    return render(request, "classroom/pupil_password.html", {"pupil": pupil, "fields": {}})


# ---- the teacher's roster ----------------------------------------------------------------------

def _taught_or_404(request: HttpRequest, classroom_id: Any) -> Any:
    classroom = selectors.classroom_get(user=request.user, classroom_id=classroom_id)
    if classroom is None or classroom.teacher_id != request.user.pk:
        raise Http404("no such class")
    return classroom


def _pupil_or_404(classroom: Any, user_id: int) -> Any:
    pupil = pupils.pupil_get(classroom=classroom, user_id=user_id)
    if pupil is None:
        raise Http404("no such pupil in this class")
    return pupil


def _roster(request: HttpRequest, classroom: Any, status: int = 200, **extra: Any) -> HttpResponse:
    return render(request, "classroom/pupil_roster.html", {
        "classroom": classroom, "pupils": pupils.pupils_of(classroom=classroom),
        "new_password": request.session.pop(NEW_PASSWORD, None), "rename_id": None, **extra}, status=status)


@require_safe
@login_required
def roster(request: HttpRequest, classroom_id: Any) -> HttpResponse:
    return _roster(request, _taught_or_404(request, classroom_id))


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def reset(request: HttpRequest, classroom_id: Any, user_id: int) -> HttpResponse:
    """GET: are you sure? POST: a new one-time password, shown once on the roster."""
    classroom = _taught_or_404(request, classroom_id)
    pupil = _pupil_or_404(classroom, user_id)
    if request.method != "POST":
        back = reverse("pupils:roster", args=[classroom.pk])
        return classroom_views.confirm(
            request, heading=f"Reset the password of {pupil.display_name}?",
            sentences=[f"{pupil.display_name}'s password stops working now, and they are signed out everywhere.",
                       "You get a one-time password to give them, shown once. They sign in with it on the class's "
                       "link and must choose a new password before anything else.",
                       "Their work and submissions are not changed."],
            action=request.path, button="Reset the password", back=back,
            crumbs=[(reverse("classroom:detail", args=[classroom.pk]), classroom.name), (back, "Pupils")])
    try:
        one_time = pupils.pupil_reset(pupil=pupil, by=request.user)
    except ClassroomRefused as exc:
        return _roster(request, classroom, status=exc.status, problems=exc.problems)
    request.session[NEW_PASSWORD] = {"user": pupil.user_id, "name": pupil.display_name, "password": one_time}
    return redirect("pupils:roster", classroom.pk)


@require_POST
@login_required
def rename(request: HttpRequest, classroom_id: Any, user_id: int) -> HttpResponse:
    classroom = _taught_or_404(request, classroom_id)
    pupil = _pupil_or_404(classroom, user_id)
    old = pupil.display_name
    try:
        pupils.pupil_rename(pupil=pupil, by=request.user, display_name=request.POST.get("display_name", ""))
    except ClassroomRefused as exc:
        fields, rest = _by_field(exc.problems)
        return _roster(request, classroom, status=exc.status, problems=rest, rename_id=user_id, rename_for=f"rename-{user_id}",
                       rename_errors=fields.get("display_name", []),
                       rename_typed=request.POST.get("display_name", "")[:200])
    messages.success(request, f"Renamed {old} to {pupil.display_name}.")
    return redirect("pupils:roster", classroom.pk)
