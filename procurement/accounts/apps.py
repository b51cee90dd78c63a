from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "procurement.accounts"
    label = "accounts"
    verbose_name = "Comptes"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from .middleware import settle_at_login

        user_logged_in.connect(settle_at_login, dispatch_uid="accounts.terms.settle_at_login")
