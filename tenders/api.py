"""REST API v1: tenders, their documents and invitations, questions, sealed bids and the opening.

Views only translate HTTP to service and selector calls. Objects the caller may not know are looked up
through ``tenders.selectors``, which answer 404 (a supplier not invited to a tender, another company's bid,
a bid whose content staff may not read yet); the services check roles and states (403, 409).

Bids and staff: ``GET bids`` lists the caller's own companies' bids and is refused (403) to staff, who
read the bids of a tender through ``GET tenders/{id}/bids``: the deposit register before the opening,
the opened bids with their content after it.
"""

from __future__ import annotations

import io
import uuid
from abc import ABCMeta, abstractmethod

from django.http import FileResponse, Http404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.response import Response
from rest_framework.views import APIView

from procurement import inputs
from procurement import selectors as dps_selectors
from procurement.api_parsers import FormParser, JSONParser, MultiPartParser
from procurement.api_support import (
    ID_PARAM,
    CachedListMixin,
    Pagination,
    referenced,
    responses,
    state_or_none,
    uploaded_file_download,
    uuid_or_none,
    validated,
)
from procurement.errors import NotAllowed, ValidationFailed
from procurement.models import Category
from procurement.permissions import BUYER, is_staff_member, require_role, require_staff
from procurement.web import file_response, get_or_404
from suppliers.models import Company
from suppliers.serializers import OptionalReasonSerializer, ReasonSerializer

from . import selectors, services
from . import serializers as s
from .models import TenderStatus

TENDERS, BIDS = ["tenders"], ["bids"]


def _body(request) -> dict:
    """The JSON object of the request (the services check its content field by field)."""
    if not isinstance(request.data, dict):
        raise ValidationFailed({"non_field_errors": [_("Un objet JSON est attendu.")]})
    return dict(request.data)


def _tender(request, tender_id):
    return selectors.tender_detail(selectors.tender_get(user=request.user, tender_id=tender_id))


def _tender_data(request, tender) -> dict:
    return s.TenderSerializer(selectors.tender_detail(tender), context={"request": request}).data


def _or_none(lookup):
    try:
        return lookup()
    except Http404:
        return None


def _not_for_staff(user, message: str) -> None:
    """Questions and bids come from invited companies; a staff account is refused (403), not told 404."""
    if is_staff_member(user):
        raise NotAllowed(message)


def _moment_param(params, name: str):
    return inputs.moment_or_day(params.get(name), name)


# --- tenders ------------------------------------------------------------------------------------------------


class TenderListView(CachedListMixin, generics.ListAPIView):
    cache_name = "api-tenders"
    serializer_class = s.TenderSerializer

    def get_queryset(self):
        params = self.request.query_params
        return selectors.tender_list(
            user=self.request.user, status=state_or_none(params, TenderStatus),
            category=uuid_or_none(params, "category"), dps=uuid_or_none(params, "dps"),
            deadline_before=_moment_param(params, "deadline_before"),
            deadline_after=_moment_param(params, "deadline_after"),
            search=(params.get("q") or "").strip() or None,
        ).select_related("opened_by").prefetch_related("criteria", "price_lines", "documents")

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "staff": is_staff_member(self.request.user)}

    @extend_schema(
        parameters=[
            OpenApiParameter("status", OpenApiTypes.STR, enum=TenderStatus.values),
            OpenApiParameter("category", OpenApiTypes.UUID),
            OpenApiParameter("dps", OpenApiTypes.UUID),
            OpenApiParameter("deadline_before", OpenApiTypes.DATETIME,
                             description="Bid deadline strictly before (date or date-time)"),
            OpenApiParameter("deadline_after", OpenApiTypes.DATETIME,
                             description="Bid deadline at or after (date or date-time)"),
            OpenApiParameter("q", OpenApiTypes.STR, description="Text in the title, reference, residence or commune"),
        ],
        tags=TENDERS, summary="Tenders: staff see all, suppliers the ones they are invited to",
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(request=s.TenderWriteSerializer,
                   responses=responses({201: s.TenderSerializer}, 400, 401, 403),
                   tags=TENDERS, summary="Draft a tender in a category of an open DPS (buyer)")
    def post(self, request):
        require_role(request.user, BUYER)
        data = _body(request)
        errors = {}
        dps = _or_none(lambda: dps_selectors.dps_get(user=request.user, dps_id=data.get("dps")))
        if dps is None:
            errors["dps"] = [_("SAD inconnu.")]
        category = dps and _or_none(lambda: get_or_404(Category.objects.filter(dps=dps),
                                                                  id=data.get("category")))
        if category is None:
            errors["category"] = [_("Catégorie inconnue dans ce SAD.")]
        if errors:
            raise ValidationFailed(errors)
        tender = services.tender_create(actor=request.user, dps=dps, category=category, data=data)
        return Response(_tender_data(request, tender), status=status.HTTP_201_CREATED)


class TenderDetailView(APIView):
    @extend_schema(parameters=[ID_PARAM], responses=responses({200: s.TenderSerializer}, 401, 404),
                   tags=TENDERS, summary="A tender with its criteria, price schedule and documents")
    def get(self, request, id):
        return Response(s.TenderSerializer(_tender(request, id), context={"request": request}).data)

    @extend_schema(parameters=[ID_PARAM], request=s.TenderWriteSerializer,
                   responses=responses({200: s.TenderSerializer}, 400, 401, 403, 404, 409),
                   tags=TENDERS, summary="Change a draft tender (buyer); the DPS cannot change")
    def patch(self, request, id):
        tender = selectors.tender_get(user=request.user, tender_id=id)
        require_role(request.user, BUYER)
        data = _body(request)
        data.pop("dps", None)
        tender = services.tender_update(actor=request.user, tender=tender, data=data)
        return Response(_tender_data(request, tender))


class TenderDocumentsView(generics.ListAPIView):
    serializer_class = s.TenderDocumentSerializer
    parser_classes = [MultiPartParser, FormParser]

    def get_queryset(self):
        tender = selectors.tender_get(user=self.request.user, tender_id=self.kwargs["id"])
        return tender.documents.order_by("uploaded_at", "id")

    @extend_schema(parameters=[ID_PARAM], tags=TENDERS,
                   summary="The consultation documents (staff and invited suppliers)")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(parameters=[ID_PARAM], request={"multipart/form-data": s.TenderDocumentUploadSerializer},
                   responses=responses({201: s.TenderDocumentSerializer}, 400, 401, 403, 404, 409), tags=TENDERS,
                   summary="Add a consultation document (buyer); after publication it is an addendum")
    def post(self, request, id):
        tender = selectors.tender_get(user=request.user, tender_id=id)
        require_role(request.user, BUYER)
        data = validated(s.TenderDocumentUploadSerializer, request).validated_data
        document = services.tender_document_upload(actor=request.user, tender=tender, kind=data["kind"],
                                                   uploaded_file=data.get("file"), title=data.get("title", ""))
        return Response(s.TenderDocumentSerializer(document).data, status=status.HTTP_201_CREATED)


class TenderDocumentDownloadView(APIView):
    @extend_schema(parameters=[ID_PARAM],
                   responses=responses(uploaded_file_download("The file, with its original name and type"), 401, 404),
                   tags=TENDERS, summary="Download a consultation document (staff and invited suppliers)")
    def get(self, request, id):
        return file_response(selectors.tender_document_get(user=request.user, document_id=id))


class _TenderAction(APIView, metaclass=ABCMeta):
    """POST tenders/{id}/<action> (buyer): find the tender (404 if unknown to the caller), run the service."""

    body = None

    @abstractmethod
    def act(self, request, tender, data):
        """Call the action's service with the validated ``data``."""

    def post(self, request, id):
        tender = selectors.tender_get(user=request.user, tender_id=id)
        data = validated(self.body, request).validated_data if self.body else {}
        self.act(request, tender, data)
        return Response(_tender_data(request, tender))


def _tender_action_schema(summary: str, body=None):
    return extend_schema(parameters=[ID_PARAM], request=body,
                         responses=responses({200: s.TenderSerializer}, 400, 401, 403, 404, 409),
                         tags=TENDERS, summary=summary)


class TenderPublishView(_TenderAction):
    @_tender_action_schema("Publish (→ published) and invite every admitted, unsuspended supplier of the "
                           "category; 400 lists each broken rule (buyer)")
    def post(self, request, id):
        return super().post(request, id)

    def act(self, request, tender, data):
        services.tender_publish(actor=request.user, tender=tender)


class TenderOpenView(_TenderAction):
    @_tender_action_schema("Record the opening of the bids, after the deadline only (→ opened; buyer)")
    def post(self, request, id):
        return super().post(request, id)

    def act(self, request, tender, data):
        services.tender_open(actor=request.user, tender=tender)


class TenderCancelView(_TenderAction):
    body = ReasonSerializer

    @_tender_action_schema("Cancel the tender (→ cancelled; buyer; reason required); invitees are told",
                           ReasonSerializer)
    def post(self, request, id):
        return super().post(request, id)

    def act(self, request, tender, data):
        services.tender_cancel(actor=request.user, tender=tender, reason=data["reason"])


class TenderDeclareUnsuccessfulView(_TenderAction):
    body = ReasonSerializer

    @_tender_action_schema("Declare the tender unsuccessful (→ unsuccessful; buyer; reason required)",
                           ReasonSerializer)
    def post(self, request, id):
        return super().post(request, id)

    def act(self, request, tender, data):
        services.tender_declare_unsuccessful(actor=request.user, tender=tender, reason=data["reason"])


class TenderInvitationsView(generics.ListAPIView):
    serializer_class = s.TenderInvitationSerializer

    def get_queryset(self):
        tender = selectors.tender_get(user=self.request.user, tender_id=self.kwargs["id"])
        require_staff(self.request.user)
        return selectors.invitations_for_tender(tender)

    @extend_schema(parameters=[ID_PARAM], responses=responses({200: s.TenderInvitationSerializer(many=True)}, 401, 403, 404),
                   tags=TENDERS, summary="The companies invited at publication (staff)")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


# --- questions ----------------------------------------------------------------------------------------------


class TenderQuestionsView(generics.ListAPIView):
    serializer_class = s.QuestionSerializer

    def get_queryset(self):
        tender = selectors.tender_get(user=self.request.user, tender_id=self.kwargs["id"])
        return selectors.questions_for_user(user=self.request.user, tender=tender)

    @extend_schema(parameters=[ID_PARAM], tags=TENDERS,
                   summary="Questions: staff see all; an invited supplier sees the answered ones (asker hidden) "
                           "and its own")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(parameters=[ID_PARAM], request=s.QuestionAskSerializer,
                   responses=responses({201: s.QuestionSerializer}, 400, 401, 403, 404, 409), tags=TENDERS,
                   summary="Ask a question (invited supplier, before the questions deadline; else 409)")
    def post(self, request, id):
        tender = selectors.tender_get(user=request.user, tender_id=id)
        _not_for_staff(request.user, _("Les questions sont posées par les entreprises invitées."))
        data = validated(s.QuestionAskSerializer, request).validated_data
        company = _company_or_none(data.get("company"))
        question = services.question_ask(actor=request.user, tender=tender, text=data["text"], company=company)
        question = selectors.question_get(user=request.user, question_id=question.id)
        return Response(s.QuestionSerializer(question, context={"request": request}).data,
                        status=status.HTTP_201_CREATED)


def _company_or_none(company_id):
    """A company named in the body (when the caller acts for one of several invited companies)."""
    if company_id in (None, ""):
        return None
    try:
        company = Company.objects.filter(pk=uuid.UUID(str(company_id))).first()
    except ValueError:
        company = None
    if company is None:
        raise ValidationFailed({"company": [_("Entreprise inconnue.")]})
    return company


class QuestionAnswerView(APIView):
    @extend_schema(parameters=[ID_PARAM], request=s.TextSerializer,
                   responses=responses({200: s.QuestionSerializer}, 400, 401, 403, 404, 409), tags=TENDERS,
                   summary="Answer a question (buyer); every invited supplier is told, the asker stays hidden")
    def post(self, request, id):
        question = selectors.question_get(user=request.user, question_id=id)
        data = validated(s.TextSerializer, request).validated_data
        question = services.question_answer(actor=request.user, question=question, text=data["text"])
        question = selectors.question_get(user=request.user, question_id=question.id)
        return Response(s.QuestionSerializer(question, context={"request": request}).data)


# --- bids ---------------------------------------------------------------------------------------------------


def _bid_data(request, bid_id) -> dict:
    return s.BidSerializer(selectors.bid_get(user=request.user, bid_id=bid_id), context={"request": request}).data


def _bid_body(request) -> tuple[dict, dict]:
    """The bid fields for the service (only those sent) and the other options (company, copy_from)."""
    data = _body(request)
    options = {key: data.pop(key, None) for key in ("company", "copy_from")}
    return {k: v for k, v in data.items() if k in ("total_price", "duration_weeks", "lines", "notes")}, options


class TenderBidsView(generics.ListAPIView):
    serializer_class = s.BidSerializer

    @extend_schema(parameters=[ID_PARAM], tags=BIDS,
                   summary="Staff: before the opening, the deposit register only (id, company, submitted_at, "
                           "status); after it, the opened bids with their content and the others as register rows")
    def get(self, request, id):
        tender = selectors.tender_get(user=request.user, tender_id=id)
        require_staff(request.user)
        paginator = Pagination()
        page = paginator.paginate_queryset(selectors.deposit_register(tender), request, view=self)
        opened = {}
        if tender.opened_at is not None:
            selectors.require_bid_contents_readable(request.user, tender)  # an undeclared evaluator: 403
            tender = selectors.tender_detail(tender)  # the price schedule, loaded once for every bid
            for bid in selectors.opened_bids(tender).filter(id__in=[bid.id for bid in page]):
                bid.tender = tender
                opened[bid.id] = bid
        context = {"request": request, "readable": True}
        rows = [s.BidSerializer(opened[bid.id], context=context).data if bid.id in opened
                else s.BidRegisterSerializer(bid).data for bid in page]
        return paginator.get_paginated_response(rows)

    @extend_schema(parameters=[ID_PARAM], request=s.BidWriteSerializer,
                   responses=responses({201: s.BidSerializer}, 400, 401, 403, 404, 409), tags=BIDS,
                   summary="Start a draft bid, sealed from its first save (invited supplier)")
    def post(self, request, id):
        tender = selectors.tender_get(user=request.user, tender_id=id)
        _not_for_staff(request.user, _("Les offres sont déposées par les entreprises invitées."))
        data, options = _bid_body(request)
        copy_from = None
        if options["copy_from"]:
            copy_from = referenced(lambda: selectors.bid_get(user=request.user, bid_id=options["copy_from"]),
                                    "copy_from", _("Offre introuvable."))
        bid = services.bid_create(actor=request.user, tender=tender, data=data,
                                  company=_company_or_none(options["company"]), copy_from=copy_from)
        return Response(_bid_data(request, bid.id), status=status.HTTP_201_CREATED)


class BidListView(generics.ListAPIView):
    serializer_class = s.BidSummarySerializer

    def get_queryset(self):
        _not_for_staff(self.request.user, _("Les offres d'un marché se lisent sur ce marché (tenders/{id}/bids)."))
        return selectors.bids_of_user(self.request.user)

    @extend_schema(responses=responses({200: s.BidSummarySerializer(many=True)}, 401, 403), tags=BIDS,
                   summary="The caller's companies' own bids, every version and state (staff: 403, "
                           "see tenders/{id}/bids)")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class BidDetailView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(parameters=[ID_PARAM], responses=responses({200: s.BidSerializer}, 401, 403, 404), tags=BIDS,
                   summary="A bid: the bidder at any time; staff only once the tender is opened (404 before); "
                           "an evaluator once it has declared no conflict of interest (403 before)")
    def get(self, request, id):
        bid = selectors.bid_get(user=request.user, bid_id=id)
        if bid.company_id not in selectors.own_company_ids(request.user) and bid.tender.opened_at is not None:
            selectors.require_bid_contents_readable(request.user, bid.tender)  # an undeclared evaluator: 403
        return Response(s.BidSerializer(bid, context={"request": request}).data)

    @extend_schema(parameters=[ID_PARAM], request=s.BidWriteSerializer,
                   responses=responses({200: s.BidSerializer}, 400, 401, 403, 404, 409), tags=BIDS,
                   summary="Change a draft bid (the bidder)")
    def patch(self, request, id):
        bid = selectors.bid_get(user=request.user, bid_id=id)
        data, _options = _bid_body(request)
        services.bid_update(actor=request.user, bid=bid, data=data)
        return Response(_bid_data(request, id))


class BidDocumentsView(APIView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(parameters=[ID_PARAM], request={"multipart/form-data": s.BidDocumentUploadSerializer},
                   responses=responses({201: s.BidDocumentSerializer}, 400, 401, 403, 404, 409), tags=BIDS,
                   summary="Add a document to a draft bid; it is encrypted before storage (the bidder)")
    def post(self, request, id):
        bid = selectors.bid_get(user=request.user, bid_id=id)
        data = validated(s.BidDocumentUploadSerializer, request).validated_data
        document = services.bid_document_upload(actor=request.user, bid=bid, kind=data["kind"],
                                                uploaded_file=data.get("file"))
        document = selectors.bid_document_get(user=request.user, document_id=document.id)
        return Response(s.bid_document_data(document), status=status.HTTP_201_CREATED)


class BidDocumentView(APIView):
    @extend_schema(parameters=[ID_PARAM], responses=responses({204: None}, 401, 403, 404, 409), tags=BIDS,
                   summary="Remove a document from a draft bid (the bidder)")
    def delete(self, request, id):
        document = selectors.bid_document_get(user=request.user, document_id=id)
        services.bid_document_delete(actor=request.user, document=document)
        return Response(status=status.HTTP_204_NO_CONTENT)


class BidDocumentDownloadView(APIView):
    @extend_schema(parameters=[ID_PARAM],
                   responses=responses(uploaded_file_download("The decrypted file, with its original name and type"),
                       401, 404),
                   tags=BIDS, summary="Download a bid document (the bidder; staff once the bid is opened)")
    def get(self, request, id):
        document = selectors.bid_document_get(user=request.user, document_id=id)
        try:
            data = services.document_content(document)
        except (FileNotFoundError, OSError):
            raise Http404(_("Fichier introuvable"))
        return FileResponse(io.BytesIO(data), as_attachment=True, filename=services.document_name(document),
                            content_type=document.content_type)


class _BidAction(APIView, metaclass=ABCMeta):
    body = None

    @abstractmethod
    def act(self, request, bid, data):
        """Call the action's service with the validated ``data``; return the bid it returns."""

    def post(self, request, id):
        bid = selectors.bid_for_action(user=request.user, bid_id=id)
        data = validated(self.body, request).validated_data if self.body else {}
        bid = self.act(request, bid, data)
        # The services checked that the caller is the bidder: the bid they return is shown as is.
        return Response(s.BidSerializer(bid, context={"request": request, "readable": True}).data)


class BidSubmitView(_BidAction):
    @extend_schema(parameters=[ID_PARAM], request=None,
                   responses=responses({200: s.BidSerializer}, 400, 401, 403, 404, 409), tags=BIDS,
                   summary="Deposit the bid (→ submitted, with its receipt); it replaces the company's earlier "
                           "deposit. After the deadline: 409 and the bid is kept as late")
    def post(self, request, id):
        return super().post(request, id)

    def act(self, request, bid, data):
        return services.bid_submit(actor=request.user, bid=bid)


class BidWithdrawView(_BidAction):
    body = OptionalReasonSerializer

    @extend_schema(parameters=[ID_PARAM], request=OptionalReasonSerializer,
                   responses=responses({200: s.BidSerializer}, 400, 401, 403, 404, 409), tags=BIDS,
                   summary="Withdraw a deposited bid before the deadline (→ withdrawn; the bidder)")
    def post(self, request, id):
        return super().post(request, id)

    def act(self, request, bid, data):
        return services.bid_withdraw(actor=request.user, bid=bid, reason=data.get("reason", ""))
