"""REST API v1 routes of one feature, included by lab/api/urls.py (kept apart so the feature's
routes are read in one place)."""
from django.urls import path  # noqa: F401

urlpatterns: list = []
