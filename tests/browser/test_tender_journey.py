"""The main mini-tender journey, in Chromium.

A buyer creates a tender in the console wizard and publishes it; a contractor sees the invitation, asks a
question, reads the answer, prices the schedule and submits; after the deadline the buyer opens the bids and
reads the bid.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from procurement.models import DynamicPurchasingSystem
from tenders.models import Bid, BidStatus, Question, Tender, TenderStatus
from tests.browser.confirm import confirm_dialog
from tests.factories import (
    DEFAULT_PASSWORD,
    CompanyFactory,
    UserFactory,
    admitted_company,
    company_owner,
    ready_company,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TITLE = "Isolation par l'extérieur — Résidence Les Tilleuls"
SCHEDULE = [
    # (reference, designation, unit, quantity, unit price typed by the contractor)
    ("1.1", "Installation de chantier", "forfait", "1", "5000"),
    ("2.1", "Isolant PSE graphité 160 mm", "m²", "1200", "95,00"),
    ("2.2", "Enduit de finition", "m²", "1200", "40"),
]
# 1 × 5 000 + 1 200 × 95 + 1 200 × 40
TOTAL = "167000.00"
TOTAL_SHOWN = re.compile(r"167\s000,00")
QUESTION = "Les appuis de fenêtre en pierre sont-ils à conserver ou à remplacer ?"
ANSWER = "Ils sont conservés : protection pendant les travaux, puis reprise de l'étanchéité."
SHA256 = re.compile(r"^[0-9a-f]{64}$")


def local_input(moment: dt.datetime) -> str:
    """A moment as a datetime-local input takes it (Paris time, to the minute)."""
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")




def test_buyer_publishes_contractor_bids_buyer_opens(ui, open_dps, buyer, mailoutbox):
    dps, category = open_dps
    # The DPS's first 30-day window is over: its categories may now run tenders.
    DynamicPurchasingSystem.objects.filter(pk=dps.pk).update(
        published_at=timezone.now() - dt.timedelta(days=40),
        first_window_ends_at=timezone.now() - dt.timedelta(days=10))
    dps.refresh_from_db()
    category.refresh_from_db()
    contractor = UserFactory(email="paul.leroy@facades-lens.fr", first_name="Paul", last_name="Leroy")
    company, _ = ready_company([category], company=CompanyFactory(owner=contractor, name="Façades de Lens SAS"),
                               user=contractor)
    admitted_company(category, company=company, actor=buyer)
    other = admitted_company(category, actor=buyer)  # a second supplier, invited too, who does not bid

    now = timezone.now()
    questions_deadline = now + dt.timedelta(days=5)
    bid_deadline = now + dt.timedelta(days=12)

    # --- The buyer creates the tender in the console wizard. ------------------------------------------
    console = ui.new_page("buyer")
    ui.log_in(console, buyer.email)
    console.goto("/console/marches/nouveau/")
    expect(console.get_by_role("heading", level=1), ui.why(console, "wizard")).to_have_text(
        "Nouveau marché spécifique")
    console.get_by_label("SAD et catégorie").select_option(
        label=f"{dps.reference} · {category.code} — {category.name}")
    expect(console.locator("#invitee-count"), ui.why(console, "live invitee count")).to_have_text(
        "2 entreprises seraient invitées aujourd'hui.")
    console.locator("#id_title").fill(TITLE)
    console.get_by_label("Description des travaux").fill(
        "ITE en polystyrène graphité 160 mm, reprise des appuis de fenêtre et des descentes EP.")
    console.get_by_label("Résidence").fill("Résidence Les Tilleuls")
    console.locator("#id_operation_address").fill("12 rue des Tilleuls")
    console.get_by_label("Commune").fill("Lens")
    console.get_by_label("Code INSEE").fill("62498")
    console.get_by_label("Nombre de logements").fill("48")
    console.get_by_label("Étiquette énergie actuelle").select_option("F")
    console.get_by_label("Étiquette énergie visée").select_option("C")
    console.get_by_label("Montant estimé (€ HT)").fill("250000")
    console.get_by_label("Budget maximal (€ HT)").fill("300000")
    console.get_by_label("Durée des travaux (semaines)").fill("16")
    console.get_by_label("Date limite des questions").fill(local_input(questions_deadline))
    console.get_by_label("Date limite de remise des offres").fill(local_input(bid_deadline))
    # The criteria table comes filled in (price 40, technical 40, environmental 20): keep it.
    expect(console.locator("#weight-total"), ui.why(console, "weights add up")).to_have_text("100")
    # The price schedule starts empty: one row per line.
    lines_table = console.locator('table[data-table="lines"]')
    for ref, label, unit, quantity, _price in SCHEDULE:
        console.get_by_role("button", name="Ajouter une ligne").click()
        row = lines_table.locator("tbody tr").last
        row.get_by_label("Référence").fill(ref)
        row.get_by_label("Désignation").fill(label)
        row.get_by_label("Unité").fill(unit)
        row.get_by_label("Quantité").fill(quantity)
    ui.screenshot(console, "buyer-wizard")
    console.get_by_role("button", name="Créer le brouillon").click()

    expect(console.get_by_role("status").filter(has_text="est créé (brouillon)"),
           ui.why(console, "draft created")).to_be_visible()
    tender = Tender.objects.get(title=TITLE)
    assert tender.status == TenderStatus.DRAFT
    assert console.url.endswith(f"/console/marches/{tender.id}/")
    assert [(line.ref, line.quantity) for line in tender.price_lines.order_by("ref")] == [
        ("1.1", 1), ("2.1", 1200), ("2.2", 1200)]

    # --- The tender page: nothing blocks, two suppliers will be invited; publish. --------------------
    header = console.locator(".page-header")
    expect(header, ui.why(console, "draft state")).to_contain_text("Brouillon")
    expect(console.locator(".tender-ready"), ui.why(console, "publication checklist")).to_have_text(
        "Toutes les règles de publication sont respectées.")
    expect(console.locator(".tender-checklist")).to_contain_text(
        "À la publication, 2 entreprises admises et non suspendues de la catégorie seront invitées.")
    ui.screenshot(console, "buyer-draft")
    console.get_by_role("button", name="Publier et inviter 2 entreprises").click()
    confirmed = confirm_dialog(console)
    expect(console.get_by_role("status").filter(has_text="Le marché est publié"),
           ui.why(console, "published message")).to_contain_text("2 entreprises invitées")
    assert confirmed == ["Publier ce marché et inviter les entreprises maintenant ?"]
    expect(header.locator(".badge"), ui.why(console, "published state")).to_have_text("Publié")
    expect(console.locator(".tender-stats")).to_contain_text("Entreprises invitées")
    ui.screenshot(console, "buyer-published")
    tender.refresh_from_db()
    assert tender.status == TenderStatus.PUBLISHED
    assert tender.invitations.count() == 2
    invitation_mails = [m for m in mailoutbox if m.subject == f"Invitation à soumissionner — {tender.reference}"]
    assert sorted(m.to[0] for m in invitation_mails) == sorted(
        [contractor.email, company_owner(other.company).email]), [(m.to, m.subject) for m in mailoutbox]
    mine = next(m for m in invitation_mails if m.to == [contractor.email])
    assert f"{ui.base_url}/portail/marches/{tender.id}/" in mine.body

    # --- The contractor sees the invitation and asks a question. ------------------------------------
    portal = ui.new_page("contractor")
    ui.log_in(portal, contractor.email, DEFAULT_PASSWORD)
    portal.get_by_role("navigation").get_by_role("link", name="Mes consultations").first.click()
    expect(portal.get_by_role("heading", level=1), ui.why(portal, "inbox")).to_have_text(
        "Invitations à soumissionner")
    invitation = portal.get_by_role("row").filter(has_text=tender.reference)
    expect(invitation, ui.why(portal, "invitation listed")).to_contain_text("Publié")
    expect(invitation).to_contain_text("Aucune offre déposée")
    expect(invitation).to_contain_text("dans 11 jours")
    ui.screenshot(portal, "contractor-inbox")
    invitation.get_by_role("link", name=TITLE).click()

    expect(portal.get_by_role("heading", level=1), ui.why(portal, "tender page")).to_have_text(TITLE)
    expect(portal.get_by_role("main")).to_contain_text("Résidence Les Tilleuls")
    expect(portal.get_by_role("main")).to_contain_text("Performance environnementale")
    portal.get_by_label("Votre question").fill(QUESTION)
    ui.screenshot(portal, "contractor-tender")
    portal.get_by_role("button", name="Envoyer la question").click()
    expect(portal.get_by_role("status").filter(has_text="Votre question est transmise"),
           ui.why(portal, "question sent")).to_be_visible()
    expect(portal.locator("#questions"), ui.why(portal, "question waiting")).to_contain_text(
        "Vos questions en attente de réponse")
    expect(portal.locator("#questions")).to_contain_text(QUESTION)
    assert Question.objects.filter(tender=tender, company=company, answered_at__isnull=True).count() == 1

    # --- The buyer answers it. -------------------------------------------------------------------------
    console.goto(f"/console/marches/{tender.id}/questions/")
    expect(console.get_by_role("heading", name="1 question en attente de réponse"),
           ui.why(console, "question to answer")).to_be_visible()
    waiting = console.locator(".tender-question").filter(has_text=QUESTION)
    expect(waiting).to_contain_text(company.name)
    waiting.get_by_label("Réponse").fill(ANSWER)
    ui.screenshot(console, "buyer-questions")
    waiting.get_by_role("button", name="Publier la réponse").click()
    expect(console.get_by_role("status").filter(has_text="La réponse est publiée"),
           ui.why(console, "answer published")).to_be_visible()
    expect(console.get_by_role("main")).to_contain_text("Aucune question n'attend de réponse.")
    expect(console.locator(".tender-question").filter(has_text=QUESTION)).to_contain_text(ANSWER)

    # --- The contractor reads the answer, then prepares the bid. -------------------------------------
    portal.reload()
    qa = portal.locator(".qa-list li").filter(has_text=QUESTION)
    expect(qa.locator(".qa-answer"), ui.why(portal, "answer shown")).to_have_text(ANSWER)
    expect(qa).to_contain_text("votre question")
    expect(portal.locator("#questions")).not_to_contain_text("Vos questions en attente de réponse")
    ui.screenshot(portal, "contractor-answer")
    portal.get_by_role("button", name="Préparer mon offre").click()
    expect(portal.get_by_role("heading", level=1), ui.why(portal, "bid form")).to_have_text(
        f"Offre — {tender.reference}")
    expect(portal.get_by_role("status").filter(has_text="Brouillon d'offre créé")).to_be_visible()

    schedule = portal.locator("table[data-price-schedule]")
    for ref, _label, _unit, _quantity, price in SCHEDULE:
        portal.get_by_label(f"Prix unitaire de la ligne {ref}").fill(price)
    amounts = schedule.locator("tbody [data-amount]")
    expect(amounts, ui.why(portal, "line amounts computed as typed")).to_have_text(
        [re.compile(r"^5\s000,00$"), re.compile(r"^114\s000,00$"), re.compile(r"^48\s000,00$")])
    expect(schedule.locator("[data-sum]"), ui.why(portal, "live sum of the lines")).to_have_text(TOTAL_SHOWN)
    check = portal.locator("[data-check]")
    expect(check).to_have_text("Indiquez le prix total, ou reportez la somme des lignes.")
    portal.get_by_role("button", name="Reporter la somme").click()
    # Carried over the French way, as the page writes amounts ("167 000,00", no-break space).
    expect(portal.get_by_label("Prix total de l'offre (€ HT)"), ui.why(portal, "sum carried over")).to_have_value(
        "167\u00a0000,00")
    expect(check).to_have_text("Le prix total est égal à la somme des lignes.")
    portal.get_by_label("Durée des travaux proposée (semaines)").fill("14")
    portal.get_by_label("Remarques").fill("Équipe de 6 compagnons, échafaudage en propre.")
    ui.screenshot(portal, "contractor-bid-form")
    portal.get_by_role("button", name="Déposer l'offre").click()
    deposited = confirm_dialog(portal)

    # --- The receipt. ----------------------------------------------------------------------------------
    expect(portal.get_by_role("heading", level=1), ui.why(portal, "receipt")).to_have_text(
        "Accusé de réception électronique")
    expect(portal.get_by_role("status").filter(has_text="Votre offre est déposée")).to_be_visible()
    assert deposited == ["Déposer cette offre ?"]
    fingerprint = portal.locator(".receipt__fingerprint")
    expect(fingerprint, ui.why(portal, "SHA-256 fingerprint")).to_have_text(SHA256)
    expect(portal.locator(".receipt")).to_contain_text(company.name)
    ui.screenshot(portal, "contractor-receipt")
    bid = Bid.objects.get(tender=tender, company=company)
    assert bid.status == BidStatus.SUBMITTED
    assert fingerprint.inner_text().strip() == bid.fingerprint
    assert bid.total_price is None  # sealed until the opening

    # --- Before the deadline the buyer sees the deposit, not its content. ----------------------------
    console.goto(f"/console/marches/{tender.id}/offres/")
    expect(console.get_by_role("heading", name="Registre des dépôts"), ui.why(console, "register")).to_be_visible()
    deposit = console.get_by_role("row").filter(has_text=company.name)
    expect(deposit, ui.why(console, "deposit listed")).to_contain_text("Déposée")
    expect(deposit).to_contain_text(company.identifier)
    expect(console.get_by_role("main"), ui.why(console, "no price before the opening")).not_to_contain_text(
        re.compile(r"167[\s.]?000"))
    expect(console.get_by_role("button", name="Ouvrir les plis")).to_have_count(0)
    ui.screenshot(console, "buyer-register")

    # --- After the deadline the buyer opens the bids. ------------------------------------------------
    # The live server runs in a thread of this process: moving the clock here moves it for the pages too.
    with time_machine.travel(tender.bid_deadline + dt.timedelta(minutes=1), tick=True):
        console.goto(f"/console/marches/{tender.id}/")
        expect(console.locator(".tender-timeline"), ui.why(console, "deadline passed")).to_contain_text("(passée)")
        console.get_by_role("button", name="Ouvrir les plis").click()
        confirmed = confirm_dialog(console)
        expect(console.get_by_role("status").filter(has_text="Les plis sont ouverts"),
               ui.why(console, "bids opened")).to_be_visible()
        assert confirmed and confirmed[0].startswith("Ouvrir les plis ?")
        expect(console.locator(".page-header .badge"), ui.why(console, "opened state")).to_have_text(
            "Plis ouverts")
        expect(console.get_by_role("heading", name="Offres ouvertes")).to_be_visible()
        opened = console.get_by_role("row").filter(has_text=company.name)
        expect(opened, ui.why(console, "opened bid with its price")).to_contain_text(TOTAL_SHOWN)
        expect(opened).to_contain_text("moins-disant")
        ui.screenshot(console, "buyer-opened")

        opened.get_by_role("link", name=company.name).click()
        expect(console.get_by_role("heading", name=f"Offre de {company.name}"),
               ui.why(console, "bid page")).to_be_visible()
        facts = console.locator("dl.kv")
        expect(facts).to_contain_text(re.compile(r"167\s000,00 € HT"))
        expect(facts).to_contain_text("14 semaines")
        expect(facts).to_contain_text(bid.fingerprint)
        expect(console.get_by_role("main")).to_contain_text("Équipe de 6 compagnons")
        priced = console.get_by_role("row").filter(has_text="Isolant PSE graphité 160 mm")
        expect(priced, ui.why(console, "priced line")).to_contain_text("95,00")
        expect(priced).to_contain_text(re.compile(r"114\s000,00"))
        expect(console.get_by_role("row").filter(has_text="Somme des lignes")).to_contain_text(TOTAL_SHOWN)
        expect(console.get_by_role("main")).not_to_contain_text(
            "Le prix total déclaré ne correspond pas à la somme des lignes.")
        ui.screenshot(console, "buyer-bid")

    tender.refresh_from_db()
    bid.refresh_from_db()
    assert tender.status == TenderStatus.OPENED and tender.opened_by_id == buyer.id
    assert tender.opened_at > tender.bid_deadline
    assert bid.total_price == Decimal(TOTAL) and bid.duration_weeks == 14
