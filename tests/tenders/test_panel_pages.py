"""The evaluator's console: "Mes commissions", the declaration of impartiality, the scoring grid, its
submission, and the bid documents in the viewer."""

import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from procurement import audit
from tenders.models import BidDocument, PanelMember, Score
from tenders.services.evaluation import score_put, scores_submit
from tests.factories import StaffFactory, scoring_tender, seat_evaluators
from tests.pages import messages_of

pytestmark = pytest.mark.django_db


def page(response) -> str:
    return html.unescape(response.content.decode())


def url(name, *args):
    return reverse(f"tenders_console:{name}", args=args)


@pytest.fixture
def scoring(evaluator):
    """Two admissible bids with documents; ``evaluator`` named on the panel, not yet declared."""
    case = scoring_tender()
    seat_evaluators(case.tender, [evaluator], declare=False, buyer=case.buyer)
    case.evaluator = evaluator
    return case


def declared(case, client):
    seat_evaluators(case.tender, [case.evaluator], buyer=case.buyer)
    client.force_login(case.evaluator)
    return client


def grid_post(case, criterion, rows):
    data = {"criterion": criterion}
    for bid, (score, comment) in zip(case.bids, rows, strict=True):
        data[f"s-{bid.id}-score"] = score
        data[f"s-{bid.id}-comment"] = comment
    return data


def score_everything(case, user, value="7"):
    for bid in case.bids:
        for code in ("tech", "env"):
            score_put(actor=user, bid=bid, criterion=code, score=value, comment=f"Note {value}")


# --- my panels ---------------------------------------------------------------------------------------------


def test_my_panels_lists_the_seats_with_their_progress(client, scoring):
    client.force_login(scoring.evaluator)
    body = page(client.get(url("panels")))
    assert scoring.tender.reference in body
    assert "À faire" in body  # the declaration
    assert "0 sur 4" in body and "4 notes à donner" in body  # 2 bids × 2 scored criteria (tech, env)
    seat_evaluators(scoring.tender, [scoring.evaluator], buyer=scoring.buyer)
    score_put(actor=scoring.evaluator, bid=scoring.bids[0], criterion="tech", score="6.5")
    body = page(client.get(url("panels")))
    assert "Déclarée" in body and "1 sur 4" in body and "3 notes à donner" in body
    assert "En cours" in body


def test_my_panels_query_count_does_not_grow_with_seats(client, evaluator, django_assert_max_num_queries):
    for _ in range(3):
        case = scoring_tender(documents=False)
        seat_evaluators(case.tender, [evaluator], buyer=case.buyer)
        score_put(actor=evaluator, bid=case.bids[0], criterion="tech", score="5")
    client.force_login(evaluator)
    with django_assert_max_num_queries(4):  # session, user, its roles, the seats with their progress
        response = client.get(url("panels"))
    assert response.status_code == 200
    assert page(response).count("1 sur 4") == 3


def test_the_navigation_shows_my_panels_to_evaluators_only(client, evaluator, buyer):
    client.force_login(evaluator)
    assert "Mes commissions" in page(client.get(reverse("console:dashboard")))
    client.force_login(buyer)
    assert "Mes commissions" not in page(client.get(reverse("console:dashboard")))


# --- who may see what ----------------------------------------------------------------------------------------


def test_an_undeclared_evaluator_gets_the_declaration_and_no_bid_contents(client, scoring):
    client.force_login(scoring.evaluator)
    response = client.get(url("panel", scoring.tender.id))
    body = page(response)
    assert response.status_code == 200
    assert "Déclaration d'impartialité" in body
    assert scoring.bids[0].company.name in body  # who bid: what the declaration is about
    assert "memoire-technique.pdf" not in body and "167" not in re.sub(r"<[^>]+>", "", body).replace(
        scoring.bids[0].company.identifier, "").replace(scoring.bids[1].company.identifier, "")
    document = BidDocument.objects.filter(bid=scoring.bids[0]).first()
    assert client.get(url("bid_document_view", document.id)).status_code == 404
    assert client.get(url("bid_document", document.id)).status_code == 404
    assert client.get(url("bid", scoring.bids[0].id)).status_code == 404
    # Posting scores before the declaration is refused by the service, nothing is stored.
    response = client.post(url("panel_scores", scoring.tender.id), grid_post(scoring, "tech", [("7", ""), ("8", "")]))
    assert response.status_code == 302
    assert "Déclarez d'abord l'absence de conflit d'intérêts" in " ".join(messages_of(response))
    assert not Score.objects.exists()


def test_an_evaluator_off_the_panel_is_refused(client, scoring):
    outsider = StaffFactory(roles=["evaluator"])
    client.force_login(outsider)
    response = client.get(url("panel", scoring.tender.id))
    assert response.status_code == 403
    assert "Vous ne siégez pas dans la commission" in page(response)
    response = client.post(url("panel_scores", scoring.tender.id), grid_post(scoring, "tech", [("7", ""), ("8", "")]))
    assert response.status_code == 302 and not Score.objects.exists()
    document = BidDocument.objects.filter(bid=scoring.bids[0]).first()
    assert client.get(url("bid_document_view", document.id)).status_code == 404


def test_a_supplier_gets_the_console_refusal(client, scoring):
    _company, user = scoring.bidders[0]
    client.force_login(user)
    assert client.get(url("panel", scoring.tender.id)).status_code == 403
    assert client.get(url("panels")).status_code == 403


# --- the declaration ---------------------------------------------------------------------------------------


def test_declaring_no_conflict_opens_the_grid(client, scoring):
    client.force_login(scoring.evaluator)
    response = client.post(url("panel_declare", scoring.tender.id),
                           {"no_conflict": "yes", "statement": "Aucun lien avec ces entreprises."}, follow=True)
    body = page(response)
    assert "Votre déclaration d'impartialité est enregistrée" in body
    assert "Grille" in body and "memoire-technique.pdf" in body
    seat = PanelMember.objects.get(evaluator=scoring.evaluator)
    assert seat.declared and seat.statement == "Aucun lien avec ces entreprises."
    assert audit.history("tender", scoring.tender.id)[-1].action == "declare-impartiality"


def test_a_conflict_needs_a_statement_then_takes_the_evaluator_off(client, scoring):
    client.force_login(scoring.evaluator)
    response = client.post(url("panel_declare", scoring.tender.id), {"no_conflict": "no", "statement": ""})
    assert response.status_code == 400
    body = page(response)
    assert "Décrivez le conflit d'intérêts déclaré." in body
    assert 'aria-describedby="id_statement_helptext id_statement_error"' in body or "id_statement_error" in body
    assert PanelMember.objects.get(evaluator=scoring.evaluator).removed_at is None

    response = client.post(url("panel_declare", scoring.tender.id),
                           {"no_conflict": "no", "statement": "Mon frère dirige l'une des entreprises."}, follow=True)
    body = page(response)
    assert "vous ne siégez plus dans la commission" in body
    assert "memoire-technique.pdf" not in body
    assert PanelMember.objects.get(evaluator=scoring.evaluator).removed_at is not None
    assert "Commissions quittées" in page(client.get(url("panels")))


def test_a_declaration_without_an_answer_names_the_field(client, scoring):
    client.force_login(scoring.evaluator)
    response = client.post(url("panel_declare", scoring.tender.id), {"statement": "x"})
    assert response.status_code == 400
    assert "id_no_conflict_error" in page(response)


# --- the grid ------------------------------------------------------------------------------------------------


def test_the_grid_saves_and_replaces_scores_per_criterion(client, scoring):
    declared(scoring, client)
    first, second = scoring.bids
    response = client.post(url("panel_scores", scoring.tender.id),
                           grid_post(scoring, "tech", [("7,5", "Méthodologie claire."), ("", "")]))
    assert response.status_code == 302 and response["Location"].endswith("?critere=tech")
    score = Score.objects.get(evaluator=scoring.evaluator)
    assert (score.bid_id, str(score.score), score.comment) == (first.id, "7.5", "Méthodologie claire.")
    response = client.post(url("panel_scores", scoring.tender.id),
                           grid_post(scoring, "tech", [("8", "Revu."), ("6", "")]))
    assert Score.objects.filter(evaluator=scoring.evaluator).count() == 2
    assert str(Score.objects.get(bid=first).score) == "8.0"
    body = page(client.get(url("panel", scoring.tender.id) + "?critere=tech"))
    assert 'value="8"' in body and "Revu." in body and "2 notes sur 4" in body


def test_a_wrong_score_is_shown_on_its_field_and_the_others_are_kept(client, scoring):
    declared(scoring, client)
    response = client.post(url("panel_scores", scoring.tender.id),
                           grid_post(scoring, "env", [("7.25", ""), ("11", "")]))
    assert response.status_code == 400
    body = page(response)
    assert "La note se donne par demi-point" in body
    assert "La note doit être comprise entre 0 et 10." in body
    assert f'id="id_s-{scoring.bids[0].id}-score_error"' in body
    assert 'value="7.25"' in body
    assert not Score.objects.exists()


def test_an_unknown_criterion_is_a_message_not_an_error(client, scoring):
    declared(scoring, client)
    response = client.post(url("panel_scores", scoring.tender.id), grid_post(scoring, "price", [("7", ""), ("7", "")]))
    assert response.status_code == 302 and "Critère inconnu" in " ".join(messages_of(response))
    assert client.get(url("panel", scoring.tender.id) + "?critere=nope").status_code == 200


def test_submit_lists_each_missing_score_then_locks_the_sheet(client, scoring):
    declared(scoring, client)
    score_put(actor=scoring.evaluator, bid=scoring.bids[0], criterion="tech", score="7")
    response = client.post(url("panel_submit", scoring.tender.id), {"confirmed": "1"})
    assert response.status_code == 400
    body = page(response)
    assert "3 notes manquent pour remettre la grille" in body
    assert f"{scoring.bids[1].company.name} — « Valeur technique » : note manquante." in body
    # Rendered at the submission's address: the links lead back to the grid's criteria.
    assert f'href="{url("panel", scoring.tender.id)}?critere=env"' in body
    assert PanelMember.objects.get(evaluator=scoring.evaluator).submitted_at is None

    score_everything(scoring, scoring.evaluator)
    response = client.post(url("panel_submit", scoring.tender.id), {"confirmed": "1"}, follow=True)
    body = page(response)
    assert "Votre grille est remise et verrouillée" in body
    seat = PanelMember.objects.get(evaluator=scoring.evaluator)
    assert seat.submitted_at is not None and seat.sheet_sha256 in body
    assert "Enregistrer les notes" not in body and "Remettre et verrouiller ma grille" not in body


def test_a_locked_sheet_cannot_change(client, scoring):
    declared(scoring, client)
    score_everything(scoring, scoring.evaluator, "7")
    scores_submit(actor=scoring.evaluator, tender=scoring.tender)
    response = client.post(url("panel_scores", scoring.tender.id), grid_post(scoring, "tech", [("2", ""), ("2", "")]))
    assert response.status_code == 302
    assert "elle est verrouillée" in " ".join(messages_of(response))
    assert set(Score.objects.values_list("score", flat=True)) == {7}
    response = client.post(url("panel_submit", scoring.tender.id), {"confirmed": "1"})
    assert response.status_code == 302 and "déjà été remise" in " ".join(messages_of(response))


def test_blind_scoring_on_the_page(client, scoring):
    """An evaluator never sees another's scores before it submits, nor an unsubmitted sheet after."""
    other = StaffFactory(roles=["evaluator"], first_name="Nadia", last_name="Roussel")
    third = StaffFactory(roles=["evaluator"], first_name="Hugo", last_name="Marchand")
    seat_evaluators(scoring.tender, [other, third], buyer=scoring.buyer)
    declared(scoring, client)
    for bid in scoring.bids:
        score_put(actor=other, bid=bid, criterion="tech", score="3.5", comment="Avis de Nadia")
        score_put(actor=third, bid=bid, criterion="tech", score="9.5", comment="Avis de Hugo")
    for bid in scoring.bids:
        score_put(actor=other, bid=bid, criterion="env", score="3.5", comment="Avis de Nadia")
    scores_submit(actor=other, tender=scoring.tender)

    body = page(client.get(url("panel", scoring.tender.id) + "?critere=tech"))
    assert "Avis de Nadia" not in body and "Avis de Hugo" not in body and "Nadia" not in body
    assert "3,5" not in body and "3.5" not in body and "9.5" not in body

    score_everything(scoring, scoring.evaluator, "7")
    scores_submit(actor=scoring.evaluator, tender=scoring.tender)
    body = page(client.get(url("panel", scoring.tender.id) + "?critere=tech"))
    assert "Grilles remises par les autres membres" in body
    assert "Avis de Nadia" in body and "Nadia Roussel" in body
    assert "Avis de Hugo" not in body and "Hugo" not in body  # his sheet is still open


def test_the_grid_query_count_does_not_grow_with_bids(client, evaluator, django_assert_num_queries):
    counts = []
    for prices in (("167000.00", "150000.00"), ("167000.00", "150000.00", "180000.00", "175000.00")):
        case = scoring_tender(prices)
        seat_evaluators(case.tender, [evaluator], buyer=case.buyer)
        score_put(actor=evaluator, bid=case.bids[0], criterion="tech", score="5")
        client.force_login(evaluator)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url("panel", case.tender.id))
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
    # session, user, roles, tender, seat, panel seat (may read?), criteria, bids, documents, panel, scores,
    # frozen?
    with django_assert_num_queries(12):
        client.get(url("panel", case.tender.id))


# --- the documents in the viewer -------------------------------------------------------------------------------


def test_a_declared_evaluator_reads_a_pdf_inline_and_downloads_other_files(client, scoring):
    declared(scoring, client)
    body = page(client.get(url("panel", scoring.tender.id)))
    pdf = BidDocument.objects.get(bid=scoring.bids[0], content_type="application/pdf")
    png = BidDocument.objects.get(bid=scoring.bids[0], content_type="image/png")
    assert f'href="{url("bid_document_view", pdf.id)}" target="bid-viewer"' in body
    assert url("bid_document_view", png.id) not in body and url("bid_document", png.id) in body
    assert 'name="bid-viewer"' in body
    response = client.get(url("bid_document_view", pdf.id))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline") and response["X-Frame-Options"] == "SAMEORIGIN"
    assert response.content.startswith(b"%PDF-")
    response = client.get(url("bid_document_view", png.id))
    assert response["Content-Disposition"].startswith("attachment")
    assert response.get("X-Frame-Options") == "DENY"
