"""URL routes of lab.designs."""
from django.urls import path  # noqa: F401

app_name = "designs"
urlpatterns: list = []
