"""API tokens cannot unseal a bid: hashed at rest, new at each login, expiring, revoked by a password change or
reset and by a logout, never shown in the back office."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from procurement.accounts.models import ApiToken
from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def login(user, password=DEFAULT_PASSWORD) -> dict:
    response = APIClient().post("/api/v1/auth/token/", {"email": user.email, "password": password}, format="json")
    assert response.status_code == 200, response.content[:400]
    return response.json()


def me(key: str):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client.get("/api/v1/me/")


def test_each_login_gives_a_new_token_and_its_expiry():
    user = UserFactory()
    first, second = login(user), login(user)
    assert first["token"] != second["token"]
    assert set(first) == {"token", "expires_at"}
    assert me(first["token"]).status_code == 200 and me(second["token"]).status_code == 200
    assert me(first["token"]).json()["id"] == str(user.id)


def test_the_database_keeps_no_usable_token():
    user = UserFactory()
    key = login(user)["token"]
    row = ApiToken.objects.get(user=user)
    stored = [str(value) for value in row.__dict__.values()]
    assert key not in stored and not any(key in value for value in stored)
    # Whatever is copied from the table authenticates no one.
    for copied in (row.digest, row.password_hash, str(row.pk)):
        response = me(copied)
        assert response.status_code == 401
        assert response["Content-Type"].startswith("application/problem+json")


def test_a_token_expires_after_the_configured_lifetime(settings):
    settings.API_TOKEN_LIFETIME_HOURS = 2
    user = UserFactory()
    body = login(user)
    assert dt.datetime.fromisoformat(body["expires_at"]) - timezone.now() <= dt.timedelta(hours=2)
    with time_machine.travel(timezone.now() + dt.timedelta(hours=1, minutes=59)):
        assert me(body["token"]).status_code == 200
    with time_machine.travel(timezone.now() + dt.timedelta(hours=2, minutes=1)):
        response = me(body["token"])
        assert response.status_code == 401 and "expiré" in response.json()["detail"]


def test_a_password_reset_revokes_every_token(client, mailoutbox, django_capture_on_commit_callbacks, settings):
    settings.SITE_URL = "https://sad.example.fr"
    user = UserFactory()
    keys = [login(user)["token"], login(user)["token"]]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounts:password_reset"), {"email": user.email})
    link = next(line for line in mailoutbox[-1].body.splitlines() if "/accounts/reset/" in line)
    response = client.post(reverse("accounts:password_reset_link"), {"link": link}, follow=True)
    response = client.post(response.redirect_chain[-1][0], {"new_password1": "Menuiserie-2026-neuve",
                                                            "new_password2": "Menuiserie-2026-neuve"})
    assert response.status_code == 302
    for key in keys:
        response = me(key)
        assert response.status_code == 401 and "mot de passe" in response.json()["detail"]
    assert me(login(user, "Menuiserie-2026-neuve")["token"]).status_code == 200
    assert ApiToken.objects.filter(user=user).count() == 1  # the dead ones went with the new login


def test_a_password_changed_anywhere_else_revokes_too(monkeypatch):
    user = UserFactory()
    key = login(user)["token"]
    monkeypatch.setattr("getpass.getpass", lambda prompt="": "Charpente-2026-neuve")
    call_command("changepassword", user.email, stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert me(key).status_code == 401


def test_logout_revokes_that_token_only():
    user = UserFactory()
    kept, dropped = login(user)["token"], login(user)["token"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {dropped}")
    assert client.post("/api/v1/auth/logout/").status_code == 204
    assert me(dropped).status_code == 401
    assert me(kept).status_code == 200
    assert APIClient().post("/api/v1/auth/logout/").status_code == 401


def test_a_deactivated_user_token_stops_working():
    user = UserFactory()
    key = login(user)["token"]
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert me(key).status_code == 401
