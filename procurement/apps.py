from django.apps import AppConfig


class ProcurementConfig(AppConfig):
    name = "procurement"
    verbose_name = "Système d'acquisition dynamique"

    def ready(self):
        from . import checks  # noqa: F401  (registers system checks)
