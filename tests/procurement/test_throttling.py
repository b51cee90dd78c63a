"""Logins, registrations, verification and password-reset mails are limited per address and per network
address; registration does not tell whether an address has an account."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from procurement.accounts.models import User
from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def api_login(email, password, ip="203.0.113.7"):
    return APIClient().post("/api/v1/auth/token/", {"email": email, "password": password}, format="json",
                            REMOTE_ADDR=ip)


def page_login(client, email, password, ip="203.0.113.7"):
    return client.post(reverse("accounts:login"), {"username": email, "password": password}, REMOTE_ADDR=ip)


# --- logins ------------------------------------------------------------------------------------------------


def test_ten_failed_api_logins_lock_the_address_even_with_the_right_password():
    user = UserFactory()
    for _ in range(9):
        assert api_login(user.email, "faux").status_code == 400
    assert api_login(user.email, DEFAULT_PASSWORD).status_code == 200  # a success clears the count
    for _ in range(10):
        assert api_login(user.email, "faux").status_code == 400
    response = api_login(user.email, DEFAULT_PASSWORD)
    assert response.status_code == 429
    assert response["Content-Type"].startswith("application/problem+json")
    assert "bloquée pendant encore 15 minutes" in response.json()["detail"]
    assert 0 < int(response["Retry-After"]) <= 15 * 60
    # Another address from the same network address is not affected.
    assert api_login(UserFactory().email, DEFAULT_PASSWORD).status_code == 200
    # The lock is lifted after LOGIN_LOCKOUT_MINUTES.
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=16)):
        assert api_login(user.email, DEFAULT_PASSWORD).status_code == 200


def test_failed_page_logins_lock_the_address_with_a_french_message(client):
    user = UserFactory()
    for _ in range(10):
        assert "incorrect" in page_login(client, user.email, "faux").content.decode()
    response = page_login(client, user.email, DEFAULT_PASSWORD)
    assert response.status_code == 200 and "_auth_user_id" not in client.session
    assert "Trop de tentatives de connexion infructueuses" in response.content.decode()
    # The API and the pages share the count.
    assert api_login(user.email, DEFAULT_PASSWORD).status_code == 429


def test_an_unknown_address_is_locked_like_a_known_one():
    for _ in range(10):
        api_login("personne@example.fr", "faux")
    assert api_login("personne@example.fr", "faux").status_code == 429


def test_many_failures_from_one_network_address_lock_it(settings):
    settings.LOGIN_FAILURES_PER_IP = 12
    user = UserFactory()
    for index in range(12):
        api_login(f"essai{index}@example.fr", "faux", ip="198.51.100.9")
    assert api_login(user.email, DEFAULT_PASSWORD, ip="198.51.100.9").status_code == 429
    assert api_login(user.email, DEFAULT_PASSWORD, ip="198.51.100.10").status_code == 200


def test_behind_a_proxy_the_forwarded_address_is_counted(settings):
    settings.TRUSTED_PROXIES = 1
    settings.LOGIN_FAILURES_PER_IP = 3
    for index in range(3):
        APIClient().post("/api/v1/auth/token/", {"email": f"e{index}@example.fr", "password": "x"}, format="json",
                         REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.20")
    user = UserFactory()
    ok = APIClient().post("/api/v1/auth/token/", {"email": user.email, "password": DEFAULT_PASSWORD}, format="json",
                          REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.21")
    assert ok.status_code == 200


# --- registration ------------------------------------------------------------------------------------------


def register(email, ip="203.0.113.7"):
    return APIClient().post("/api/v1/auth/register/", {
        "email": email, "password": "Tr3s-longue-phrase", "first_name": "Léa", "last_name": "Roux",
        "accept_terms": True}, format="json", REMOTE_ADDR=ip)


def test_registration_answers_the_same_for_a_known_address_and_mails_its_owner(mailoutbox,
                                                                              django_capture_on_commit_callbacks):
    owner = UserFactory(email="deja@example.fr")
    with django_capture_on_commit_callbacks(execute=True):
        known, new = register("Deja@example.fr"), register("nouvelle@example.fr")
    assert known.status_code == new.status_code == 201
    assert known.json().keys() == new.json().keys()
    assert known.json()["id"] != str(owner.id)
    assert User.objects.filter(email__iexact="deja@example.fr").count() == 1
    mails = {m.to[0]: m for m in mailoutbox}
    assert mails["deja@example.fr"].subject == "Vous avez déjà un compte"
    assert "/accounts/password-reset/" in mails["deja@example.fr"].body
    assert "/accounts/verify/" in mails["nouvelle@example.fr"].body


def test_registration_page_answers_the_same_for_a_known_address(client):
    UserFactory(email="deja@example.fr")
    data = {"email": "deja@example.fr", "password": "Tr3s-longue-phrase", "password_confirm": "Tr3s-longue-phrase",
            "first_name": "Léa", "last_name": "Roux", "accept_terms": "on"}
    known = client.post(reverse("accounts:register"), data)
    new = client.post(reverse("accounts:register"), {**data, "email": "autre@example.fr"})
    assert known.status_code == new.status_code == 200
    for response in (known, new):
        assert "accounts/register_done.html" in [t.name for t in response.templates]
    main = [r.content.decode().split("<main")[1].split("</main>")[0] for r in (known, new)]
    assert main[0].replace("deja@", "autre@").replace("deja%40", "autre%40") == main[1]


def test_registrations_are_limited_per_address_and_per_network_address(settings):
    for _ in range(5):
        assert register("flood@example.fr").status_code == 201
    response = register("flood@example.fr")
    assert response.status_code == 429 and "Trop de demandes" in response.json()["detail"]
    settings.ACCOUNT_MAILS_PER_IP = 7
    assert register("a@example.fr", ip="198.51.100.1").status_code == 201
    for index in range(6):
        register(f"b{index}@example.fr", ip="198.51.100.1")
    assert register("c@example.fr", ip="198.51.100.1").status_code == 429


# --- verification and password-reset mails -----------------------------------------------------------------


def test_verification_resend_is_limited(client):
    UserFactory(email="attente@example.fr", unverified=True)
    for _ in range(5):
        assert client.post(reverse("accounts:resend_verification"), {"email": "attente@example.fr"}).status_code == 200
    response = client.post(reverse("accounts:resend_verification"), {"email": "attente@example.fr"})
    assert response.status_code == 429 and "Trop de demandes" in response.content.decode()


def test_password_reset_is_limited_whether_or_not_the_account_exists(client):
    UserFactory(email="oubli@example.fr")
    for email in ("oubli@example.fr", "inconnu@example.fr"):
        for _ in range(5):
            assert client.post(reverse("accounts:password_reset"), {"email": email}).status_code == 302
        response = client.post(reverse("accounts:password_reset"), {"email": email})
        assert response.status_code == 429 and "Trop de demandes" in response.content.decode()


# --- production: counters shared in Redis -----------------------------------------------------------------


@pytest.mark.services
def test_the_counts_live_in_redis_when_configured(require_redis, settings):
    """With CACHE_URL=redis://…, every worker sees the same counts: a lock set through one connection is seen
    through a fresh one."""
    import uuid

    from django.core.cache import caches

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": require_redis, "KEY_PREFIX": f"test-{uuid.uuid4().hex}"}}
    user = UserFactory()
    for _ in range(10):
        api_login(user.email, "faux")
    caches["default"].close()
    assert api_login(user.email, DEFAULT_PASSWORD).status_code == 429  # the keys expire by themselves
