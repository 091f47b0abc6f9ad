"""Page routes of the challenge builder and lesson uploads, included by lab/urls.py."""
from django.urls import path  # noqa: F401

urlpatterns: list = []
