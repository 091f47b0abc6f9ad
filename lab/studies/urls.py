"""URL routes of lab.studies' pages: a study's report, by its own address and through its
design's share link. (Studies are started, followed and downloaded through the API:
/api/v1/designs/<id>/studies, /api/v1/studies/<id>.)"""
from django.urls import path

from . import views

app_name = "studies"
urlpatterns = [
    path("studies/<uuid:study_id>/report", views.study_report, name="report"),
    path("s/<str:token>/studies/<uuid:study_id>/report", views.shared_study_report, name="shared-report"),
]
