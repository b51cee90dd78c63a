"""REST API v1: the documents a tender issued (receipts, opening report, later the letters and contract).

Staff see every document of a tender; a supplier sees what is addressed to its companies (its receipts and
letters) and gets 404 for anything else, as for another company's bid.
"""

from __future__ import annotations

import io

from django.http import FileResponse, Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from procurement.api_support import ID_PARAM, responses
from procurement.documents import services as document_services
from procurement.models import GeneratedDocument
from procurement.web import get_or_404

from . import selectors
from .documents import documents_visible_to

DOCUMENTS = ["documents"]


class GeneratedDocumentSerializer(serializers.ModelSerializer):
    company = serializers.UUIDField(source="company_id", allow_null=True, read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = GeneratedDocument
        fields = ["id", "kind", "company", "version", "status", "error", "sha256", "size", "signed", "created_at",
                  "generated_at", "reference", "download_url"]

    def get_download_url(self, document) -> str | None:
        if document.status != "ready":
            return None
        url = reverse("api:generated-document-download", kwargs={"id": document.id})
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url


def _document(user, document_id) -> GeneratedDocument:
    document = get_or_404(documents_visible_to(user), id=document_id)
    return document


class TenderGeneratedDocumentsView(generics.ListAPIView):
    serializer_class = GeneratedDocumentSerializer

    def get_queryset(self):
        tender = selectors.tender_get(user=self.request.user, tender_id=self.kwargs["id"])
        return documents_visible_to(self.request.user, tender).order_by("created_at", "kind", "version")

    @extend_schema(parameters=[ID_PARAM], responses=responses({200: GeneratedDocumentSerializer(many=True)}, 401, 404),
                   tags=DOCUMENTS, summary="The documents a tender issued, every version (staff: all; a bidder: its own)")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class GeneratedDocumentDownloadView(APIView):
    @extend_schema(parameters=[ID_PARAM],
                   responses=responses({(200, "application/pdf"): OpenApiResponse(
                       OpenApiTypes.BINARY, description="The signed PDF/A")}, 401, 404, 409),
                   tags=DOCUMENTS, summary="Download a generated document (its company's members, staff)")
    def get(self, request, id):
        document = _document(request.user, id)
        try:
            data = document_services.document_content(document)
        except (FileNotFoundError, OSError):
            raise Http404(_("Le document n'est pas encore disponible."))
        filename = f"{document.kind}-{document.reference}.pdf"
        return FileResponse(io.BytesIO(data), as_attachment=True, filename=filename, content_type="application/pdf")


class GeneratedDocumentRetryView(APIView):
    @extend_schema(parameters=[ID_PARAM], request=None,
                   responses=responses({202: GeneratedDocumentSerializer}, 401, 403, 404, 409),
                   tags=DOCUMENTS, summary="Generate a failed document again (buyer)")
    def post(self, request, id):
        document = _document(request.user, id)
        document = document_services.document_retry(actor=request.user, document=document)
        return Response(GeneratedDocumentSerializer(document, context={"request": request}).data, status=202)
