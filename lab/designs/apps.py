from django.apps import AppConfig


class DesignsConfig(AppConfig):
    name = "lab.designs"
    label = "designs"
    default_auto_field = "django.db.models.BigAutoField"
