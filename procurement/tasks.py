import logging

from celery import shared_task

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
