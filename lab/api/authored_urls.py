"""REST API v1 routes of teachers' own lessons and challenges (lab/api/authored_views.py),
included by lab/api/urls.py before lessons/<id>, so "lessons/authored..." is not a lesson id."""
from django.urls import path

from . import authored_views as views

urlpatterns = [
    path("lessons/authored", views.AuthoredListView.as_view(), name="authored-lessons"),
    path("lessons/authored/upload", views.UploadView.as_view(), name="authored-upload"),
    path("lessons/authored/challenges", views.ChallengeListView.as_view(), name="authored-challenges"),
    path("lessons/authored/challenges/check", views.ChallengeCheckView.as_view(), name="authored-challenge-check"),
    path("lessons/authored/<slug:key>", views.AuthoredView.as_view(), name="authored-lesson"),
    path("runs/<uuid:run_id>/goal-suggestions", views.GoalSuggestionsView.as_view(), name="run-goal-suggestions"),
]
