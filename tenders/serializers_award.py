"""API representations of the award and the contract (API.md "Award and contract").

Input serializers check the shape of a body; the rules are the services'. Output is built by the ``*_data``
functions; the serializers below describe it in the OpenAPI schema.
"""

from __future__ import annotations

from rest_framework import serializers

from procurement.serializers import Moment
from procurement.workflow import allowed_actions
from suppliers.evidence_checks import CHECK_STATUSES, WINNER_KINDS

from .models import ContractParty, ContractStatus, TenderStatus

# --- input ---------------------------------------------------------------------------------------------------


class ProposeInputSerializer(serializers.Serializer):
    bid = serializers.CharField(max_length=64)
    reason = serializers.CharField(allow_blank=True)


class EvidenceRequestInputSerializer(serializers.Serializer):
    due_at = serializers.CharField(help_text="A date (YYYY-MM-DD, due at the end of that day in Paris) or an ISO 8601 "
                                             "moment, in the future.")


class WithdrawInputSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True)
    eliminate = serializers.BooleanField(default=False)


class TextInputSerializer(serializers.Serializer):
    text = serializers.CharField(allow_blank=True)


# --- output --------------------------------------------------------------------------------------------------


def _iso(moment):
    return moment.isoformat() if moment else None


def _email(user):
    return user.email if user is not None else None


class EvidenceCheckSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=[(k, k) for k in WINNER_KINDS])
    status = serializers.ChoiceField(choices=[(s, s) for s in CHECK_STATUSES])
    document = serializers.UUIDField(allow_null=True)
    detail = serializers.CharField()
    issued_on = serializers.DateField(allow_null=True)
    valid_until = serializers.DateField(allow_null=True)
    activities = serializers.ListField(child=serializers.CharField())


def evidence_check_data(check) -> dict:
    document = check.document
    return {"kind": check.kind, "status": check.status, "document": str(document.id) if document else None,
            "detail": check.detail, "issued_on": document.issued_on.isoformat() if document else None,
            "valid_until": document.valid_until.isoformat() if document and document.valid_until else None,
            "activities": list(document.activities or []) if document else []}


class ProposalSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    bid = serializers.UUIDField()
    company = serializers.CharField()
    reason = serializers.CharField()
    proposed_by = serializers.EmailField()
    proposed_at = Moment()
    evidence_due_at = Moment(allow_null=True)
    withdrawn_at = Moment(allow_null=True)
    withdrawal_reason = serializers.CharField()
    eliminated = serializers.BooleanField()
    approved_at = Moment(allow_null=True)
    approved_by = serializers.EmailField(allow_null=True)


def proposal_data(proposal) -> dict | None:
    if proposal is None:
        return None
    return {"id": str(proposal.id), "bid": str(proposal.bid_id), "company": proposal.bid.company.name,
            "reason": proposal.reason, "proposed_by": _email(proposal.proposed_by),
            "proposed_at": _iso(proposal.proposed_at), "evidence_due_at": _iso(proposal.evidence_due_at),
            "withdrawn_at": _iso(proposal.withdrawn_at), "withdrawal_reason": proposal.withdrawal_reason,
            "eliminated": proposal.eliminated, "approved_at": _iso(proposal.approved_at),
            "approved_by": _email(proposal.approved_by)}


class SignatureSerializer(serializers.Serializer):
    party = serializers.ChoiceField(choices=ContractParty.choices)
    by = serializers.EmailField()
    at = Moment()


class ScheduleLineSerializer(serializers.Serializer):
    ref = serializers.CharField()
    label = serializers.CharField()
    unit = serializers.CharField()
    quantity = serializers.CharField()
    unit_price = serializers.CharField(allow_null=True)
    amount = serializers.CharField(allow_null=True)


class HolderSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    identifier = serializers.CharField()


class ContractSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    number = serializers.CharField()
    tender = serializers.UUIDField()
    tender_reference = serializers.CharField()
    holder = HolderSerializer()
    amount = serializers.CharField(help_text="Euros excluding VAT")
    duration_weeks = serializers.IntegerField(allow_null=True)
    status = serializers.ChoiceField(choices=ContractStatus.choices)
    standstill_ends_at = Moment(allow_null=True)
    signatures = SignatureSerializer(many=True)
    signed_at = Moment(allow_null=True)
    notified_at = Moment(allow_null=True)
    award_notice_due = serializers.DateField(allow_null=True)
    schedule = ScheduleLineSerializer(many=True, help_text="The priced schedule (annex)")
    allowed_transitions = serializers.ListField(child=serializers.CharField())


def contract_data(contract) -> dict | None:
    if contract is None:
        return None
    signatures = list(contract.signatures.all())
    return {
        "id": str(contract.id), "number": contract.number, "tender": str(contract.tender_id),
        "tender_reference": contract.tender.reference,
        "holder": {"id": str(contract.holder_id), "name": contract.holder.name,
                   "identifier": contract.holder.identifier},
        "amount": str(contract.amount), "duration_weeks": contract.duration_weeks, "status": contract.status,
        "standstill_ends_at": _iso(contract.standstill_ends_at),
        "signatures": [{"party": s.party, "by": _email(s.signed_by), "at": _iso(s.signed_at)} for s in signatures],
        "signed_at": _iso(contract.signed_at), "notified_at": _iso(contract.notified_at),
        "award_notice_due": contract.award_notice_due.isoformat() if contract.award_notice_due else None,
        "schedule": contract.schedule, "allowed_transitions": allowed_actions(contract),
    }


class AwardSerializer(serializers.Serializer):
    tender = serializers.UUIDField()
    reference = serializers.CharField()
    status = serializers.ChoiceField(choices=TenderStatus.choices)
    proposable_bid = serializers.UUIDField(allow_null=True,
                                           help_text="The bid a proposal may name now (opened tenders)")
    proposal = ProposalSerializer(allow_null=True)
    proposals = ProposalSerializer(many=True)
    awarded_at = Moment(allow_null=True)
    letters_sent_at = Moment(allow_null=True)
    standstill = serializers.BooleanField()
    standstill_ends_at = Moment(allow_null=True)
    contract = ContractSerializer(allow_null=True)
    allowed_transitions = serializers.ListField(child=serializers.CharField())


def award_data(tender, *, proposal, proposals, contract, proposable_bid=None) -> dict:
    return {
        "tender": str(tender.id), "reference": tender.reference, "status": tender.status,
        "proposable_bid": proposable_bid, "proposal": proposal_data(proposal),
        "proposals": [proposal_data(p) for p in proposals], "awarded_at": _iso(tender.awarded_at),
        "letters_sent_at": _iso(tender.letters_sent_at), "standstill": tender.standstill,
        "standstill_ends_at": _iso(tender.standstill_ends_at), "contract": contract_data(contract),
        "allowed_transitions": allowed_actions(tender),
    }


class DebriefRequestSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    bid = serializers.UUIDField()
    company = serializers.CharField()
    text = serializers.CharField()
    requested_by = serializers.EmailField(allow_null=True)
    requested_at = Moment()
    due_at = Moment()
    answer = serializers.CharField()
    answered_at = Moment(allow_null=True)


def debrief_data(request) -> dict:
    return {"id": str(request.id), "bid": str(request.bid_id), "company": request.bid.company.name,
            "text": request.text, "requested_by": _email(request.requested_by),
            "requested_at": _iso(request.requested_at), "due_at": _iso(request.due_at), "answer": request.answer,
            "answered_at": _iso(request.answered_at)}


class LetterSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=[("award_letter", "award_letter"), ("rejection_letter", "rejection_letter"),
                                            ("cancellation_letter", "cancellation_letter")])
    tender = serializers.DictField()
    bid = serializers.UUIDField()
    company = serializers.CharField()
    status = serializers.CharField()
    sent_at = Moment(allow_null=True)
    examined = serializers.BooleanField()
    elimination = serializers.DictField(allow_null=True, help_text="{status, label, reason}")
    own = serializers.DictField(allow_null=True, help_text="The reader's own scores, total and rank")
    winner = serializers.DictField(allow_null=True, help_text="The retained bid's company, scores and total")
    reasons = serializers.ListField(child=serializers.DictField(), help_text="The consensus rationales of the "
                                                                             "retained bid")
    standstill = serializers.BooleanField()
    earliest_signature_at = Moment(allow_null=True)
    debrief_until = Moment(allow_null=True)
    end_reason = serializers.CharField()
    unsuccessful = serializers.BooleanField()
    debrief_request = DebriefRequestSerializer(allow_null=True)
