"""URL routes of lab.accounts. The names are not namespaced: Django's auth views and settings
(LOGIN_URL, LOGIN_REDIRECT_URL) look them up as `login`, `password_reset_done` and so on."""
from django.contrib.auth import views as auth
from django.urls import path

from . import forms, views

urlpatterns = [
    path("signup/", views.signup, name="signup"),
    path("login/", auth.LoginView.as_view(redirect_authenticated_user=True, authentication_form=forms.LoginForm),
         name="login"),
    path("logout/", auth.LogoutView.as_view(), name="logout"),
    path("profile/", views.profile, name="profile"),
    path("tokens/", views.token_create, name="token_create"),
    path("tokens/<int:token_id>/revoke", views.token_revoke, name="token_revoke"),
    path("password/change/", auth.PasswordChangeView.as_view(), name="password_change"),
    path("password/change/done/", auth.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("password/reset/", auth.PasswordResetView.as_view(), name="password_reset"),
    path("password/reset/sent/", auth.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("reset/<uidb64>/<token>/", auth.PasswordResetConfirmView.as_view(), name="password_reset_confirm"),
    path("reset/done/", auth.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
]
