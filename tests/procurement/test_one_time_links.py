"""One-time links (email verification, password reset) are not kept readable: blanked from the outbox once
sent, never shown in the back office, and the reset token never appears in a requested address (so in no
access log)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from procurement.accounts.services import user_register
from procurement.models import EmailStatus, OutboundEmail
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https?://\S+")


def ask_reset(client, email, capture):
    with capture(execute=True):
        client.post(reverse("accounts:password_reset"), {"email": email})


def test_a_sent_reset_mail_keeps_no_link_nor_token(client, mailoutbox, django_capture_on_commit_callbacks):
    user = UserFactory(email="oubli@example.fr")
    ask_reset(client, user.email, django_capture_on_commit_callbacks)
    link = LINK.search(mailoutbox[-1].body).group(0)
    token = link.rsplit("/", 1)[1]
    stored = OutboundEmail.objects.get(to=user.email)
    assert stored.status == EmailStatus.SENT and stored.one_time_link
    assert "/accounts/reset/" not in stored.body and token not in stored.body and token not in stored.key
    assert "lien à usage unique retiré" in stored.body


def test_a_sent_verification_mail_keeps_no_link(mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        user_register(email="neuve@example.fr", password="Un-mot-de-passe-42", first_name="Léa", accept_terms=True)
    assert "/accounts/verify/" in mailoutbox[-1].body
    stored = OutboundEmail.objects.get(to="neuve@example.fr")
    assert stored.status == EmailStatus.SENT and "/accounts/verify/" not in stored.body


def test_the_admin_never_shows_a_one_time_link(admin_client, django_capture_on_commit_callbacks):
    user_register(email="attente@example.fr", password="Un-mot-de-passe-42", first_name="Léa",  # not sent yet
                  accept_terms=True)
    stored = OutboundEmail.objects.get(to="attente@example.fr")
    assert stored.status == EmailStatus.QUEUED and "/accounts/verify/" in stored.body
    page = admin_client.get(f"/admin/procurement/outboundemail/{stored.pk}/change/")
    assert page.status_code == 200
    assert "/accounts/verify/" not in page.content.decode() and stored.subject in page.content.decode()


def test_the_reset_token_is_in_no_requested_address(client, mailoutbox, django_capture_on_commit_callbacks):
    user = UserFactory(email="oubli@example.fr")
    ask_reset(client, user.email, django_capture_on_commit_callbacks)
    link = LINK.search(mailoutbox[-1].body).group(0)
    address, _, secret = link.partition("#")
    assert secret and secret.split("/")[1] and secret.split("/")[1] not in address
    requested = [address.removeprefix("http://127.0.0.1:8000").removeprefix("https://sad.example.fr")]
    assert client.get(requested[0]).status_code == 200
    response = client.post(reverse("accounts:password_reset_link"), {"link": link})
    assert response.status_code == 302
    requested.append(response["Location"])
    response = client.post(response["Location"], {"new_password1": "Menuiserie-2026-neuve",
                                                  "new_password2": "Menuiserie-2026-neuve"})
    assert response.status_code == 302
    assert all(secret.split("/")[1] not in path for path in requested), requested
    user.refresh_from_db()
    assert user.check_password("Menuiserie-2026-neuve")


def test_a_used_or_forged_link_is_refused(client, mailoutbox, django_capture_on_commit_callbacks):
    user = UserFactory(email="oubli@example.fr")
    ask_reset(client, user.email, django_capture_on_commit_callbacks)
    link = LINK.search(mailoutbox[-1].body).group(0)
    forged = link[:-3] + "zzz"
    response = client.post(reverse("accounts:password_reset_link"), {"link": forged})
    assert response.status_code == 400 and "plus valable" in response.content.decode()
    response = client.post(reverse("accounts:password_reset_link"), {"link": "https://ailleurs.example/"})
    assert response.status_code == 200 and "n&#x27;est pas celui" in response.content.decode()
