"""A buyer admits an application submitted through the services; the contractor sees the decision."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from procurement.models import OutboundEmail
from suppliers.models import Admission, ApplicationStatus
from suppliers.services import application_create, application_submit
from tests.browser.confirm import confirm_dialog
from tests.factories import DEFAULT_PASSWORD, CompanyFactory, UserFactory, ready_company

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_buyer_admits_and_contractor_sees_admitted(ui, open_dps, buyer, mailoutbox):
    dps, category = open_dps
    contractor = UserFactory(email="paul.leroy@menuiseries-lens.fr", first_name="Paul", last_name="Leroy")
    company, _ = ready_company([category], company=CompanyFactory(owner=contractor, name="Menuiseries de Lens SAS"),
                               user=contractor)
    application = application_create(actor=contractor, dps=dps, company=company, category_ids=[category.id])
    application = application_submit(actor=contractor, application=application)
    subject = f"Décision sur votre candidature — {dps.reference}"

    # The buyer logs in, lands on the console dashboard and finds the application there.
    console = ui.new_page("buyer")
    ui.log_in(console, buyer.email)
    expect(console.get_by_role("heading", level=1), ui.why(console, "console dashboard")).to_have_text(
        "Tableau de bord")
    pending = console.get_by_role("row").filter(has_text=company.name)
    expect(pending, ui.why(console, "application awaiting a decision")).to_contain_text(category.code)
    expect(pending).to_contain_text("Déposée")
    ui.screenshot(console, "buyer-dashboard")

    # The review page: admit the category.
    pending.get_by_role("link", name=company.name).click()
    expect(console.get_by_role("heading", level=1), ui.why(console, "review page")).to_have_text(company.name)
    expect(console.get_by_role("main")).to_contain_text("Aucun motif d'exclusion déclaré")
    decision = console.get_by_role("group", name=f"{category.code} — {category.name}")
    decision.get_by_label("Admettre").check()
    ui.screenshot(console, "buyer-review")
    console.get_by_role("button", name="Enregistrer la décision").click()
    assert confirm_dialog(console) == ["Enregistrer cette décision ?"]
    expect(console.get_by_role("status").filter(has_text="La décision est enregistrée"),
           ui.why(console, "decision recorded")).to_be_visible()
    expect(console.locator(".console-due"), ui.why(console, "decided")).to_contain_text("Décidée")
    ui.screenshot(console, "buyer-decided")

    application.refresh_from_db()
    assert application.status == ApplicationStatus.DECIDED
    assert Admission.objects.filter(company=company, category=category, status="admitted").count() == 1

    # The contractor, in another browser context, sees the decision.
    portal = ui.new_page("contractor")
    ui.log_in(portal, contractor.email, DEFAULT_PASSWORD)
    expect(portal.get_by_role("heading", name="Mon espace entreprise"), ui.why(portal, "portal")).to_be_visible()
    portal.get_by_role("link", name=dps.reference).click()
    expect(portal.get_by_role("heading", level=1), ui.why(portal, "application page")).to_contain_text(
        dps.reference)
    expect(portal.locator(".page-header"), ui.why(portal, "application decided")).to_contain_text("Décidée")
    expect(portal.get_by_role("row").filter(has_text=category.code), ui.why(portal, "category admitted")
           ).to_contain_text("Admise")
    ui.screenshot(portal, "contractor-admitted")

    # One decision mail, to the company's member, even after the buyer reloaded the review page.
    console.reload()
    decision_mails = [m for m in mailoutbox if m.subject == subject]
    assert len(decision_mails) == 1, [m.subject for m in mailoutbox]
    assert decision_mails[0].to == [contractor.email]
    assert "admise" in decision_mails[0].body
    assert OutboundEmail.objects.filter(subject=subject).count() == 1
