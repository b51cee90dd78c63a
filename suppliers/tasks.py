from celery import shared_task


@shared_task
def evidence_expiry_reminders():
    from .services import evidence_expiry_reminders as run

    return run()


@shared_task
def declaration_renewals_suspend_overdue():
    from .services import declaration_renewals_suspend_overdue as run

    return run()
