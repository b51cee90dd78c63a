"""Decisions on real objects: nothing happens before the confirmation; a form that fails says so at the top of
the form and the page comes back where the form is; a rejected company is told it may apply again and how to
contest the decision; people land on their side of the platform after logging in."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from procurement.models import OutboundEmail
from suppliers.models import Admission, ApplicationStatus
from tenders.models import TenderStatus
from tests.factories import (
    DEFAULT_PASSWORD,
    CategoryFactory,
    DPSFactory,
    StaffFactory,
    UserFactory,
    close_bidding,
    company_owner,
    published_tender,
    submitted_application,
    submitted_bid,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def application(buyer):
    dps = DPSFactory(actor=buyer, published=True)
    second = CategoryFactory(dps=dps, actor=buyer, code="ITE-60", territories=["60"])
    return submitted_application(dps=dps, categories=[dps.categories.exclude(pk=second.pk).get(), second])


def _decide_url(application):
    return reverse("console:application_decide", args=[application.id])


def _decision(application, *, reason="Références insuffisantes en ITE."):
    first, second = [line.category for line in application.lines.order_by("category__code")]
    return {
        f"decision_{first.id}": "admit",
        f"reason_{first.id}": "",
        f"decision_{second.id}": "reject",
        f"reason_{second.id}": reason,
    }


# --- the confirmation, on real objects --------------------------------------------------------------------------


def test_a_decision_waits_for_its_confirmation(client, buyer, application):
    client.force_login(buyer)
    data = _decision(application)
    response = client.post(_decide_url(application), data)
    assert response.status_code == 200
    assert "Enregistrer cette décision ?" in response.content.decode()
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED
    assert not Admission.objects.exists()
    assert not OutboundEmail.objects.filter(subject__startswith="Décision").exists()

    response = client.post(_decide_url(application), {**data, "confirmed": "1"})
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == ApplicationStatus.DECIDED


def test_the_review_page_asks_before_deciding(client, buyer, application):
    client.force_login(buyer)
    body = client.get(reverse("console:application_review", args=[application.id])).content.decode()
    form = re.search(r'<form method="post" action="[^"]*/decision/#decision"[^>]*>', body)
    assert form, "the decision form posts to its own anchor"
    assert 'data-confirm="Enregistrer cette décision ?"' in form.group(0)
    assert 'id="decision"' in body


def test_opening_waits_for_its_confirmation(client):
    tender, invited = published_tender(suppliers=1)
    submitted_bid(tender, invited[0][1])
    close_bidding(tender)
    buyer = tender.dps.created_by
    client.force_login(buyer)
    url = reverse("tenders_console:open", args=[tender.id])
    body = client.get(reverse("tenders_console:detail", args=[tender.id])).content.decode()
    assert re.search(rf'<form method="post" action="{url}"[^>]*data-confirm="Ouvrir les plis \?"', body)

    response = client.post(url)
    assert response.status_code == 200
    assert "Ouvrir les plis ?" in response.content.decode()
    tender.refresh_from_db()
    assert tender.status != TenderStatus.OPENED

    response = client.post(url, {"confirmed": "1"})
    assert response.status_code == 302
    tender.refresh_from_db()
    assert tender.status == TenderStatus.OPENED


# --- the error summary ----------------------------------------------------------------------------------------


def test_a_failed_decision_is_summed_up_at_the_form(client, buyer, application):
    client.force_login(buyer)
    first, second = [line.category for line in application.lines.order_by("category__code")]
    response = client.post(_decide_url(application), {"confirmed": "1"})
    assert response.status_code == 400
    body = response.content.decode()
    summary = re.search(r'<div class="error-summary" role="alert" tabindex="-1"[^>]*>(.*?)</div>', body, re.S)
    assert summary, "an error summary"
    assert "autofocus" in summary.group(0) and "data-error-summary" in summary.group(0)
    text = summary.group(1)
    assert "Le formulaire contient 2 erreurs" in text
    # each error links to its field: the first choice of each list of choices
    for category in (first, second):
        assert f'href="#id_decision_{category.id}_0"' in text
        assert f'id="id_decision_{category.id}_0"' in body
    # the summary is inside the decision form, which posts to its own anchor
    form_start = body.index("/decision/#decision")
    assert form_start < body.index('class="error-summary"') < body.index("</form>", form_start)


def test_an_error_found_by_the_service_is_summed_up_in_the_singular(client, buyer, application):
    client.force_login(buyer)
    second = application.lines.order_by("category__code").last().category
    data = _decision(application, reason="")
    body = client.post(_decide_url(application), {**data, "confirmed": "1"}).content.decode()
    assert "Le formulaire contient 1 erreur<" in body
    assert f'href="#id_reason_{second.id}"' in body


def test_a_question_that_fails_comes_back_at_the_questions(client):
    tender, invited = published_tender(suppliers=1)
    client.force_login(invited[0][1])
    url = reverse("tenders_portal:question_ask", args=[tender.id])
    page = client.get(reverse("tenders_portal:tender", args=[tender.id])).content.decode()
    assert f'action="{url}#questions"' in page
    response = client.post(url, {"text": ""})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Le formulaire contient 1 erreur" in body
    assert 'href="#id_text"' in body
    assert body.index('id="questions"') < body.index('class="error-summary"')


def test_login_errors_use_the_same_summary(client):
    response = client.post(reverse("accounts:login"), {"username": "nobody@example.fr", "password": "wrong"})
    body = response.content.decode()
    assert 'class="error-summary" role="alert"' in body
    assert "Le formulaire contient 1 erreur" in body


# --- a rejection tells the company what it may do -------------------------------------------------------------

RIGHTS = (
    "reste ouvert",
    "nouvelle candidature à tout moment",
    "R2162-43",
    # An ESH is a private-law buyer: its decisions go before the judicial courts (procurement.remedies).
    "tribunal judiciaire",
    "référé précontractuel",
    "ordonnance n° 2009-515",
    "action en responsabilité",
)


def test_a_rejection_mail_says_the_dps_stays_open_and_the_remedies(client, buyer, application):
    client.force_login(buyer)
    client.post(_decide_url(application), {**_decision(application), "confirmed": "1"})
    mail = OutboundEmail.objects.get(subject__startswith="Décision sur votre candidature")
    for text in RIGHTS:
        assert text in mail.body, text
    assert application.dps.valid_until.strftime("%Y") in mail.body


def test_an_admission_only_mail_says_nothing_of_remedies(client, buyer, application):
    client.force_login(buyer)
    data = {key: ("admit" if key.startswith("decision_") else "") for key in _decision(application)}
    client.post(_decide_url(application), {**data, "confirmed": "1"})
    mail = OutboundEmail.objects.get(subject__startswith="Décision sur votre candidature")
    assert "tribunal" not in mail.body and "recours" not in mail.body


def test_the_portal_page_of_a_rejected_application_says_it_too(client, buyer, application):
    client.force_login(buyer)
    client.post(_decide_url(application), {**_decision(application), "confirmed": "1"})
    client.force_login(company_owner(application.company))
    body = client.get(reverse("portal:application", args=[application.id])).content.decode()
    for text in RIGHTS:
        assert text in body, text
    assert reverse("portal:apply", args=[application.dps_id]) in body


# --- where people land after logging in --------------------------------------------------------------------------


def _log_in(client, user, **extra):
    return client.post(
        reverse("accounts:login"), {"username": user.email, "password": DEFAULT_PASSWORD, **extra}
    )


def test_staff_land_on_the_console(client):
    response = _log_in(client, StaffFactory(roles=["evaluator"]))
    assert response.status_code == 302
    assert response.url == "/console/"


def test_suppliers_land_on_the_portal(client):
    response = _log_in(client, UserFactory())
    assert response.status_code == 302
    assert response.url == "/portail/"


def test_a_safe_next_wins_and_an_unsafe_one_is_ignored(client):
    user = UserFactory()
    response = _log_in(client, user, next="/portail/marches/")
    assert response.url == "/portail/marches/"
    client.logout()
    response = _log_in(client, user, next="https://evil.example/")
    assert response.url == "/portail/"
