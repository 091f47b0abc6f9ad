"""URL routes of the classroom pages (the REST API's are in lab/api/urls.py). A confirmation
(remove, leave, archive, re-grade) is the GET of the URL whose POST does it; archiving posts to
settings."""
from django.urls import path

from . import assignment_views, views

app_name = "classroom"
urlpatterns = [
    path("classes/", views.class_list, name="list"),
    path("classes/new", views.class_create, name="create"),
    path("classes/join", views.class_join_code, name="join-code"),
    path("classes/join/<str:code>", views.class_join, name="join"),
    path("classes/<uuid:classroom_id>/", views.class_detail, name="detail"),
    path("classes/<uuid:classroom_id>/settings", views.class_settings, name="settings"),
    path("classes/<uuid:classroom_id>/archive", views.class_archive, name="archive"),
    path("classes/<uuid:classroom_id>/leave", views.class_leave, name="leave"),
    path("classes/<uuid:classroom_id>/students/<int:student_id>/remove", views.student_remove, name="remove"),
    path("classes/<uuid:classroom_id>/assignments/new", assignment_views.assignment_create, name="assignment-create"),
    path("assignments/<uuid:assignment_id>/", assignment_views.assignment_detail, name="assignment"),
    path("assignments/<uuid:assignment_id>/edit", assignment_views.assignment_edit, name="assignment-edit"),
    path("assignments/<uuid:assignment_id>/lab", assignment_views.assignment_lab, name="assignment-lab"),
    path("assignments/<uuid:assignment_id>/results", assignment_views.assignment_results, name="results"),
    path("assignments/<uuid:assignment_id>/regrade", assignment_views.assignment_regrade, name="regrade"),
    path("submissions/<uuid:submission_id>/", assignment_views.submission_detail, name="submission"),
]
