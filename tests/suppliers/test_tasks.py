"""Scheduled supplier tasks run by a real Celery worker on Redis, against the test database."""

import datetime as dt

import pytest
from django.utils import timezone

from procurement.models import EmailStatus, OutboundEmail
from suppliers import tasks
from suppliers.models import EvidenceDocument, Membership
from tests.factories import EvidenceDocumentFactory, UserFactory, company_owner


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_worker_sends_each_expiry_reminder_once(celery_worker_real):
    # The worker runs on the real clock: a document expiring in 20 days is due for its 30-day reminder.
    document = EvidenceDocumentFactory(kind="liability_insurance",
                                       valid_until=timezone.localdate() + dt.timedelta(days=20))
    colleague = UserFactory(email="conducteur.travaux@example.fr")
    Membership.objects.create(user=colleague, company=document.company)
    recipients = sorted([company_owner(document.company).email, colleague.email])

    tasks.evidence_expiry_reminders.delay()
    celery_worker_real.wait_for(
        lambda: OutboundEmail.objects.filter(status=EmailStatus.SENT).count() == 2, timeout=30)

    # A second run (another beat tick, a retried task) sends nothing more.
    tasks.evidence_expiry_reminders.delay()
    celery_worker_real.wait_for(lambda: celery_worker_real.log().count("evidence_expiry_reminders") >= 4
                                and celery_worker_real.log().count("succeeded") >= 4, timeout=30)

    mails = OutboundEmail.objects.order_by("to")
    assert [(m.to, m.status) for m in mails] == [(r, EmailStatus.SENT) for r in recipients]
    assert all(m.key == f"evidence-expiry:{document.id}:30:{m.to}" for m in mails)
    sent = celery_worker_real.sent_mails()
    assert sorted(m["To"] for m in sent) == recipients
    assert all("Assurance responsabilité civile" in m["Subject"] for m in sent)
    assert all(document.valid_until.strftime("%d/%m/%Y") in m.get_content() for m in sent)
    assert EvidenceDocument.objects.get(pk=document.pk).reminded_30_at is not None
