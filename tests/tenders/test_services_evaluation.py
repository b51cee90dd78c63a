"""The evaluation services: classification, requests to bidders, the panel, blind scoring, consensus, ranking.

Worked figures: bids at 200 000 € and 150 000 € (and 160 000 € where a third is needed); criteria price 50,
tech 30, env 20 (tender_data()).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from procurement import audit
from procurement.errors import Conflict, InvalidTransition, NotAllowed, ValidationFailed
from procurement.models import AuditEntry, OutboundEmail
from procurement.workflow import allowed_actions
from tenders import selectors
from tenders.models import Bid, BidRequest, PanelMember, RankingSnapshot, Score, Tender
from tenders.services import evaluation as ev
from tests.factories import TINY_PDF, StaffFactory, classify_all, opened_tender, seat_evaluators

pytestmark = pytest.mark.django_db


def due(days=5):
    return (timezone.now() + dt.timedelta(days=days)).isoformat()


def pdf(name="justificatif.pdf"):
    return SimpleUploadedFile(name, TINY_PDF, content_type="application/pdf")


def fresh(bid) -> Bid:
    return Bid.objects.get(pk=bid.pk)


@pytest.fixture
def ot():
    return opened_tender(("200000.00", "150000.00"))


# --- classification --------------------------------------------------------------------------------------


def test_it_classifies_with_a_reason_except_admissible_and_audits(ot):
    high, low = ot.bids
    ev.bid_classify(actor=ot.buyer, bid=high, decision="admissible")
    with pytest.raises(ValidationFailed) as refused:
        ev.bid_classify(actor=ot.buyer, bid=low, decision="irregular", reason="  ")
    assert "reason" in refused.value.errors
    ev.bid_classify(actor=ot.buyer, bid=low, decision="irregular", reason="Attestation RGE manquante")
    low = fresh(low)
    assert (low.status, low.classification_reason, low.classified_by) == ("irregular", "Attestation RGE manquante",
                                                                         ot.buyer)
    [entry] = AuditEntry.objects.filter(object_type="bid", object_id=str(low.id), action="classify")
    assert (entry.from_state, entry.to_state, entry.reason) == ("opened", "irregular", "Attestation RGE manquante")
    # Reclassifying is allowed (before the freeze) and audited again.
    ev.bid_classify(actor=ot.buyer, bid=low, decision="admissible")
    assert fresh(low).status == "admissible"


def test_only_a_buyer_classifies(ot, evaluator, approver):
    for person in (evaluator, approver):
        with pytest.raises(NotAllowed):
            ev.bid_classify(actor=person, bid=ot.bids[0], decision="admissible")


def test_a_bid_whose_state_changed_meanwhile_is_not_classified_twice(ot):
    seen = Bid.objects.get(pk=ot.bids[0].pk)
    ev.bid_classify(actor=ot.buyer, bid=Bid.objects.get(pk=seen.pk), decision="admissible")
    with pytest.raises(InvalidTransition) as refused:
        ev.bid_classify(actor=ot.buyer, bid=seen, decision="unacceptable", reason="Au-dessus du budget")
    assert refused.value.state == "admissible"
    assert AuditEntry.objects.filter(object_id=str(seen.id), action="classify").count() == 1


def test_abnormally_low_is_refused_before_a_justification_and_allowed_once_answered(ot):
    low = ot.bids[1]
    with pytest.raises(InvalidTransition) as refused:
        ev.bid_classify(actor=ot.buyer, bid=low, decision="abnormally_low", reason="Prix anormalement bas")
    assert refused.value.state == "opened"
    assert "classify-abnormally-low" not in refused.value.allowed_transitions
    assert "request-justification" in refused.value.allowed_transitions

    ev.justification_request(actor=ot.buyer, bid=low, message="Justifiez le prix du lot 2.1", due_at=due())
    low = fresh(low)
    assert low.status == "justification_requested"
    # Still waiting: neither classified nor abnormally low.
    with pytest.raises(InvalidTransition):
        ev.bid_classify(actor=ot.buyer, bid=low, decision="abnormally_low", reason="x")
    with pytest.raises(InvalidTransition):
        ev.bid_classify(actor=ot.buyer, bid=low, decision="admissible")

    bidder = ot.bidders[1][1]
    ev.bid_respond(actor=bidder, bid=low, text="Isolant acheté en 2025 à prix ferme.", files=[pdf()])
    low = fresh(low)
    assert low.status == "opened"
    assert "classify-abnormally-low" in allowed_actions(low)
    ev.bid_classify(actor=ot.buyer, bid=low, decision="abnormally_low",
                    reason="La justification n'explique pas le prix de l'isolant.")
    assert fresh(low).status == "abnormally_low"
    request = BidRequest.objects.get(bid=low)
    assert request.response.startswith("Isolant") and request.documents.get().sha256
    mails = OutboundEmail.objects.filter(key__startswith=f"bid-request:{request.id}:")
    assert mails.count() == 1 and "justifier" in mails.get().body


def test_abnormally_low_is_allowed_once_the_due_date_passed_unanswered(ot):
    low = ot.bids[1]
    ev.justification_request(actor=ot.buyer, bid=low, message="Justifiez votre prix", due_at=due(3))
    with time_machine.travel(timezone.now() + dt.timedelta(days=4), tick=False):
        low = fresh(low)
        assert low.may_be_classified_abnormally_low()
        ev.bid_classify(actor=ot.buyer, bid=low, decision="abnormally_low", reason="Aucune justification reçue.")
        # And the late answer is refused.
        with pytest.raises(InvalidTransition):
            ev.bid_respond(actor=ot.bidders[1][1], bid=fresh(low), text="Trop tard")
    assert fresh(low).status == "abnormally_low"


def test_a_due_date_must_be_in_the_future(ot):
    with pytest.raises(ValidationFailed) as refused:
        ev.justification_request(actor=ot.buyer, bid=ot.bids[0], message="m",
                                 due_at=(timezone.now() - dt.timedelta(hours=1)).isoformat())
    assert "due_at" in refused.value.errors


# --- regularisation ----------------------------------------------------------------------------------------


def test_regularisation_goes_to_every_irregular_bid_and_never_to_an_abnormally_low_one():
    ot = opened_tender(("200000.00", "150000.00", "160000.00", "170000.00"))
    a, b, c, d = ot.bids
    with pytest.raises(ValidationFailed) as none:
        ev.regularisation_request(actor=ot.buyer, tender=ot.tender, message="Complétez", due_at=due())
    assert "bids" in none.value.errors
    ev.bid_classify(actor=ot.buyer, bid=a, decision="irregular", reason="DPGF non signée")
    ev.bid_classify(actor=ot.buyer, bid=c, decision="irregular", reason="Kbis manquant")
    ev.justification_request(actor=ot.buyer, bid=b, message="Justifiez", due_at=due(1))
    with time_machine.travel(timezone.now() + dt.timedelta(days=2), tick=False):
        ev.bid_classify(actor=ot.buyer, bid=fresh(b), decision="abnormally_low", reason="Pas de réponse")
    ev.bid_classify(actor=ot.buyer, bid=d, decision="admissible")

    asked = ev.regularisation_request(actor=ot.buyer, tender=ot.tender, message="Transmettez les pièces manquantes",
                                      due_at=due())
    assert {bid.id for bid in asked} == {a.id, c.id}
    states = {bid.id: bid.status for bid in Bid.objects.filter(tender=ot.tender)}
    assert states == {a.id: "regularisation_requested", b.id: "abnormally_low",
                      c.id: "regularisation_requested", d.id: "admissible"}
    assert BidRequest.objects.filter(kind="regularisation").count() == 2
    assert not BidRequest.objects.filter(kind="regularisation", bid=b).exists()
    assert OutboundEmail.objects.filter(key__startswith="bid-request:", subject__contains="régularisation").count() == 2


def test_a_regularisation_never_changes_a_price(ot):
    bid = ot.bids[0]
    ev.bid_classify(actor=ot.buyer, bid=bid, decision="irregular", reason="Mémoire technique absent")
    ev.regularisation_request(actor=ot.buyer, tender=ot.tender, message="Joignez le mémoire", due_at=due())
    user = ot.bidders[0][1]
    with pytest.raises(ValidationFailed) as refused:
        ev.bid_respond(actor=user, bid=fresh(bid), text="Voici le mémoire", data={"text": 1, "total_price": 1})
    assert set(refused.value.errors) == {"total_price"}
    assert fresh(bid).total_price == Decimal("200000.00")
    assert fresh(bid).status == "regularisation_requested"
    ev.bid_respond(actor=user, bid=fresh(bid), text="Voici le mémoire", files=[pdf("memoire.pdf")])
    assert fresh(bid).status == "opened" and fresh(bid).total_price == Decimal("200000.00")


def test_only_the_bidders_members_answer_and_files_are_checked_like_evidence(ot):
    bid = ot.bids[0]
    ev.justification_request(actor=ot.buyer, bid=bid, message="Justifiez", due_at=due())
    with pytest.raises(NotAllowed):
        ev.bid_respond(actor=ot.bidders[1][1], bid=fresh(bid), text="Je réponds pour un autre")
    with pytest.raises(NotAllowed):
        ev.bid_respond(actor=ot.buyer, bid=fresh(bid), text="x")
    with pytest.raises(ValidationFailed) as refused:
        ev.bid_respond(actor=ot.bidders[0][1], bid=fresh(bid), text="ok",
                       files=[SimpleUploadedFile("virus.pdf", b"MZ\x90\x00 not a pdf")])
    assert "file" in refused.value.errors
    with pytest.raises(ValidationFailed) as empty:
        ev.bid_respond(actor=ot.bidders[0][1], bid=fresh(bid), text="  ")
    assert "text" in empty.value.errors
    assert fresh(bid).status == "justification_requested"


def test_an_unanswered_regularisation_leaves_the_bid_irregular(ot):
    bid = ot.bids[0]
    ev.bid_classify(actor=ot.buyer, bid=bid, decision="irregular", reason="Pièce manquante")
    ev.regularisation_request(actor=ot.buyer, tender=ot.tender, message="Joignez la pièce", due_at=due(2))
    assert ev.regularisations_expire() == 0
    with time_machine.travel(timezone.now() + dt.timedelta(days=3), tick=False):
        from io import StringIO

        from django.core.management import call_command

        out = StringIO()
        call_command("run_scheduled_tasks", stdout=out)
        assert "1 regularisations unanswered" in out.getvalue()
    bid = fresh(bid)
    assert bid.status == "irregular" and bid.classification_reason == "Pièce manquante"
    assert BidRequest.objects.get(bid=bid).expired_at is not None
    assert AuditEntry.objects.filter(object_id=str(bid.id), action="expire-regularisation").count() == 1


# --- panel, impartiality, blind scores ------------------------------------------------------------------------


def test_the_panel_takes_evaluators_only_and_keeps_those_who_scored(ot, evaluator):
    second = StaffFactory(roles=["evaluator"])
    with pytest.raises(ValidationFailed) as refused:
        ev.panel_set(actor=ot.buyer, tender=ot.tender, evaluators=[evaluator.email, ot.buyer.email, "x@y.fr"])
    assert set(refused.value.errors) == {"evaluators[1]", "evaluators[2]"}
    members = ev.panel_set(actor=ot.buyer, tender=ot.tender, evaluators=[evaluator.email, str(second.id)])
    assert {m.evaluator for m in members} == {evaluator, second}
    classify_all(ot.tender)
    ev.impartiality_declare(actor=evaluator, tender=ot.tender, no_conflict=True, statement="")
    ev.score_put(actor=evaluator, bid=ot.bids[0], criterion="tech", score="7.5", comment="Bon mémoire")
    with pytest.raises(ValidationFailed):
        ev.panel_set(actor=ot.buyer, tender=ot.tender, evaluators=[second.email])
    members = ev.panel_set(actor=ot.buyer, tender=ot.tender, evaluators=[evaluator.email])
    assert [m.evaluator for m in members] == [evaluator]
    assert AuditEntry.objects.filter(object_type="tender", action="panel").count() == 2


def test_a_declared_conflict_takes_the_evaluator_off_the_panel(ot, evaluator):
    seat_evaluators(ot.tender, [evaluator], declare=False)
    with pytest.raises(ValidationFailed):
        ev.impartiality_declare(actor=evaluator, tender=ot.tender, no_conflict=None)
    member = ev.impartiality_declare(actor=evaluator, tender=ot.tender, no_conflict=False,
                                     statement="Mon conjoint dirige l'une des entreprises.")
    assert member.removed_at is not None and not selectors.bid_contents_readable(evaluator, ot.tender)
    entry = AuditEntry.objects.get(action="declare-impartiality")
    assert "conflit" in entry.reason and evaluator.email in entry.reason
    with pytest.raises(NotAllowed):
        ev.impartiality_declare(actor=evaluator, tender=ot.tender, no_conflict=True)
    with pytest.raises(ValidationFailed):  # cannot be named again
        ev.panel_set(actor=ot.buyer, tender=ot.tender, evaluators=[evaluator.email])


def test_an_undeclared_evaluator_cannot_read_a_bid(ot, evaluator):
    assert not selectors.content_readable(evaluator, ot.bids[0])
    seat_evaluators(ot.tender, [evaluator], declare=False)
    with pytest.raises(NotAllowed):
        selectors.require_bid_contents_readable(evaluator, ot.tender)
    assert not selectors.content_readable(evaluator, Bid.objects.select_related("tender").get(pk=ot.bids[0].pk))
    ev.impartiality_declare(actor=evaluator, tender=ot.tender, no_conflict=True, statement="Aucun lien.")
    selectors.require_bid_contents_readable(evaluator, ot.tender)
    assert selectors.content_readable(evaluator, Bid.objects.select_related("tender").get(pk=ot.bids[0].pk))


def test_scores_follow_the_rules(ot, evaluator):
    high, low = ot.bids
    seat_evaluators(ot.tender, [evaluator])
    ev.bid_classify(actor=ot.buyer, bid=high, decision="admissible")
    for criterion, score, field in (("price", "5", "criterion"), ("nope", "5", "criterion"),
                                    ("tech", "7.25", "score"), ("tech", "11", "score"), ("tech", "-1", "score")):
        with pytest.raises(ValidationFailed) as refused:
            ev.score_put(actor=evaluator, bid=high, criterion=criterion, score=score)
        assert field in refused.value.errors, (criterion, score)
    with pytest.raises(InvalidTransition):  # not admissible
        ev.score_put(actor=evaluator, bid=low, criterion="tech", score="5")
    ev.score_put(actor=evaluator, bid=high, criterion="tech", score="6", comment="Correct")
    ev.score_put(actor=evaluator, bid=high, criterion="tech", score="6.5", comment="Bien")
    [row] = Score.objects.all()
    assert (row.score, row.comment) == (Decimal("6.5"), "Bien")
    other = StaffFactory(roles=["evaluator"])
    with pytest.raises(NotAllowed):  # off the panel
        ev.score_put(actor=other, bid=high, criterion="tech", score="5")


def test_submitting_locks_the_sheet_and_puts_its_sha256_in_the_chain(ot, evaluator):
    classify_all(ot.tender)
    seat_evaluators(ot.tender, [evaluator])
    high, low = ot.bids
    ev.score_put(actor=evaluator, bid=high, criterion="tech", score="8")
    with pytest.raises(ValidationFailed) as missing:
        ev.scores_submit(actor=evaluator, tender=ot.tender)
    assert set(missing.value.errors) == {f"{high.id}.env", f"{low.id}.tech", f"{low.id}.env"}
    for bid in (high, low):
        for code in ("tech", "env"):
            ev.score_put(actor=evaluator, bid=bid, criterion=code, score="7", comment=f"{code} ok")
    member = ev.scores_submit(actor=evaluator, tender=ot.tender)
    assert len(member.sheet_sha256) == 64
    entry = AuditEntry.objects.get(action="scores-submit")
    assert member.sheet_sha256 in entry.reason and audit.verify().valid
    with pytest.raises(Conflict):
        ev.score_put(actor=evaluator, bid=high, criterion="tech", score="9")
    with pytest.raises(Conflict):
        ev.scores_submit(actor=evaluator, tender=ot.tender)
    assert ev.sheet_fingerprint(member) == member.sheet_sha256
    # A locked score changed behind the platform's back no longer matches the fingerprint in the chain.
    Score.objects.filter(bid=high, criterion__code="tech").update(score=Decimal("9.5"))
    assert ev.sheet_fingerprint(PanelMember.objects.get(pk=member.pk)) != member.sheet_sha256


def scored_by(ot, evaluators, values=("7", "8")):
    classify_all(ot.tender)
    seat_evaluators(ot.tender, evaluators)
    for index, evaluator in enumerate(evaluators):
        for bid in ot.bids:
            for code in ("tech", "env"):
                ev.score_put(actor=evaluator, bid=bid, criterion=code, score=values[index % len(values)])
        ev.scores_submit(actor=evaluator, tender=ot.tender)


def test_blind_scoring_visibility(ot, evaluator, approver):
    second = StaffFactory(roles=["evaluator"])
    classify_all(ot.tender)
    seat_evaluators(ot.tender, [evaluator, second])
    ev.score_put(actor=evaluator, bid=ot.bids[0], criterion="tech", score="7")
    ev.score_put(actor=second, bid=ot.bids[0], criterion="tech", score="4")

    def seen(user):
        return {(s.evaluator_id, str(s.score)) for s in selectors.scores_for_user(user=user, tender=ot.tender)["scores"]}

    assert seen(evaluator) == {(evaluator.id, "7.0")}
    assert seen(second) == {(second.id, "4.0")}
    assert seen(ot.buyer) == set() and seen(approver) == set()
    for bid in ot.bids:
        for code in ("tech", "env"):
            ev.score_put(actor=evaluator, bid=bid, criterion=code, score="7")
    ev.scores_submit(actor=evaluator, tender=ot.tender)
    # Submitted: it sees the submitted sheets only (its own); never the open sheet of the other.
    assert {e for e, _s in seen(evaluator)} == {evaluator.id}
    assert seen(ot.buyer) == set()
    for bid in ot.bids:
        for code in ("tech", "env"):
            ev.score_put(actor=second, bid=bid, criterion=code, score="3.5")
    ev.scores_submit(actor=second, tender=ot.tender)
    assert {e for e, _s in seen(evaluator)} == {evaluator.id, second.id}
    assert {e for e, _s in seen(ot.buyer)} == {evaluator.id, second.id} == {e for e, _s in seen(approver)}
    outsider = StaffFactory(roles=["evaluator"])
    with pytest.raises(NotAllowed):
        selectors.scores_for_user(user=outsider, tender=ot.tender)
    spread = selectors.score_spread(tender=ot.tender, scores=selectors.scores_for_user(user=ot.buyer,
                                                                                         tender=ot.tender)["scores"])
    assert len(spread) == 4 and all(row["flagged"] and row["max"] - row["min"] == Decimal("3.5") for row in spread)


# --- consensus --------------------------------------------------------------------------------------------


def test_consensus_waits_for_every_sheet_needs_a_rationale_and_audits_changes(ot, evaluator):
    second = StaffFactory(roles=["evaluator"])
    classify_all(ot.tender)
    seat_evaluators(ot.tender, [evaluator, second])
    high = ot.bids[0]
    with pytest.raises(Conflict):
        ev.consensus_record(actor=ot.buyer, bid=high, criterion="tech", score="7", rationale="Accord")
    for person in (evaluator, second):
        for bid in ot.bids:
            for code in ("tech", "env"):
                ev.score_put(actor=person, bid=bid, criterion=code, score="7")
        ev.scores_submit(actor=person, tender=ot.tender)
    with pytest.raises(ValidationFailed) as refused:
        ev.consensus_record(actor=ot.buyer, bid=high, criterion="tech", score="7", rationale=" ")
    assert "rationale" in refused.value.errors
    with pytest.raises(ValidationFailed):
        ev.consensus_record(actor=ot.buyer, bid=high, criterion="tech", score="7.125", rationale="x")
    with pytest.raises(NotAllowed):
        ev.consensus_record(actor=evaluator, bid=high, criterion="tech", score="7", rationale="x")
    ev.consensus_record(actor=ot.buyer, bid=high, criterion="tech", score="7.25", rationale="Mémoire solide")
    ev.consensus_record(actor=ot.buyer, bid=high, criterion="tech", score="8", rationale="Après relecture du planning")
    entries = list(AuditEntry.objects.filter(action="consensus", object_id=str(high.id)).order_by("id"))
    assert len(entries) == 2 and "7,25 → 8" in entries[1].reason and "relecture" in entries[1].reason


# --- anomalies and ranking --------------------------------------------------------------------------------


def test_late_and_withdrawn_bids_never_appear_in_anomalies_or_ranking():
    ot = opened_tender(("200000.00", "150000.00"), late=1, withdrawn=1)
    assert [b.status for b in ot.late_bids] == ["late"]
    assert [b.status for b in ot.withdrawn_bids] == ["withdrawn"]
    expected = {str(b.id) for b in ot.bids}
    assert {row["bid"] for row in selectors.anomalies(ot.tender)["bids"]} == expected
    assert {row["bid"] for row in selectors.ranking(ot.tender)["rows"]} == expected


def test_the_anomalies_flag_a_bid_well_below_the_others():
    ot = opened_tender(("200000.00", "210000.00", "120000.00"))
    report = selectors.anomalies(ot.tender)
    assert report["method"] == "mean_gap" and report["threshold"] == 0.2
    suspected = {row["bid"] for row in report["bids"] if row["suspected"]}
    # 120 000 ≤ 0.8 × 205 000 = 164 000
    assert suspected == {str(ot.bids[2].id)}
    low = next(row for row in report["bids"] if row["bid"] == str(ot.bids[2].id))
    assert low["gap_to_mean"] == round((120000 - 205000) / 205000, 4)
    # Its unit rates (30 €/m² and 10 €/m² against 95 and 40) are listed too.
    assert {line["ref"] for line in low["lines"]} == {"2.1", "2.2"}


def test_ranking_live_what_if_and_freeze(ot, evaluator):
    scored_by(ot, [evaluator])
    high, low = ot.bids
    for bid, tech in ((high, "9"), (low, "5")):
        ev.consensus_record(actor=ot.buyer, bid=bid, criterion="tech", score=tech, rationale="Consensus")
        ev.consensus_record(actor=ot.buyer, bid=bid, criterion="env", score="6", rationale="Consensus")
    live = selectors.ranking(ot.tender)
    rows = {row["bid"]: row for row in live["rows"]}
    # proportional: low 10, high 10 × 150 000 / 200 000 = 7.5
    # high: 50 × 7.5 / 10 + 30 × 9 / 10 + 20 × 6 / 10 = 37.5 + 27 + 12 = 76.5; low: 50 + 15 + 12 = 77
    assert rows[str(high.id)]["price_score"] == "7.50" and rows[str(high.id)]["total"] == "76.50"
    assert rows[str(low.id)]["total"] == "77.00" and rows[str(low.id)]["rank"] == 1
    before = (Tender.objects.get(pk=ot.tender.pk).price_method, RankingSnapshot.objects.count(), AuditEntry.objects.count())
    linear = selectors.ranking(ot.tender, price_method="linear")
    rows = {row["bid"]: row for row in linear["rows"]}
    # linear: high 0 → 0 + 27 + 12 = 39
    assert rows[str(high.id)]["price_score"] == "0.00" and rows[str(high.id)]["total"] == "39.00"
    after = (Tender.objects.get(pk=ot.tender.pk).price_method, RankingSnapshot.objects.count(), AuditEntry.objects.count())
    assert before == after == ("proportional", 0, before[2])

    snapshot = ev.ranking_freeze(actor=ot.buyer, tender=ot.tender)
    assert snapshot.rows == live["rows"] and snapshot.inputs["price_method"] == "proportional"
    with pytest.raises(InvalidTransition):  # frozen: no reclassification any more
        ev.bid_classify(actor=ot.buyer, bid=fresh(high), decision="irregular", reason="Tardif")
    with pytest.raises(Conflict):
        ev.ranking_freeze(actor=ot.buyer, tender=ot.tender)
    # A change behind the snapshot's back does not move the frozen ranking.
    assert selectors.ranking(ot.tender)["rows"] == live["rows"] and selectors.ranking(ot.tender)["frozen"]


def test_tender_input_takes_the_detection_method_and_the_tie_break():
    from tenders.services import tender_update
    from tests.factories import draft_tender

    tender = draft_tender(abnormally_low={"method": "estimate_gap"}, tie_break=["env", "price"])
    assert (tender.abnormally_low_method, tender.abnormally_low_threshold) == ("estimate_gap", None)
    assert tender.abnormally_low_effective_threshold == Decimal("0.30") and tender.tie_break == ["env", "price"]
    tender = tender_update(actor=tender.created_by, tender=tender,
                           data={"abnormally_low": {"method": "mean_gap", "threshold": "0.25"}})
    assert (tender.abnormally_low_method, tender.abnormally_low_threshold) == ("mean_gap", Decimal("0.25"))
    assert tender.tie_break == ["env", "price"]
    with pytest.raises(ValidationFailed) as refused:
        tender_update(actor=tender.created_by, tender=tender,
                      data={"abnormally_low": {"method": "mean_sigma", "threshold": "0.2"}, "tie_break": ["zzz"]})
    assert {"abnormally_low.threshold", "tie_break[0]"} <= set(refused.value.errors)
