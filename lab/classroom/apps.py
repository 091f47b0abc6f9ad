from django.apps import AppConfig


class ClassroomConfig(AppConfig):
    """Classes over lessons: an assignment's submission is a lessons Attempt with the
    assignment's scenario, so grading is the lessons' grading, not a second one."""

    name = "lab.classroom"
    label = "classroom"
    default_auto_field = "django.db.models.BigAutoField"
