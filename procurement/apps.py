from django.apps import AppConfig


class ProcurementConfig(AppConfig):
    name = "procurement"
    verbose_name = "Système d'acquisition dynamique"

    def ready(self):
        from django.apps import apps
        from django.db.backends.signals import connection_created
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from . import checks  # noqa: F401  (registers system checks)
        from .text import register_sqlite_collation

        # SQLite sorts text in French like PostgreSQL's ICU collation (procurement.text).
        connection_created.connect(register_sqlite_collation, dispatch_uid="sqlite-french-collation")

        # Connected model by model: a receiver for every sender would stop Django's fast deletes everywhere.
        for model in apps.get_models(include_auto_created=True):
            meta = model._meta
            if meta.app_label in _APPS and meta.label_lower not in _UNLISTED:
                for signal in (post_save, post_delete, m2m_changed):
                    signal.connect(_written, sender=model, dispatch_uid=f"listcache-{meta.label_lower}")


# Rows no list shows: writing them leaves the cached lists valid (mails being sent, the audit log, tokens,
# generated files).
_UNLISTED = {"procurement.outboundemail", "procurement.auditentry", "procurement.generateddocument",
             "accounts.apitoken"}
_APPS = {"procurement", "accounts", "suppliers", "tenders"}


def _written(sender, **kwargs):
    """Any write to a listed model makes every cached list stale once it commits (procurement.listcache)."""
    if kwargs.get("action", "post_").startswith("pre_"):  # m2m_changed: the post_ signal will follow
        return
    if kwargs.get("update_fields") and set(kwargs["update_fields"]) == {"last_login"}:
        return
    from . import listcache

    listcache.bump_after_commit()
