import logging

from celery import shared_task
from django.conf import settings

log = logging.getLogger(__name__)


@shared_task(bind=True, max_retries=5, default_retry_delay=60, acks_late=True)
def send_email(self, mail_id: int):
    from .notifications import deliver

    try:
        return deliver(mail_id)
    except Exception as exc:  # SMTP down: try again later; the row says FAILED meanwhile
        log.warning("Mail %s failed: %s", mail_id, exc)
        raise self.retry(exc=exc)


@shared_task(acks_late=True)
def send_email_batch(mail_ids: list[int]):
    from .notifications import deliver_batch

    return deliver_batch(mail_ids)


@shared_task
def dps_close_expired():
    from .services import dps_close_expired as close

    return close()


@shared_task
def retry_unsent_emails():
    from .notifications import retry_unsent

    return retry_unsent()


@shared_task(bind=True, max_retries=5, acks_late=True)
def generate_document(self, document_id: str):
    """Render, seal and store one generated document; idempotent (the row is claimed conditionally)."""
    from .documents.services import document_generate

    try:
        document_generate(document_id=document_id)
    except Exception as exc:  # recorded on the row (status=failed, error); try again with a growing delay
        log.warning("Document %s failed: %s", document_id, exc)
        if self.request.is_eager:
            return None  # in-process: no delayed retry; the console's retry button queues it again
        # Growing, but within the broker's visibility timeout: a task waiting longer would be handed out again.
        raise self.retry(exc=exc, countdown=min(30 * 2 ** self.request.retries, settings.CELERY_VISIBILITY_TIMEOUT // 2))
    return document_id
