"""The buyer's evaluation workspace: classification, anomalies, panel, consensus, ranking and its exports.

Worked figures (tender_data(): budget ceiling 300 000 €, estimate 250 000 €, criteria price 50, tech 30,
env 20, proportional price score):
- bids at 200 000 €, 150 000 € and 160 000 €; the 150 000 € bid is 16.7 % below the mean of the two others
  (180 000 €), so it is not suspected by the default mean_gap 20 % rule, but a 100 000 € bid would be.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from tenders.models import Bid, BidStatus, Consensus, RankingSnapshot, Tender
from tenders.services import evaluation as ev
from tests.factories import TINY_PDF, StaffFactory, classify_all, opened_tender, seat_evaluators
from tests.pages import messages_of

pytestmark = pytest.mark.django_db


def url(name, *args):
    return reverse(f"tenders_console:{name}", args=args)


def fresh(bid) -> Bid:
    return Bid.objects.get(pk=bid.pk)


def due(days=5) -> str:
    return (timezone.localdate() + dt.timedelta(days=days)).isoformat()


def scored_tender(prices=("200000.00", "150000.00", "160000.00"), *, evaluators=2, consensus=True, **overrides):
    """An opened tender, every bid admissible, a declared panel whose sheets are submitted, and (with
    ``consensus``) every consensus score recorded: tech 8/6/7, env 5/9/6 in the order of ``prices``."""
    ot = opened_tender(prices, **overrides)
    classify_all(ot.tender, buyer=ot.buyer)
    panel = [StaffFactory(roles=["evaluator"], first_name=f"Éva{i}", last_name="Luatrice") for i in range(evaluators)]
    seat_evaluators(ot.tender, panel, buyer=ot.buyer)
    tech = ["8", "6", "7", "5", "9"]
    env = ["5", "9", "6", "7", "4"]
    for index, member in enumerate(panel):
        for position, bid in enumerate(ot.bids):
            # The second evaluator is 4 points harsher on the first bid's technical value: a flagged spread.
            mark = Decimal(tech[position % 5]) - (4 if index == 1 and position == 0 else 0)
            ev.score_put(actor=member, bid=bid, criterion="tech", score=mark, comment="RAS")
            ev.score_put(actor=member, bid=bid, criterion="env", score=env[position % 5])
        ev.scores_submit(actor=member, tender=ot.tender)
    if consensus:
        for position, bid in enumerate(ot.bids):
            ev.consensus_record(actor=ot.buyer, bid=bid, criterion="tech", score=tech[position % 5],
                                rationale="Mémoire complet.")
            ev.consensus_record(actor=ot.buyer, bid=bid, criterion="env", score=env[position % 5],
                                rationale="Matériaux biosourcés.")
    ot.panel = panel
    return ot


# --- access ----------------------------------------------------------------------------------------------


def test_the_tender_header_links_to_the_evaluation_once_opened(client):
    ot = opened_tender()
    client.force_login(ot.buyer)
    body = client.get(url("detail", ot.tender.id)).content.decode()
    assert url("evaluation", ot.tender.id) in body


def test_a_supplier_gets_403_and_another_bid_is_404(client):
    ot = opened_tender()
    _company, supplier = ot.bidders[0]
    client.force_login(supplier)
    for name in ("evaluation", "evaluation_bids", "evaluation_anomalies", "evaluation_panel",
                 "evaluation_consensus", "evaluation_ranking", "evaluation_ranking_csv", "evaluation_ranking_xlsx"):
        assert client.get(url(name, ot.tender.id)).status_code == 403, name
    assert client.post(url("evaluation_classify", ot.bids[0].id), {"c-decision": "admissible"}).status_code == 403
    assert fresh(ot.bids[0]).status == BidStatus.OPENED


def test_an_evaluator_off_the_panel_or_undeclared_cannot_read_the_bids(client, evaluator):
    ot = opened_tender()
    client.force_login(evaluator)
    for name in ("evaluation_bids", "evaluation_anomalies", "evaluation_ranking", "evaluation_ranking_csv"):
        response = client.get(url(name, ot.tender.id))
        assert response.status_code == 403, name
        assert ot.bidders[0][0].name not in response.content.decode()
    seat_evaluators(ot.tender, [evaluator], declare=False, buyer=ot.buyer)
    response = client.get(url("evaluation_bids", ot.tender.id))
    assert response.status_code == 403
    assert "Déclarez d&#x27;abord l&#x27;absence de conflit" in response.content.decode()
    ev.impartiality_declare(actor=evaluator, tender=ot.tender, no_conflict=True, statement="")
    response = client.get(url("evaluation_bids", ot.tender.id))
    assert response.status_code == 200
    assert url("evaluation_classify", ot.bids[0].id) not in response.content.decode()  # reads, does not act


def test_an_evaluator_posting_a_classification_is_refused(client, evaluator):
    ot = opened_tender()
    seat_evaluators(ot.tender, [evaluator], buyer=ot.buyer)
    client.force_login(evaluator)
    bid = ot.bids[0]
    response = client.post(url("evaluation_classify", bid.id), {f"c{bid.pk}-decision": "admissible"})
    assert response.status_code == 302
    assert any("acheteur" in m for m in messages_of(response))
    assert fresh(bid).status == BidStatus.OPENED


def test_before_the_opening_the_evaluation_sends_back_to_the_tender():
    from tests.factories import published_tender

    tender, _invited = published_tender(suppliers=1)
    from django.test import Client

    client = Client()
    client.force_login(tender.dps.created_by)
    response = client.get(url("evaluation", tender.id))
    assert response.status_code == 302 and response["Location"] == url("detail", tender.id)


# --- the workspace -----------------------------------------------------------------------------------------


def test_the_workspace_says_what_blocks_each_step_and_who_is_waited_on(client):
    ot = opened_tender(("200000.00", "150000.00", "160000.00"), late=1, withdrawn=1)
    slow = StaffFactory(roles=["evaluator"], first_name="Claire", last_name="Martin")
    seat_evaluators(ot.tender, [slow], declare=False, buyer=ot.buyer)
    client.force_login(ot.buyer)
    response = client.get(url("evaluation", ot.tender.id))
    assert response.status_code == 200
    body = response.content.decode()
    steps = {s["key"]: s for s in response.context["steps"]}
    assert list(steps) == ["classification", "anomalies", "panel", "scores", "consensus", "ranking"]
    assert "3 offres à classer" in body
    assert steps["panel"]["state"] == "todo"
    assert "en attente de Claire Martin (déclaration d&#x27;impartialité)" in body
    assert steps["scores"]["state"] == "blocked" and "Aucune offre classée recevable" in body
    assert steps["consensus"]["state"] == "blocked" and steps["ranking"]["state"] == "blocked"


def test_the_workspace_of_a_scored_tender_waits_on_nobody(client):
    ot = scored_tender(evaluators=1)
    client.force_login(ot.buyer)
    steps = {s["key"]: s for s in client.get(url("evaluation", ot.tender.id)).context["steps"]}
    assert [steps[k]["state"] for k in ("classification", "panel", "scores", "consensus", "ranking")] == [
        "done", "done", "done", "done", "todo"]
    assert all(not s["waiting"] for s in steps.values())


# --- classification ----------------------------------------------------------------------------------------


def test_the_classification_page_lists_opened_bids_with_suggestions_and_suspicion(client):
    ot = opened_tender(("320000.00", "200000.00", "210000.00", "100000.00"), late=1, withdrawn=1)
    above, _ok, _ok2, cheap = ot.bids
    client.force_login(ot.buyer)
    response = client.get(url("evaluation_bids", ot.tender.id))
    assert response.status_code == 200
    body = response.content.decode()
    shown = {b.id: b for b in response.context["bids"]}
    assert set(shown) == {b.id for b in ot.bids}  # late and withdrawn bids stay in the register
    for outsider in ot.late_bids + ot.withdrawn_bids:
        assert f'id="bid-{outsider.pk}"' not in body
    assert shown[above.id].suggestion.decision == "unacceptable"
    assert "au-dessus du budget maximal" in shown[above.id].suggestion.reasons[0]
    # No technical memo was sent: irregular is suggested, never decided.
    assert shown[ot.bids[1].id].suggestion.decision == "irregular"
    assert "Mémoire technique" in " ".join(shown[ot.bids[1].id].suggestion.reasons)
    assert fresh(ot.bids[1]).status == BidStatus.OPENED
    assert shown[cheap.id].suspected and not shown[above.id].suspected
    assert "Suspicion d'offre anormalement basse" in body
    # An opened bid may be classified, but not as abnormally low before a justification was asked.
    assert shown[cheap.id].decisions == ["admissible", "irregular", "unacceptable", "inappropriate"]
    assert shown[cheap.id].can_request_justification
    assert "Demander la régularisation" not in body  # no irregular bid yet


def test_classifying_needs_a_reason_shown_on_the_field_then_goes_through_the_service(client):
    ot = opened_tender()
    bid = ot.bids[0]
    client.force_login(ot.buyer)
    response = client.post(url("evaluation_classify", bid.id),
                           {f"c{bid.pk}-decision": "unacceptable", f"c{bid.pk}-reason": " "})
    assert response.status_code == 400
    body = response.content.decode()
    error_id = f"id_c{bid.pk}-reason_error"
    assert f'id="{error_id}"' in body and "Indiquez le motif de ce classement." in body
    assert re.search(rf'aria-describedby="[^"]*{re.escape(error_id)}', body)
    assert fresh(bid).status == BidStatus.OPENED

    response = client.post(url("evaluation_classify", bid.id),
                           {f"c{bid.pk}-decision": "irregular", f"c{bid.pk}-reason": "Attestation RGE manquante"})
    assert response.status_code == 302 and response["Location"].endswith(f"#bid-{bid.pk}")
    bid = fresh(bid)
    assert (bid.status, bid.classification_reason, bid.classified_by) == ("irregular", "Attestation RGE manquante",
                                                                         ot.buyer)
    # Abnormally low is refused by the bid's rules (no justification asked): a message, nothing changes.
    response = client.post(url("evaluation_classify", bid.id),
                           {f"c{bid.pk}-decision": "abnormally_low", f"c{bid.pk}-reason": "Prix intenable"})
    assert response.status_code == 302
    assert any("justification" in m for m in messages_of(response))
    assert fresh(bid).status == BidStatus.IRREGULAR


def test_regularisation_goes_to_every_irregular_bid_together(client, mailoutbox, django_capture_on_commit_callbacks):
    ot = opened_tender(("200000.00", "150000.00", "160000.00"))
    first, second, third = ot.bids
    for bid in (first, second):
        ev.bid_classify(actor=ot.buyer, bid=bid, decision="irregular", reason="DPGF non signée")
    ev.bid_classify(actor=ot.buyer, bid=third, decision="admissible")
    client.force_login(ot.buyer)
    body = client.get(url("evaluation_bids", ot.tender.id)).content.decode()
    assert "Envoyer aux 2 soumissionnaires" in body
    assert "0 offre à classer." in body  # the French plural rule: 0 is singular

    response = client.post(url("evaluation_regularisation", ot.tender.id),
                           {"regularisation-message": "", "regularisation-due_at": due()})
    assert response.status_code == 400
    assert 'id="id_regularisation-message_error"' in response.content.decode()
    response = client.post(url("evaluation_regularisation", ot.tender.id),
                           {"regularisation-message": "", "regularisation-due_at": "2001-01-01"})
    assert response.status_code == 400

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("evaluation_regularisation", ot.tender.id),
                               {"regularisation-message": "Merci de joindre la DPGF signée.",
                                "regularisation-due_at": due()})
    assert response.status_code == 302
    assert [fresh(b).status for b in ot.bids] == ["regularisation_requested", "regularisation_requested",
                                                  "admissible"]
    assert any("2 soumissionnaires" in m for m in messages_of(response))


def test_justification_request_then_the_bidders_answer_is_shown_and_downloadable(client):
    ot = opened_tender(("200000.00", "210000.00", "100000.00"))
    cheap = ot.bids[2]
    client.force_login(ot.buyer)
    response = client.post(url("evaluation_justification", cheap.id),
                           {f"j{cheap.pk}-message": "Justifiez le prix de l'isolant.", f"j{cheap.pk}-due_at": ""})
    assert response.status_code == 400
    assert f'id="id_j{cheap.pk}-due_at_error"' in response.content.decode()
    response = client.post(url("evaluation_justification", cheap.id),
                           {f"j{cheap.pk}-message": "Justifiez le prix de l'isolant.", f"j{cheap.pk}-due_at": due()})
    assert response.status_code == 302
    assert fresh(cheap).status == BidStatus.JUSTIFICATION_REQUESTED

    body = client.get(url("evaluation_bids", ot.tender.id)).content.decode()
    assert "Justifiez le prix de l&#x27;isolant." in body and "En attente de la réponse" in body
    assert url("evaluation_classify", cheap.id) not in body  # waiting on the bidder: no classification

    _company, bidder = ot.bidders[2]
    ev.bid_respond(actor=bidder, bid=fresh(cheap), text="Stock d'isolant acheté en 2025.",
                   files=[SimpleUploadedFile("factures.pdf", TINY_PDF, content_type="application/pdf")])
    response = client.get(url("evaluation_bids", ot.tender.id))
    body = response.content.decode()
    assert "Stock d&#x27;isolant acheté en 2025." in body and "factures.pdf" in body
    [shown] = [b for b in response.context["bids"] if b.id == cheap.id]
    assert "abnormally_low" in shown.decisions  # answered: the buyer may now judge the justification
    document = shown.request_list[0].documents.get()
    download = client.get(url("evaluation_request_document", document.id))
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"%PDF")
    _c, other_bidder = ot.bidders[0]
    client.force_login(other_bidder)
    assert client.get(url("evaluation_request_document", document.id)).status_code == 403


# --- anomalies ---------------------------------------------------------------------------------------------


def test_the_anomalies_page_shows_the_arithmetic_and_low_lines(client):
    ot = opened_tender(("200000.00", "210000.00", "100000.00"))
    client.force_login(ot.buyer)
    response = client.get(url("evaluation_anomalies", ot.tender.id))
    assert response.status_code == 200
    body = response.content.decode()
    rows = {r["company"]: r for r in response.context["report"]["bids"]}
    cheap = rows[ot.bidders[2][0].name]
    # Mean of the two others: 205 000 €; threshold (1 − 0.20) × 205 000 = 164 000 €; gap −51.2 %.
    assert cheap["suspected"] and cheap["reference"] == 205000 and cheap["threshold_amount"] == 164000
    assert re.search(r"<td class=\"num\">205\s000,00</td>", body)
    assert "\u221251,2 %" in body  # a true minus sign, as every page writes negatives
    assert "Écart à la moyenne des autres offres" in body
    # lines_for_total: below 170 000 € the unit rates are 30 and 10 €/m² against 95 and 40 elsewhere.
    assert [line["ref"] for line in cheap["lines"]] == ["2.1", "2.2"]
    assert "Médiane des autres offres" in body


@pytest.mark.parametrize("count", [3, 6])
def test_the_anomalies_page_query_count_is_fixed(client, count, django_assert_num_queries):
    prices = [f"{180000 + 5000 * i}.00" for i in range(count)]
    ot = opened_tender(prices)
    client.force_login(ot.buyer)
    client.get(url("evaluation_anomalies", ot.tender.id))  # warm the session and the user's roles
    with django_assert_num_queries(10):
        assert client.get(url("evaluation_anomalies", ot.tender.id)).status_code == 200


# --- the panel ---------------------------------------------------------------------------------------------


def test_the_buyer_names_the_panel_and_sees_who_declared_and_submitted(client):
    ot = opened_tender()
    first = StaffFactory(roles=["evaluator"], first_name="Claire", last_name="Martin")
    second = StaffFactory(roles=["evaluator"], first_name="Paul", last_name="Durand")
    approver = StaffFactory(roles=["approver"])
    client.force_login(ot.buyer)
    response = client.get(url("evaluation_panel", ot.tender.id))
    values = [value for value, _label in response.context["form"].fields["evaluators"].choices]
    assert str(first.pk) in values and str(second.pk) in values and str(approver.pk) not in values

    response = client.post(url("evaluation_panel", ot.tender.id), {"evaluators": [str(approver.pk)]})
    assert response.status_code == 400  # not an evaluator: not a choice
    response = client.post(url("evaluation_panel", ot.tender.id), {"evaluators": [str(first.pk), str(second.pk)]})
    assert response.status_code == 302
    ev.impartiality_declare(actor=first, tender=ot.tender, no_conflict=True, statement="")
    body = client.get(url("evaluation_panel", ot.tender.id)).content.decode()
    assert "Claire Martin" in body and "Paul Durand" in body
    assert body.count("en attente") >= 3  # Paul's declaration, both sheets


# --- consensus ---------------------------------------------------------------------------------------------


def test_consensus_waits_for_every_sheet_then_shows_scores_and_spread(client):
    ot = opened_tender(("200000.00", "150000.00"))
    classify_all(ot.tender, buyer=ot.buyer)
    first, second = (StaffFactory(roles=["evaluator"], first_name=n, last_name="X") for n in ("Anne", "Marc"))
    seat_evaluators(ot.tender, [first, second], buyer=ot.buyer)
    for member, tech in ((first, "9"), (second, "5")):
        for bid in ot.bids:
            ev.score_put(actor=member, bid=bid, criterion="tech", score=tech)
            ev.score_put(actor=member, bid=bid, criterion="env", score="6")
    ev.scores_submit(actor=first, tender=ot.tender)
    client.force_login(ot.buyer)
    response = client.get(url("evaluation_consensus", ot.tender.id))
    body = response.content.decode()
    assert not response.context["may_record"] and "Marc X" in body
    assert all(score is None for row in response.context["rows"] for score in row["scores"])  # still blind

    ev.scores_submit(actor=second, tender=ot.tender)
    response = client.get(url("evaluation_consensus", ot.tender.id))
    rows = response.context["rows"]
    tech = [r for r in rows if r["criterion"].code == "tech"]
    assert all(r["flagged"] and r["min"] == 5 and r["max"] == 9 for r in tech)
    assert not any(r["flagged"] for r in rows if r["criterion"].code == "env")
    assert "écart > 3 points" in response.content.decode()

    bid = ot.bids[0]
    prefix = f"k{bid.pk}-tech"
    response = client.post(url("evaluation_consensus_record", bid.id),
                           {"cell": "tech", f"{prefix}-criterion": "tech", f"{prefix}-score": "7,5",
                            f"{prefix}-rationale": ""})
    assert response.status_code == 400
    assert f'id="id_{prefix}-rationale_error"' in response.content.decode()
    response = client.post(url("evaluation_consensus_record", bid.id),
                           {"cell": "tech", f"{prefix}-criterion": "tech", f"{prefix}-score": "7,5",
                            f"{prefix}-rationale": "Méthodologie solide, planning serré."})
    assert response.status_code == 302
    row = Consensus.objects.get(bid=bid, criterion__code="tech")
    assert (row.score, row.recorded_by) == (Decimal("7.5"), ot.buyer)


# --- the ranking -------------------------------------------------------------------------------------------


def test_the_ranking_page_table_chart_arithmetic_and_what_if(client):
    ot = scored_tender()
    client.force_login(ot.buyer)
    response = client.get(url("evaluation_ranking", ot.tender.id))
    assert response.status_code == 200
    body = response.content.decode()
    data = response.context["ranking"]
    assert not data["frozen"] and "Classement calculé en direct" in body
    # 150 000 € bid: price 10, tech 6, env 9 → 50 + 18 + 18 = 86; 160 000 €: 9.375, 7, 6 → 46.875 + 21 + 12
    # = 79.88; 200 000 €: 7.5, 8, 5 → 37.5 + 24 + 10 = 71.5.
    assert [(r["company"], r["rank"], r["total"]) for r in data["rows"]] == [
        (ot.bidders[1][0].name, 1, "86.00"), (ot.bidders[2][0].name, 2, "79.88"),
        (ot.bidders[0][0].name, 3, "71.50")]
    assert data["pmin"] == Decimal("150000.00") and data["pmax"] == Decimal("200000.00")
    assert '<svg class="evaluation-chart" role="img"' in body and "<desc" in body
    assert body.count('class="evaluation-chart__seg evaluation-chart__seg--0"') == 3 + 1  # bars + legend
    assert not re.search(r'(x|width)="\d+,\d', body)
    assert "<details" in body and "Pmin = 150" in body and "50 × 10,00 / 10 = 50,00" in body
    assert "Aucune égalité de total" in body

    response = client.get(url("evaluation_ranking", ot.tender.id), {"price_method": "linear"})
    assert response.context["what_if"] and "simulation" in response.content.decode()
    totals = {r["company"]: r["total"] for r in response.context["ranking"]["rows"]}
    # Linear: 200 000 € gets 0 for the price: 0 + 24 + 10 = 34.
    assert totals[ot.bidders[0][0].name] == "34.00"
    assert Tender.objects.get(pk=ot.tender.pk).price_method == "proportional"
    assert not RankingSnapshot.objects.filter(tender=ot.tender).exists()
    # An unknown method is ignored, not an error.
    assert client.get(url("evaluation_ranking", ot.tender.id), {"price_method": "magic"}).status_code == 200


def test_a_tie_shows_the_rule_that_decided_it(client):
    ot = scored_tender(("150000.00", "150000.00"), evaluators=1, consensus=False)
    for bid in ot.bids:
        ev.consensus_record(actor=ot.buyer, bid=bid, criterion="tech", score="7", rationale="Équivalent.")
        ev.consensus_record(actor=ot.buyer, bid=bid, criterion="env", score="6", rationale="Équivalent.")
    client.force_login(ot.buyer)
    body = client.get(url("evaluation_ranking", ot.tender.id)).content.decode()
    assert "départagé par la réception la plus ancienne" in body


def test_a_frozen_ranking_is_shown_as_frozen(client):
    ot = scored_tender(evaluators=1)
    ev.ranking_freeze(actor=ot.buyer, tender=ot.tender)
    # A later change in the live inputs does not move the frozen ranking.
    Consensus.objects.filter(bid=ot.bids[0]).update(score=Decimal("10"))
    client.force_login(ot.buyer)
    response = client.get(url("evaluation_ranking", ot.tender.id))
    body = response.content.decode()
    assert response.context["ranking"]["frozen"] and "Classement figé le" in body
    assert response.context["ranking"]["rows"][2]["total"] == "71.50"
    assert "L'évaluation est close" in body


@pytest.mark.parametrize("count", [3, 5])
def test_the_ranking_page_query_count_is_fixed(client, count, django_assert_num_queries):
    prices = [f"{150000 + 10000 * i}.00" for i in range(count)]
    ot = scored_tender(prices, evaluators=1)
    client.force_login(ot.buyer)
    client.get(url("evaluation_ranking", ot.tender.id))
    # 12 for the ranking, 3 for the award proposal under it (the bids' classes, the consensus, past proposals).
    with django_assert_num_queries(15):
        assert client.get(url("evaluation_ranking", ot.tender.id)).status_code == 200


def test_csv_and_xlsx_exports(client):
    ot = scored_tender()
    client.force_login(ot.buyer)
    response = client.get(url("evaluation_ranking_csv", ot.tender.id))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert f"classement-{ot.tender.reference}.csv" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:4] == ["Rang", "Entreprise", "Prix total (€ HT)", "Note prix (sur 10)"]
    assert "Valeur technique (sur 10, poids 30)" in rows[0] and "Total pondéré (sur 100)" in rows[0]
    assert rows[1][:4] == ["1", ot.bidders[1][0].name, "150000,00", "10,00"]
    assert rows[1][rows[0].index("Total pondéré (sur 100)")] == "86,00"

    response = client.get(url("evaluation_ranking_xlsx", ot.tender.id), {"price_method": "linear"})
    assert response.status_code == 200
    assert f"classement-{ot.tender.reference}-linear.xlsx" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][0] == "Rang" and values[0][1] == "Entreprise"
    first = values[1]
    assert first[0] == 1 and first[1] == ot.bidders[1][0].name
    assert isinstance(first[2], int | float) and first[2] == 150000  # real number cells, not text
    assert isinstance(first[3], int | float) and first[3] == 10
    total_column = values[0].index("Total pondéré (sur 100)")
    assert {row[1]: row[total_column] for row in values[1:]}[ot.bidders[0][0].name] == 34.0
    assert values[1][-1] == "non"


def test_an_undeclared_evaluator_sees_the_register_but_no_price_on_the_bids_page(client):
    from tests.factories import scoring_tender

    world = scoring_tender(("167000.00", "150000.00"))
    evaluator = StaffFactory(roles=["evaluator"])
    seat_evaluators(world.tender, [evaluator], declare=False)
    url = reverse("tenders_console:bids", kwargs={"tender_id": world.tender.id})
    client.force_login(world.buyer)
    assert "Prix total (€ HT)" in client.get(url).content.decode()

    client.force_login(evaluator)
    page = client.get(url).content.decode()
    assert world.bids[0].company.name in page  # the register: who deposited
    assert "Prix total (€ HT)" not in page and reverse("tenders_console:bid", args=[world.bids[0].id]) not in page
    assert "déclaration d'absence de conflit" in page


def test_the_tender_timeline_names_the_evaluation_events(client):
    """The panel, the declarations and the submitted sheets show in the tender's history by name, not by
    their audit action code."""
    ot = scored_tender(consensus=False)
    client.force_login(ot.buyer)
    html = client.get(reverse("tenders_console:detail", args=[ot.tender.id])).content.decode()
    timeline = html[html.index("tender-timeline"):]
    for label in ("Commission d'évaluation nommée", "Déclaration d'impartialité", "Grille de notation remise"):
        assert label.replace("'", "&#x27;") in timeline, label
    for code in ("scores-submit", "declare-impartiality", ">panel<"):
        assert code not in timeline, code


def test_the_consensus_page_is_blind_too(client):
    """The buyer's consensus page, read by an evaluator of the panel who has not submitted yet, shows no other
    sheet; read by the buyer, it shows no score until every sheet is in."""
    ot = opened_tender(("200000.00", "150000.00"))
    classify_all(ot.tender, buyer=ot.buyer)
    early, late = (StaffFactory(roles=["evaluator"], first_name=name, last_name="Luatrice") for name in ("Ana", "Léo"))
    seat_evaluators(ot.tender, [early, late], buyer=ot.buyer)
    for bid in ot.bids:
        for code in ("tech", "env"):
            ev.score_put(actor=early, bid=bid, criterion=code, score="3.5", comment="Sévère mais juste")
    ev.scores_submit(actor=early, tender=ot.tender)
    ev.score_put(actor=late, bid=ot.bids[0], criterion="tech", score="9.5", comment="Avis provisoire")

    client.force_login(late)
    body = client.get(url("evaluation_consensus", ot.tender.id)).content.decode()
    assert "Sévère mais juste" not in body and "3,5" not in body
    assert "Avis provisoire" in body  # its own sheet only
    client.force_login(ot.buyer)
    body = client.get(url("evaluation_consensus", ot.tender.id)).content.decode()
    assert "Sévère mais juste" not in body and "Avis provisoire" not in body and "3,5" not in body
    assert "Léo Luatrice" in body  # who is waited on is shown
