"""The new audited events read as French labels on the pages that show a timeline (never a raw action name)."""

import pytest
from django.urls import reverse
from django.utils.html import escape

from suppliers.services import application_decide
from tenders import services as tender_services
from tests.factories import (
    CategoryFactory,
    DPSFactory,
    company_owner,
    pdf_file,
    published_tender,
    submitted_application,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def decided():
    dps = DPSFactory(published=True)
    first = dps.categories.get()
    second = CategoryFactory(dps=dps, actor=dps.created_by, code="ITE-60", territories=["60"])
    application = submitted_application(dps=dps, categories=[first, second])
    application_decide(actor=dps.created_by, application=application, decisions=[
        {"category": first.id, "admitted": True, "reason": ""},
        {"category": second.id, "admitted": False, "reason": "Hors zone d'intervention"}])
    return application, first, second


def test_each_category_decision_is_labelled_on_the_supplier_timeline(client, decided):
    application, first, second = decided
    client.force_login(company_owner(application.company))
    page = client.get(reverse("portal:application", args=[application.id])).content.decode()
    assert f"Catégorie admise {first.code}" in page
    assert "Catégorie rejetée ITE-60" in page and escape("Hors zone d'intervention") in page
    assert "reject-category" not in page and "admit-category" not in page


def test_each_category_decision_is_labelled_on_the_console_timeline(client, decided):
    application, first, _ = decided
    client.force_login(application.dps.created_by)
    page = client.get(reverse("console:application_review", args=[application.id])).content.decode()
    assert f"Catégorie admise {first.code}" in page and "Catégorie rejetée ITE-60" in page
    assert "reject-category" not in page


def test_addenda_and_answers_are_labelled_on_the_tender_timeline(client):
    tender, [(_, user), _] = published_tender(suppliers=2)
    buyer = tender.published_by
    tender_services.tender_document_upload(actor=buyer, tender=tender, kind="specification",
                                           uploaded_file=pdf_file("cctp-v2.pdf"), title="CCTP modifié")
    question = tender_services.question_ask(actor=user, tender=tender, text="Accès au chantier ?")
    tender_services.question_answer(actor=buyer, question=question, text="Par la rue des Tilleuls.")

    client.force_login(buyer)
    page = client.get(reverse("tenders_console:detail", args=[tender.id])).content.decode()
    assert "Publication d&#x27;un document modificatif" in page and "Réponse à une question" in page
    assert "publish-addendum" not in page and "answer-question" not in page
