"""Page routes of the challenge builder and lesson uploads, included by lab/urls.py
(namespace "challenges")."""
from django.urls import path

from . import challenge_views as views

app_name = "challenges"
urlpatterns = [
    path("challenges/", views.challenge_list, name="list"),
    path("challenges/new", views.challenge_new, name="new"),
    path("classes/<uuid:classroom_id>/challenges/new", views.challenge_new, name="new-for-class"),
    path("challenges/upload", views.challenge_upload, name="upload"),
    path("challenges/<slug:key>/delete", views.challenge_delete, name="delete"),
]
