from django.apps import AppConfig


class TendersConfig(AppConfig):
    name = "tenders"
    verbose_name = "Marchés spécifiques"

    def ready(self):
        from .documents import register_kinds

        register_kinds()
