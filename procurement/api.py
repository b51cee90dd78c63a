"""REST API v1: accounts, the DPS and its categories, the audit trail.

Views only translate HTTP to service and selector calls; services raise the domain errors that
``procurement.api_support`` turns into problem+json.
"""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from . import audit, selectors, services
from . import serializers as s
from .accounts import services as account_services
from .accounts import throttle
from .accounts.models import ApiToken
from .api_support import ID_PARAM, CachedListMixin, responses, validated
from .errors import NotAllowed, ValidationFailed
from .permissions import require_staff

# --- accounts ---------------------------------------------------------------------------------------


class RegisterView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(request=s.RegisterSerializer, responses=responses({201: s.UserIdSerializer}, 400, 429),
                   tags=["accounts"], summary="Create a supplier account; a verification mail is sent")
    def post(self, request):
        data = validated(s.RegisterSerializer, request).validated_data
        throttle.mail_request(request, "register", data["email"])
        user = account_services.user_register(**data, terms_required=False,
                                                  ip_address=throttle.client_ip(request))
        return Response(s.UserIdSerializer(user).data, status=status.HTTP_201_CREATED)


class VerifyEmailView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(request=s.VerifyEmailSerializer, responses=responses({200: s.VerifiedSerializer}, 400),
                   tags=["accounts"], summary="Verify an email address with the token of the mailed link")
    def post(self, request):
        data = validated(s.VerifyEmailSerializer, request).validated_data
        user = account_services.user_verify_email(token=data["token"])
        return Response({"id": str(user.id), "email": user.email, "verified": True})


class TokenView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(request=s.TokenRequestSerializer, responses=responses({200: s.TokenSerializer}, 400, 403, 429),
                   tags=["accounts"], summary="Exchange email and password for a new API token (expiring; revoked by a password change)")
    def post(self, request):
        data = validated(s.TokenRequestSerializer, request).validated_data
        email = data["email"].strip()
        throttle.login_check(request, email)
        user = authenticate(request, username=email, password=data["password"])
        if user is None:
            throttle.login_failed(request, email)
            raise ValidationFailed({"non_field_errors": [_("Adresse e-mail ou mot de passe incorrect.")]})
        throttle.login_succeeded(request, email)
        if not user.is_verified:
            raise NotAllowed(_("Vérifiez d'abord votre adresse e-mail (lien reçu par courriel)."))
        key, token = account_services.api_token_issue(user=user)
        return Response({"token": key, "expires_at": s.TokenSerializer().fields["expires_at"].to_representation(
            token.expires_at)})


class LogoutView(APIView):
    """Revoke the token of the request (the caller's other tokens, other programs, keep working)."""

    @extend_schema(request=None, responses=responses({204: None}, 401), tags=["accounts"],
                   summary="Revoke the API token used for this request")
    def post(self, request):
        if isinstance(request.auth, ApiToken):
            account_services.api_token_revoke(token=request.auth)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- DPS ----------------------------------------------------------------------------------------------


class DPSListView(CachedListMixin, generics.ListAPIView):
    """Open (and closed) DPS for everyone; drafts only for staff."""

    cache_name = "api-dps"

    serializer_class = s.DPSSerializer

    def get_permissions(self):
        return [AllowAny()] if self.request.method == "GET" else [IsAuthenticated()]

    def get_queryset(self):
        return selectors.dps_visible(self.request.user)

    @extend_schema(tags=["dps"], summary="List DPS with their categories", auth=[{}, {"tokenAuth": []}])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(request=s.DPSCreateSerializer, responses=responses({201: s.DPSSerializer}, 400, 401, 403, 409),
                   tags=["dps"], summary="Create a DPS (draft); buyer only")
    def post(self, request):
        data = validated(s.DPSCreateSerializer, request).validated_data
        dps = services.dps_create(actor=request.user, **data)
        dps = selectors.dps_get(user=request.user, dps_id=dps.id)
        return Response(s.DPSSerializer(dps).data, status=status.HTTP_201_CREATED)


class DPSDetailView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(parameters=[ID_PARAM], responses=responses({200: s.DPSSerializer}, 404), tags=["dps"],
                   summary="A DPS with its categories", auth=[{}, {"tokenAuth": []}])
    def get(self, request, id):
        return Response(s.DPSSerializer(selectors.dps_get(user=request.user, dps_id=id)).data)


class DPSCategoriesView(APIView):
    @extend_schema(parameters=[ID_PARAM], request=s.CategoryCreateSerializer,
                   responses=responses({201: s.CategorySerializer}, 400, 401, 403, 404, 409), tags=["dps"],
                   summary="Add a category to a DPS; buyer only")
    def post(self, request, id):
        dps = selectors.dps_get(user=request.user, dps_id=id)
        data = validated(s.CategoryCreateSerializer, request).validated_data
        category = services.category_create(actor=request.user, dps=dps, **data)
        return Response(s.CategorySerializer(category).data, status=status.HTTP_201_CREATED)


class DPSPublishView(APIView):
    @extend_schema(parameters=[ID_PARAM], request=None,
                   responses=responses({200: s.DPSSerializer}, 400, 401, 403, 404, 409), tags=["dps"],
                   summary="Publish a draft DPS (→ open); buyer only")
    def post(self, request, id):
        dps = selectors.dps_get(user=request.user, dps_id=id)
        services.dps_publish(actor=request.user, dps=dps)
        return Response(s.DPSSerializer(selectors.dps_get(user=request.user, dps_id=id)).data)


# --- audit --------------------------------------------------------------------------------------------

AUDIT_OBJECT_TYPES = audit.OBJECT_TYPES


class AuditListView(generics.ListAPIView):
    serializer_class = s.AuditEntrySerializer

    def get_queryset(self):
        require_staff(self.request.user)
        object_type = self.request.query_params.get("object_type", "").strip()
        object_id = self.request.query_params.get("object_id", "").strip()
        errors = {}
        if object_type not in AUDIT_OBJECT_TYPES:
            errors["object_type"] = [_("Type d'objet attendu parmi : %(types)s.") % {"types": ", ".join(AUDIT_OBJECT_TYPES)}]
        if not object_id:
            errors["object_id"] = [_("L'identifiant de l'objet est obligatoire.")]
        if errors:
            raise ValidationFailed(errors)
        return audit.history(object_type, object_id)

    @extend_schema(
        parameters=[
            OpenApiParameter("object_type", OpenApiTypes.STR, enum=list(AUDIT_OBJECT_TYPES), required=True),
            OpenApiParameter("object_id", OpenApiTypes.STR, required=True),
        ],
        tags=["audit"], summary="The recorded events of one object (transitions, uploads, roles…), oldest first; staff only",
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class AuditVerifyView(APIView):
    @extend_schema(parameters=[OpenApiParameter("anchor", OpenApiTypes.STR, description=(
                       "A head hash kept from an earlier check: the chain must still contain that entry"))],
                   responses=responses({200: s.AuditVerifySerializer}, 401, 403), tags=["audit"],
                   summary="Check the hash chain of the whole audit trail; staff only")
    def get(self, request):
        require_staff(request.user)
        report = audit.verify(anchor=request.query_params.get("anchor") or None)
        body = {"valid": report.valid, "entries": report.entries, "head": report.head}
        if report.first_broken is not None:
            body["first_broken"] = report.first_broken
        if report.anchor_found is not None:
            body["anchor_found"] = report.anchor_found
        return Response(body)
