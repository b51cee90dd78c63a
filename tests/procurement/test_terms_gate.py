"""A supplier uses the portal only once the terms of use in force are accepted: an account made through the
API without ``accept_terms``, or any account after the version changed, is asked on its next portal page and
comes back to it; the acceptance is recorded once, with its version, time and address, and audited."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from procurement.accounts.models import TermsAcceptance
from procurement.models import AuditEntry
from tests.factories import DEFAULT_PASSWORD, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

PAGE = "/portail/"


def _terms_url(next_path: str) -> str:
    from urllib.parse import urlencode

    return f"{reverse('accounts:terms')}?{urlencode({'next': next_path})}"


def test_an_account_without_acceptance_is_asked_then_returns_to_the_page_it_wanted(client, settings):
    user = UserFactory(terms=False)
    client.force_login(user)
    wanted = "/portail/?onglet=documents"
    response = client.get(wanted)
    assert response.status_code == 302 and response["Location"] == _terms_url(wanted)

    page = client.get(response["Location"])
    body = page.content.decode()
    assert page.status_code == 200 and settings.TERMS_VERSION in body
    assert f'href="{reverse("legal:terms")}"' in body and f'href="{reverse("legal:privacy")}"' in body
    assert 'name="accept_terms"' in body and '<span class="required" aria-hidden="true">*</span>' in body

    response = client.post(reverse("accounts:terms"), {"accept_terms": "on", "next": wanted},
                           REMOTE_ADDR="203.0.113.7")
    assert response.status_code == 302 and response["Location"] == wanted
    [acceptance] = TermsAcceptance.objects.filter(user=user)
    assert acceptance.version == settings.TERMS_VERSION and acceptance.ip_address == "203.0.113.7"
    assert AuditEntry.objects.filter(object_id=str(user.id), action="accept-terms").count() == 1
    assert client.get(wanted).status_code == 200


def test_an_unticked_box_is_an_error_on_the_box_and_records_nothing(client):
    user = UserFactory(terms=False)
    client.force_login(user)
    response = client.post(reverse("accounts:terms"), {"next": PAGE})
    body = response.content.decode()
    assert response.status_code == 400
    assert 'id="id_accept_terms_error"' in body and "Acceptez les conditions" in body
    assert not TermsAcceptance.objects.filter(user=user).exists()
    assert client.get(PAGE).status_code == 302  # still asked


def test_a_form_sent_twice_records_one_acceptance(client):
    user = UserFactory(terms=False)
    client.force_login(user)
    for _ in range(2):
        assert client.post(reverse("accounts:terms"), {"accept_terms": "on"}).status_code == 302
    assert TermsAcceptance.objects.filter(user=user).count() == 1
    assert AuditEntry.objects.filter(object_id=str(user.id), action="accept-terms").count() == 1


def test_a_new_version_of_the_terms_is_asked_again_saying_they_changed(client, settings):
    user = UserFactory()  # accepted the version in force
    client.force_login(user)
    assert client.get(PAGE).status_code == 200
    settings.TERMS_VERSION = "2099-01"
    response = client.get(PAGE)
    assert response.status_code == 302
    body = client.get(response["Location"]).content.decode()
    assert "ont changé depuis que vous les avez acceptées" in body and "2099-01" in body
    client.post(reverse("accounts:terms"), {"accept_terms": "on"})
    assert set(TermsAcceptance.objects.filter(user=user).values_list("version", flat=True)) >= {"2099-01"}
    assert client.get(PAGE).status_code == 200


def test_a_foreign_next_lands_on_the_portal_instead(client):
    client.force_login(UserFactory(terms=False))
    response = client.post(reverse("accounts:terms"), {"accept_terms": "on", "next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == reverse("portal:dashboard")


def test_staff_visitors_and_public_pages_are_not_gated(client):
    assert client.get(PAGE).status_code == 302  # a visitor goes to the login page, not to the terms
    assert reverse("accounts:terms") not in client.get(PAGE)["Location"]
    client.force_login(StaffFactory(roles=["buyer"]))
    assert reverse("accounts:terms") not in client.get(PAGE).get("Location", "")
    client.force_login(UserFactory(terms=False))
    for public in (reverse("legal:terms"), reverse("legal:privacy"), reverse("accounts:profile")):
        assert client.get(public).status_code == 200


def test_the_question_is_settled_at_login_so_pages_cost_no_query_for_it(client, settings):
    client.force_login(UserFactory())
    with CaptureQueriesContext(connection) as first:
        assert client.get(PAGE).status_code == 200
    assert not [q for q in first.captured_queries if "accounts_termsacceptance" in q["sql"]]
    # A session opened before a new version comes into force is asked on its next portal page.
    settings.TERMS_VERSION = "2099-01"
    assert client.get(PAGE).status_code == 302


def test_logging_in_through_the_page_settles_it_too(client):
    user = UserFactory(terms=False)
    response = client.post(reverse("accounts:login"), {"username": user.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 302
    assert client.get(response["Location"])["Location"].startswith(reverse("accounts:terms"))
    client.post(reverse("accounts:terms"), {"accept_terms": "on"})
    client.logout()
    client.post(reverse("accounts:login"), {"username": user.email, "password": DEFAULT_PASSWORD})
    with CaptureQueriesContext(connection) as queries:
        assert client.get(PAGE).status_code == 200
    assert not [q for q in queries.captured_queries if "accounts_termsacceptance" in q["sql"]]
