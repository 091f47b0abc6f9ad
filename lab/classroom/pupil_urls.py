"""Page routes of class-scoped pupil accounts, included by lab/urls.py."""
from django.urls import path  # noqa: F401

urlpatterns: list = []
