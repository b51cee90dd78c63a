"""Award writes racing each other on PostgreSQL, one thread and one database connection per party.

- two approvers approving the same proposal at once: one wins, the other gets a 409, one audit entry, one
  contract, one letter per bidder;
- a proposal racing a withdrawal of the proposal: whatever the order, the tender's state, the proposals and
  the audit chain agree (never a withdrawal recorded without the proposal it withdraws).
"""

from __future__ import annotations

import pytest

from procurement import audit
from procurement.errors import InvalidTransition
from procurement.models import AuditEntry, OutboundEmail
from tenders.models import AwardProposal, Bid, Contract, Tender
from tenders.services import award as aw
from tests.factories import StaffFactory, complete_winner_evidence, proposed_tender, ranked_tender

from .test_deadline_race_pg import run_in_threads

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROUNDS = 3


def test_two_approvers_at_once_one_wins_one_409_one_audit_entry():
    for _round in range(ROUNDS):
        ot = proposed_tender(("150000.00", "160000.00"))
        approvers = [StaffFactory(roles=["approver"]), StaffFactory(roles=["approver"])]
        outcomes = {}

        def approve(index, ot=ot, approvers=approvers, outcomes=outcomes):
            try:
                aw.award_approve(actor=approvers[index], tender=Tender.objects.get(pk=ot.tender.pk))
                outcomes[index] = "ok"
            except InvalidTransition as exc:
                outcomes[index] = f"409:{exc.state}"
            except Exception as exc:  # noqa: BLE001  reported below
                outcomes[index] = repr(exc)

        run_in_threads(2, approve)
        assert sorted(outcomes.values()) == ["409:awarded", "ok"], outcomes
        assert Tender.objects.get(pk=ot.tender.pk).status == "awarded"
        assert AuditEntry.objects.filter(object_id=str(ot.tender.id), action="approve-award").count() == 1
        assert Contract.objects.filter(tender=ot.tender).count() == 1
        assert [Bid.objects.get(pk=b.pk).status for b in ot.bids] == ["awarded", "not_retained"]
        winner = next(i for i, outcome in outcomes.items() if outcome == "ok")
        assert AwardProposal.objects.get(tender=ot.tender).approved_by == approvers[winner]
        loser_letters = OutboundEmail.objects.filter(key__startswith=f"rejection_letter:{ot.tender.id}:")
        assert loser_letters.count() == ot.bidders[1][0].memberships.count()
    assert audit.verify().valid


def test_a_proposal_racing_a_withdrawal_leaves_state_proposals_and_audit_in_agreement():
    seen = set()
    for _round in range(ROUNDS * 2):
        ot = ranked_tender(("150000.00", "160000.00"))
        complete_winner_evidence(ot.bids[0].company)
        outcomes = {}

        def race(index, ot=ot, outcomes=outcomes):
            try:
                tender = Tender.objects.get(pk=ot.tender.pk)
                if index == 0:
                    aw.award_propose(actor=ot.buyer, tender=tender, bid=ot.bids[0], reason="Mieux-disant")
                else:
                    aw.award_withdraw(actor=ot.buyer, tender=tender, reason="Justificatifs absents", eliminate=True)
                outcomes[index] = "ok"
            except InvalidTransition as exc:
                outcomes[index] = f"409:{exc.state}"
            except Exception as exc:  # noqa: BLE001  reported below
                outcomes[index] = repr(exc)

        run_in_threads(2, race)
        assert outcomes[0] == "ok", outcomes
        seen.add(outcomes[1])
        tender = Tender.objects.get(pk=ot.tender.pk)
        proposal = AwardProposal.objects.get(tender=ot.tender)
        actions = list(AuditEntry.objects.filter(object_id=str(ot.tender.id),
                                                 action__in=["propose-award", "withdraw-proposal"])
                       .order_by("id").values_list("action", flat=True))
        first = Bid.objects.get(pk=ot.bids[0].pk)
        if outcomes[1] == "ok":
            # The proposal went first; the withdrawal followed and eliminated its bid.
            assert actions == ["propose-award", "withdraw-proposal"]
            assert tender.status == "opened" and proposal.withdrawn_at and first.status == "eliminated"
            assert aw.proposable_bid_id(tender) == str(ot.bids[1].id)
        else:
            # The withdrawal found nothing to withdraw: refused, nothing recorded.
            assert outcomes[1] == "409:opened", outcomes
            assert actions == ["propose-award"]
            assert tender.status == "award_proposed" and proposal.withdrawn_at is None
            assert first.status == "admissible"
    assert seen  # at least one ordering was observed
    assert audit.verify().valid
