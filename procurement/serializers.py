"""API representations for accounts, the DPS and the audit trail.

Input serializers only check the shape of a request (types, formats); every business rule lives in the
services, which report their own errors per field.
"""

from __future__ import annotations

import datetime as dt
import logging

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from . import inputs
from .errors import ValidationFailed
from .models import Category, DynamicPurchasingSystem, Trade
from .workflow import allowed_actions

log = logging.getLogger(__name__)


class Moment(serializers.DateTimeField):
    """A date and time of the API. Read through procurement.inputs (the window, real UTC offsets), like every
    moment the platform accepts; written in Paris time, or in UTC for a stored moment too near the ends of
    the calendar to have a Paris time (a list never fails because of one row)."""

    def to_internal_value(self, value):
        try:
            return inputs.moment(value, "value")
        except ValidationFailed as refused:
            raise serializers.ValidationError(refused.errors["value"]) from None

    def to_representation(self, value):
        try:
            return super().to_representation(value)
        except (serializers.ValidationError, OverflowError):
            return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


class RowGuardedListSerializer(serializers.ListSerializer):
    """A list written row by row: a row that cannot be written (a fault in one object's data) is logged and
    left out, so that a list never fails for everyone because of one row."""

    def to_representation(self, data):
        rows = []
        for item in data.all() if hasattr(data, "all") else data:
            try:
                rows.append(self.child.to_representation(item))
            except Exception:  # any fault of one row: the others are still listed
                log.exception("Row %s left out of a list of %s", getattr(item, "pk", "?"),
                              type(self.child).__name__)
        return rows


# --- errors (for the schema only) ----------------------------------------------------------------


class ProblemSerializer(serializers.Serializer):
    type = serializers.CharField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()), required=False)
    state = serializers.CharField(required=False)
    allowed_transitions = serializers.ListField(child=serializers.CharField(), required=False)


# --- accounts ---------------------------------------------------------------------------------------


class RegisterSerializer(serializers.Serializer):
    email = serializers.CharField(max_length=254)
    password = serializers.CharField(max_length=128, write_only=True, trim_whitespace=False)
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
    accept_terms = serializers.BooleanField(
        required=False, default=False,
        help_text="True when the person accepts the terms of use (/cgu/) and has read the privacy notice "
                  "(/donnees-personnelles/); recorded with the version in force when true.")


class UserIdSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    email = serializers.EmailField()


class VerifyEmailSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=1000)


class VerifiedSerializer(UserIdSerializer):
    verified = serializers.BooleanField()


class TokenRequestSerializer(serializers.Serializer):
    email = serializers.CharField(max_length=254)
    password = serializers.CharField(max_length=128, trim_whitespace=False)


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Shown once: only its hash is kept.")
    expires_at = Moment()


class MeCompanySerializer(serializers.Serializer):
    id = serializers.UUIDField(source="company.id")
    name = serializers.CharField(source="company.name")
    role = serializers.CharField()


class MeSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    email = serializers.EmailField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    roles = serializers.ListField(child=serializers.CharField())
    email_verified = serializers.BooleanField(source="is_verified")
    companies = MeCompanySerializer(many=True)


# --- DPS and categories -----------------------------------------------------------------------------


class CategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["id", "dps", "code", "name", "trade", "territories", "max_contract_value", "min_turnover",
                  "min_turnover_justification", "required_evidence", "created_at"]
        read_only_fields = fields


class CategoryCreateSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=30, allow_blank=True)
    name = serializers.CharField(max_length=255, allow_blank=True)
    trade = serializers.ChoiceField(choices=Trade.choices)
    territories = serializers.ListField(child=serializers.CharField(max_length=3), allow_empty=True)
    max_contract_value = serializers.DecimalField(max_digits=14, decimal_places=2, required=False, allow_null=True)
    min_turnover = serializers.DecimalField(max_digits=14, decimal_places=2, required=False, allow_null=True)
    required_evidence = serializers.ListField(child=serializers.CharField(max_length=30), required=False,
                                              default=list)
    min_turnover_justification = serializers.CharField(required=False, allow_blank=True, default="")


class DPSSerializer(serializers.ModelSerializer):
    categories = CategorySerializer(many=True, read_only=True)
    allowed_transitions = serializers.SerializerMethodField()

    class Meta:
        model = DynamicPurchasingSystem
        fields = ["id", "reference", "title", "description", "cpv_codes", "valid_until", "status",
                  "initial_decision_days", "published_at", "first_window_ends_at", "first_invitation_at",
                  "closed_at", "created_at", "categories", "allowed_transitions"]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_allowed_transitions(self, obj) -> list[str]:
        return allowed_actions(obj)


class DPSCreateSerializer(serializers.Serializer):
    reference = serializers.CharField(max_length=50, allow_blank=True)
    title = serializers.CharField(max_length=255, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    valid_until = serializers.DateField()
    cpv_codes = serializers.ListField(child=serializers.CharField(max_length=12), required=False, default=list)
    initial_decision_days = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=365)


# --- audit ------------------------------------------------------------------------------------------


class AuditEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    at = Moment()
    actor = serializers.CharField(source="actor_label")
    actor_id = serializers.UUIDField(allow_null=True)
    object_type = serializers.CharField()
    object_id = serializers.CharField()
    action = serializers.CharField()
    from_state = serializers.CharField()
    to_state = serializers.CharField()
    reason = serializers.CharField()
    details = serializers.JSONField(help_text="What the event was about beyond its states: fields changed "
                                              "(old → new), a document's kind, size and SHA-256, a role…")
    hash = serializers.CharField()


class AuditVerifySerializer(serializers.Serializer):
    valid = serializers.BooleanField()
    entries = serializers.IntegerField()
    first_broken = serializers.IntegerField(required=False, help_text="Id of the first entry whose hash or link is wrong.")
    head = serializers.CharField(help_text="Hash of the last entry: keep it elsewhere and pass it back as `anchor`.")
    anchor_found = serializers.BooleanField(required=False, help_text="With `anchor`: whether that entry is still there.")
