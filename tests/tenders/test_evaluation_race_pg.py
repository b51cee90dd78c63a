"""Evaluation writes racing each other on PostgreSQL, one thread and one database connection per party.

- two evaluators submitting their sheets at once: both succeed, each sheet locked with its own SHA-256
  in the audit chain, the chain intact;
- a consensus racing a reclassification of the same bid: whatever the order, no consensus is recorded on
  a bid that is not admissible at that moment, and the other party's write is either kept or refused;
- two buyers classifying the same bid at once: one wins, one audit entry, the other gets a 409.
"""

from __future__ import annotations

import pytest

from procurement import audit
from procurement.errors import Conflict, InvalidTransition
from procurement.models import AuditEntry
from tenders.models import Bid, Consensus, PanelMember
from tenders.services import evaluation as ev
from tests.factories import StaffFactory, classify_all, opened_tender, seat_evaluators

from .test_deadline_race_pg import run_in_threads

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROUNDS = 6


def _score_all(ot, evaluator, value="7"):
    for bid in ot.bids:
        for code in ("tech", "env"):
            ev.score_put(actor=evaluator, bid=bid, criterion=code, score=value)


def test_two_evaluators_submitting_at_once_both_succeed():
    for _round in range(ROUNDS):
        ot = opened_tender(("200000.00", "150000.00"))
        evaluators = [StaffFactory(roles=["evaluator"]), StaffFactory(roles=["evaluator"])]
        classify_all(ot.tender)
        seat_evaluators(ot.tender, evaluators)
        _score_all(ot, evaluators[0], "7")
        _score_all(ot, evaluators[1], "5.5")
        outcomes = {}

        def submit(index, ot=ot, evaluators=evaluators, outcomes=outcomes):
            try:
                ev.scores_submit(actor=evaluators[index], tender=ot.tender)
                outcomes[index] = "ok"
            except Exception as exc:  # noqa: BLE001  reported below
                outcomes[index] = repr(exc)

        run_in_threads(2, submit)
        assert outcomes == {0: "ok", 1: "ok"}, outcomes
        members = list(PanelMember.objects.filter(tender=ot.tender))
        assert all(m.submitted_at and len(m.sheet_sha256) == 64 for m in members)
        assert members[0].sheet_sha256 != members[1].sheet_sha256
        reasons = list(AuditEntry.objects.filter(action="scores-submit", object_id=str(ot.tender.id))
                       .values_list("reason", flat=True))
        assert len(reasons) == 2
        assert all(any(m.sheet_sha256 in reason for reason in reasons) for m in members)
    assert audit.verify().valid


def test_a_consensus_racing_a_reclassification_never_lands_on_a_bid_that_is_not_admissible():
    for _round in range(ROUNDS):
        ot = opened_tender(("200000.00", "150000.00"))
        evaluator = StaffFactory(roles=["evaluator"])
        classify_all(ot.tender)
        seat_evaluators(ot.tender, [evaluator])
        _score_all(ot, evaluator)
        ev.scores_submit(actor=evaluator, tender=ot.tender)
        bid = Bid.objects.get(pk=ot.bids[0].pk)
        outcomes = {}

        def race(index, ot=ot, bid=bid, outcomes=outcomes):
            try:
                if index == 0:
                    ev.consensus_record(actor=ot.buyer, bid=Bid.objects.get(pk=bid.pk), criterion="tech", score="7",
                                        rationale="Accord de la commission")
                else:
                    ev.bid_classify(actor=ot.buyer, bid=Bid.objects.get(pk=bid.pk), decision="irregular",
                                    reason="Attestation d'assurance non conforme")
                outcomes[index] = "ok"
            except (InvalidTransition, Conflict) as exc:
                outcomes[index] = f"refused:{type(exc).__name__}"
            except Exception as exc:  # noqa: BLE001  reported below
                outcomes[index] = repr(exc)

        run_in_threads(2, race)
        assert outcomes[1] in ("ok", "refused:InvalidTransition"), outcomes
        assert outcomes[0] in ("ok", "refused:InvalidTransition"), outcomes
        bid.refresh_from_db()
        recorded = Consensus.objects.filter(bid=bid).exists()
        if outcomes[0] == "ok":
            # The consensus went first, while the bid was admissible; the reclassification followed.
            assert recorded
            entries = list(AuditEntry.objects.filter(object_id=str(bid.id), action__in=["consensus", "classify"])
                           .order_by("id").values_list("action", flat=True))
            expected = ["consensus", "classify"] if outcomes[1] == "ok" else ["consensus"]
            assert entries[-len(expected):] == expected
        else:
            assert not recorded and bid.status == "irregular"
    assert audit.verify().valid


def test_two_buyers_classifying_the_same_bid_at_once_one_wins_one_audit_entry():
    for _round in range(ROUNDS):
        ot = opened_tender(("200000.00", "150000.00"))
        second_buyer = StaffFactory(roles=["buyer"])
        bid = Bid.objects.get(pk=ot.bids[0].pk)
        seen_by = [Bid.objects.get(pk=bid.pk) for _ in range(2)]  # both buyers saw it "opened"
        decisions = [("admissible", ""), ("unacceptable", "Au-dessus du budget")]
        buyers = [ot.buyer, second_buyer]
        outcomes = {}

        def classify(index, seen_by=seen_by, outcomes=outcomes, buyers=buyers):
            decision, reason = decisions[index]
            try:
                ev.bid_classify(actor=buyers[index], bid=seen_by[index], decision=decision, reason=reason)
                outcomes[index] = "ok"
            except InvalidTransition as exc:
                outcomes[index] = f"409:{exc.state}"
            except Exception as exc:  # noqa: BLE001  reported below
                outcomes[index] = repr(exc)

        run_in_threads(2, classify)
        winners = [i for i, outcome in outcomes.items() if outcome == "ok"]
        assert len(winners) == 1, outcomes
        loser = 1 - winners[0]
        bid.refresh_from_db()
        assert bid.status == decisions[winners[0]][0]
        assert outcomes[loser] == f"409:{bid.status}"
        entries = AuditEntry.objects.filter(object_type="bid", object_id=str(bid.id), action="classify")
        assert entries.count() == 1 and entries.get().actor == buyers[winners[0]]
    assert audit.verify().valid
