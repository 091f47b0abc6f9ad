"""URL routes of lab.api."""
from django.urls import path  # noqa: F401

app_name = "v1"
urlpatterns: list = []
