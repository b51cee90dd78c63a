"""The award, in Chromium: the buyer proposes the first-ranked bid and asks for the missing evidence; the winner
uploads it from its phone; an approver approves; a losing bidder reads its result and asks for the detailed
reasons; the buyer answers; after the standstill the winner signs, then the buyer signs and notifies.

Console pages at laptop width (1280), portal pages at phone width (390) and laptop width, with no horizontal
scrolling on the phone. The live server runs in a thread of this process: moving the clock here (time-machine)
moves it for the pages too."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from procurement.models import EvidenceKind
from suppliers.models import EvidenceDocument
from tenders.models import Contract, ContractStatus, DebriefRequest, Tender
from tests.browser.confirm import confirm_dialog
from tests.factories import DEFAULT_PASSWORD, StaffFactory, complete_winner_evidence, ranked_tender

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1280, "height": 900}
REASON = "Offre économiquement la plus avantageuse au vu des trois critères."
QUESTION = "Quels sont les avantages relatifs de l'offre retenue sur la valeur technique ?"
ANSWER = "Méthodologie en site occupé plus détaillée et phasage par cage d'escalier."
NO_OVERFLOW = "() => document.documentElement.scrollWidth <= window.innerWidth"




def no_overflow(ui, page, name):
    """A portal page at phone width: nothing wider than the screen (tables scroll inside their frame)."""
    assert page.evaluate(NO_OVERFLOW), ui.why(page, f"horizontal overflow at 390 px on {name}")
    ui.screenshot(page, f"{name}-phone")


@pytest.fixture
def situation():
    """Made before the browser starts: a ranked tender whose winner lacks its decennial insurance."""
    ot = ranked_tender()
    complete_winner_evidence(ot.bids[0].company, trade=ot.tender.category.trade,
                             skip=[EvidenceKind.DECENNIAL_INSURANCE])
    ot.approver = StaffFactory(roles=["approver"], first_name="Sophie", last_name="Lefebvre")
    return ot


def test_proposal_evidence_approval_letters_debriefing_and_signatures(situation, ui, tmp_path):
    ot = situation
    tender = ot.tender
    winner_bid, loser_bid, _third = ot.bids
    winner, winner_user = ot.bidders[0]
    loser, loser_user = ot.bidders[1]

    # --- The buyer proposes the first-ranked bid from the ranking and asks for the missing evidence. ----------
    console = ui.new_page("buyer")
    console.set_viewport_size(LAPTOP)
    ui.log_in(console, ot.buyer.email, DEFAULT_PASSWORD)
    console.goto(f"/console/marches/{tender.id}/evaluation/classement/")
    proposal = console.locator("#proposition")
    expect(proposal, ui.why(console, "proposal block")).to_contain_text(winner.name)
    expect(proposal.get_by_role("radio")).to_have_count(1)
    proposal.get_by_label("Motif de la proposition").fill(REASON)
    ui.screenshot(console, "buyer-propose")
    proposal.get_by_role("button", name="Proposer l'attribution").click()
    confirmed = confirm_dialog(console)
    expect(console.get_by_role("status").filter(has_text="L'attribution est proposée"),
           ui.why(console, "proposed")).to_be_visible()
    assert confirmed and confirmed[0].startswith("Proposer l'attribution")
    expect(console.locator(".tender-tabs [aria-current=page]")).to_have_text("Attribution")
    checklist = console.locator("#evidence-checklist")
    expect(checklist.get_by_role("row").filter(has_text="Assurance décennale"),
           ui.why(console, "missing decennial")).to_contain_text("Manquant")
    expect(console.get_by_role("button", name="Approuver l'attribution")).to_have_count(0)
    console.get_by_text("Demander les justificatifs manquants").click()
    due = timezone.localdate() + dt.timedelta(days=7)
    console.get_by_label("Justificatifs à déposer avant le (inclus)").fill(due.isoformat())
    console.get_by_role("button", name="Envoyer la demande").click()
    expect(console.get_by_role("status").filter(has_text="La demande de justificatifs est envoyée"),
           ui.why(console, "evidence requested")).to_be_visible()
    ui.screenshot(console, "buyer-award-page")

    # --- The winner, on a phone, sees what is asked and uploads it. ----------------------------------------------
    portal = ui.new_page("winner")
    portal.set_viewport_size(PHONE)
    ui.log_in(portal, winner_user.email, DEFAULT_PASSWORD)
    portal.goto(f"/portail/marches/offres/{winner_bid.id}/")
    asked = portal.locator("#justificatifs")
    expect(asked, ui.why(portal, "winner checklist")).to_contain_text("Vous êtes le candidat pressenti")
    expect(asked).to_contain_text(due.strftime("%Y").strip())
    no_overflow(ui, portal, "winner-checklist")
    asked.get_by_role("link", name=re.compile("Déposer.*Assurance décennale")).click()
    expect(portal.get_by_label("Type de justificatif"), ui.why(portal, "kind preselected")).to_have_value(
        EvidenceKind.DECENNIAL_INSURANCE)
    document = tmp_path / "attestation-decennale.pdf"
    from tests.factories import TINY_PDF

    document.write_bytes(TINY_PDF)
    portal.get_by_label("Fichier").set_input_files(str(document))
    portal.get_by_label("Délivré le").fill(timezone.localdate().isoformat())
    portal.get_by_label("Valide jusqu'au").fill((timezone.localdate() + dt.timedelta(days=365)).isoformat())
    portal.get_by_label("Isolation thermique par l'extérieur").check()
    no_overflow(ui, portal, "winner-upload")
    portal.get_by_role("button", name="Déposer le document").click()
    expect(portal.get_by_role("status").filter(has_text="Document « attestation-decennale.pdf » déposé"),
           ui.why(portal, "uploaded, back on the bid")).to_be_visible()
    expect(portal.locator("#justificatifs .badge--danger")).to_have_count(0)
    assert EvidenceDocument.objects.get(company=winner, kind=EvidenceKind.DECENNIAL_INSURANCE).activities == [
        tender.category.trade]

    # --- The approver approves from the inbox. --------------------------------------------------------------------
    approver = ui.new_page("approver")
    approver.set_viewport_size(LAPTOP)
    ui.log_in(approver, ot.approver.email, DEFAULT_PASSWORD)
    approver.goto("/console/")
    approver.get_by_role("navigation", name="Console acheteur").get_by_role("link", name="Approbations").click()
    row = approver.get_by_role("row").filter(has_text=tender.reference)
    expect(row, ui.why(approver, "inbox row")).to_contain_text(winner.name)
    ui.screenshot(approver, "approver-inbox")
    row.get_by_role("link", name=re.compile("^Examiner")).click()
    approver.get_by_role("button", name="Approuver l'attribution").click()
    confirmed = confirm_dialog(approver)
    expect(approver.get_by_role("status").filter(has_text="L'attribution est approuvée"),
           ui.why(approver, "approved")).to_be_visible()
    assert confirmed and confirmed[0].startswith("Approuver l'attribution")
    letters = approver.locator("#letters-table")
    expect(letters, ui.why(approver, "letters listed")).to_contain_text(loser.name)
    expect(approver.locator("#lettres")).to_contain_text("signature possible à partir du")
    ui.screenshot(approver, "approver-awarded")
    tender = Tender.objects.get(pk=tender.pk)
    assert tender.status == "awarded"
    contract = Contract.objects.get(tender=tender)

    # --- A losing bidder reads its result on its phone and asks for the detailed reasons. -----------------------
    bidder = ui.new_page("loser")
    bidder.set_viewport_size(PHONE)
    ui.log_in(bidder, loser_user.email, DEFAULT_PASSWORD)
    bidder.goto(f"/portail/marches/offres/{loser_bid.id}/")
    result = bidder.locator("#resultat")
    expect(result, ui.why(bidder, "result")).to_contain_text("Votre offre n'est pas retenue")
    expect(result).to_contain_text("Rang 2 sur 3")
    expect(result).to_contain_text(f"L'offre retenue : {winner.name}")
    expect(result).to_contain_text("R2181-4")
    expect(bidder.get_by_role("main")).not_to_contain_text(ot.bidders[2][0].name)
    no_overflow(ui, bidder, "loser-result")
    bidder.get_by_label("Votre demande").fill(QUESTION)
    bidder.get_by_role("button", name="Envoyer ma demande").click()
    confirmed = confirm_dialog(bidder)
    expect(bidder.get_by_role("status").filter(has_text="Votre demande est transmise"),
           ui.why(bidder, "debrief asked")).to_be_visible()
    assert confirmed and confirmed[0].startswith("Envoyer cette demande")
    bidder.set_viewport_size(LAPTOP)
    ui.screenshot(bidder, "loser-result-laptop")

    # --- The buyer finds it on the dashboard and answers. -----------------------------------------------------------
    console.goto("/console/")
    requests = console.locator("#debrief-requests")
    expect(requests, ui.why(console, "dashboard debrief")).to_contain_text(loser.name)
    expect(requests).to_contain_text("réponse due avant le")
    requests.get_by_role("link", name=tender.reference).click()
    console.get_by_label("Votre réponse").fill(ANSWER)
    console.get_by_role("button", name="Envoyer la réponse").click()
    confirm_dialog(console)
    expect(console.get_by_role("status").filter(has_text="La réponse est envoyée"),
           ui.why(console, "answered")).to_be_visible()
    assert DebriefRequest.objects.get(bid=loser_bid).answered_at is not None
    bidder.reload()
    expect(bidder.locator("#resultat"), ui.why(bidder, "answer shown")).to_contain_text(ANSWER)

    # --- Before the standstill ends, nobody signs. -------------------------------------------------------------------
    portal.goto(f"/portail/marches/contrats/{contract.id}/")
    expect(portal.get_by_role("main"), ui.why(portal, "standstill notice")).to_contain_text(
        "Vous pourrez signer à partir du")
    expect(portal.get_by_role("link", name="Signer le marché")).to_have_count(0)
    no_overflow(ui, portal, "winner-contract-waiting")

    with time_machine.travel(contract.standstill_ends_at + dt.timedelta(minutes=5), tick=True):
        # --- The winner signs, on its phone, through the confirmation step. ---------------------------------------
        portal.reload()
        portal.get_by_role("link", name="Signer le marché").click()
        expect(portal.get_by_role("heading", level=1), ui.why(portal, "confirmation step")).to_contain_text(
            f"Signer le marché {contract.number}")
        no_overflow(ui, portal, "winner-sign-confirm")
        portal.get_by_role("button", name="Je signe le marché").click()
        confirmed = confirm_dialog(portal)
        expect(portal.get_by_role("status").filter(has_text="Vous avez signé le marché"),
               ui.why(portal, "holder signed")).to_be_visible()
        assert confirmed and confirmed[0].startswith("Signer le marché")
        portal.set_viewport_size(LAPTOP)
        ui.screenshot(portal, "winner-signed-laptop")

        # --- The buyer signs and notifies. ------------------------------------------------------------------------
        console.goto("/console/")
        console.get_by_role("navigation", name="Console acheteur").get_by_role("link", name="Contrats").click()
        console.get_by_role("link", name=contract.number).click()
        console.get_by_role("button", name="Signer le marché").click()
        confirm_dialog(console)
        expect(console.get_by_role("status").filter(has_text="Le marché est signé par l'acheteur"),
               ui.why(console, "buyer signed")).to_be_visible()
        console.get_by_role("button", name="Notifier le marché au titulaire").click()
        confirmed = confirm_dialog(console)
        expect(console.get_by_role("status").filter(has_text="Le marché est notifié au titulaire"),
               ui.why(console, "notified")).to_be_visible()
        assert confirmed and confirmed[0].startswith("Notifier le marché signé")
        contract = Contract.objects.get(pk=contract.pk)
        expect(console.locator("#award-notice-due")).to_have_text(contract.award_notice_due.strftime("%d/%m/%Y"))
        ui.screenshot(console, "buyer-contract-notified")
    assert contract.status == ContractStatus.NOTIFIED
    assert [s.party for s in contract.signatures.order_by("signed_at")] == ["holder", "buyer"]
