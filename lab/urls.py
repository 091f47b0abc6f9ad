from django.contrib import admin
from django.urls import include, path

from lab import views
from lab.lessons import views as lessons
from lab.live import views as live
from lab.runs import report_views as run_reports

urlpatterns = [
    path("", views.lab_page, name="lab"),
    path("lessons/", lessons.lesson_index, name="lessons"),
    path("lessons/<slug:lesson_id>/", lessons.lesson_page, name="lesson"),
    path("lessons/<slug:lesson_id>/steps/<slug:step_id>/", lessons.lesson_page, name="lesson-step"),
    path("lessons/<slug:lesson_id>/files/<path:path>", lessons.lesson_file, name="lesson-file"),
    path("live/<uuid:session_id>/", live.live_page, name="live"),
    path("live/<uuid:session_id>/projector", live.projector_page, name="live-projector"),
    path("classes/<uuid:classroom_id>/live", live.session_start_page, name="live-start"),
    path("runs/<uuid:run_id>/report", run_reports.run_report, name="run-report"),
    path("api/v1/", include("lab.api.urls", namespace="v1")),
    path("accounts/", include("lab.accounts.urls")),
    # For administrators (is_staff): grant the teacher role (the "teachers" group), look at classes.
    path("admin/", admin.site.urls),
    path("", include("lab.designs.urls")),
    path("", include("lab.studies.urls")),
    path("", include("lab.classroom.pupil_urls")),
    path("", include("lab.classroom.challenge_urls")),
    path("", include("lab.classroom.urls")),
]
