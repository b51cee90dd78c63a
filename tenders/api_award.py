"""REST API v1: the award and the contract (API.md "Award and contract").

Views translate HTTP to the services of ``tenders.services.award`` and ``tenders.services.contracts`` and the
selectors of ``tenders.selectors``. An object the caller may not know answers 404 (another company's contract,
bid or letter; the winner's checklist for anyone but staff and the proposed winner); a role refusal 403 (the
proposer approving its own proposal, even with the approver role); a wrong state 409 with ``state`` and
``allowed_transitions`` (a contract signed before the end of the standstill or in the wrong order); a business
rule 400 with ``errors`` (one entry per missing or invalid evidence kind at approval).
"""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.response import Response
from rest_framework.views import APIView

from procurement.api_support import ID_PARAM, responses, uuid_or_none, validated
from procurement.errors import InvalidTransition
from procurement.permissions import require_staff
from procurement.workflow import allowed_actions

from . import letters, selectors
from . import serializers_award as s
from .models import TenderStatus
from .services import award as award_services
from .services import contracts as contract_services

AWARD = ["award"]


def _award(tender) -> dict:
    tender.refresh_from_db()  # as the service left it
    contract = selectors.contract_of(tender)
    proposable = award_services.proposable_bid_id(tender) if tender.status == TenderStatus.OPENED else None
    return s.award_data(tender, proposal=selectors.live_proposal_of(tender),
                        proposals=list(selectors.award_proposals(tender)), contract=contract,
                        proposable_bid=proposable)


def _award_schema(summary: str, body=None):
    return extend_schema(parameters=[ID_PARAM], request=body,
                         responses=responses({200: s.AwardSerializer}, 400, 401, 403, 404, 409), tags=AWARD,
                         summary=summary)


class TenderAwardView(APIView):
    @extend_schema(parameters=[ID_PARAM], responses=responses({200: s.AwardSerializer}, 401, 403, 404), tags=AWARD,
                   summary="The award of a tender: the bid a proposal may name, the proposals, the standstill, the "
                           "contract (staff)")
    def get(self, request, id):
        tender = selectors.tender_get(user=request.user, tender_id=id)
        require_staff(request.user)
        return Response(_award(tender))


class ProposeAwardView(APIView):
    @_award_schema("Propose the first-ranked admissible bid (buyer; reason required) once every admissible bid "
                   "has its consensus scores → award_proposed; the ranking is frozen", s.ProposeInputSerializer)
    def post(self, request, id):
        tender = selectors.tender_get(user=request.user, tender_id=id)
        data = validated(s.ProposeInputSerializer, request).validated_data
        award_services.award_propose(actor=request.user, tender=tender, bid=data["bid"], reason=data["reason"])
        return Response(_award(tender))


class WinnerEvidenceView(APIView):
    @extend_schema(parameters=[ID_PARAM], responses=responses({200: s.EvidenceCheckSerializer(many=True)}, 401, 404,
                                                              409),
                   tags=AWARD,
                   summary="The proposed winner's evidence checklist: kbis (under 3 months), urssaf_vigilance (under "
                           "6 months), tax_certificate, liability and decennial insurance covering the category's "
                           "trade, none expired at the expected works start (staff; the proposed winner)")
    def get(self, request, id):
        tender, proposal = selectors.winner_evidence_tender_get(user=request.user, tender_id=id)
        if proposal is None:
            raise InvalidTransition(_("Aucune attribution n'est proposée sur ce marché."), state=tender.status,
                                    allowed_transitions=allowed_actions(tender))
        checks = award_services.winner_checklist(tender, proposal.bid.company)
        return Response([s.evidence_check_data(c) for c in checks])


class RequestWinnerEvidenceView(APIView):
    @_award_schema("Ask the proposed winner for what its evidence lacks, by due_at (buyer); it is mailed",
                   s.EvidenceRequestInputSerializer)
    def post(self, request, id):
        tender = selectors.tender_get(user=request.user, tender_id=id)
        data = validated(s.EvidenceRequestInputSerializer, request).validated_data
        award_services.winner_evidence_request(actor=request.user, tender=tender, due_at=data["due_at"])
        return Response(_award(tender))


class ApproveAwardView(APIView):
    @_award_schema("Approve the proposal (an approver who is not the proposer) → awarded: winner awarded, other "
                   "ranked bids not_retained, the contract, every bidder's letter, standstill_ends_at; 400 with one "
                   "entry per missing or invalid evidence kind")
    def post(self, request, id):
        tender = selectors.tender_get(user=request.user, tender_id=id)
        award_services.award_approve(actor=request.user, tender=tender)
        return Response(_award(tender))


class WithdrawProposalView(APIView):
    @_award_schema("Withdraw the proposal (buyer) → opened; with eliminate the proposed bid becomes eliminated "
                   "(R2144-7) and the next-ranked one proposable; the ranking is not recomputed",
                   s.WithdrawInputSerializer)
    def post(self, request, id):
        tender = selectors.tender_get(user=request.user, tender_id=id)
        data = validated(s.WithdrawInputSerializer, request).validated_data
        award_services.award_withdraw(actor=request.user, tender=tender, reason=data["reason"],
                                      eliminate=data["eliminate"])
        return Response(_award(tender))


# --- contracts -------------------------------------------------------------------------------------------------


class ContractListView(generics.ListAPIView):
    serializer_class = s.ContractSerializer

    def get_queryset(self):
        return selectors.contracts_for_user(self.request.user,
                                            tender_id=uuid_or_none(self.request.query_params, "tender"))

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response([s.contract_data(c) for c in page])

    @extend_schema(parameters=[OpenApiParameter("tender", OpenApiTypes.UUID, description="Only this tender's")],
                   tags=AWARD, summary="Contracts (staff: all; a supplier: those its companies hold)")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class ContractDetailView(APIView):
    @extend_schema(parameters=[ID_PARAM], responses=responses({200: s.ContractSerializer}, 401, 404), tags=AWARD,
                   summary="A contract (staff; its holder's members)")
    def get(self, request, id):
        return Response(s.contract_data(selectors.contract_get(user=request.user, contract_id=id)))


class ContractSignView(APIView):
    @extend_schema(parameters=[ID_PARAM], request=None,
                   responses=responses({200: s.ContractSerializer}, 401, 403, 404, 409), tags=AWARD,
                   summary="Sign: the holder's company admin, then a buyer (a buyer first → 409); 409 before "
                           "standstill_ends_at or while the holder's evidence is not valid; signed when both have")
    def post(self, request, id):
        contract = selectors.contract_get(user=request.user, contract_id=id)
        contract_services.contract_sign(actor=request.user, contract=contract)
        return Response(s.contract_data(selectors.contract_get(user=request.user, contract_id=id)))


class ContractNotifyView(APIView):
    @extend_schema(parameters=[ID_PARAM], request=None,
                   responses=responses({200: s.ContractSerializer}, 401, 403, 404, 409), tags=AWARD,
                   summary="Notify the signed contract to the holder (buyer) → notified; award_notice_due = the date "
                           "of signed_at + 30 days")
    def post(self, request, id):
        contract = selectors.contract_get(user=request.user, contract_id=id)
        contract_services.contract_notify(actor=request.user, contract=contract)
        return Response(s.contract_data(selectors.contract_get(user=request.user, contract_id=id)))


# --- letters and debriefing ------------------------------------------------------------------------------------


class BidLetterView(APIView):
    @extend_schema(parameters=[ID_PARAM], responses=responses({200: s.LetterSerializer}, 401, 404), tags=AWARD,
                   summary="The letter of a bid once its tender is awarded, cancelled or unsuccessful: its own scores "
                           "and rank, the winner's name, scores and reasons, the earliest signature date, the 15-day "
                           "right to ask (the bidder; staff)")
    def get(self, request, id):
        bid = selectors.bid_for_action(user=request.user, bid_id=id)
        letter = letters.letter_for(bid)
        if letter is None:
            raise Http404("pas de lettre")
        debrief = selectors.debrief_of(bid)
        return Response({**letter.as_dict(), "debrief_request": s.debrief_data(debrief) if debrief else None})


class BidDebriefRequestView(APIView):
    @extend_schema(parameters=[ID_PARAM], request=s.TextInputSerializer,
                   responses=responses({201: s.DebriefRequestSerializer}, 400, 401, 403, 404, 409), tags=AWARD,
                   summary="A rejected bidder asks, within 15 days of its letter, for the characteristics and "
                           "relative advantages of the retained bid (R2181-4); answer due 15 days later")
    def post(self, request, id):
        bid = selectors.bid_for_action(user=request.user, bid_id=id)
        data = validated(s.TextInputSerializer, request).validated_data
        request_row = award_services.debrief_request_create(actor=request.user, bid=bid, text=data["text"])
        request_row = selectors.debrief_request_get(user=request.user, request_id=request_row.pk)
        return Response(s.debrief_data(request_row), status=201)


class DebriefAnswerView(APIView):
    @extend_schema(parameters=[ID_PARAM], request=s.TextInputSerializer,
                   responses=responses({200: s.DebriefRequestSerializer}, 400, 401, 403, 404, 409), tags=AWARD,
                   summary="Answer a debrief request (buyer); the bidder is told")
    def post(self, request, id):
        row = selectors.debrief_request_get(user=request.user, request_id=id)
        data = validated(s.TextInputSerializer, request).validated_data
        award_services.debrief_answer(actor=request.user, request=row, text=data["text"])
        return Response(s.debrief_data(selectors.debrief_request_get(user=request.user, request_id=id)))
