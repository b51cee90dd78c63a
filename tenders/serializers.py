"""API representations for tenders, invitations, questions and sealed bids.

Input serializers here only describe the request bodies (for the schema) or check their simplest shape;
``tenders.services`` applies every rule and reports its errors per field (``operation.insee_code``,
``criteria[0].weight``…).

A bid's prices, notes, lines and documents appear only when ``selectors.content_readable`` allows it
(the bidder's own company, or staff once the opening is recorded). Before that, staff see the deposit
register row only: id, company, time of receipt, state.
"""

from __future__ import annotations

from decimal import Decimal

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from procurement.permissions import is_staff_member
from procurement.serializers import Moment, RowGuardedListSerializer
from procurement.workflow import allowed_actions

from . import selectors, services
from .models import (
    AbnormallyLowMethod,
    BidDocumentKind,
    BidStatus,
    CriterionKind,
    EnergyLabel,
    PriceMethod,
    TenderDocumentKind,
    TenderStatus,
)

CENT = Decimal("0.01")
_TRANSITIONS = serializers.ListField(child=serializers.CharField())
_DATETIME = Moment()


def _money(value) -> str | None:
    return None if value in (None, "") else str(Decimal(value).quantize(CENT))


def _moment(value) -> str | None:
    return None if value is None else _DATETIME.to_representation(value)


# --- tenders: input (described for the schema; the services check the content) ---------------------------


class OperationSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="The residence.")
    address = serializers.CharField()
    commune = serializers.CharField()
    insee_code = serializers.CharField(min_length=5, max_length=5, help_text="INSEE code of the commune (60057).")
    dwellings = serializers.IntegerField(min_value=1)
    energy_label_before = serializers.ChoiceField(choices=EnergyLabel.choices)
    energy_label_target = serializers.ChoiceField(choices=EnergyLabel.choices)


class CriterionSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=30)
    name = serializers.CharField(max_length=255)
    kind = serializers.ChoiceField(choices=CriterionKind.choices)
    weight = serializers.IntegerField(min_value=1, max_value=100, help_text="Percent; the weights total 100.")


class PriceLineSerializer(serializers.Serializer):
    ref = serializers.CharField(max_length=30)
    label = serializers.CharField(max_length=255)
    unit = serializers.CharField(max_length=20)
    quantity = serializers.DecimalField(max_digits=12, decimal_places=3)


class AbnormallyLowSerializer(serializers.Serializer):
    method = serializers.ChoiceField(choices=AbnormallyLowMethod.choices, default=AbnormallyLowMethod.MEAN_GAP)
    threshold = serializers.DecimalField(max_digits=4, decimal_places=3, required=False, allow_null=True,
                                         help_text="t, strictly between 0 and 1; null: the method's default "
                                                   "(mean_gap 0.20, reduced_mean 0.10, estimate_gap 0.30; none "
                                                   "for mean_sigma).")


class TenderWriteSerializer(serializers.Serializer):
    """``POST tenders`` (every field) and ``PATCH tenders/{id}`` (the fields to change, while draft)."""

    dps = serializers.UUIDField()
    category = serializers.UUIDField()
    title = serializers.CharField(max_length=255)
    description = serializers.CharField()
    operation = OperationSerializer()
    estimated_value = serializers.DecimalField(max_digits=14, decimal_places=2)
    budget_ceiling = serializers.DecimalField(max_digits=14, decimal_places=2, required=False, allow_null=True)
    works_duration_weeks = serializers.IntegerField(min_value=1)
    questions_deadline = Moment()
    bid_deadline = Moment()
    criteria = CriterionSerializer(many=True)
    price_method = serializers.ChoiceField(choices=PriceMethod.choices, default=PriceMethod.PROPORTIONAL)
    standstill = serializers.BooleanField(default=True)
    deadline_agreement = serializers.CharField(
        required=False, allow_blank=True,
        help_text="Record of the agreement of every invited supplier to a deadline under 10 days (R2162-50).")
    price_schedule = PriceLineSerializer(many=True, required=False)
    abnormally_low = AbnormallyLowSerializer(required=False, allow_null=True)
    tie_break = serializers.ListField(
        child=serializers.CharField(), required=False,
        help_text="Criterion codes (or price, received_at) compared in order to break a tie; empty: the heaviest "
                  "non-price criterion, then the price, then the earlier receipt.")
    delay_scored_by_panel = serializers.BooleanField(
        required=False, help_text="A delay criterion is scored by the panel instead of the price formula.")


# --- tenders: output ---------------------------------------------------------------------------------------


class CategoryRefSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    code = serializers.CharField()
    name = serializers.CharField()


class TenderDocumentSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    kind = serializers.ChoiceField(choices=TenderDocumentKind.choices)
    title = serializers.CharField()
    filename = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    is_addendum = serializers.BooleanField()
    uploaded_at = Moment()
    download_url = serializers.SerializerMethodField()

    def get_download_url(self, obj) -> str:
        return reverse("api:tender-document-download", args=[obj.id])


class TenderDocumentUploadSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=TenderDocumentKind.choices)
    title = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    file = serializers.FileField(required=False, allow_null=True, allow_empty_file=True, use_url=False)


class InvitationCount(serializers.IntegerField):
    """How many companies a tender invited: for staff only, so optional in the schema (a method field would be
    documented as always present)."""

    def __init__(self, **kwargs):
        super().__init__(source="*", required=False, **kwargs)

    def to_representation(self, tender) -> int:
        count = getattr(tender, "invitation_count", None)
        return tender.invitations.count() if count is None else count


class TenderSerializer(serializers.Serializer):
    """A tender. ``invitation_count`` is given to staff only (absent otherwise); ``allowed_transitions`` are the
    actions the caller may ask for: the state machine's for staff, none for a supplier."""

    id = serializers.UUIDField()
    reference = serializers.CharField()
    status = serializers.ChoiceField(choices=TenderStatus.choices)
    dps = serializers.UUIDField(source="dps_id")
    category = CategoryRefSerializer()
    title = serializers.CharField()
    description = serializers.CharField()
    operation = serializers.SerializerMethodField()
    estimated_value = serializers.DecimalField(max_digits=14, decimal_places=2)
    budget_ceiling = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    works_duration_weeks = serializers.IntegerField()
    questions_deadline = Moment()
    bid_deadline = Moment()
    criteria = CriterionSerializer(many=True)
    price_method = serializers.ChoiceField(choices=PriceMethod.choices)
    standstill = serializers.BooleanField()
    deadline_agreement = serializers.CharField()
    price_schedule = PriceLineSerializer(source="price_lines", many=True)
    documents = TenderDocumentSerializer(many=True)
    created_at = Moment()
    published_at = Moment(allow_null=True)
    closed_at = Moment(allow_null=True)
    opened_at = Moment(allow_null=True)
    opened_by = serializers.SerializerMethodField()
    ended_at = Moment(allow_null=True)
    end_reason = serializers.CharField()
    abnormally_low = serializers.SerializerMethodField()
    tie_break = serializers.ListField(child=serializers.CharField())
    delay_scored_by_panel = serializers.BooleanField()
    invitation_count = InvitationCount()
    allowed_transitions = serializers.SerializerMethodField()

    STAFF_ONLY = ("invitation_count",)

    class Meta:
        list_serializer_class = RowGuardedListSerializer

    @extend_schema_field(OperationSerializer)
    def get_operation(self, obj) -> dict:
        return {"name": obj.operation_name, "address": obj.operation_address, "commune": obj.operation_commune,
                "insee_code": obj.operation_insee_code, "dwellings": obj.dwellings,
                "energy_label_before": obj.energy_label_before, "energy_label_target": obj.energy_label_target}

    @extend_schema_field(AbnormallyLowSerializer)
    def get_abnormally_low(self, obj) -> dict:
        """The detection method and the threshold in force (the method's default when none was stated)."""
        threshold = obj.abnormally_low_effective_threshold
        return {"method": obj.abnormally_low_method, "threshold": None if threshold is None else str(threshold)}

    @extend_schema_field(serializers.EmailField(allow_null=True))
    def get_opened_by(self, obj) -> str | None:
        return obj.opened_by.email if obj.opened_by_id else None

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_allowed_transitions(self, obj) -> list[str]:
        return allowed_actions(obj) if self._staff() else []

    def _staff(self) -> bool:
        if "staff" not in self.context:
            request = self.context.get("request")
            self.context["staff"] = bool(request and is_staff_member(request.user))
        return self.context["staff"]

    def to_representation(self, instance):
        if not self._staff():
            for name in self.STAFF_ONLY:
                self.fields.pop(name, None)
        return super().to_representation(instance)


# --- invitations ------------------------------------------------------------------------------------------


class InvitedCompanySerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    siret = serializers.CharField(allow_null=True)


class TenderInvitationSerializer(serializers.Serializer):
    company = InvitedCompanySerializer()
    sent_at = Moment()


# --- questions --------------------------------------------------------------------------------------------


class TextSerializer(serializers.Serializer):
    text = serializers.CharField(allow_blank=True)


class QuestionAskSerializer(TextSerializer):
    company = serializers.UUIDField(required=False, allow_null=True,
                                    help_text="Only when the caller belongs to several invited companies.")


class CompanyRefSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()


class QuestionSerializer(serializers.Serializer):
    """A question. The asking company is shown to staff and to that company only (null for others)."""

    id = serializers.UUIDField()
    tender = serializers.UUIDField(source="tender_id")
    text = serializers.CharField()
    asked_at = Moment()
    company = serializers.SerializerMethodField()
    own = serializers.SerializerMethodField()
    answer = serializers.CharField()
    answered_at = Moment(allow_null=True)

    def _own_ids(self) -> set:
        if "own_company_ids" not in self.context:
            self.context["own_company_ids"] = selectors.own_company_ids(self.context["request"].user)
        return self.context["own_company_ids"]

    def _staff(self) -> bool:
        if "staff" not in self.context:
            self.context["staff"] = is_staff_member(self.context["request"].user)
        return self.context["staff"]

    @extend_schema_field(CompanyRefSerializer(allow_null=True))
    def get_company(self, obj) -> dict | None:
        if self._staff() or obj.company_id in self._own_ids():
            return {"id": str(obj.company_id), "name": obj.company.name}
        return None

    @extend_schema_field(serializers.BooleanField())
    def get_own(self, obj) -> bool:
        return obj.company_id in self._own_ids()


# --- bids: input ------------------------------------------------------------------------------------------


class BidLineInputSerializer(serializers.Serializer):
    ref = serializers.CharField(max_length=30)
    unit_price = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)


class BidWriteSerializer(serializers.Serializer):
    """``POST tenders/{id}/bids`` and ``PATCH bids/{id}`` (the fields to change, while draft)."""

    total_price = serializers.DecimalField(max_digits=14, decimal_places=2, required=False, allow_null=True)
    duration_weeks = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    lines = BidLineInputSerializer(many=True, required=False)
    notes = serializers.CharField(required=False, allow_blank=True)
    company = serializers.UUIDField(required=False, allow_null=True,
                                    help_text="Only when the caller belongs to several invited companies.")
    copy_from = serializers.UUIDField(required=False, allow_null=True,
                                      help_text="Start from an earlier bid of the same company on this tender.")


class BidDocumentUploadSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=BidDocumentKind.choices)
    file = serializers.FileField(required=False, allow_null=True, allow_empty_file=True, use_url=False)


# --- bids: output -----------------------------------------------------------------------------------------


class BidDocumentSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    kind = serializers.ChoiceField(choices=BidDocumentKind.choices)
    name = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    uploaded_at = Moment()
    download_url = serializers.CharField()


def bid_document_data(document) -> dict:
    """A bid document for a reader allowed to see the bid's content (its name is sealed)."""
    return {
        "id": str(document.id), "kind": document.kind, "name": services.document_name(document),
        "content_type": document.content_type, "size": document.size, "sha256": document.sha256,
        "uploaded_at": _moment(document.uploaded_at),
        "download_url": reverse("api:bid-document-download", args=[document.id]),
    }


class PricedLineSerializer(serializers.Serializer):
    ref = serializers.CharField()
    label = serializers.CharField()
    unit = serializers.CharField()
    quantity = serializers.DecimalField(max_digits=12, decimal_places=3)
    unit_price = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)


class ReceiptDocumentSerializer(serializers.Serializer):
    name = serializers.CharField()
    sha256 = serializers.CharField()
    size = serializers.IntegerField(required=False)


class DepositorSerializer(serializers.Serializer):
    company = serializers.CharField()
    identifier = serializers.CharField()
    person = serializers.CharField()


class ReceiptTenderSerializer(serializers.Serializer):
    reference = serializers.CharField()
    title = serializers.CharField()
    object = serializers.CharField()


class ReceiptSerializer(serializers.Serializer):
    received_at = Moment()
    sha256 = serializers.CharField(help_text="Fingerprint of the bid as deposited.")
    documents = ReceiptDocumentSerializer(many=True)
    depositor = DepositorSerializer()
    buyer = serializers.CharField()
    tender = ReceiptTenderSerializer()


def receipt_data(bid) -> dict | None:
    """The deposit receipt of a bid, or None for a bid never deposited in time (draft, late)."""
    if not bid.sealed_receipt or not bid.fingerprint:
        return None
    receipt = services.receipt(bid)
    return {**receipt, "received_at": _moment(receipt["received_at"]),
            "documents": [dict(d) for d in receipt["documents"]]}


class BidRegisterSerializer(serializers.Serializer):
    """A row of the deposit register: who deposited, when, in which state. Nothing of the content."""

    id = serializers.UUIDField()
    company = CompanyRefSerializer()
    submitted_at = Moment(allow_null=True)
    status = serializers.ChoiceField(choices=BidStatus.choices)

    def to_representation(self, bid):
        return {"id": str(bid.id), "company": {"id": str(bid.company_id), "name": bid.company.name},
                "submitted_at": _moment(bid.submitted_at), "status": bid.status}


class BidSummarySerializer(serializers.Serializer):
    """A bid in a list of the supplier's own bids (the content is on ``bids/{id}``)."""

    id = serializers.UUIDField()
    tender = serializers.UUIDField()
    tender_reference = serializers.CharField()
    company = CompanyRefSerializer()
    status = serializers.ChoiceField(choices=BidStatus.choices)
    created_at = Moment()
    updated_at = Moment()
    submitted_at = Moment(allow_null=True)
    withdrawn_at = Moment(allow_null=True)
    fingerprint = serializers.CharField()
    replaced_by = serializers.UUIDField(allow_null=True)

    def to_representation(self, bid):
        return {
            "id": str(bid.id), "tender": str(bid.tender_id), "tender_reference": bid.tender.reference,
            "company": {"id": str(bid.company_id), "name": bid.company.name}, "status": bid.status,
            "created_at": _moment(bid.created_at), "updated_at": _moment(bid.updated_at),
            "submitted_at": _moment(bid.submitted_at), "withdrawn_at": _moment(bid.withdrawn_at),
            "fingerprint": bid.fingerprint, "replaced_by": str(bid.replaced_by_id) if bid.replaced_by_id else None,
        }


class BidSerializer(BidSummarySerializer):
    """A bid. The content fields (``total_price`` … ``receipt``) are present only for a reader allowed to
    see the content: the bidder, or staff once the tender is opened and the bid was opened.

    Context: ``request``; ``readable`` (bool) when the caller already decided it (lists).
    """

    total_price = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True, required=False)
    duration_weeks = serializers.IntegerField(allow_null=True, required=False)
    notes = serializers.CharField(required=False)
    lines = PricedLineSerializer(many=True, required=False)
    lines_total = serializers.DecimalField(max_digits=14, decimal_places=2, required=False)
    documents = BidDocumentSerializer(many=True, required=False)
    receipt = ReceiptSerializer(required=False, allow_null=True)

    def to_representation(self, bid):
        data = super().to_representation(bid)
        readable = self.context.get("readable")
        if readable is None:
            readable = selectors.content_readable(self.context["request"].user, bid)
        if not readable:
            return data
        content = services.bid_content(bid)
        rows, total = services.priced_schedule(bid.tender, content)
        data.update({
            "total_price": _money(content.get("total_price")),
            "duration_weeks": content.get("duration_weeks"),
            "notes": content.get("notes") or "",
            "lines": [{**row, "quantity": str(row["quantity"]), "unit_price": _money(row["unit_price"]),
                       "amount": _money(row["amount"])} for row in rows],
            "lines_total": _money(total),
            "documents": [bid_document_data(d) for d in bid.documents.all()],
            "receipt": receipt_data(bid),
        })
        return data
