from django.apps import AppConfig


class RunsConfig(AppConfig):
    name = "lab.runs"
    label = "runs"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import embedded, signals

        signals.run_queued.connect(embedded.on_run_queued, dispatch_uid="archlab-embedded-wake")
