"""Writes on accounts: sign-up and API tokens (passwords go through Django's auth forms)."""
from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from .models import ApiToken, ClaimedAddress


def user_sign_up(*, username: str, email: str, password: str, base_url: str) -> User:
    """A new account, signed in by the caller, and one mail to `email`, whether or not another
    account already has that address: the page, the status and the work done are the same either
    way (docs/decisions.md, "Sign-up tells nobody which addresses are registered").

    A free address becomes the account's, and the mail welcomes its owner. A taken one stays with
    its account (one account per address, so a reset link reaches one account) and is only shown
    on the new profile; the mail tells the owner of the address that someone tried, with a link
    to reset their password."""
    owner = User.objects.filter(email__iexact=email).order_by("pk").first()
    with transaction.atomic():
        user = User.objects.create_user(username, email="" if owner else email, password=password)
        if owner:
            ClaimedAddress.objects.create(user=user, email=email)
    if owner:
        # Django's own reset link for the owner's account (valid until they next log in).
        link = base_url + reverse("password_reset_confirm", kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(owner.pk)), "token": default_token_generator.make_token(owner)})
        _mail(owner, "signup_taken", site=base_url, attempted=username, reset_link=link)
    else:
        # Not a reset link: the new account logs in next, which would void it.
        _mail(user, "signup_welcome", site=base_url, reset_page=base_url + reverse("password_reset"))
    return user


def _mail(user: User, template: str, **context: Any) -> None:
    context = {"user": user, **context}
    subject = render_to_string(f"registration/{template}_subject.txt", context).strip()
    send_mail(subject, render_to_string(f"registration/{template}_email.txt", context), None, [user.email])


def token_issue(*, user: Any, name: str) -> tuple[ApiToken, str]:
    """A new API token; the secret is returned once and never stored."""
    return ApiToken.issue(user, name.strip())


def token_revoke_all(*, user: Any) -> int:
    """End every API token of `user` (a password reset that signs them out everywhere)."""
    return ApiToken.objects.filter(user=user, revoked__isnull=True).update(revoked=timezone.now())


def token_revoke(*, user: Any, token_id: int) -> bool:
    """Revoke one of `user`'s tokens at once; False if they have no such live token."""
    return bool(ApiToken.objects.filter(pk=token_id, user=user, revoked__isnull=True).update(revoked=timezone.now()))
