"""Irreversible actions ask first: the dialog with scripts, the server's confirmation page without them.

A buyer rejects a category (cancelling once, then failing the form, then confirming) and opens the bids;
the rejected contractor reads that the DPS stays open and how to contest the decision.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from suppliers.models import ApplicationStatus
from suppliers.services import application_create, application_submit
from tenders.models import TenderStatus
from tests.browser.confirm import CONFIRM_DIALOG
from tests.factories import (
    DEFAULT_PASSWORD,
    CompanyFactory,
    UserFactory,
    close_bidding,
    published_tender,
    ready_company,
    submitted_bid,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_rejection_is_confirmed_in_a_dialog_and_a_failed_form_is_summed_up(ui, open_dps, buyer):
    dps, category = open_dps
    contractor = UserFactory(email="lea.martin@facades-douai.fr", first_name="Léa", last_name="Martin")
    company, _ = ready_company(
        [category], company=CompanyFactory(owner=contractor, name="Façades de Douai SARL"), user=contractor
    )
    application = application_submit(
        actor=contractor,
        application=application_create(
            actor=contractor, dps=dps, company=company, category_ids=[category.id]
        ),
    )

    console = ui.new_page("buyer")
    ui.log_in(console, buyer.email)
    expect(console, ui.why(console, "staff land on the console")).to_have_url(re.compile(r"/console/$"))
    console.goto(f"/console/candidatures/{application.id}/")
    decision = console.get_by_role("group", name=f"{category.code} — {category.name}")
    decision.get_by_label("Rejeter").check()
    save = console.get_by_role("button", name="Enregistrer la décision")

    # The dialog asks; "Annuler" keeps the page as it was, nothing is sent.
    save.click()
    dialog = console.locator(CONFIRM_DIALOG)
    expect(dialog, ui.why(console, "confirmation dialog")).to_be_visible()
    expect(dialog.get_by_role("heading")).to_have_text("Enregistrer cette décision ?")
    expect(dialog).to_contain_text("l'entreprise en est informée aussitôt")
    expect(dialog.get_by_role("button", name="Annuler"), "the safe choice has the focus").to_be_focused()
    ui.screenshot(console, "decision-dialog")
    dialog.get_by_role("button", name="Annuler").click()
    expect(dialog).to_be_hidden()
    expect(save).to_be_focused()
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED

    # Confirmed without a reason: the form comes back at the decision, its summary first and focused.
    save.click()
    dialog.get_by_role("button", name="Confirmer").click()
    summary = console.get_by_role("alert").filter(has_text="Le formulaire contient 1 erreur")
    expect(summary, ui.why(console, "error summary")).to_be_focused()
    expect(console).to_have_url(re.compile(r"/decision/#decision$"))
    ui.screenshot(console, "decision-error-summary")
    summary.get_by_role("link").click()
    reason = console.locator(f"#id_reason_{category.id}")
    expect(reason, "the summary's link leads to the field").to_be_focused()
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED

    reason.fill("Chiffre d'affaires insuffisant pour la catégorie.")
    console.get_by_role("group", name=f"{category.code} — {category.name}").get_by_label("Rejeter").check()
    console.get_by_role("button", name="Enregistrer la décision").click()
    dialog.get_by_role("button", name="Confirmer").click()
    expect(
        console.get_by_role("status").filter(has_text="La décision est enregistrée"),
        ui.why(console, "decision recorded"),
    ).to_be_visible()
    application.refresh_from_db()
    assert application.status == ApplicationStatus.DECIDED

    # The contractor lands on the portal and reads what it may do now.
    portal = ui.new_page("contractor")
    ui.log_in(portal, contractor.email, DEFAULT_PASSWORD)
    expect(portal, ui.why(portal, "suppliers land on the portal")).to_have_url(re.compile(r"/portail/$"))
    portal.goto(f"/portail/candidatures/{application.id}/")
    after = portal.get_by_role("region", name="Après un rejet")
    expect(after, ui.why(portal, "rejection notice")).to_contain_text("reste ouvert")
    expect(after).to_contain_text("nouvelle candidature à tout moment")
    expect(after).to_contain_text("tribunal judiciaire")
    expect(after).to_contain_text("référé précontractuel")
    ui.screenshot(portal, "contractor-rejected")


def test_opening_the_bids_asks_first_with_and_without_scripts(ui):
    tender, invited = published_tender(suppliers=1)
    submitted_bid(tender, invited[0][1])
    close_bidding(tender)
    buyer = tender.dps.created_by

    # Without scripts: the server's confirmation page, whose "Annuler" goes back to the tender.
    plain = ui.new_page("buyer-without-scripts", javascript=False)
    ui.log_in(plain, buyer.email, DEFAULT_PASSWORD)
    plain.goto(f"/console/marches/{tender.id}/")
    plain.get_by_role("button", name="Ouvrir les plis").click()
    expect(plain.get_by_role("heading", level=1), ui.why(plain, "confirmation page")).to_have_text(
        "Ouvrir les plis ?"
    )
    ui.screenshot(plain, "open-confirmation-page")
    plain.get_by_role("link", name="Annuler").click()
    expect(plain).to_have_url(re.compile(rf"/console/marches/{tender.id}/$"))
    tender.refresh_from_db()
    assert tender.status != TenderStatus.OPENED

    # With scripts: the dialog; Escape cancels, "Confirmer" opens.
    console = ui.new_page("buyer")
    ui.log_in(console, buyer.email, DEFAULT_PASSWORD)
    console.goto(f"/console/marches/{tender.id}/")
    console.get_by_role("button", name="Ouvrir les plis").click()
    dialog = console.locator(CONFIRM_DIALOG)
    expect(dialog, ui.why(console, "dialog")).to_be_visible()
    expect(dialog.get_by_role("heading")).to_have_text("Ouvrir les plis ?")
    console.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    tender.refresh_from_db()
    assert tender.status != TenderStatus.OPENED

    console.get_by_role("button", name="Ouvrir les plis").click()
    dialog.get_by_role("button", name="Confirmer").click()
    expect(
        console.get_by_role("status").filter(has_text="Les plis sont ouverts"), ui.why(console, "bids opened")
    ).to_be_visible()
    tender.refresh_from_db()
    assert tender.status == TenderStatus.OPENED

    # The page the script-less buyer left open is now out of date: confirming there is refused, not repeated.
    plain.get_by_role("button", name="Ouvrir les plis").click()
    plain.get_by_role("button", name="Confirmer").click()
    expect(plain.get_by_role("alert"), ui.why(plain, "already opened")).to_be_visible()
