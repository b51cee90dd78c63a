"""API representations for companies, declarations, evidence, applications and admissions.

Input serializers only check the shape of a request (types, lengths, formats); the services apply every
business rule and report their errors per field.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from procurement.api_support import column_range
from procurement.serializers import Moment
from procurement.workflow import allowed_actions

from .models import (
    Admission,
    Application,
    ApplicationCategory,
    Company,
    CompanyInvitation,
    Declaration,
    DeclarationRenewal,
    EvidenceDocument,
    EvidenceStatus,
    MembershipRole,
)

_TRANSITIONS = serializers.ListField(child=serializers.CharField())


# --- companies --------------------------------------------------------------------------------------


class AddressSerializer(serializers.Serializer):
    street = serializers.CharField(max_length=255, required=False, allow_blank=True)
    postal_code = serializers.CharField(max_length=10, required=False, allow_blank=True)
    city = serializers.CharField(max_length=100, required=False, allow_blank=True)
    country = serializers.CharField(min_length=2, max_length=2, required=False)


class TurnoverSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)


class CompanySerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    name = serializers.CharField()
    siret = serializers.CharField(allow_null=True)
    siren = serializers.CharField()
    country = serializers.CharField()
    national_id = serializers.CharField()
    vat_number = serializers.CharField()
    legal_form = serializers.CharField()
    naf_code = serializers.CharField()
    employees = serializers.IntegerField(allow_null=True)
    address = serializers.SerializerMethodField()
    turnovers = TurnoverSerializer(many=True)
    created_at = Moment()

    @extend_schema_field(AddressSerializer)
    def get_address(self, obj) -> dict:
        return {"street": obj.street, "postal_code": obj.postal_code, "city": obj.city, "country": obj.country}


class CompanyWriteSerializer(serializers.Serializer):
    """``POST companies`` (all fields) and ``PATCH companies/{id}`` (partial; identifiers cannot change)."""

    siret = serializers.CharField(max_length=20, required=False, allow_blank=True, allow_null=True)
    country = serializers.CharField(min_length=2, max_length=2, required=False)
    national_id = serializers.CharField(max_length=50, required=False, allow_blank=True)
    name = serializers.CharField(max_length=255, required=False, allow_blank=True)
    vat_number = serializers.CharField(max_length=20, required=False, allow_blank=True)
    address = AddressSerializer(required=False)
    legal_form = serializers.CharField(max_length=100, required=False, allow_blank=True)
    naf_code = serializers.CharField(max_length=6, required=False, allow_blank=True)
    employees = serializers.IntegerField(required=False, allow_null=True, min_value=0,
                                         max_value=column_range(Company, "employees")[1])
    turnovers = TurnoverSerializer(many=True, required=False)

    def service_data(self) -> dict:
        """What the services take: the validated fields, the country taken from the address if only there."""
        data = dict(self.validated_data)
        if "address" in data:
            data["address"] = dict(data["address"])
            if "country" in data["address"] and "country" not in data:
                data["country"] = data["address"]["country"]
        return data


class InvitationCreateSerializer(serializers.Serializer):
    email = serializers.CharField(max_length=254)
    role = serializers.ChoiceField(choices=MembershipRole.choices, default=MembershipRole.MEMBER)


class InvitationSerializer(serializers.ModelSerializer):
    class Meta:
        model = CompanyInvitation
        fields = ["id", "company", "email", "role", "created_at", "accepted_at"]
        read_only_fields = fields


class MembershipSerializer(serializers.Serializer):
    company = serializers.UUIDField(source="company_id")
    company_name = serializers.CharField(source="company.name")
    role = serializers.CharField()


# --- declarations -----------------------------------------------------------------------------------


class DeclarationWriteSerializer(serializers.Serializer):
    exclusion_grounds = serializers.DictField(help_text="ESPD code → true when the ground applies.")
    capacities = serializers.DictField(required=False, default=dict)
    sworn = serializers.BooleanField(required=False, default=False)
    signatory = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")

    def validate_capacities(self, value):
        for key in ("turnovers", "references"):
            if value.get(key) not in (None, "") and not isinstance(value[key], list):
                raise serializers.ValidationError(_("« %(field)s » doit être une liste.") % {"field": key})
        return value


class DeclarationSerializer(serializers.ModelSerializer):
    company = serializers.UUIDField(source="company_id", read_only=True)
    declared_by = serializers.EmailField(source="declared_by.email", read_only=True)

    class Meta:
        model = Declaration
        fields = ["id", "company", "version", "exclusion_grounds", "capacities", "sworn", "signatory",
                  "declared_at", "declared_by"]
        read_only_fields = fields


# --- evidence ---------------------------------------------------------------------------------------


class DocumentUploadSerializer(serializers.Serializer):
    kind = serializers.CharField(max_length=30)
    file = serializers.FileField(required=False, allow_null=True, allow_empty_file=True, use_url=False)
    issued_on = serializers.DateField(required=False, allow_null=True)
    valid_until = serializers.DateField(required=False, allow_null=True)
    activities = serializers.ListField(
        child=serializers.CharField(max_length=400), required=False,
        help_text="What an insurance covers: trade codes, as a repeated field or comma-separated.")


class DocumentSerializer(serializers.ModelSerializer):
    company = serializers.UUIDField(source="company_id", read_only=True)
    status = serializers.ChoiceField(choices=EvidenceStatus.choices, read_only=True)
    superseded = serializers.SerializerMethodField(
        help_text="Replaced by a newer document of the same kind: kept as history, never counted again.")
    superseded_by = serializers.UUIDField(source="superseded_by_id", read_only=True, allow_null=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = EvidenceDocument
        fields = ["id", "company", "kind", "filename", "content_type", "size", "sha256", "issued_on",
                  "valid_until", "activities", "status", "superseded", "superseded_by", "superseded_at",
                  "uploaded_at", "download_url"]
        read_only_fields = fields

    def get_superseded(self, obj) -> bool:
        return not obj.is_current

    def get_download_url(self, obj) -> str:
        return reverse("api:document-download", args=[obj.id])


# --- applications -----------------------------------------------------------------------------------


class ApplicationCreateSerializer(serializers.Serializer):
    dps = serializers.CharField(max_length=64)
    company = serializers.CharField(max_length=64)
    categories = serializers.ListField(child=serializers.UUIDField(), allow_empty=True)


class ApplicationLineSerializer(serializers.ModelSerializer):
    category = serializers.UUIDField(source="category_id", read_only=True)
    code = serializers.CharField(source="category.code", read_only=True)
    name = serializers.CharField(source="category.name", read_only=True)

    class Meta:
        model = ApplicationCategory
        fields = ["category", "code", "name", "decision", "reason"]
        read_only_fields = fields


class ApplicationSerializer(serializers.ModelSerializer):
    dps = serializers.UUIDField(source="dps_id", read_only=True)
    dps_reference = serializers.CharField(source="dps.reference", read_only=True)
    company = serializers.UUIDField(source="company_id", read_only=True)
    company_name = serializers.CharField(source="company.name", read_only=True)
    categories = serializers.SerializerMethodField()
    decisions = ApplicationLineSerializer(source="lines", many=True, read_only=True)
    overdue = serializers.BooleanField(source="is_overdue", read_only=True)
    allowed_transitions = serializers.SerializerMethodField()

    class Meta:
        model = Application
        fields = ["id", "dps", "dps_reference", "company", "company_name", "categories", "decisions", "status",
                  "created_at", "first_submitted_at", "submitted_at", "decision_due", "overdue", "extended",
                  "extension_reason", "info_request_message", "info_requested_at", "decided_at",
                  "allowed_transitions"]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.UUIDField()))
    def get_categories(self, obj) -> list[str]:
        return [str(line.category_id) for line in obj.lines.all()]

    @extend_schema_field(_TRANSITIONS)
    def get_allowed_transitions(self, obj) -> list[str]:
        return allowed_actions(obj)


class DecisionInputSerializer(serializers.Serializer):
    category = serializers.CharField(max_length=64)
    admitted = serializers.BooleanField(required=False)
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class DecideSerializer(serializers.Serializer):
    decisions = DecisionInputSerializer(many=True)


class MessageSerializer(serializers.Serializer):
    message = serializers.CharField(allow_blank=True)


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True)


class OptionalReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


# --- admissions and renewals --------------------------------------------------------------------------


class AdmissionSerializer(serializers.ModelSerializer):
    company = serializers.UUIDField(source="company_id", read_only=True)
    company_name = serializers.CharField(source="company.name", read_only=True)
    category = serializers.UUIDField(source="category_id", read_only=True)
    category_code = serializers.CharField(source="category.code", read_only=True)
    dps = serializers.UUIDField(source="category.dps_id", read_only=True)
    application = serializers.UUIDField(source="application_id", read_only=True)
    allowed_transitions = serializers.SerializerMethodField()

    class Meta:
        model = Admission
        fields = ["id", "company", "company_name", "category", "category_code", "dps", "application", "status",
                  "admitted_at", "status_reason", "status_changed_at", "allowed_transitions"]
        read_only_fields = fields

    @extend_schema_field(_TRANSITIONS)
    def get_allowed_transitions(self, obj) -> list[str]:
        return allowed_actions(obj)


class RenewalRequestSerializer(serializers.Serializer):
    companies = serializers.ListField(child=serializers.UUIDField(), required=False, default=list)


class RenewalSerializer(serializers.ModelSerializer):
    dps = serializers.UUIDField(source="dps_id", read_only=True)
    company = serializers.UUIDField(source="company_id", read_only=True)

    class Meta:
        model = DeclarationRenewal
        fields = ["id", "dps", "company", "status", "requested_at", "due_on", "answered_at"]
        read_only_fields = fields
