"""Mails owed to people. Each event mail has a unique key, so it is sent once whatever retries happen.

``notify()`` is called by services inside their transaction: it stores the mail and queues the
sending task after commit. ``deliver()`` (run by the task) claims the row with a conditional update
(queued → sending) so that two workers, or a retried task, can never send it twice.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import re

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.template import Context
from django.template.loader import get_template
from django.utils import timezone, translation

from .models import EmailStatus, OutboundEmail

log = logging.getLogger(__name__)


def notify(*, key: str, to: str, template: str, context: dict, language: str = "fr",
           attachment=None, one_time_link: bool = False) -> OutboundEmail | None:
    """Store a mail rendered from ``templates/emails/<template>.txt`` and send it after commit.

    The first line of the rendered template is the subject. A second call with the same key is a no-op.
    Mails are plain text: nothing is HTML-escaped (a name like « l'Oise » stays as typed). ``attachment``
    (a ready ``GeneratedDocument``) is attached at sending time, or only linked when over
    ``MAIL_ATTACHMENT_MAX_BYTES`` (see ``attaches``).
    """
    with translation.override(language):
        rendered = render_text(f"emails/{template}.txt", {"site_url": settings.SITE_URL, **context})
    subject, _, body = rendered.strip().partition("\n")
    return queue_mail(key=key, to=to, subject=subject, body=body, attachment=attachment, one_time_link=one_time_link)


def attaches(document) -> bool:
    """Whether a generated document goes in the mail itself (else the mail links to it)."""
    return document is not None and 0 < document.size <= settings.MAIL_ATTACHMENT_MAX_BYTES


def queue_mail(*, key: str, to: str, subject: str, body: str, attachment=None,
               one_time_link: bool = False) -> OutboundEmail | None:
    """Store an already written mail under its unique key and send it after commit (once).

    ``one_time_link``: the body holds a link that acts for its reader (verification, password reset); the
    links are blanked from the stored copy as soon as it is sent (``blank_one_time_links``)."""
    try:
        with transaction.atomic():
            mail = OutboundEmail.objects.create(key=key[:200], to=to, subject=subject.strip()[:255], body=body.strip(),
                                                attachment=attachment if attaches(attachment) else None,
                                                one_time_link=one_time_link)
    except IntegrityError:
        return None
    transaction.on_commit(lambda: enqueue(mail.id))
    return mail


BATCH_SIZE = 50  # mails sent over one SMTP connection by one task


def notify_many(messages, *, language: str = "fr", fresh: bool = False) -> int:
    """Store many mails at once (a fan-out) and send them after commit in batches of ``BATCH_SIZE``.

    ``messages`` yields ``(key, to, template, context)``. Keys already stored are skipped, so running the
    same fan-out twice queues nothing new. ``fresh=True`` is for keys the caller made unique to the event
    (they carry its exact time): one INSERT, no lookup. Returns how many mails were queued by this call.
    """
    rows = []
    with translation.override(language):
        compiled = {}
        for key, to, template, context in messages:
            if template not in compiled:
                compiled[template] = get_template(f"emails/{template}.txt").template
            rendered = compiled[template].render(Context({"site_url": settings.SITE_URL, **context}, autoescape=False))
            subject, _, body = rendered.strip().partition("\n")
            rows.append(OutboundEmail(key=key[:200], to=to, subject=subject.strip()[:255], body=body.strip()))
    if not rows:
        return 0
    keys = [row.key for row in rows]
    if fresh:
        ids = [row.id for row in OutboundEmail.objects.bulk_create(rows)]
        if None in ids:  # a database that cannot return the new ids
            ids = list(OutboundEmail.objects.filter(key__in=keys).values_list("id", flat=True))
        transaction.on_commit(lambda: enqueue_batches(ids))
        return len(ids)
    existing = set(OutboundEmail.objects.filter(key__in=keys).values_list("key", flat=True))
    OutboundEmail.objects.bulk_create([r for r in rows if r.key not in existing], ignore_conflicts=True,
                                      batch_size=500)
    ids = list(OutboundEmail.objects.filter(key__in=[k for k in keys if k not in existing],
                                            status=EmailStatus.QUEUED).values_list("id", flat=True))
    transaction.on_commit(lambda: enqueue_batches(ids))
    return len(ids)


def enqueue_batches(ids: list[int]) -> None:
    from .tasks import send_email_batch

    for start in range(0, len(ids), BATCH_SIZE):
        chunk = ids[start:start + BATCH_SIZE]
        try:
            send_email_batch.delay(chunk)
        except Exception:
            log.exception("Mails %s… could not be queued; they will be retried", chunk[:3])


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


def interrupted_before() -> dt.datetime:
    """A mail "sending" since before this moment was interrupted (worker killed between claiming it and
    recording it): a send is bounded by EMAIL_TIMEOUT, shorter than settings.MAIL_INTERRUPTED_AFTER, and a
    batch renews the moment of the mails it has still to send after each one. Sending it again risks a
    duplicate only if the worker died between the server's acceptance and the record, and a legal
    notification lost for good is the worse outcome."""
    return timezone.now() - dt.timedelta(seconds=settings.MAIL_INTERRUPTED_AFTER)


def _waiting() -> Q:
    """Mails to send: queued, failed, or interrupted while being sent."""
    return Q(status__in=[EmailStatus.QUEUED, EmailStatus.FAILED]) | Q(
        status=EmailStatus.SENDING, sending_since__lt=interrupted_before())


def retry_unsent(*, older_than: dt.timedelta = dt.timedelta(minutes=5), max_attempts: int = 5) -> int:
    """Queue again the mails that are still waiting (lost task, broker down, SMTP failure, interrupted send)."""
    now = timezone.now()
    OutboundEmail.objects.filter(status=EmailStatus.SENDING, sending_since__lt=interrupted_before()).update(
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


def message(mail: OutboundEmail, *, connection=None) -> EmailMessage:
    """The mail as sent: its text, and the generated document it carries as a PDF attachment."""
    email = EmailMessage(mail.subject, mail.body, settings.DEFAULT_FROM_EMAIL, [mail.to], connection=connection)
    if mail.attachment is not None:
        from .documents.services import document_content  # loads WeasyPrint: only when a mail carries a PDF

        email.attach(f"{mail.attachment.kind}-{mail.attachment.reference}.pdf", document_content(mail.attachment),
                     "application/pdf")
    return email


def deliver(mail_id: int) -> bool:
    claimed = OutboundEmail.objects.filter(_waiting(), id=mail_id).update(
        status=EmailStatus.SENDING, sending_since=timezone.now()
    )
    if not claimed:
        return False  # already sent, or being sent by another worker
    mail = OutboundEmail.objects.select_related("attachment").get(id=mail_id)
    try:
        message(mail).send(fail_silently=False)
    except Exception as exc:
        OutboundEmail.objects.filter(id=mail_id).update(
            status=EmailStatus.FAILED, attempts=mail.attempts + 1, last_error=str(exc)[:2000]
        )
        raise
    OutboundEmail.objects.filter(id=mail_id).update(
        status=EmailStatus.SENT, sent_at=timezone.now(), attempts=mail.attempts + 1
    )
    blank_one_time_links([mail])
    return True


def deliver_batch(mail_ids: list[int]) -> int:
    """Send several stored mails over one SMTP connection; each is claimed first, so none goes twice.

    The claim takes the rows that are still waiting and not locked by another worker (SKIP LOCKED on
    PostgreSQL) and marks them "sending" before anything is sent.
    """
    now = timezone.now()
    with transaction.atomic():
        claimed = list(
            OutboundEmail.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("attachment")
            .filter(_waiting(), id__in=mail_ids)
            .order_by("id")
        )
        OutboundEmail.objects.filter(id__in=[m.id for m in claimed]).update(
            status=EmailStatus.SENDING, sending_since=now
        )
    if not claimed:
        return 0
    sent = []
    waiting = [m.id for m in claimed]
    connection = get_connection(fail_silently=False)
    try:
        connection.open()
        for mail in claimed:
            waiting.remove(mail.id)
            try:
                connection.send_messages([message(mail, connection=connection)])
            except Exception as exc:
                OutboundEmail.objects.filter(id=mail.id).update(
                    status=EmailStatus.FAILED, attempts=F("attempts") + 1, last_error=str(exc)[:2000]
                )
                continue
            # Recorded at once (a worker killed later sends it no second time); the rest are still being sent.
            sent.append(mail.id)
            OutboundEmail.objects.filter(id=mail.id).update(
                status=EmailStatus.SENT, sent_at=timezone.now(), attempts=F("attempts") + 1)
            blank_one_time_links([mail])
            OutboundEmail.objects.filter(id__in=waiting).update(sending_since=timezone.now())
    except Exception as exc:  # the server is unreachable: everything not sent waits for retry_unsent
        OutboundEmail.objects.filter(id__in=[m.id for m in claimed if m.id not in sent]).update(
            status=EmailStatus.FAILED, attempts=F("attempts") + 1, last_error=str(exc)[:2000]
        )
        log.warning("Mail batch failed: %s", exc)
    finally:
        with contextlib.suppress(Exception):  # a failing QUIT changes nothing: the mails were accepted
            connection.close()
    return len(sent)


_LINK = re.compile(r"https?://\S+")
BLANKED_LINK = "[lien à usage unique retiré après l'envoi]"


def blank_one_time_links(mails) -> None:
    """Once sent, a mail holding a one-time link keeps no readable link: whoever reads the outbox (a back-office
    user, a database copy) cannot verify an address or reset a password in the recipient's place."""
    for mail in mails:
        if mail.one_time_link:
            OutboundEmail.objects.filter(id=mail.id).update(body=_LINK.sub(BLANKED_LINK, mail.body))
