from django.apps import AppConfig


class StudiesConfig(AppConfig):
    name = "lab.studies"
    label = "studies"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import pre_delete

        from lab.runs import messages, publisher, signals

        from . import selectors, services
        from .models import Study

        signals.run_ended.connect(services.on_run_ended, dispatch_uid="archlab-study-run-ended")
        signals.housekeeping.connect(services.on_housekeeping, dispatch_uid="archlab-study-housekeeping")
        pre_delete.connect(services.on_study_deleted, sender=Study, dispatch_uid="archlab-study-deleted")
        publisher.register_feed("study", selectors.study_progress_many, messages.study)
