"""System checks: configuration mistakes show up in `manage.py check`, not in production."""

from django.conf import settings
from django.core.checks import Error, Warning, register


@register()
def storage_and_mail(app_configs, **kwargs):
    problems = []
    if not settings.DEBUG and settings.EMAIL_BACKEND.endswith("console.EmailBackend"):
        problems.append(
            Warning("Mails are printed to the console.", hint="Set EMAIL_URL=smtp://… in production.", id="sad.W001")
        )
    if not settings.DEBUG and settings.CELERY_TASK_ALWAYS_EAGER:
        problems.append(
            Warning("Tasks run in-process.", hint="Set CELERY_BROKER_URL=redis://… in production.", id="sad.W002")
        )
    if settings.WORKING_DAYS_MODE not in ("ouvrables", "ouvres"):
        problems.append(Error("WORKING_DAYS_MODE must be 'ouvrables' or 'ouvres'.", id="sad.E001"))
    return problems


@register()
def signing_certificate(app_configs, **kwargs):
    """Generated documents are sealed with the landlord's certificate: without DEBUG, it must be there."""
    if settings.DEBUG:
        return []
    from .documents.signing import configuration_problem

    problem = configuration_problem()
    if problem is None:
        return []
    return [Error(
        f"Generated documents cannot be signed: {problem}",
        hint="Set SIGNING_CERT_FILE and SIGNING_KEY_FILE (PEM or DER) to the landlord's sealing certificate and "
             "key, and SIGNING_KEY_PASSWORD if the key is encrypted.",
        id="sad.E010",
    )]
