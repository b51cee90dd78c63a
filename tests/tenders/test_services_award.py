"""The award services: proposal, four eyes, the winner's evidence, bids' final states, the cascade (R2144-7),
letters, the standstill, the contract's signatures and notification, debriefing, the vigilance reminders.

Worked figures (``ranked_tender``): bids at 150 000 €, 160 000 € and 200 000 €; criteria price 50, tech 30,
env 20; consensus 7 everywhere: totals 85, 81.88 and 72.5, ranked in that order.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from procurement import audit, calendar
from procurement.errors import Conflict, InvalidTransition, NotAllowed, ValidationFailed
from procurement.models import AuditEntry, EvidenceKind, OutboundEmail
from suppliers.models import EvidenceDocument, Membership, MembershipRole
from tenders import letters
from tenders.models import AwardProposal, Bid, Contract, DebriefRequest, RankingSnapshot, Tender
from tenders.services import award as aw
from tenders.services import contracts as ct
from tenders.services import evaluation as ev
from tenders.services import tender_cancel
from tests.factories import (
    StaffFactory,
    UserFactory,
    awarded_tender,
    complete_winner_evidence,
    evidence_direct,
    proposed_tender,
    ranked_tender,
)

pytestmark = pytest.mark.django_db
PARIS = ZoneInfo("Europe/Paris")


def fresh(obj):
    return type(obj).objects.get(pk=obj.pk)


def statuses(ot) -> list[str]:
    return [fresh(b).status for b in ot.bids]


# --- proposal ----------------------------------------------------------------------------------------------


def test_only_the_first_ranked_admissible_bid_is_proposed_and_the_ranking_freezes():
    ot = ranked_tender()
    first, second, _third = ot.bids
    assert aw.proposable_bid_id(ot.tender) == str(first.id)
    with pytest.raises(ValidationFailed) as refused:
        aw.award_propose(actor=ot.buyer, tender=ot.tender, bid=second, reason="Meilleure technique")
    assert first.company.name in refused.value.errors["bid"][0]
    with pytest.raises(ValidationFailed) as refused:
        aw.award_propose(actor=ot.buyer, tender=ot.tender, bid=first, reason="  ")
    assert "reason" in refused.value.errors
    assert not RankingSnapshot.objects.filter(tender=ot.tender).exists()

    proposal = aw.award_propose(actor=ot.buyer, tender=ot.tender, bid=first, reason="Mieux-disant")
    assert fresh(ot.tender).status == "award_proposed" and proposal.bid == first
    assert RankingSnapshot.objects.filter(tender=ot.tender).exists()
    [entry] = AuditEntry.objects.filter(object_id=str(ot.tender.id), action="propose-award")
    assert (entry.from_state, entry.to_state) == ("opened", "award_proposed") and "Mieux-disant" in entry.reason


def test_only_a_buyer_proposes(approver, evaluator):
    ot = ranked_tender(("150000.00", "160000.00"))
    for person in (approver, evaluator):
        with pytest.raises(NotAllowed):
            aw.award_propose(actor=person, tender=ot.tender, bid=ot.bids[0], reason="x")


def test_a_proposal_waits_for_every_consensus_score_and_every_class():
    ot = ranked_tender(("150000.00", "160000.00"), consensus=[{"tech": "7", "env": "7"}, {"tech": "7"}])
    with pytest.raises(ValidationFailed) as refused:
        aw.award_propose(actor=ot.buyer, tender=ot.tender, bid=ot.bids[0], reason="Mieux-disant")
    assert list(refused.value.errors) == [f"{ot.bids[1].id}.env"]
    assert fresh(ot.tender).status == "opened"


# --- four eyes ---------------------------------------------------------------------------------------------


def test_the_proposer_may_not_approve_even_with_the_approver_role():
    ot = ranked_tender(("150000.00", "160000.00"))
    both = StaffFactory(roles=["buyer", "approver"])
    complete_winner_evidence(ot.bids[0].company)
    aw.award_propose(actor=both, tender=ot.tender, bid=ot.bids[0], reason="Mieux-disant")
    with pytest.raises(NotAllowed) as refused:
        aw.award_approve(actor=both, tender=ot.tender)
    assert "quatre yeux" in refused.value.detail
    # A buyer without the approver role may not either.
    with pytest.raises(NotAllowed):
        aw.award_approve(actor=ot.buyer, tender=ot.tender)
    assert fresh(ot.tender).status == "award_proposed"
    aw.award_approve(actor=StaffFactory(roles=["approver"]), tender=ot.tender)
    assert fresh(ot.tender).status == "awarded"


# --- the winner's evidence ---------------------------------------------------------------------------------


def _replace(company, kind, **fields):
    EvidenceDocument.objects.filter(company=company, kind=kind).delete()
    defaults = {"issued_on": timezone.localdate() - dt.timedelta(days=10),
                "valid_until": timezone.localdate() + dt.timedelta(days=365)}
    evidence_direct(company=company, kind=kind, **{**defaults, **fields})


KBIS_3_MONTHS = lambda days: calendar.add_months(timezone.localdate(), -3) + dt.timedelta(days=days)  # noqa: E731

EVIDENCE_CASES = {
    "kbis missing": (EvidenceKind.KBIS, None, "missing"),
    "kbis 3 months plus a day": (EvidenceKind.KBIS, {"issued_on": KBIS_3_MONTHS(-1)}, "too_old"),
    "urssaf missing": (EvidenceKind.URSSAF_VIGILANCE, None, "missing"),
    "urssaf issued 7 months ago": (EvidenceKind.URSSAF_VIGILANCE,
                                   {"issued_on": lambda: calendar.add_months(timezone.localdate(), -7)}, "too_old"),
    "tax certificate missing": (EvidenceKind.TAX_CERTIFICATE, None, "missing"),
    "tax certificate expired": (EvidenceKind.TAX_CERTIFICATE,
                                {"valid_until": lambda: timezone.localdate() - dt.timedelta(days=1)}, "expired"),
    "liability missing": (EvidenceKind.LIABILITY_INSURANCE, None, "missing"),
    "liability expiring before the works": (EvidenceKind.LIABILITY_INSURANCE,
                                            {"valid_until": lambda: timezone.localdate() + dt.timedelta(days=3),
                                             "activities": ["external_wall_insulation"]}, "expired"),
    "decennial missing": (EvidenceKind.DECENNIAL_INSURANCE, None, "missing"),
    "decennial not covering the trade": (EvidenceKind.DECENNIAL_INSURANCE, {"activities": ["windows", "heating"]},
                                         "not_matching"),
}


@pytest.mark.parametrize("case", list(EVIDENCE_CASES))
def test_approval_is_refused_for_each_missing_or_invalid_evidence_kind(case):
    kind, fields, status = EVIDENCE_CASES[case]
    ot = proposed_tender(("150000.00", "160000.00"))
    company = ot.bids[0].company
    if fields is None:
        EvidenceDocument.objects.filter(company=company, kind=kind).delete()
    else:
        _replace(company, kind, **{key: value() if callable(value) else value for key, value in fields.items()})
    checks = {c.kind: c.status for c in aw.winner_checklist(fresh(ot.tender), company)}
    assert checks[kind] == status
    assert [k for k, s in checks.items() if s != "valid"] == [kind]
    with pytest.raises(ValidationFailed) as refused:
        aw.award_approve(actor=ot.approver, tender=ot.tender)
    assert list(refused.value.errors) == [kind]
    assert fresh(ot.tender).status == "award_proposed" and not Contract.objects.exists()


def test_a_kbis_issued_3_months_minus_a_day_ago_lets_the_award_through():
    ot = proposed_tender(("150000.00", "160000.00"))
    _replace(ot.bids[0].company, EvidenceKind.KBIS, issued_on=KBIS_3_MONTHS(1))
    aw.award_approve(actor=ot.approver, tender=ot.tender)
    assert fresh(ot.tender).status == "awarded"


def test_the_winner_is_asked_for_what_its_evidence_lacks(django_capture_on_commit_callbacks):
    ot = proposed_tender(("150000.00", "160000.00"), evidence=False)
    due = timezone.now() + dt.timedelta(days=8)
    proposal = aw.winner_evidence_request(actor=ot.buyer, tender=ot.tender, due_at=due.isoformat())
    assert proposal.evidence_due_at == due
    mails = OutboundEmail.objects.filter(key__startswith=f"winner-evidence:{proposal.id}:")
    assert mails.count() == ot.bids[0].company.memberships.count()
    body = mails.first().body
    assert "Attestation de régularité fiscale" in body and "Assurance décennale" in body and "R2144-7" in body
    assert "Extrait Kbis" not in body  # present and valid
    assert AuditEntry.objects.filter(object_id=str(ot.tender.id), action="request-winner-evidence").exists()


# --- bids' final states --------------------------------------------------------------------------------------


def test_approval_awards_the_winner_not_retains_the_ranked_and_leaves_the_eliminated_classes():
    ot = ranked_tender(("150000.00", "160000.00", "200000.00", "170000.00"), late=1)
    ev.bid_classify(actor=ot.buyer, bid=fresh(ot.bids[3]), decision="irregular", reason="DPGF non signée")
    complete_winner_evidence(ot.bids[0].company)
    aw.award_propose(actor=ot.buyer, tender=ot.tender, bid=ot.bids[0], reason="Mieux-disant")
    before = timezone.now()
    contract = aw.award_approve(actor=StaffFactory(roles=["approver"]), tender=ot.tender)
    tender = fresh(ot.tender)
    assert tender.status == "awarded" and tender.letters_sent_at >= before
    assert tender.standstill_ends_at == letters.standstill_end(tender.letters_sent_at)
    assert statuses(ot) == ["awarded", "not_retained", "not_retained", "irregular"]
    assert fresh(ot.late_bids[0]).status == "late"
    assert (contract.number, contract.holder, contract.amount) == (f"{tender.reference}-C1", ot.bids[0].company,
                                                                  ot.bids[0].total_price)
    assert contract.status == "awaiting_signatures" and contract.standstill_ends_at == tender.standstill_ends_at
    assert [row["ref"] for row in contract.schedule] == ["1.1", "2.1", "2.2"]
    assert sum(float(row["amount"]) for row in contract.schedule) == 150000.0
    assert AuditEntry.objects.filter(object_type="contract", object_id=str(contract.id), action="create").exists()
    # Every bidder gets its letter, the late one included (not examined).
    kinds = {bid.company.name: letter.kind for bid in ot.bids + ot.late_bids for letter in [letters.letter_for(bid)]}
    assert list(kinds.values()).count("award_letter") == 1 and list(kinds.values()).count("rejection_letter") == 4
    late = letters.letter_for(fresh(ot.late_bids[0]))
    assert not late.examined and late.own is None
    irregular = letters.letter_for(fresh(ot.bids[3]))
    assert irregular.elimination.status == "irregular" and irregular.elimination.reason == "DPGF non signée"
    assert irregular.own is None
    for bid in ot.bids + ot.late_bids:
        assert OutboundEmail.objects.filter(key__contains=f":{bid.id}:").exists()
    assert audit.verify().valid


def test_a_tender_without_standstill_may_be_signed_at_once():
    ot = awarded_tender(("150000.00", "160000.00"), standstill=False)
    assert ot.tender.standstill_ends_at is None and ot.contract.standstill_ends_at is None
    letter = letters.letter_for(ot.bids[1])
    assert letter.earliest_signature_at is None
    ct.contract_sign(actor=ot.bidders[0][1], contract=ot.contract)
    assert fresh(ot.contract).signatures.count() == 1


# --- withdrawal and the cascade (R2144-7) --------------------------------------------------------------------


def test_eliminating_the_proposed_bid_makes_the_next_ranked_proposable_without_recomputing():
    ot = proposed_tender(evidence=False)
    first, second, third = ot.bids
    frozen = RankingSnapshot.objects.get(tender=ot.tender)
    aw.award_withdraw(actor=ot.buyer, tender=ot.tender, reason="Attestation d'assurance décennale non fournie",
                      eliminate=True)
    assert fresh(ot.tender).status == "opened"
    first = fresh(first)
    assert first.status == "eliminated" and first.classification_reason.startswith("Attestation")
    assert aw.proposable_bid_id(ot.tender) == str(second.id)
    with pytest.raises(ValidationFailed):
        aw.award_propose(actor=ot.buyer, tender=ot.tender, bid=third, reason="x")
    with pytest.raises(ValidationFailed):
        aw.award_propose(actor=ot.buyer, tender=ot.tender, bid=first, reason="x")
    aw.award_propose(actor=ot.buyer, tender=ot.tender, bid=second, reason="Suivante au classement")
    again = RankingSnapshot.objects.get(tender=ot.tender)
    assert (again.pk, again.frozen_at, again.rows) == (frozen.pk, frozen.frozen_at, frozen.rows)
    complete_winner_evidence(second.company)
    aw.award_approve(actor=ot.approver, tender=ot.tender)
    assert statuses(ot) == ["eliminated", "awarded", "not_retained"]
    letter = letters.letter_for(fresh(first))
    assert letter.kind == "rejection_letter" and letter.elimination.status == "eliminated"
    assert letter.winner.company == second.company.name
    assert [p.eliminated for p in AwardProposal.objects.filter(tender=ot.tender).order_by("proposed_at")] == [True,
                                                                                                             False]
    [entry] = AuditEntry.objects.filter(object_id=str(first.id), action="eliminate")
    assert (entry.from_state, entry.to_state) == ("admissible", "eliminated") and "R2144-7" in entry.reason


def test_a_withdrawal_without_elimination_leaves_the_same_bid_proposable():
    ot = proposed_tender(("150000.00", "160000.00"))
    aw.award_withdraw(actor=ot.buyer, tender=ot.tender, reason="Erreur de saisie du motif", eliminate=False)
    assert fresh(ot.bids[0]).status == "admissible"
    assert aw.proposable_bid_id(ot.tender) == str(ot.bids[0].id)
    with pytest.raises(InvalidTransition):
        aw.award_withdraw(actor=ot.buyer, tender=ot.tender, reason="encore", eliminate=False)


# --- letters -------------------------------------------------------------------------------------------------


def test_letters_carry_own_scores_the_winner_and_the_rights_never_another_bidders_scores():
    ot = awarded_tender()
    winner, second, third = (fresh(b) for b in ot.bids)
    letter = letters.letter_for(second)
    assert letter.kind == "rejection_letter" and letter.elimination is None
    assert (letter.own.rank, letter.own.ranked, letter.own.total) == (2, 3, "81.88")
    assert {line.code: line.score for line in letter.own.criteria} == {"price": "9.38", "tech": "7.00",
                                                                      "env": "7.00"}
    assert (letter.winner.company, letter.winner.total, letter.winner.total_price) == (
        winner.company.name, "85.00", "150000.00")
    assert {r.code: r.rationale for r in letter.reasons} == {
        "tech": f"Méthodologie détaillée, planning réaliste. ({winner.company.name})",
        "env": f"Isolant biosourcé, gestion des déchets tracée. ({winner.company.name})"}
    tender = fresh(ot.tender)
    assert letter.earliest_signature_at == tender.standstill_ends_at
    assert letter.debrief_until == calendar.add_calendar_days(tender.letters_sent_at, 15)
    text = str(letter.as_dict())
    assert third.company.name not in text and "72.50" not in text
    [mail] = OutboundEmail.objects.filter(key__startswith=f"rejection_letter:{tender.id}:{second.id}:")
    assert "classée 2 sur 3" in mail.body and "81,88" in mail.body and winner.company.name in mail.body
    assert "Méthodologie détaillée" in mail.body and "R2181-4" in mail.body and "15 jours" in mail.body
    assert "R2182-1" in mail.body and third.company.name not in mail.body and "72,50" not in mail.body
    award = letters.letter_for(winner)
    assert award.kind == "award_letter" and award.own.rank == 1 and award.winner is None
    assert second.company.name not in str(award.as_dict())


def test_a_cancelled_tender_sends_each_bidder_its_letter_and_tells_every_invitee(django_capture_on_commit_callbacks):
    from tests.factories import opened_tender

    ot = opened_tender(("150000.00",), withdrawn=1)
    tender_cancel(actor=ot.buyer, tender=ot.tender, reason="Opération reportée par le conseil d'administration")
    bidder = ot.bids[0]
    letter = letters.letter_for(fresh(bidder))
    assert letter.kind == "cancellation_letter" and letter.end_reason.startswith("Opération reportée")
    assert OutboundEmail.objects.filter(key__startswith=f"cancellation_letter:{ot.tender.id}:{bidder.id}:").count() == 1
    # The supplier whose bid was withdrawn is an invitee told without a letter.
    outsider = ot.outsiders[0][0]
    emails = set(Membership.objects.filter(company=outsider).values_list("user__email", flat=True))
    assert OutboundEmail.objects.filter(key__startswith=f"tender-cancel:{ot.tender.id}:", to__in=emails).count() == 1
    bidder_emails = set(Membership.objects.filter(company=bidder.company).values_list("user__email", flat=True))
    assert not OutboundEmail.objects.filter(key__startswith=f"tender-cancel:{ot.tender.id}:", to__in=bidder_emails)


def test_a_tender_may_be_cancelled_while_an_award_is_proposed():
    ot = proposed_tender(("150000.00", "160000.00"))
    tender_cancel(actor=ot.buyer, tender=ot.tender, reason="Financement retiré")
    assert fresh(ot.tender).status == "cancelled"
    assert letters.letter_for(fresh(ot.bids[1])).kind == "cancellation_letter"


# --- the standstill ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("sent, ends", [
    # month end: 20 February + 11 days is 3 March (28-day February)
    (dt.datetime(2027, 2, 20, 10, 0), dt.datetime(2027, 3, 3, 10, 0)),
    # across the change to summer time (28 March 2027): the same local time, 11 days minus an hour later
    (dt.datetime(2027, 3, 20, 10, 0), dt.datetime(2027, 3, 31, 10, 0)),
    # across the change to winter time (31 October 2027)
    (dt.datetime(2027, 10, 25, 9, 30), dt.datetime(2027, 11, 5, 9, 30)),
    # sent at 23:59 Paris time (21:59 UTC in summer): still that Paris date
    (dt.datetime(2027, 6, 10, 23, 59), dt.datetime(2027, 6, 21, 23, 59)),
    # year end
    (dt.datetime(2027, 12, 25, 16, 0), dt.datetime(2028, 1, 5, 16, 0)),
])
def test_the_standstill_ends_11_days_after_the_letters_date_to_date_in_paris(sent, ends):
    assert letters.standstill_end(sent.replace(tzinfo=PARIS)) == ends.replace(tzinfo=PARIS)


def test_letters_sent_at_23_59_paris_time_set_the_standstill_on_that_paris_date():
    moment = timezone.now().astimezone(PARIS).replace(hour=23, minute=59, second=0, microsecond=0) \
        + dt.timedelta(days=1)
    ot = proposed_tender(("150000.00", "160000.00"))
    with time_machine.travel(moment, tick=False):
        aw.award_approve(actor=ot.approver, tender=ot.tender)
    tender = fresh(ot.tender)
    assert tender.letters_sent_at == moment
    ends = tender.standstill_ends_at.astimezone(PARIS)
    assert (ends.date(), ends.hour, ends.minute) == (moment.date() + dt.timedelta(days=11), 23, 59)


# --- the contract ----------------------------------------------------------------------------------------------


def test_signing_waits_for_the_standstill_then_holder_first_then_buyer_then_notification():
    ot = awarded_tender(("150000.00", "160000.00"))
    contract, holder = ot.contract, ot.bidders[0][1]
    ends = contract.standstill_ends_at
    with time_machine.travel(ends - dt.timedelta(seconds=1), tick=False):
        for person in (holder, ot.buyer):
            with pytest.raises(Conflict) as refused:
                ct.contract_sign(actor=person, contract=contract)
            assert "délai de suspension" in refused.value.detail and refused.value.state == "awaiting_signatures"
    with time_machine.travel(ends, tick=False):
        with pytest.raises(InvalidTransition) as refused:
            ct.contract_sign(actor=ot.buyer, contract=contract)  # the buyer first
        assert refused.value.state == "awaiting_signatures"
        ct.contract_sign(actor=holder, contract=contract)
        assert fresh(contract).status == "awaiting_signatures"
        with pytest.raises(InvalidTransition):
            ct.contract_sign(actor=holder, contract=contract)  # twice
    signed_at = ends + dt.timedelta(hours=3)
    with time_machine.travel(signed_at, tick=False):
        ct.contract_sign(actor=ot.buyer, contract=contract)
    contract = fresh(contract)
    assert (contract.status, contract.signed_at) == ("signed", signed_at)
    assert [s.party for s in contract.signatures.order_by("signed_at")] == ["holder", "buyer"]
    with time_machine.travel(signed_at + dt.timedelta(days=2), tick=False):
        ct.contract_notify(actor=ot.buyer, contract=contract)
    contract = fresh(contract)
    assert contract.status == "notified"
    assert contract.award_notice_due == signed_at.astimezone(PARIS).date() + dt.timedelta(days=30)
    actions = list(AuditEntry.objects.filter(object_type="contract", object_id=str(contract.id)).order_by("id")
                   .values_list("action", "to_state"))
    assert actions == [("create", "awaiting_signatures"), ("sign", "awaiting_signatures"), ("sign", "signed"),
                       ("notify", "notified")]
    assert OutboundEmail.objects.filter(key__startswith=f"contract_notified:{contract.id}:").exists()


def test_signing_is_refused_while_the_holders_evidence_is_not_valid_and_to_others():
    ot = awarded_tender(("150000.00", "160000.00"), standstill=False)
    company, holder = ot.bidders[0]
    EvidenceDocument.objects.filter(company=company, kind=EvidenceKind.KBIS).delete()
    with pytest.raises(Conflict) as refused:
        ct.contract_sign(actor=holder, contract=ot.contract)
    assert "Extrait Kbis" in refused.value.detail
    complete_winner_evidence(company)
    plain_member = UserFactory()
    Membership.objects.create(user=plain_member, company=company, role=MembershipRole.MEMBER)
    for person in (plain_member, StaffFactory(roles=["approver"]), StaffFactory(roles=["evaluator"])):
        with pytest.raises(NotAllowed):
            ct.contract_sign(actor=person, contract=ot.contract)
    with pytest.raises(Conflict):
        ct.contract_notify(actor=ot.buyer, contract=ot.contract)


def test_the_urssaf_vigilance_is_asked_again_every_6_months_of_the_works():
    ot = awarded_tender(("150000.00", "160000.00"), standstill=False)
    ct.contract_sign(actor=ot.bidders[0][1], contract=ot.contract)
    ct.contract_sign(actor=ot.buyer, contract=ot.contract)
    ct.contract_notify(actor=ot.buyer, contract=ot.contract)
    Contract.objects.filter(pk=ot.contract.pk).update(duration_weeks=60)  # about 14 months of works
    start = calendar.local_date(fresh(ot.contract).notified_at)
    assert ct.contracts_vigilance_reminders(today=calendar.add_months(start, 6) - dt.timedelta(days=1)) == 0
    assert ct.contracts_vigilance_reminders(today=calendar.add_months(start, 6)) == 1
    assert ct.contracts_vigilance_reminders(today=calendar.add_months(start, 6) + dt.timedelta(days=3)) == 0
    assert ct.contracts_vigilance_reminders(today=calendar.add_months(start, 12)) == 1
    assert ct.contracts_vigilance_reminders(today=calendar.add_months(start, 18)) == 0  # the works are over
    mails = OutboundEmail.objects.filter(key__startswith=f"vigilance_renewal:{ot.contract.id}:")
    assert mails.count() == 2 * ot.bidders[0][0].memberships.count() and "URSSAF" in mails.first().subject
    assert AuditEntry.objects.filter(object_type="contract", action="request-vigilance").count() == 2


# --- debriefing (R2181-4) ------------------------------------------------------------------------------------


def test_a_rejected_bidder_asks_within_15_days_and_the_buyer_answers():
    ot = awarded_tender(("150000.00", "160000.00", "200000.00"))
    loser, late_loser = ot.bidders[1][1], ot.bidders[2][1]
    until = letters.debrief_deadline(fresh(ot.tender).letters_sent_at)
    with pytest.raises(InvalidTransition):
        aw.debrief_request_create(actor=ot.bidders[0][1], bid=ot.bids[0], text="Et nous ?")
    with pytest.raises(NotAllowed):
        aw.debrief_request_create(actor=loser, bid=ot.bids[2], text="Pas notre offre")
    with time_machine.travel(until + dt.timedelta(seconds=1), tick=False), pytest.raises(Conflict):
        aw.debrief_request_create(actor=late_loser, bid=ot.bids[2], text="Trop tard")
    with time_machine.travel(until, tick=False):
        request = aw.debrief_request_create(actor=loser, bid=ot.bids[1], text="Quels avantages de l'offre retenue ?")
    assert request.due_at == calendar.add_calendar_days(until, 15)
    with pytest.raises(Conflict):
        aw.debrief_request_create(actor=loser, bid=ot.bids[1], text="Encore")
    with pytest.raises(NotAllowed):
        aw.debrief_answer(actor=ot.approver, request=request, text="x")
    aw.debrief_answer(actor=ot.buyer, request=request, text="Isolant biosourcé, planning plus court.")
    assert fresh(request).is_answered
    with pytest.raises(Conflict):
        aw.debrief_answer(actor=ot.buyer, request=request, text="bis")
    assert OutboundEmail.objects.filter(key__startswith=f"debrief-answer:{request.id}:").count() == \
        ot.bidders[1][0].memberships.count()
    assert list(AuditEntry.objects.filter(object_id=str(ot.bids[1].id), action__startswith="debrief")
                .values_list("action", flat=True).order_by("id")) == ["debrief-request", "debrief-answer"]
    assert DebriefRequest.objects.count() == 1
    assert Bid.objects.get(pk=ot.bids[1].pk).status == "not_retained"
    assert Tender.objects.get(pk=ot.tender.pk).status == "awarded"
