"""URL routes of the REST API v1, mounted at /api/v1/ in the `v1` namespace (docs/api.md)."""
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from . import classroom_views as classes
from . import design_views as designs
from . import engine_views as engine
from . import lesson_views as lessons
from . import live_views as live
from . import run_views as runs
from . import study_views as studies
from . import theory_views as theory
from . import token_views as tokens
from . import views

app_name = "v1"
urlpatterns = [
    path("catalogue", views.CatalogueView.as_view(), name="catalogue"),
    path("examples", engine.ExampleListView.as_view(), name="examples"),
    path("examples/<str:name>", engine.ExampleView.as_view(), name="example"),
    path("topologies/check", engine.TopologyCheckView.as_view(), name="topology-check"),
    path("sources/preview", engine.SourcePreviewView.as_view(), name="source-preview"),
    path("designs", designs.DesignListView.as_view(), name="designs"),
    path("designs/<uuid:design_id>", designs.DesignView.as_view(), name="design"),
    path("designs/<uuid:design_id>/revisions", designs.RevisionListView.as_view(), name="revisions"),
    path("designs/<uuid:design_id>/revisions/<int:number>", designs.RevisionView.as_view(), name="revision"),
    path("designs/<uuid:design_id>/diff", designs.DiffView.as_view(), name="diff"),
    path("designs/<uuid:design_id>/restore", designs.RestoreView.as_view(), name="restore"),
    path("designs/<uuid:design_id>/fork", designs.ForkView.as_view(), name="fork"),
    path("designs/<uuid:design_id>/share", designs.ShareView.as_view(), name="share"),
    path("designs/<uuid:design_id>/unshare", designs.UnshareView.as_view(), name="unshare"),
    path("designs/<uuid:design_id>/thumbnail.svg", designs.ThumbnailView.as_view(), name="thumbnail"),
    path("designs/<uuid:design_id>/studies", studies.StudyListView.as_view(), name="design-studies"),
    path("studies/frontier", studies.StudyFrontierView.as_view(), name="study-frontier"),
    path("studies/<uuid:study_id>", studies.StudyView.as_view(), name="study"),
    path("studies/<uuid:study_id>/cancel", studies.StudyCancelView.as_view(), name="study-cancel"),
    path("studies/<uuid:study_id>/study.<str:fmt>", studies.StudyDownloadView.as_view(), name="study-download"),
    path("runs", runs.RunListView.as_view(), name="runs"),
    path("runs/<uuid:run_id>", runs.RunView.as_view(), name="run"),
    path("runs/<uuid:run_id>/results", runs.RunResultsView.as_view(), name="run-results"),
    path("runs/<uuid:run_id>/results.<str:fmt>", runs.RunDownloadView.as_view(), name="run-download"),
    path("runs/<uuid:run_id>/commands", runs.RunCommandsView.as_view(), name="run-commands"),
    path("runs/<uuid:run_id>/windows", runs.RunWindowsView.as_view(), name="run-windows"),
    path("runs/<uuid:run_id>/theory", theory.RunTheoryView.as_view(), name="run-theory"),
    path("lessons", lessons.LessonListView.as_view(), name="lessons"),
    # Before lessons/<id>, so a lesson cannot be named "progress" (its pages would be unreachable).
    path("lessons/progress", lessons.ProgressClaimView.as_view(), name="lesson-progress"),
    # Teachers' own lessons and challenges (lessons/authored...), also before lessons/<id>.
    path("", include("lab.api.authored_urls")),
    path("", include("lab.api.pupil_urls")),
    path("lessons/<slug:lesson_id>", lessons.LessonView.as_view(), name="lesson"),
    path("lessons/<slug:lesson_id>/steps/<slug:step_id>/attempts", lessons.AttemptListView.as_view(),
         name="lesson-attempts"),
    path("lessons/<slug:lesson_id>/attempts/<uuid:attempt_id>", lessons.AttemptView.as_view(), name="lesson-attempt"),
    path("lessons/<slug:lesson_id>/steps/<slug:step_id>/hints", lessons.HintView.as_view(), name="lesson-hints"),
    path("lessons/<slug:lesson_id>/steps/<slug:step_id>/solution", lessons.SolutionView.as_view(),
         name="lesson-solution"),
    path("classes/<uuid:classroom_id>/sessions", live.SessionListView.as_view(), name="live-sessions"),
    path("sessions/<uuid:session_id>", live.SessionView.as_view(), name="live-session"),
    path("sessions/<uuid:session_id>/run", live.SessionRunView.as_view(), name="live-session-run"),
    path("sessions/<uuid:session_id>/end", live.SessionEndView.as_view(), name="live-session-end"),
    path("sessions/<uuid:session_id>/export", live.SessionExportView.as_view(), name="live-session-export"),
    path("sessions/<uuid:session_id>/questions", live.QuestionListView.as_view(), name="live-questions"),
    path("questions/<int:question_id>/answers", live.AnswerView.as_view(), name="live-answers"),
    path("questions/<int:question_id>/<slug:action>", live.QuestionActionView.as_view(), name="live-question-action"),
    path("classes", classes.ClassroomListView.as_view(), name="classes"),
    # Before classes/<id>: "join" is not a class id (ids are UUIDs, so nothing is hidden by it).
    path("classes/join", classes.JoinView.as_view(), name="class-join"),
    path("classes/<uuid:classroom_id>", classes.ClassroomView.as_view(), name="class"),
    path("classes/<uuid:classroom_id>/leave", classes.LeaveView.as_view(), name="class-leave"),
    path("classes/<uuid:classroom_id>/students", classes.StudentListView.as_view(), name="class-students"),
    path("classes/<uuid:classroom_id>/students/<int:user_id>", classes.StudentView.as_view(), name="class-student"),
    path("classes/<uuid:classroom_id>/assignments", classes.AssignmentListView.as_view(), name="class-assignments"),
    path("assignments/<uuid:assignment_id>", classes.AssignmentView.as_view(), name="assignment"),
    path("assignments/<uuid:assignment_id>/submissions", classes.SubmissionListView.as_view(),
         name="assignment-submissions"),
    path("assignments/<uuid:assignment_id>/results", classes.ResultsView.as_view(), name="assignment-results"),
    path("assignments/<uuid:assignment_id>/results.csv", classes.ResultsCsvView.as_view(),
         name="assignment-results-csv"),
    path("assignments/<uuid:assignment_id>/submissions.csv", classes.SubmissionsCsvView.as_view(),
         name="assignment-submissions-csv"),
    path("assignments/<uuid:assignment_id>/regrade", classes.RegradeView.as_view(), name="assignment-regrade"),
    path("submissions/<uuid:submission_id>", classes.SubmissionView.as_view(), name="submission"),
    path("tokens", tokens.TokenListView.as_view(), name="tokens"),
    path("tokens/<int:token_id>", tokens.TokenView.as_view(), name="token"),
    path("schema", SpectacularAPIView.as_view(), name="schema"),
    path("docs", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="docs"),
    re_path(r"^[\s\S]*$", views.not_found),  # [\s\S], not ".": a path may hold a newline (%0A)
]
