"""The task harness: in-process tasks for ordinary tests, a real worker on Redis when asked for."""

import pytest
from django.db import transaction

from procurement.celery import app
from procurement.models import EmailStatus, OutboundEmail
from procurement.tasks import send_email


def test_ordinary_tests_run_tasks_in_process():
    assert app.conf.task_always_eager is True


@pytest.mark.django_db
def test_an_eager_task_sends_into_the_outbox(mailoutbox):
    mail = OutboundEmail.objects.create(key="eager-1", to="fournisseur@example.fr", subject="Objet", body="Corps")

    send_email.delay(mail.id)
    send_email.delay(mail.id)  # idempotent: a second run sends nothing

    assert [m.to for m in mailoutbox] == [["fournisseur@example.fr"]]
    mail.refresh_from_db()
    assert mail.status == EmailStatus.SENT


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_tasks_queued_after_commit(celery_worker_real):
    assert app.conf.task_always_eager is False
    with transaction.atomic():
        mail = OutboundEmail.objects.create(
            key="worker-1", to="fournisseur@example.fr", subject="Invitation à soumissionner", body="Bonjour"
        )
        transaction.on_commit(lambda: send_email.delay(mail.id))

    celery_worker_real.wait_for(
        lambda: OutboundEmail.objects.filter(id=mail.id, status=EmailStatus.SENT).exists(), timeout=30
    )
    (sent,) = celery_worker_real.sent_mails()
    assert sent["To"] == "fournisseur@example.fr"
    assert sent["Subject"] == "Invitation à soumissionner"
    assert sent.get_content().strip() == "Bonjour"
