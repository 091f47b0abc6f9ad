"""URL routes of the classroom pages (the REST API's are in lab/api/urls.py)."""
from django.urls import path

from . import views

app_name = "classroom"
urlpatterns = [
    path("classes/", views.class_list, name="list"),
    path("classes/new", views.class_create, name="create"),
    path("classes/join", views.class_join_code, name="join-code"),
    path("classes/join/<str:code>", views.class_join, name="join"),
    path("classes/<uuid:classroom_id>/", views.class_detail, name="detail"),
    path("classes/<uuid:classroom_id>/settings", views.class_settings, name="settings"),
    path("classes/<uuid:classroom_id>/leave", views.class_leave, name="leave"),
    path("classes/<uuid:classroom_id>/students/<int:student_id>/remove", views.student_remove, name="remove"),
    path("classes/<uuid:classroom_id>/assignments/new", views.assignment_create, name="assignment-create"),
    path("assignments/<uuid:assignment_id>/", views.assignment_detail, name="assignment"),
    path("assignments/<uuid:assignment_id>/lab", views.assignment_lab, name="assignment-lab"),
    path("assignments/<uuid:assignment_id>/results", views.assignment_results, name="results"),
    path("assignments/<uuid:assignment_id>/regrade", views.assignment_regrade, name="regrade"),
    path("submissions/<uuid:submission_id>/", views.submission_detail, name="submission"),
]
