"""Account pages: sign up, the profile (designs, runs, API tokens). Login, logout and passwords
are Django's own views (see urls.py) with this site's templates in templates/registration/."""
from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from . import selectors, services
from .forms import SignUpForm, TokenForm

# The secret of a token just made travels to the next page view in the session and is removed
# there: it is shown exactly once, and a reload does not make a second token.
NEW_TOKEN = "new_api_token"


@require_http_methods(["GET", "POST"])
def _next(request: HttpRequest) -> str | None:
    """Where to go after signing up (a class's join link sends its visitors here with ?next=):
    a path of this site only, never another host."""
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return None


def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect(_next(request) or "profile")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = services.user_sign_up(username=form.cleaned_data["username"], email=form.cleaned_data["email"],
                                     password=form.cleaned_data["password1"],
                                     base_url=f"{request.scheme}://{request.get_host()}")
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, f"Welcome, {user.username}. Your account is ready.")
        return redirect(_next(request) or "profile")
    return render(request, "registration/signup.html", {"form": form, "next": _next(request)},
                  status=400 if form.errors else 200)


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/profile.html", {
        "address": selectors.shown_address(user=request.user),
        "designs": selectors.profile_designs(user=request.user),
        "runs": selectors.recent_runs(user=request.user),
        "tokens": selectors.live_tokens(user=request.user),
        "new_token": request.session.pop(NEW_TOKEN, None),
        "token_form": TokenForm(),
    })


@login_required
@require_POST
def token_create(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST)
    if not form.is_valid():
        messages.error(request, "A token needs a name of at most 100 characters.")
        return redirect("profile")
    row, secret = services.token_issue(user=request.user, name=form.cleaned_data["name"])
    request.session[NEW_TOKEN] = {"name": row.name, "secret": secret}
    return redirect("profile")


@login_required
@require_POST
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    if not services.token_revoke(user=request.user, token_id=token_id):
        raise Http404("no such token")
    messages.success(request, "The token was revoked: scripts using it are refused from now on.")
    return redirect("profile")


def locked_out(request: HttpRequest, response: Any = None, credentials: Any = None) -> HttpResponse:
    """django-axes' answer (AXES_LOCKOUT_CALLABLE) to a log-in for a username locked at this
    address: a page that says so and for how long, with status 429."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(request, "registration/locked_out.html",
                  {"username": request.POST.get("username", "")[:150], "minutes": minutes}, status=429)
