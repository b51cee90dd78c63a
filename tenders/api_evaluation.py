"""REST API v1: the evaluation after the opening (API.md "Evaluation (after the opening)").

Views translate HTTP to the services of ``tenders.services.evaluation`` and the selectors of
``tenders.selectors``. Objects the caller may not know answer 404 (a tender it is not invited to, another
company's bid); a role or panel refusal answers 403 (an evaluator who has not declared no conflict of
interest reads no bid, no anomaly, no ranking); a wrong state 409 with ``state`` and
``allowed_transitions``; a business rule 400 with ``errors``.
"""

from __future__ import annotations

from abc import ABCMeta, abstractmethod

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from procurement.api_parsers import FormParser, JSONParser, MultiPartParser
from procurement.api_support import ID_PARAM, responses, uploaded_file_download, validated
from procurement.errors import ValidationFailed
from procurement.permissions import require_staff
from procurement.web import file_response

from . import selectors
from . import serializers_evaluation as s
from .models import PriceMethod
from .services import evaluation as services

EVALUATION = ["evaluation"]


def _bid_evaluation(bid_id) -> dict:
    bid = selectors.bid_with_classification(bid_id)
    return s.bid_evaluation_data(bid, selectors.requests_of_bid(bid))


# --- anomalies and ranking -----------------------------------------------------------------------------------


class AnomaliesView(APIView):
    @extend_schema(parameters=[ID_PARAM], responses=responses({200: s.AnomaliesSerializer}, 401, 403, 404),
                   tags=EVALUATION,
                   summary="Abnormally-low candidates by the tender's detection method, over every opened bid, "
                           "with the unit-rate lines far below the others' (a suspicion, never a decision; staff; "
                           "an evaluator once declared)")
    def get(self, request, id):
        tender = selectors.evaluation_tender_get(user=request.user, tender_id=id)
        return Response(selectors.anomalies(tender))


class RankingView(APIView):
    @extend_schema(
        parameters=[ID_PARAM, OpenApiParameter("price_method", OpenApiTypes.STR, enum=PriceMethod.values,
                                               description="Show the other price method; nothing changes")],
        responses=responses({200: s.RankingRowSerializer(many=True)}, 400, 401, 403, 404), tags=EVALUATION,
        summary="The ranking: live until the award is proposed, then frozen; price scores by the tender's method "
                "(Nmax = 10), total = Σ weight × score / 10, ties broken by the tender's rule (staff; an evaluator "
                "once declared)")
    def get(self, request, id):
        tender = selectors.evaluation_tender_get(user=request.user, tender_id=id)
        method = (request.query_params.get("price_method") or "").strip() or None
        if method is not None and method not in PriceMethod.values:
            raise ValidationFailed({"price_method": [_("Méthode inconnue : « proportional » ou « linear ».")]})
        return Response(s.ranking_data(selectors.ranking(tender, price_method=method)))


# --- classification and requests to bidders ------------------------------------------------------------------


class _BidAction(APIView, metaclass=ABCMeta):
    """POST bids/{id}/<action>: the bid as the caller may know it (404 otherwise), then the service."""

    body = None

    @abstractmethod
    def act(self, request, bid, data):
        """Call the service; return the response body."""

    def post(self, request, id):
        bid = selectors.bid_for_action(user=request.user, bid_id=id)
        data = validated(self.body, request).validated_data if self.body else {}
        return Response(self.act(request, bid, data))


class BidClassifyView(_BidAction):
    body = s.ClassifySerializer

    @extend_schema(parameters=[ID_PARAM], request=s.ClassifySerializer,
                   responses=responses({200: s.BidEvaluationSerializer}, 400, 401, 403, 404, 409), tags=EVALUATION,
                   summary="Classify an opened bid (buyer); reason required except admissible; abnormally_low "
                           "refused (409) until a justification was requested and answered or its due date passed")
    def post(self, request, id):
        return super().post(request, id)

    def act(self, request, bid, data):
        bid = services.bid_classify(actor=request.user, bid=bid, decision=data["decision"], reason=data["reason"])
        return _bid_evaluation(bid.id)


class BidRequestJustificationView(_BidAction):
    body = s.BidRequestInputSerializer

    @extend_schema(parameters=[ID_PARAM], request=s.BidRequestInputSerializer,
                   responses=responses({200: s.BidEvaluationSerializer}, 400, 401, 403, 404, 409), tags=EVALUATION,
                   summary="Ask the bidder to justify its price (→ justification_requested; buyer); it is mailed")
    def post(self, request, id):
        return super().post(request, id)

    def act(self, request, bid, data):
        bid = services.justification_request(actor=request.user, bid=bid, message=data["message"],
                                             due_at=data["due_at"])
        return _bid_evaluation(bid.id)


class BidRespondView(APIView):
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(parameters=[ID_PARAM], request={"multipart/form-data": s.RespondSerializer},
                   responses=responses({200: s.BidRequestSerializer}, 400, 401, 403, 404, 409), tags=EVALUATION,
                   summary="The bidder answers the request its bid waits on (text, files checked like evidence) "
                           "→ opened; prices never change (a price field → 400)")
    def post(self, request, id):
        bid = selectors.bid_for_action(user=request.user, bid_id=id)
        raw = request.data
        text = raw.get("text", "") if hasattr(raw, "get") else ""
        files = request.FILES.getlist("file") if request.FILES else []
        answered = services.bid_respond(actor=request.user, bid=bid, text=text, files=files,
                                        data={key: True for key in (raw.keys() if hasattr(raw, "keys") else [])})
        bid.refresh_from_db(fields=["status"])
        answered = selectors.requests_of_bid(bid).get(pk=answered.pk)
        return Response(s.request_data(answered, bid_status=bid.status))


class BidRequestsView(APIView):
    @extend_schema(parameters=[ID_PARAM], responses=responses({200: s.BidRequestSerializer(many=True)}, 401, 403, 404),
                   tags=EVALUATION,
                   summary="The requests made about a bid (regularisation, justification) with their due dates and "
                           "answers: the bidder; staff who may read the bids")
    def get(self, request, id):
        bid = selectors.bid_for_action(user=request.user, bid_id=id)
        if bid.company_id not in selectors.own_company_ids(request.user):
            selectors.require_bid_contents_readable(request.user, bid.tender)
        return Response([s.request_data(r, bid_status=bid.status) for r in selectors.requests_of_bid(bid)])


class TenderRequestRegularisationView(APIView):
    @extend_schema(parameters=[ID_PARAM], request=s.BidRequestInputSerializer,
                   responses=responses({200: s.RegularisationResultSerializer}, 400, 401, 403, 404, 409),
                   tags=EVALUATION,
                   summary="Ask every bid classified irregular now, together, to regularise (R2152-2; buyer); "
                           "400 when none is irregular; each bidder is mailed")
    def post(self, request, id):
        tender = selectors.tender_get(user=request.user, tender_id=id)
        data = validated(s.BidRequestInputSerializer, request).validated_data
        bids = services.regularisation_request(actor=request.user, tender=tender, message=data["message"],
                                               due_at=data["due_at"])
        return Response({"bids": [_bid_evaluation(bid.id) for bid in bids]})


class BidRequestDocumentDownloadView(APIView):
    @extend_schema(parameters=[ID_PARAM],
                   responses=responses(uploaded_file_download("The file sent with an answer"), 401, 403, 404),
                   tags=EVALUATION,
                   summary="A document sent with an answer to a request (the bidder; staff who may read the bids)")
    def get(self, request, id):
        return file_response(selectors.bid_request_document_get(user=request.user, document_id=id))


# --- the panel -----------------------------------------------------------------------------------------------


class TenderPanelView(APIView):
    @extend_schema(parameters=[ID_PARAM], request=s.PanelInputSerializer,
                   responses=responses({200: s.PanelSerializer}, 400, 401, 403, 404, 409), tags=EVALUATION,
                   summary="Name the evaluation panel (buyer): staff with the evaluator role; removing a member "
                           "who already scored is refused")
    def put(self, request, id):
        tender = selectors.tender_get(user=request.user, tender_id=id)
        data = validated(s.PanelInputSerializer, request).validated_data
        members = services.panel_set(actor=request.user, tender=tender, evaluators=data["evaluators"])
        return Response(s.panel_data(members))


class TenderDeclareImpartialityView(APIView):
    @extend_schema(parameters=[ID_PARAM], request=s.ImpartialitySerializer,
                   responses=responses({200: s.ImpartialityResultSerializer}, 400, 401, 403, 404, 409),
                   tags=EVALUATION,
                   summary="An evaluator of the panel declares it has no conflict of interest (then reads the "
                           "bids); false takes it off the panel")
    def post(self, request, id):
        tender = selectors.tender_get(user=request.user, tender_id=id)
        data = validated(s.ImpartialitySerializer, request).validated_data
        member = services.impartiality_declare(actor=request.user, tender=tender, no_conflict=data["no_conflict"],
                                               statement=data["statement"])
        return Response(s.impartiality_data(member))


# --- scores and consensus ------------------------------------------------------------------------------------


class BidScoresView(_BidAction):
    body = s.ScoreInputSerializer

    @extend_schema(parameters=[ID_PARAM], request=s.ScoreInputSerializer,
                   responses=responses({200: s.ScoreSerializer}, 400, 401, 403, 404, 409), tags=EVALUATION,
                   summary="An evaluator's score (0–10, step 0.5) on a non-price criterion of an admissible bid; "
                           "posting again replaces it until the sheet is submitted (then 409)")
    def post(self, request, id):
        return super().post(request, id)

    def act(self, request, bid, data):
        score = services.score_put(actor=request.user, bid=bid, criterion=data["criterion"], score=data["score"],
                                   comment=data["comment"])
        return s.score_data(selectors.score_get(score.pk))


class TenderScoresSubmitView(APIView):
    @extend_schema(parameters=[ID_PARAM], request=None,
                   responses=responses({200: s.SheetSerializer}, 400, 401, 403, 404, 409), tags=EVALUATION,
                   summary="Submit and lock the caller's sheet (evaluator of the panel); 400 with one entry per "
                           "missing score keyed <bid id>.<criterion code>; its SHA-256 goes into the audit chain")
    def post(self, request, id):
        tender = selectors.tender_get(user=request.user, tender_id=id)
        member = services.scores_submit(actor=request.user, tender=tender)
        return Response(s.sheet_data(member))


class TenderScoresView(APIView):
    @extend_schema(parameters=[ID_PARAM], responses=responses({200: s.ScoresSerializer}, 401, 403, 404),
                   tags=EVALUATION,
                   summary="The panel, the scores (blind: an evaluator sees its own until it submits, then the "
                           "submitted sheets; buyer and approver every score once all have submitted) and the "
                           "consensus")
    def get(self, request, id):
        tender = selectors.tender_get(user=request.user, tender_id=id)
        require_staff(request.user)
        seen = selectors.scores_for_user(user=request.user, tender=tender)
        return Response({
            "panel": [s.sheet_data(m) for m in seen["panel"]],
            "scores": [s.score_data(score) for score in seen["scores"]],
            "consensus": [s.consensus_data(row) for row in seen["consensus"]],
            "spread": [{**row, "bid": str(row["bid"]), "scores": [s.number(v) for v in row["scores"]],
                        "min": s.number(row["min"]), "max": s.number(row["max"])}
                       for row in selectors.score_spread(tender=tender, scores=seen["scores"])],
        })


class BidConsensusView(_BidAction):
    body = s.ConsensusInputSerializer

    @extend_schema(parameters=[ID_PARAM], request=s.ConsensusInputSerializer,
                   responses=responses({200: s.ConsensusSerializer}, 400, 401, 403, 404, 409), tags=EVALUATION,
                   summary="Record the consensus score of a bid on a criterion, with its rationale (buyer, once "
                           "every panel member has submitted; changes are audited)")
    def post(self, request, id):
        return super().post(request, id)

    def act(self, request, bid, data):
        row = services.consensus_record(actor=request.user, bid=bid, criterion=data["criterion"],
                                        score=data["score"], rationale=data["rationale"])
        return {**s.consensus_data(row), "recorded_by": request.user.email}
