from django.apps import AppConfig


class ProcurementConfig(AppConfig):
    name = "procurement"
    verbose_name = "Système d'acquisition dynamique"

    def ready(self):
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from . import checks  # noqa: F401  (registers system checks)

        for signal in (post_save, post_delete, m2m_changed):
            signal.connect(_written, dispatch_uid=f"listcache-{id(signal)}")


# Rows no list shows: writing them leaves the cached lists valid (mails being sent, the audit log, tokens,
# generated files).
_UNLISTED = {"procurement.outboundemail", "procurement.auditentry", "procurement.generateddocument",
             "accounts.apitoken"}
_APPS = {"procurement", "accounts", "suppliers", "tenders"}


def _written(sender, **kwargs):
    """Any write to a listed model makes every cached list stale once it commits (procurement.listcache)."""
    meta = sender._meta
    if meta.app_label not in _APPS or meta.label_lower in _UNLISTED:
        return
    if kwargs.get("action", "post_").startswith("pre_"):  # m2m_changed: the post_ signal will follow
        return
    if kwargs.get("update_fields") and set(kwargs["update_fields"]) == {"last_login"}:
        return
    from . import listcache

    listcache.bump_after_commit()
