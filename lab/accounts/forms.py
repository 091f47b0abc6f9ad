"""Sign-up and API token forms. Passwords, login and reset use Django's own forms."""
from __future__ import annotations

from django import forms
from django.contrib.auth.forms import UserCreationForm
from django.contrib.auth.models import User


class SignUpForm(UserCreationForm):
    # An address is required: it is the only way back into an account after a lost password.
    email = forms.EmailField(required=True, help_text="For resetting your password; never shown to others.")

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "email")

    def clean_email(self) -> str:
        # An address that is already registered is not refused here: that would tell anyone who
        # has an account (services.user_sign_up handles it, without a visible difference).
        return self.cleaned_data["email"].strip()


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100, strip=True, help_text="What the token is for, e.g. 'grading script'.")
