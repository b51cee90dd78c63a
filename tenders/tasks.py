from celery import shared_task


@shared_task(bind=True, max_retries=5, default_retry_delay=30, acks_late=True)
def send_invitation_mails(self, tender_id: str):
    from .services import invitation_mails_queue

    try:
        return invitation_mails_queue(tender_id=tender_id)
    except Exception as exc:
        raise self.retry(exc=exc)


@shared_task
def tenders_close_expired():
    from .services import tenders_close_expired as run

    return run()


@shared_task
def invitation_mails_sweep():
    from .services import invitation_mails_sweep as run

    return run()


@shared_task
def regularisations_expire():
    from .services.evaluation import regularisations_expire as run

    return run()


@shared_task
def contracts_vigilance_reminders():
    from .services.contracts import contracts_vigilance_reminders as run

    return run()
