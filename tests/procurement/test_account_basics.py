"""Account basics: registration with a password confirmation and the acceptance of the terms (recorded),
the "Mon compte" page (name, password change), and a password reset that tells nobody whether an address has
an account."""

import datetime as dt
import re

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from procurement.accounts.models import TermsAcceptance, User
from procurement.models import AuditEntry, OutboundEmail
from tests.factories import DEFAULT_PASSWORD, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Menuiserie-2026-neuve"


def _registration(**overrides):
    return {
        "first_name": "Léa",
        "last_name": "Roux",
        "email": "lea.roux@example.fr",
        "password": NEW_PASSWORD,
        "password_confirm": NEW_PASSWORD,
        "accept_terms": "on",
        **overrides,
    }


# --- registration ------------------------------------------------------------------------------------------


def test_the_registration_page_links_the_terms_and_the_privacy_notice(client):
    page = client.get(reverse("accounts:register")).content.decode()
    assert 'id="id_password_confirm"' in page and 'id="id_accept_terms"' in page
    assert f'href="{reverse("legal:terms")}"' in page and f'href="{reverse("legal:privacy")}"' in page
    assert "J&#x27;accepte les" in page or "J'accepte les" in page


def test_a_confirmation_that_differs_is_refused_on_its_field(client):
    response = client.post(reverse("accounts:register"), _registration(password_confirm="Autre-chose-2026"))
    assert set(response.context["form"].errors) == {"password_confirm"}
    page = response.content.decode()
    assert (
        "Les deux mots de passe ne sont pas identiques." in page and 'id="id_password_confirm_error"' in page
    )
    assert not User.objects.exists()


def test_registering_without_accepting_the_terms_is_refused_on_the_checkbox(client, mailoutbox):
    data = _registration()
    del data["accept_terms"]
    response = client.post(reverse("accounts:register"), data)
    assert set(response.context["form"].errors) == {"accept_terms"}
    assert 'id="id_accept_terms_error"' in response.content.decode()
    assert not User.objects.exists() and not TermsAcceptance.objects.exists() and not mailoutbox


def test_the_acceptance_is_recorded_with_the_version_the_time_and_the_address(client, settings):
    settings.TERMS_VERSION = "2027-01"
    moment = timezone.make_aware(dt.datetime(2027, 1, 15, 9, 30))
    with time_machine.travel(moment, tick=False):
        client.post(reverse("accounts:register"), _registration(), REMOTE_ADDR="203.0.113.9")
    user = User.objects.get(email="lea.roux@example.fr")
    [acceptance] = user.terms_acceptances.all()
    assert (acceptance.version, acceptance.accepted_at, acceptance.ip_address) == (
        "2027-01",
        moment,
        "203.0.113.9",
    )
    entry = AuditEntry.objects.get(object_type="user", object_id=str(user.id), action="accept-terms")
    assert entry.actor_id == user.id and entry.details["version"] == "2027-01"


def test_a_known_address_records_nothing_and_answers_the_same(client):
    owner = UserFactory(email="lea.roux@example.fr", terms=False)
    response = client.post(reverse("accounts:register"), _registration())
    assert "accounts/register_done.html" in [t.name for t in response.templates]
    assert not TermsAcceptance.objects.filter(user=owner).exists()


def test_the_api_keeps_its_contract_and_records_the_acceptance_when_given():
    """POST auth/register takes {email, password, first_name, last_name} (the API's contract): the acceptance
    is recorded when ``accept_terms`` is true, and its absence records nothing."""
    from rest_framework.test import APIClient

    plain = {"email": "api@example.fr", "password": NEW_PASSWORD, "first_name": "Ada", "last_name": "Api"}
    assert APIClient().post("/api/v1/auth/register/", plain, format="json").status_code == 201
    assert not TermsAcceptance.objects.filter(user__email="api@example.fr").exists()
    accepted = {**plain, "email": "api2@example.fr", "accept_terms": True}
    assert APIClient().post("/api/v1/auth/register/", accepted, format="json").status_code == 201
    assert TermsAcceptance.objects.get(user__email="api2@example.fr").version == settings.TERMS_VERSION


# --- "Mon compte" --------------------------------------------------------------------------------------------


def test_the_account_page_needs_a_login(client):
    response = client.get(reverse("accounts:profile"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize("page", ["portal:dashboard", "console:dashboard"])
def test_the_account_page_is_linked_from_the_portal_and_the_console(client, page):
    user = StaffFactory(roles=["buyer"]) if page.startswith("console") else UserFactory()
    client.force_login(user)
    response = client.get(reverse(page))
    assert response.status_code == 200
    assert f'href="{reverse("accounts:profile")}"' in response.content.decode()


def test_the_account_page_shows_the_address_and_changes_the_name_with_a_record(client):
    user = UserFactory(first_name="Léa", last_name="Roux")
    client.force_login(user)
    page = client.get(reverse("accounts:profile")).content.decode()
    assert user.email in page and 'value="Léa"' in page
    response = client.post(
        reverse("accounts:profile"), {"action": "profile", "first_name": " Léa ", "last_name": "Roux-Martin"}
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.first_name, user.last_name) == ("Léa", "Roux-Martin")
    entry = AuditEntry.objects.get(object_type="user", object_id=str(user.id), action="update")
    assert entry.details == {"last_name": ["Roux", "Roux-Martin"]} and entry.actor_id == user.id


def test_an_empty_name_is_refused_on_its_field(client):
    user = UserFactory(first_name="Léa", last_name="Roux")
    client.force_login(user)
    response = client.post(
        reverse("accounts:profile"), {"action": "profile", "first_name": "", "last_name": "Roux"}
    )
    assert response.status_code == 400 and set(response.context["profile_form"].errors) == {"first_name"}
    assert 'id="id_first_name_error"' in response.content.decode()
    user.refresh_from_db()
    assert user.first_name == "Léa"


def test_a_wrong_current_password_is_refused_on_its_field(client):
    user = UserFactory()
    client.force_login(user)
    response = client.post(
        reverse("accounts:profile"),
        {
            "action": "password",
            "old_password": "pas-le-bon",
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    assert response.status_code == 400 and set(response.context["password_form"].errors) == {"old_password"}
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)


def test_a_password_change_keeps_this_session_ends_the_others_and_is_recorded(client, django_user_model):
    from django.test import Client

    user = UserFactory()
    other = Client()
    other.force_login(user)
    client.force_login(user)
    response = client.post(
        reverse("accounts:profile"),
        {
            "action": "password",
            "old_password": DEFAULT_PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
        follow=True,
    )
    assert "Votre mot de passe est modifié." in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert client.get(reverse("accounts:profile")).status_code == 200  # still signed in here
    assert other.get(reverse("accounts:profile")).status_code == 302  # signed out elsewhere
    entry = AuditEntry.objects.get(object_type="user", object_id=str(user.id), action="change-password")
    assert entry.actor_id == user.id and NEW_PASSWORD not in str(entry.details) + entry.reason


# --- password reset ------------------------------------------------------------------------------------------


def _without_csrf(response) -> str:
    # Each page masks its CSRF token anew: that part differs between any two pages.
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())


def _ask_reset(client, email, capture):
    with CaptureQueriesContext(connection) as queries, capture(execute=True):
        response = client.post(reverse("accounts:password_reset"), {"email": email})
    done = client.get(response["Location"])
    return response, done, len(queries)


def test_a_reset_answers_and_works_the_same_whether_or_not_the_address_has_an_account(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    UserFactory(email="connue@example.fr")
    known, known_done, known_queries = _ask_reset(
        client, "connue@example.fr", django_capture_on_commit_callbacks
    )
    unknown, unknown_done, unknown_queries = _ask_reset(
        client, "inconnue@example.fr", django_capture_on_commit_callbacks
    )
    assert (known.status_code, known["Location"], known.content) == (
        unknown.status_code,
        unknown["Location"],
        unknown.content,
    )
    assert _without_csrf(known_done) == _without_csrf(unknown_done)
    # The same work either way (one look-up, one mail written and queued): no difference in time to measure.
    assert known_queries == unknown_queries
    assert OutboundEmail.objects.filter(to="connue@example.fr").count() == 1
    assert OutboundEmail.objects.filter(to="inconnue@example.fr").count() == 1
    mails = {m.to[0]: m for m in mailoutbox}
    assert "/accounts/reset/#" in mails["connue@example.fr"].body
    neutral = mails["inconnue@example.fr"]
    assert neutral.subject == mails["connue@example.fr"].subject
    assert (
        "/accounts/reset/" not in neutral.body
        and "Aucun compte actif n'utilise cette adresse" in neutral.body
    )
