"""Mails owed to people. Each event mail has a unique key, so it is sent once whatever retries happen.

``notify()`` is called by services inside their transaction: it stores the mail and queues the
sending task after commit. ``deliver()`` (run by the task) claims the row with a conditional update
(queued → sending) so that two workers, or a retried task, can never send it twice.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from .models import EmailStatus, OutboundEmail

log = logging.getLogger(__name__)


def notify(*, key: str, to: str, template: str, context: dict, language: str = "fr") -> OutboundEmail | None:
    """Store a mail rendered from ``templates/emails/<template>.txt`` and send it after commit.

    The first line of the rendered template is the subject. A second call with the same key is a no-op.
    """
    with translation.override(language):
        rendered = render_to_string(f"emails/{template}.txt", {"site_url": settings.SITE_URL, **context})
    subject, _, body = rendered.strip().partition("\n")
    try:
        with transaction.atomic():
            mail = OutboundEmail.objects.create(key=key[:200], to=to, subject=subject.strip()[:255], body=body.strip())
    except IntegrityError:
        return None
    from .tasks import send_email

    transaction.on_commit(lambda: send_email.delay(mail.id))
    return mail


def deliver(mail_id: int) -> bool:
    claimed = OutboundEmail.objects.filter(id=mail_id, status__in=[EmailStatus.QUEUED, EmailStatus.FAILED]).update(
        status=EmailStatus.SENDING
    )
    if not claimed:
        return False  # already sent, or being sent by another worker
    mail = OutboundEmail.objects.get(id=mail_id)
    try:
        send_mail(mail.subject, mail.body, settings.DEFAULT_FROM_EMAIL, [mail.to], fail_silently=False)
    except Exception as exc:
        OutboundEmail.objects.filter(id=mail_id).update(
            status=EmailStatus.FAILED, attempts=mail.attempts + 1, last_error=str(exc)[:2000]
        )
        raise
    OutboundEmail.objects.filter(id=mail_id).update(
        status=EmailStatus.SENT, sent_at=timezone.now(), attempts=mail.attempts + 1
    )
    return True
