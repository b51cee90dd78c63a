"""POST /api/v1/documents/verify/: anyone may check a PDF the platform issued (or any other PDF)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from procurement.api import responses
from procurement.errors import ValidationFailed
from procurement.serializers import Moment

from ..api_parsers import FormParser, MultiPartParser
from . import services, verification

# A generated document is a few hundred kilobytes; anything far larger is not one of ours.
MAX_VERIFY_BYTES = 30 * 1024 * 1024

VerificationSerializer = inline_serializer("DocumentVerification", {
    "signed": serializers.BooleanField(),
    "intact": serializers.BooleanField(help_text="No change since signing (one byte, or an appended revision)."),
    "signer": serializers.CharField(allow_null=True),
    "signed_at": Moment(allow_null=True),
    "pdfa": serializers.CharField(allow_null=True, help_text="The PDF/A claim of the XMP metadata, e.g. PDF/A-3B."),
    "issued_by_platform": serializers.BooleanField(help_text="Its SHA-256 is one the platform stored."),
    "valid": serializers.BooleanField(),
    "platform_seal": serializers.BooleanField(),
    "sha256": serializers.CharField(),
    "detail": serializers.CharField(),
    "signatures": inline_serializer("VerifiedSignature", {
        "field": serializers.CharField(), "signer": serializers.CharField(),
        "signed_at": serializers.DateTimeField(allow_null=True),
        "reason": serializers.CharField(help_text="For whom the seal signed (e.g. the holder's acceptance)."),
        "contact": serializers.CharField(), "intact": serializers.BooleanField(),
        "valid": serializers.BooleanField(), "platform_seal": serializers.BooleanField()}, many=True,
        help_text="Every signature, oldest first (a contract carries the holder's and the buyer's)."),
    "document": inline_serializer("VerifiedDocument", {
        "id": serializers.UUIDField(), "kind": serializers.CharField(), "reference": serializers.CharField(),
        "version": serializers.IntegerField(), "created_at": Moment()}, required=False),
})


class DocumentVerifyView(APIView):
    permission_classes = [AllowAny]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request={"multipart/form-data": inline_serializer("DocumentVerifyRequest", {"file": serializers.FileField()})},
        responses=responses({200: VerificationSerializer}, 400),
        tags=["documents"], summary="Verify a PDF: signature, integrity, PDF/A claim, issued by the platform",
    )
    def post(self, request):
        upload = request.FILES.get("file")
        if upload is None:
            raise ValidationFailed({"file": [_("Joignez le fichier PDF à vérifier.")]})
        if upload.size > MAX_VERIFY_BYTES:
            raise ValidationFailed({"file": [_("Fichier trop volumineux pour être un document de la plateforme.")]})
        data = upload.read()
        try:
            return Response(services.verify(data))
        except verification.NotAPdf:
            raise ValidationFailed({"file": [_("Le fichier n'est pas un PDF.")]})
