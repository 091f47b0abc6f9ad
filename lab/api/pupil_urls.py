"""REST API v1 routes of pupil accounts (lab/api/pupil_views.py), included by lab/api/urls.py
before the classes' own routes ("classes/join/pupil" before any "classes/<id>")."""
from django.urls import path

from . import pupil_views as pupils

urlpatterns = [
    path("classes/join/pupil", pupils.PupilJoinView.as_view(), name="class-join-pupil"),
    path("classes/<uuid:classroom_id>/pupils", pupils.PupilListView.as_view(), name="class-pupils"),
    path("classes/<uuid:classroom_id>/pupils/<int:user_id>", pupils.PupilView.as_view(), name="class-pupil"),
    path("classes/<uuid:classroom_id>/pupils/<int:user_id>/reset", pupils.PupilResetView.as_view(),
         name="class-pupil-reset"),
]
