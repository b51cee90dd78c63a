"""The evaluation, in Chromium: a bidder answers a justification request in the portal (phone width); an
evaluator declares impartiality, scores the grid with the bids' documents beside it, and submits (laptop
width), and never sees another evaluator's open sheet. The buyer's steps go through the services."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tenders.models import BidRequest, BidStatus, PanelMember, Score
from tenders.services.evaluation import bid_classify, justification_request, score_put, scores_submit
from tests.browser.confirm import confirm_dialog
from tests.factories import DEFAULT_PASSWORD, TINY_PDF, StaffFactory, scoring_tender, seat_evaluators

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1280, "height": 900}
MESSAGE = "Votre prix est inférieur de 30 % à la moyenne : justifiez le poste 2.2 (enduit)."
ANSWER = "Enduit acheté directement au fabricant, équipe en propre : devis joint."
HIDDEN_COMMENT = "Avis provisoire de Nadia"




def test_bidder_answers_then_evaluator_declares_scores_and_submits_blind(ui, tmp_path):
    case = scoring_tender()
    buyer = case.buyer
    asked, other_bid = case.bids
    _company, bidder = case.bidders[0]
    justification_request(actor=buyer, bid=asked, message=MESSAGE, due_at=timezone.now() + dt.timedelta(days=5))

    # --- The bidder, on a phone, sees the request and answers it. ----------------------------------------
    portal = ui.new_page("bidder")
    portal.set_viewport_size(PHONE)
    ui.log_in(portal, bidder.email, DEFAULT_PASSWORD)
    portal.goto("/portail/marches/mes-offres/")
    expect(portal.get_by_role("status").filter(has_text="Une demande de l'acheteur attend votre réponse."),
           ui.why(portal, "request flagged on my bids")).to_be_visible()
    row = portal.get_by_role("row").filter(has_text=case.tender.reference)
    expect(row).to_contain_text("Réponse attendue")
    ui.screenshot(portal, "bidder-my-bids-phone")
    row.get_by_role("link", name="Répondre").click()
    requests = portal.locator("#demandes")
    expect(requests, ui.why(portal, "the request on the bid page")).to_contain_text(MESSAGE)
    expect(requests).to_contain_text("Justification du prix : réponse attendue")
    expect(requests.locator("time.countdown"), ui.why(portal, "countdown")).to_have_text(re.compile(r"J-\d|dans"))
    portal.get_by_label("Votre réponse").fill(ANSWER)
    memo = tmp_path / "devis-fournisseur.pdf"
    memo.write_bytes(TINY_PDF)
    portal.get_by_label("Pièces jointes").set_input_files(str(memo))
    ui.screenshot(portal, "bidder-answer-phone")
    portal.get_by_role("button", name="Envoyer ma réponse").click()
    expect(portal.get_by_role("status").filter(has_text="Votre réponse est transmise à l'acheteur"),
           ui.why(portal, "answer sent")).to_be_visible()
    expect(portal.locator("#demandes")).to_contain_text("Demandes précédentes")
    expect(portal.locator("#demandes")).to_contain_text(ANSWER)
    expect(portal.get_by_role("link", name="devis-fournisseur.pdf")).to_be_visible()
    expect(portal.get_by_role("button", name="Envoyer ma réponse")).to_have_count(0)
    ui.screenshot(portal, "bidder-answered-phone")
    asked.refresh_from_db()
    assert asked.status == BidStatus.OPENED
    assert BidRequest.objects.get(bid=asked).documents.count() == 1

    # --- The buyer (services): the answer convinces, the bid is admissible; the panel is named. -----------
    bid_classify(actor=buyer, bid=asked, decision="admissible")
    karim = StaffFactory(roles=["evaluator"], first_name="Karim", last_name="Benali")
    nadia = StaffFactory(roles=["evaluator"], first_name="Nadia", last_name="Roussel")
    seat_evaluators(case.tender, [karim], declare=False, buyer=buyer)
    seat_evaluators(case.tender, [nadia], buyer=buyer)
    for bid in (asked, other_bid):
        score_put(actor=nadia, bid=bid, criterion="tech", score="3", comment=HIDDEN_COMMENT)

    # --- The evaluator, on a laptop: my panels, the declaration. --------------------------------------------
    console = ui.new_page("evaluator")
    console.set_viewport_size(LAPTOP)
    ui.log_in(console, karim.email, DEFAULT_PASSWORD)
    console.goto("/console/")
    console.get_by_role("navigation", name="Console acheteur").get_by_role("link", name="Mes commissions").click()
    expect(console.get_by_role("heading", level=1), ui.why(console, "my panels")).to_have_text("Mes commissions")
    seat_row = console.get_by_role("row").filter(has_text=case.tender.reference)
    expect(seat_row).to_contain_text("À faire")
    expect(seat_row).to_contain_text("0 sur 4")
    ui.screenshot(console, "evaluator-panels")
    seat_row.get_by_role("link", name=re.compile("^Déclarer")).click()
    expect(console.get_by_role("heading", name="Déclaration d'impartialité"),
           ui.why(console, "declaration first")).to_be_visible()
    expect(console.get_by_role("main")).not_to_contain_text("memoire-technique.pdf")
    expect(console.get_by_role("main")).to_contain_text(case.bidders[1][0].name)
    console.get_by_label("Non : je déclare n'avoir aucun conflit d'intérêts avec ces entreprises").check()
    console.get_by_role("textbox", name="Déclaration").fill("Aucun lien avec ces entreprises.")
    ui.screenshot(console, "evaluator-declaration")
    console.get_by_role("button", name="Enregistrer ma déclaration").click()
    expect(console.get_by_role("status").filter(has_text="Votre déclaration d'impartialité est enregistrée"),
           ui.why(console, "declared")).to_be_visible()

    # --- The grid: documents beside the scores; blind. --------------------------------------------------------
    main = console.get_by_role("main")
    expect(main, ui.why(console, "own progress")).to_contain_text("0 notes sur 4")
    expect(main, ui.why(console, "blind: Nadia's open sheet is hidden")).not_to_contain_text(HIDDEN_COMMENT)
    first = console.locator(f"#bid-{asked.id}")
    first.get_by_role("link", name="Afficher memoire-technique.pdf").click()
    viewer = console.frame(name="bid-viewer")
    expect(console.locator("iframe[name=bid-viewer]")).to_be_visible()
    console.wait_for_function("() => { const f = document.querySelector('iframe[name=bid-viewer]');"
                              " return f && f.contentWindow && f.contentWindow.location.href.includes('/apercu/'); }")
    assert viewer is not None
    expect(first.get_by_role("link", name="Télécharger plan.png")).to_be_visible()
    for bid, score, comment in ((asked, "7.5", "Méthodologie claire."), (other_bid, "6", "Phasage sommaire.")):
        card = console.locator(f"#bid-{bid.id}")
        card.get_by_label(re.compile(r"^Note de .* \(sur 10\)")).fill(score)
        card.get_by_label(re.compile(r"^Commentaire sur l'offre de")).fill(comment)
    ui.screenshot(console, "evaluator-grid-tech")
    console.get_by_role("button", name=re.compile("^Enregistrer les notes")).click()
    expect(console.get_by_role("status").filter(has_text="Notes enregistrées"),
           ui.why(console, "scores saved")).to_be_visible()
    expect(main).to_contain_text("2 notes sur 4")

    # Submitting too early lists what is missing.
    console.get_by_role("button", name="Remettre et verrouiller ma grille").click()
    confirm_dialog(console)
    missing = console.locator(".panel-missing")
    expect(missing, ui.why(console, "missing scores listed")).to_contain_text("2 notes manquent")
    expect(missing).to_contain_text("Performance environnementale")
    missing.get_by_role("link").first.click()
    expect(console.locator(".tender-tabs [aria-current=page]"), ui.why(console, "env tab")).to_contain_text(
        "Performance environnementale")
    for bid in (asked, other_bid):
        console.locator(f"#bid-{bid.id}").get_by_label(re.compile(r"^Note de")).fill("8")
    console.get_by_role("button", name=re.compile("^Enregistrer les notes")).click()
    expect(main, ui.why(console, "grid complete")).to_contain_text("4 notes sur 4")

    # The phone width keeps the grid usable (documents and scores stacked).
    console.set_viewport_size(PHONE)
    ui.screenshot(console, "evaluator-grid-phone")
    console.set_viewport_size(LAPTOP)

    console.get_by_role("button", name="Remettre et verrouiller ma grille").click()
    confirmed = confirm_dialog(console)
    expect(console.get_by_role("status").filter(has_text="Votre grille est remise et verrouillée"),
           ui.why(console, "submitted")).to_be_visible()
    assert confirmed and confirmed[0].startswith("Remettre et verrouiller votre grille")
    expect(console.get_by_role("button", name=re.compile("^Enregistrer les notes"))).to_have_count(0)
    console.goto(console.url.split("?")[0] + "?critere=tech")
    others = console.locator(".panel-others")
    expect(others, ui.why(console, "Nadia has not submitted: still hidden")).to_contain_text(
        "Aucun autre membre n'a encore remis sa grille.")
    expect(main).not_to_contain_text(HIDDEN_COMMENT)
    ui.screenshot(console, "evaluator-submitted")

    # Once Nadia submits, her sheet shows to the evaluator who has submitted.
    for bid in (asked, other_bid):
        score_put(actor=nadia, bid=bid, criterion="env", score="5")
    scores_submit(actor=nadia, tender=case.tender)
    console.reload()
    expect(others, ui.why(console, "submitted sheets visible")).to_contain_text(HIDDEN_COMMENT)
    expect(others).to_contain_text("Nadia Roussel")
    seat = PanelMember.objects.get(tender=case.tender, evaluator=karim)
    assert seat.submitted_at is not None and seat.sheet_sha256
    assert Score.objects.filter(evaluator=karim).count() == 4
