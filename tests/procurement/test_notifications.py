import datetime as dt

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from procurement.models import EmailStatus, OutboundEmail
from procurement.notifications import deliver, queue_mail, retry_unsent


def _mail(key="event:1"):
    return queue_mail(key=key, to="conducteur@entreprise.fr", subject="Décision", body="Admise.")


@pytest.mark.django_db
def test_a_mail_is_stored_once_per_key():
    assert _mail() is not None
    assert _mail() is None
    assert OutboundEmail.objects.count() == 1


@pytest.mark.django_db
def test_delivering_twice_sends_once(mailoutbox):
    mail = _mail()
    assert deliver(mail.id) is True
    assert deliver(mail.id) is False
    assert len(mailoutbox) == 1
    assert OutboundEmail.objects.get(id=mail.id).status == EmailStatus.SENT


@pytest.mark.django_db
def test_a_failed_send_is_retried_later(mailoutbox, settings):
    settings.EMAIL_BACKEND = "tests.procurement.test_notifications.BrokenBackend"
    mail = _mail()
    with pytest.raises(ConnectionError):
        deliver(mail.id)
    assert OutboundEmail.objects.get(id=mail.id).status == EmailStatus.FAILED
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=6)):
        assert retry_unsent() == 1  # eager in tests: queued and sent at once
    assert OutboundEmail.objects.get(id=mail.id).status == EmailStatus.SENT
    assert len(mailoutbox) == 1


@pytest.mark.django_db
def test_a_send_interrupted_by_a_dead_worker_is_sent_again_but_a_running_one_is_not(mailoutbox):
    mail = _mail()
    OutboundEmail.objects.filter(id=mail.id).update(status=EmailStatus.SENDING, sending_since=timezone.now())
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=settings.MAIL_INTERRUPTED_AFTER - 10)):
        retry_unsent()
    assert OutboundEmail.objects.get(id=mail.id).status == EmailStatus.SENDING  # maybe still at the SMTP server
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=settings.MAIL_SWEEP_SECONDS + 10)):
        retry_unsent()
    assert OutboundEmail.objects.get(id=mail.id).status == EmailStatus.SENT
    assert len(mailoutbox) == 1


class BrokenBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionError("SMTP server unreachable")


# --- fan-outs: many mails, sent in batches over one connection -------------------------------------------


def _fan_out(n, key="fanout"):
    from procurement.notifications import notify_many

    return notify_many((f"{key}:{i}", f"chef{i}@entreprise.fr", "question_answered",
                        {"tender": {"reference": "SAD-MS001", "title": "ITE", "id": "x"},
                         "question": {"text": "Q ?", "answer": "R."}, "company_name": "SARL"})
                       for i in range(n))


@pytest.mark.django_db
def test_a_fan_out_is_sent_in_batches_once(mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert _fan_out(120) == 120
    assert len(mailoutbox) == 120
    assert OutboundEmail.objects.filter(status=EmailStatus.SENT).count() == 120

    with django_capture_on_commit_callbacks(execute=True):
        assert _fan_out(120) == 0  # the same keys again: nothing new is queued
    assert len(mailoutbox) == 120


@pytest.mark.django_db
def test_a_batch_already_sent_is_not_sent_again(mailoutbox):
    from procurement.notifications import deliver_batch

    _fan_out(3)
    ids = list(OutboundEmail.objects.values_list("id", flat=True))
    assert deliver_batch(ids) == 3
    assert deliver_batch(ids) == 0
    assert len(mailoutbox) == 3


@pytest.mark.django_db
def test_a_batch_that_cannot_reach_the_server_waits_for_the_retry(mailoutbox, settings):
    from procurement.notifications import deliver_batch

    settings.EMAIL_BACKEND = "tests.procurement.test_notifications.BrokenBackend"
    _fan_out(2)
    ids = list(OutboundEmail.objects.values_list("id", flat=True))
    assert deliver_batch(ids) == 0
    assert set(OutboundEmail.objects.values_list("status", flat=True)) == {EmailStatus.FAILED}
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=6)):
        assert retry_unsent() == 2
    assert len(mailoutbox) == 2
