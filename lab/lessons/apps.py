from django.apps import AppConfig


class LessonsConfig(AppConfig):
    """The server side of lessons (models, services, selectors). The lesson format, loader and
    grading in this package import no Django; only these modules do."""

    name = "lab.lessons"
    label = "lessons"
    default_auto_field = "django.db.models.BigAutoField"
