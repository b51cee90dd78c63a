"""Mails owed to people. Each event mail has a unique key, so it is sent once whatever retries happen.

``notify()`` is called by services inside their transaction: it stores the mail and queues the
sending task after commit. ``deliver()`` (run by the task) claims the row with a conditional update
(queued → sending) so that two workers, or a retried task, can never send it twice.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template import Context
from django.template.loader import get_template
from django.utils import timezone, translation

from .models import EmailStatus, OutboundEmail

log = logging.getLogger(__name__)


def notify(*, key: str, to: str, template: str, context: dict, language: str = "fr") -> OutboundEmail | None:
    """Store a mail rendered from ``templates/emails/<template>.txt`` and send it after commit.

    The first line of the rendered template is the subject. A second call with the same key is a no-op.
    Mails are plain text: nothing is HTML-escaped (a name like « l'Oise » stays as typed).
    """
    with translation.override(language):
        rendered = render_text(f"emails/{template}.txt", {"site_url": settings.SITE_URL, **context})
    subject, _, body = rendered.strip().partition("\n")
    return queue_mail(key=key, to=to, subject=subject, body=body)


def queue_mail(*, key: str, to: str, subject: str, body: str) -> OutboundEmail | None:
    """Store an already written mail under its unique key and send it after commit (once)."""
    try:
        with transaction.atomic():
            mail = OutboundEmail.objects.create(key=key[:200], to=to, subject=subject.strip()[:255], body=body.strip())
    except IntegrityError:
        return None
    transaction.on_commit(lambda: enqueue(mail.id))
    return mail


def render_text(template_name: str, context: dict) -> str:
    """Render a plain-text template without HTML autoescaping."""
    return get_template(template_name).template.render(Context(context, autoescape=False))


def enqueue(mail_id: int) -> None:
    """Hand a stored mail to the task queue. A broker or SMTP failure never breaks the caller's request:
    the row stays queued (or failed) and ``retry_unsent`` picks it up later."""
    from .tasks import send_email

    try:
        send_email.delay(mail_id)
    except Exception:
        log.exception("Mail %s could not be queued; it will be retried", mail_id)


# A send is bounded by EMAIL_TIMEOUT (seconds); a mail still "sending" long after that was interrupted
# (worker killed between claiming and recording it). Sending it again risks a duplicate only in that case,
# and a legal notification lost for good is the worse outcome.
INTERRUPTED_AFTER = dt.timedelta(minutes=15)


def retry_unsent(*, older_than: dt.timedelta = dt.timedelta(minutes=5), max_attempts: int = 5) -> int:
    """Queue again the mails that are still waiting (lost task, broker down, SMTP failure, interrupted send)."""
    now = timezone.now()
    OutboundEmail.objects.filter(status=EmailStatus.SENDING, sending_since__lt=now - INTERRUPTED_AFTER).update(
        status=EmailStatus.FAILED, last_error="Envoi interrompu : le processus s'est arrêté pendant l'envoi."
    )
    cutoff = now - older_than
    ids = list(
        OutboundEmail.objects.filter(
            status__in=[EmailStatus.QUEUED, EmailStatus.FAILED], created_at__lt=cutoff, attempts__lt=max_attempts
        ).values_list("id", flat=True)[:500]
    )
    for mail_id in ids:
        enqueue(mail_id)
    return len(ids)


def deliver(mail_id: int) -> bool:
    claimed = OutboundEmail.objects.filter(id=mail_id, status__in=[EmailStatus.QUEUED, EmailStatus.FAILED]).update(
        status=EmailStatus.SENDING, sending_since=timezone.now()
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
