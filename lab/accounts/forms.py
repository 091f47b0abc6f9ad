"""Sign-up, log-in and API token forms. Passwords and reset use Django's own forms."""
from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm, UserCreationForm
from django.contrib.auth.models import User


class SignUpForm(UserCreationForm):
    # An address is required: it is the only way back into an account after a lost password.
    email = forms.EmailField(required=True, help_text="For resetting your password; never shown to others.")

    class Meta(UserCreationForm.Meta):  # type: ignore[name-defined]  # django-stubs 5.2.9 leave out the Meta that Django's UserCreationForm has
        model = User
        fields = ("username", "email")

    def clean_email(self) -> str:
        # An address that is already registered is not refused here: that would tell anyone who
        # has an account (services.user_sign_up handles it, without a visible difference).
        return self.cleaned_data["email"].strip()


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100, strip=True, help_text="What the token is for, e.g. 'grading script'.")


class LoginForm(AuthenticationForm):
    """The site's log-in, for full accounts. A pupil account (lab/classroom/pupils.py) signs in on
    its class's page, where a one-time password from a reset only lets the pupil choose a new one;
    here it would be a whole sign-in with it."""

    def confirm_login_allowed(self, user: Any) -> None:
        super().confirm_login_allowed(user)
        if hasattr(user, "pupil_account"):
            raise forms.ValidationError("This is a pupil account: sign in on your class's page, with the link "
                                        "your teacher gave you.", code="pupil_account")

