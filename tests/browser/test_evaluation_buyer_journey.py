"""The evaluation from the buyer's side, in Chromium, every step through the pages.

The buyer (laptop, 1280 px) opens the classification page, classifies two bids and asks the suspected one
for a justification (the "abnormally low" decision is not offered before); the bidder answers on a phone
(390 px, no horizontal scrolling on the portal pages); the buyer reads the answer, classifies the bid
admissible and names the panel; two evaluators declare and score; the buyer records every consensus score
and reads the ranking, its chart and the text alternative, and the ranking also fits a phone.

Hand-computed ranking (proportional price scores, Nmax = 10, weights price 50, tech 30, env 20):

| bid | price | price score | tech | env | total |
| --- | --- | --- | --- | --- | --- |
| Cheap | 120 000 | 10 | 6 | 5 | 50 + 18 + 10 = 78.00 |
| Dear | 200 000 | 10 × 120/200 = 6 | 9 | 8 | 30 + 27 + 16 = 73.00 |
| Middle | 190 000 | 10 × 120/190 = 6.3158 | 7 | 7 | 31.58 + 21 + 14 = 66.58 |
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from procurement.models import AuditEntry
from tenders.models import Bid, BidStatus, Consensus, PanelMember
from tests.browser.confirm import confirm_dialog
from tests.factories import DEFAULT_PASSWORD, TINY_PDF, StaffFactory, opened_tender

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1280, "height": 900}
QUESTION = "Votre prix est inférieur de 38 % à la moyenne des autres offres : détaillez le poste 2.1."
ANSWER = "Isolant acheté en lot avant la hausse, pose par notre équipe : factures jointes."

# company index in opened_tender → (tech consensus, env consensus)
CONSENSUS = {0: ("9", "8"), 1: ("7", "7"), 2: ("6", "5")}

# The document is wider than the viewport: the page scrolls sideways (a phone layout bug).
# The elements sticking out are named (tag, class, first characters) so that a failure says what to fix.
OVERFLOW_JS = """
() => {
  const width = document.documentElement.clientWidth;
  const out = Array.from(document.body.querySelectorAll("*"))
    .filter(el => el.getBoundingClientRect().right > width + 0.5)
    .filter(el => !Array.from(el.children).some(c => c.getBoundingClientRect().right > width + 0.5))
    .filter(el => !el.closest(".table-wrap") || getComputedStyle(el).position === "absolute")
    .slice(0, 5)
    .map(el => `${el.tagName.toLowerCase()}.${el.className}: ${(el.textContent || "").trim().slice(0, 40)}`);
  return {overflow: document.documentElement.scrollWidth - width, out};
}
"""


def assert_no_horizontal_overflow(ui, page, what: str) -> None:
    result = page.evaluate(OVERFLOW_JS)
    assert result["overflow"] <= 0, ui.why(
        page, f"{what}: {result['overflow']}px wider than the {page.viewport_size['width']}px screen, "
              f"because of {result['out']}")


def due_in(days: int) -> str:
    return (timezone.localdate() + dt.timedelta(days=days)).isoformat()


def flash(page, text: str):
    return page.get_by_role("status").filter(has_text=text)


def evaluator_scores_and_submits(ui, name: str, user, ot, values: dict[int, tuple[str, str]]) -> None:
    """An evaluator, on a laptop: my panels → declaration → the grid, criterion by criterion → submission."""
    page = ui.new_page(name)
    page.set_viewport_size(LAPTOP)
    ui.log_in(page, user.email, DEFAULT_PASSWORD)
    page.goto("/console/marches/commissions/")
    page.get_by_role("row").filter(has_text=ot.tender.reference).get_by_role("link", name=re.compile("^Déclarer")).click()
    page.get_by_label("Non : je déclare n'avoir aucun conflit d'intérêts avec ces entreprises").check()
    page.get_by_role("button", name="Enregistrer ma déclaration").click()
    expect(flash(page, "Votre déclaration d'impartialité est enregistrée"), ui.why(page, f"{name} declared")
           ).to_be_visible()
    main = page.get_by_role("main")
    for position, code in enumerate(("tech", "env")):
        page.goto(f"/console/marches/{ot.tender.id}/commission/?critere={code}")
        for index, bid in enumerate(ot.bids):
            page.locator(f"#bid-{bid.id}").get_by_label(re.compile(r"^Note de .* \(sur 10\)")).fill(
                values[index][position])
        page.get_by_role("button", name=re.compile("^Enregistrer les notes")).click()
        expect(flash(page, "Notes enregistrées"), ui.why(page, f"{name} saved {code}")).to_be_visible()
    expect(main, ui.why(page, f"{name}'s grid complete")).to_contain_text("6 notes sur 6")
    page.get_by_role("button", name="Remettre et verrouiller ma grille").click()
    confirm_dialog(page)
    expect(flash(page, "Votre grille est remise et verrouillée"), ui.why(page, f"{name} submitted")).to_be_visible()
    ui.screenshot(page, f"{name}-submitted")


def test_the_buyer_classifies_asks_records_consensus_and_reads_the_ranking_through_the_pages(ui, tmp_path):
    ot = opened_tender(("200000.00", "190000.00", "120000.00"))
    dear, middle, cheap = ot.bids
    names = [company.name for company, _user in ot.bidders]
    cheap_company, cheap_user = ot.bidders[2]

    # --- The buyer, on a laptop: from the tender to the classification page. ----------------------------------
    buyer = ui.new_page("buyer")
    buyer.set_viewport_size(LAPTOP)
    ui.log_in(buyer, ot.buyer.email, DEFAULT_PASSWORD)
    buyer.goto(f"/console/marches/{ot.tender.id}/")
    buyer.get_by_role("link", name="Évaluation", exact=True).click()
    expect(buyer.get_by_role("heading", name="Où en est l'évaluation"), ui.why(buyer, "workspace")).to_be_visible()
    expect(buyer.get_by_role("main"), ui.why(buyer, "justification to ask")).to_contain_text(
        f"Justification à demander avant toute décision : {cheap_company.name}")
    ui.screenshot(buyer, "buyer-workspace")
    buyer.get_by_role("navigation", name="Étapes de l’évaluation").get_by_role("link", name="Classement des offres").click()
    expect(buyer.get_by_role("main"), ui.why(buyer, "classification page")).to_contain_text("3 offres à classer.")
    card = buyer.locator(f"#bid-{cheap.id}")
    expect(card.get_by_text("Suspicion d'offre anormalement basse"), ui.why(buyer, "suspicion shown")).to_be_visible()
    # Before a justification, "abnormally low" is not a decision the page offers.
    expect(card.get_by_label("Anormalement basse"), ui.why(buyer, "no abnormally-low decision yet")).to_have_count(0)
    ui.screenshot(buyer, "buyer-classification")

    for bid in (dear, middle):
        section = buyer.locator(f"#bid-{bid.id}")
        section.get_by_label("Recevable").check()
        section.get_by_role("button", name="Classer l'offre").click()
        expect(flash(buyer, "Le classement de l'offre est enregistré."), ui.why(buyer, "classified")).to_be_visible()
    expect(buyer.get_by_role("main")).to_contain_text("1 offre à classer.")

    # The justification request, with a refused empty message first.
    card = buyer.locator(f"#bid-{cheap.id}")
    card.get_by_text("Demander une justification du prix").click()
    card.get_by_label("À rendre avant le (inclus)").fill(due_in(10))
    card.get_by_role("button", name="Envoyer la demande").click()
    card = buyer.locator(f"#bid-{cheap.id}")
    message = card.get_by_label("Message au soumissionnaire")
    expect(message, ui.why(buyer, "empty message refused on its field")).to_have_attribute("aria-invalid", "true")
    message.fill(QUESTION)
    card.get_by_label("À rendre avant le (inclus)").fill(due_in(10))
    card.get_by_role("button", name="Envoyer la demande").click()
    expect(flash(buyer, "La demande de justification est envoyée au soumissionnaire."),
           ui.why(buyer, "justification asked")).to_be_visible()
    card = buyer.locator(f"#bid-{cheap.id}")
    expect(card, ui.why(buyer, "waiting on the bidder")).to_contain_text("En attente de la réponse du soumissionnaire")
    expect(card.get_by_role("button", name="Classer l'offre")).to_have_count(0)
    assert Bid.objects.get(pk=cheap.pk).status == BidStatus.JUSTIFICATION_REQUESTED

    # --- The bidder, on a phone: the request, the answer; no page wider than the screen. ---------------------
    portal = ui.new_page("bidder")
    portal.set_viewport_size(PHONE)
    ui.log_in(portal, cheap_user.email, DEFAULT_PASSWORD)
    portal.goto("/portail/marches/mes-offres/")
    expect(portal.get_by_role("status").filter(has_text="Une demande de l'acheteur attend votre réponse."),
           ui.why(portal, "request flagged")).to_be_visible()
    assert_no_horizontal_overflow(ui, portal, "my bids")
    portal.get_by_role("row").filter(has_text=ot.tender.reference).get_by_role("link", name="Répondre").click()
    expect(portal.locator("#demandes"), ui.why(portal, "the buyer's question")).to_contain_text(QUESTION)
    assert_no_horizontal_overflow(ui, portal, "bid page with the request")
    portal.get_by_label("Votre réponse").fill(ANSWER)
    invoice = tmp_path / "factures-isolant.pdf"
    invoice.write_bytes(TINY_PDF)
    portal.get_by_label("Pièces jointes").set_input_files(str(invoice))
    portal.get_by_role("button", name="Envoyer ma réponse").click()
    expect(portal.get_by_role("status").filter(has_text="Votre réponse est transmise à l'acheteur"),
           ui.why(portal, "answer sent")).to_be_visible()
    assert_no_horizontal_overflow(ui, portal, "bid page once answered")
    ui.screenshot(portal, "bidder-answered-phone")
    portal.set_viewport_size(LAPTOP)
    ui.screenshot(portal, "bidder-answered-laptop")

    # --- The buyer reads the answer: now "abnormally low" may be chosen; the answer convinces. -------------------
    buyer.reload()
    card = buyer.locator(f"#bid-{cheap.id}")
    expect(card, ui.why(buyer, "answer shown")).to_contain_text(ANSWER)
    expect(card.get_by_role("link", name="factures-isolant.pdf")).to_be_visible()
    expect(card.get_by_label("Anormalement basse"), ui.why(buyer, "abnormally low offered once answered")
           ).to_have_count(1)
    card.get_by_label("Recevable").check()
    card.get_by_label("Motif").fill("Justification convaincante : achat en lot documenté.")
    card.get_by_role("button", name="Classer l'offre").click()
    expect(flash(buyer, "Le classement de l'offre est enregistré."), ui.why(buyer, "cheap bid admissible")).to_be_visible()
    expect(buyer.get_by_role("main")).to_contain_text("0 offre à classer.")

    # --- The panel, named on its page. ---------------------------------------------------------------------------
    karim = StaffFactory(roles=["evaluator"], first_name="Karim", last_name="Benali")
    nadia = StaffFactory(roles=["evaluator"], first_name="Nadia", last_name="Roussel")
    buyer.get_by_role("navigation", name="Étapes de l’évaluation").get_by_role("link", name="Commission et notes").click()
    buyer.get_by_role("checkbox", name=re.compile("Karim Benali")).check()
    buyer.get_by_role("checkbox", name=re.compile("Nadia Roussel")).check()
    buyer.get_by_role("button", name="Enregistrer la commission").click()
    expect(flash(buyer, "La commission est enregistrée"), ui.why(buyer, "panel named")).to_be_visible()
    expect(buyer.get_by_role("row").filter(has_text="Karim Benali")).to_contain_text("en attente")

    # Consensus waits for every sheet.
    buyer.get_by_role("navigation", name="Étapes de l’évaluation").get_by_role("link", name="Consensus").click()
    expect(buyer.get_by_role("main"), ui.why(buyer, "consensus waits")).to_contain_text(
        "le consensus ne s'enregistre qu'une fois toutes les grilles remises")
    expect(buyer.get_by_role("button", name="Enregistrer")).to_have_count(0)

    # --- Two evaluators declare and score, each on its own pages. -----------------------------------------------
    evaluator_scores_and_submits(ui, "karim", karim, ot, {0: ("9", "8"), 1: ("7", "6.5"), 2: ("5", "5")})
    evaluator_scores_and_submits(ui, "nadia", nadia, ot, {0: ("8.5", "8"), 1: ("7", "7"), 2: ("6", "4.5")})
    assert all(m.sheet_sha256 for m in PanelMember.objects.filter(tender=ot.tender))

    # --- The buyer records the consensus, cell by cell. ----------------------------------------------------------
    buyer.reload()
    table = buyer.locator("table.evaluation-consensus")
    expect(table, ui.why(buyer, "every evaluator's score shown")).to_contain_text("Karim Benali")
    expect(table.locator(f"#cell-{dear.id}-tech")).to_contain_text("8,5")
    ui.screenshot(buyer, "buyer-consensus-before")
    for index, bid in enumerate(ot.bids):
        for position, code in enumerate(("tech", "env")):
            cell = buyer.locator(f"#cell-{bid.id}-{code}")
            cell.get_by_label("Note de consensus (0 à 10)").fill(CONSENSUS[index][position])
            cell.get_by_label("Justification").fill(f"Accord de la commission ({names[index]}, {code}).")
            cell.get_by_role("button", name="Enregistrer").click()
            expect(flash(buyer, "La note de consensus est enregistrée."),
                   ui.why(buyer, f"consensus {index}.{code}")).to_be_visible()
    assert Consensus.objects.filter(bid__tender=ot.tender).count() == 6
    assert AuditEntry.objects.filter(action="consensus").count() == 6
    ui.screenshot(buyer, "buyer-consensus-done")

    # --- The ranking: table, chart, its text alternative, the arithmetic. ---------------------------------------
    buyer.get_by_role("navigation", name="Étapes de l’évaluation").get_by_role("link", name="Classement final").click()
    rows = buyer.locator("#ranking-table tbody tr")
    expect(rows, ui.why(buyer, "three ranked bids")).to_have_count(3)
    expected = [("1", cheap_company.name, "78,00"), ("2", names[0], "73,00"), ("3", names[1], "66,58")]
    for position, (rank, company, total) in enumerate(expected):
        row = rows.nth(position)
        expect(row.locator("td").first, ui.why(buyer, f"rank {rank}")).to_have_text(rank)
        expect(row.get_by_role("rowheader")).to_contain_text(company)
        expect(row).to_contain_text(total)
    chart = buyer.get_by_role("img", name=re.compile("^Contributions pondérées de chaque critère au total"))
    expect(chart, ui.why(buyer, "chart with its accessible name")).to_be_visible()
    expect(chart.locator("rect:has(title)"), ui.why(buyer, "one segment per criterion and bid")).to_have_count(9)
    assert chart.bounding_box()["width"] > 300
    expect(chart.locator("title").first).to_have_text(re.compile(r"^Prix : 50,00$"))
    buyer.get_by_text("Voir tout le calcul").click()
    expect(buyer.locator("#arithmetic"), ui.why(buyer, "arithmetic")).to_contain_text(
        "Pmin = 120 000,00 €, Pmax = 200 000,00 €")
    ui.screenshot(buyer, "buyer-ranking-laptop")

    # What if the price were scored linearly: nothing changes, the page says so.
    buyer.get_by_role("link", name=re.compile("^Et avec l'autre méthode")).click()
    expect(buyer.get_by_text("simulation : rien n'est modifié"), ui.why(buyer, "what-if")).to_be_visible()
    expect(rows.nth(1), ui.why(buyer, "linear price scores")).to_contain_text("43,00")  # 0 + 27 + 16
    buyer.get_by_role("link", name="Revenir à la méthode du marché").click()

    # The same page on a phone: the table scrolls inside its frame, the chart scales down.
    buyer.set_viewport_size(PHONE)
    expect(chart).to_be_visible()
    assert chart.bounding_box()["width"] <= PHONE["width"]
    assert_no_horizontal_overflow(ui, buyer, "ranking page")
    ui.screenshot(buyer, "buyer-ranking-phone")
    assert [b.status for b in Bid.objects.filter(tender=ot.tender)] == [BidStatus.ADMISSIBLE] * 3
