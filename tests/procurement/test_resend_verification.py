import datetime as dt

import pytest
import time_machine

from procurement.accounts.services import user_register
from procurement.models import OutboundEmail


@pytest.fixture
def registered(django_capture_on_commit_callbacks):
    def register(email):
        with django_capture_on_commit_callbacks(execute=True):
            return user_register(email=email, password="Un-mot-de-passe-42", first_name="Léa", accept_terms=True)
    return register


@pytest.mark.django_db
def test_it_sends_a_new_link_to_an_unverified_account(client, mailoutbox, registered, django_capture_on_commit_callbacks):
    registered("new@entreprise.fr")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/verify/resend/", {"email": "NEW@entreprise.fr"})
    assert response.status_code == 200
    assert OutboundEmail.objects.filter(to="new@entreprise.fr", subject__icontains="Confirmez").count() == 2
    assert len(mailoutbox) == 2
    assert "/accounts/verify/" in mailoutbox[-1].body


@pytest.mark.django_db
def test_it_answers_the_same_for_an_unknown_address(client, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/verify/resend/", {"email": "nobody@nowhere.fr"})
    assert response.status_code == 200
    assert mailoutbox == []


@pytest.mark.django_db
def test_a_double_click_sends_one_mail(client, mailoutbox, registered, django_capture_on_commit_callbacks):
    registered("twice@entreprise.fr")
    frozen = time_machine.travel(dt.datetime(2026, 11, 23, 9, 30, 10, tzinfo=dt.UTC), tick=False)
    with frozen, django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/verify/resend/", {"email": "twice@entreprise.fr"})
        client.post("/accounts/verify/resend/", {"email": "twice@entreprise.fr"})
    assert len(mailoutbox) == 2  # the registration mail and one resent link
