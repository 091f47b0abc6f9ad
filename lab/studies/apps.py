from django.apps import AppConfig


class StudiesConfig(AppConfig):
    name = "lab.studies"
    label = "studies"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from lab.runs import messages, publisher, signals

        from . import selectors, services

        signals.run_ended.connect(services.on_run_ended, dispatch_uid="archlab-study-run-ended")
        signals.housekeeping.connect(services.on_housekeeping, dispatch_uid="archlab-study-housekeeping")
        publisher.register_feed("study", selectors.study_progress_many, messages.study)
