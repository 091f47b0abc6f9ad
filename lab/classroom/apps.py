from django.apps import AppConfig


class ClassroomConfig(AppConfig):
    """Classes over lessons: an assignment's submission is a lessons Attempt with the
    assignment's scenario, so grading is the lessons' grading, not a second one."""

    name = "lab.classroom"
    label = "classroom"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Who may read a teacher's own lesson, and what keeps it, is known here, above the
        # lessons app, which is told rather than asking up (lab/lessons/access.py). Imported in
        # ready() as Django wants: models cannot be imported while the app registry fills.
        from lab.lessons.access import Assignments, register_assignments

        from .authored_access import assignments_setting, in_a_class_setting

        register_assignments(Assignments(may_read=in_a_class_setting, using=assignments_setting))
