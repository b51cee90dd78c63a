"""An uploaded file is stored and served under a name whose extension matches the type read from its bytes:
``poly.html``, ``x.exe`` or ``x.svg`` never come back under those names (evidence, tender and bid documents)."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from suppliers.evidence_files import safe_filename
from suppliers.models import EvidenceDocument
from tenders.models import TenderDocument
from tests.api.conftest import client_for
from tests.factories import TINY_PDF, company_owner, draft_bid, draft_tender, published_tender, ready_company

pytestmark = pytest.mark.django_db


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (2, 2), "white").save(out, format="PNG")
    return out.getvalue()


def upload(name, data, content_type="text/html"):
    return SimpleUploadedFile(name, data, content_type=content_type)  # the client's type is never believed


@pytest.mark.parametrize("name,content_type,expected", [
    ("poly.html", "application/pdf", "poly.pdf"), ("x.exe", "application/pdf", "x.pdf"),
    ("x.svg", "image/png", "x.png"), ("Photo chantier.JPEG", "image/jpeg", "Photo_chantier.jpeg"),
    ("scan.pdf", "image/jpeg", "scan.jpg"), ("../../etc/passwd", "application/pdf", "passwd.pdf"),
    ("", "image/png", "document.png"),
])
def test_the_kept_name_has_the_extension_of_the_real_type(name, content_type, expected):
    assert safe_filename(name, content_type) == expected


def test_an_evidence_file_named_html_is_kept_and_served_as_pdf(db):
    company, member = ready_company()
    response = client_for(member).post(f"/api/v1/companies/{company.id}/documents/", {
        "kind": "kbis", "issued_on": timezone.localdate().isoformat(), "file": upload("poly.html", TINY_PDF)},
        format="multipart")
    assert response.status_code == 201, response.content[:400]
    assert response.json()["filename"] == "poly.pdf"
    document = EvidenceDocument.objects.get(id=response.json()["id"])
    assert document.file.name.endswith(".pdf") and document.content_type == "application/pdf"
    download = client_for(member).get(f"/api/v1/documents/{document.id}/download/")
    assert 'filename="poly.pdf"' in download["Content-Disposition"]
    assert download["Content-Type"] == "application/pdf"


def test_a_tender_document_named_exe_is_kept_as_pdf(db):
    tender = draft_tender()
    response = client_for(tender.dps.created_by).post(f"/api/v1/tenders/{tender.id}/documents/", {
        "kind": "rules", "title": "Règlement", "file": upload("x.exe", TINY_PDF, "application/x-msdownload")},
        format="multipart")
    assert response.status_code == 201, response.content[:400]
    document = TenderDocument.objects.get(id=response.json()["id"])
    assert document.filename == "x.pdf" and document.file.name.endswith(".pdf")
    download = client_for(tender.dps.created_by).get(f"/api/v1/tender-documents/{document.id}/download/")
    assert 'filename="x.pdf"' in download["Content-Disposition"]


def test_a_bid_document_named_svg_holding_a_png_is_kept_as_png(db):
    tender, [(company, _user), *_rest] = published_tender(suppliers=1)
    bidder = company_owner(company)
    bid = draft_bid(tender, bidder)
    response = client_for(bidder).post(f"/api/v1/bids/{bid.id}/documents/", {
        "kind": "technical_memo", "file": upload("x.svg", png(), "image/svg+xml")}, format="multipart")
    assert response.status_code == 201, response.content[:400]
    assert response.json()["name"] == "x.png" and response.json()["content_type"] == "image/png"
    download = client_for(bidder).get(response.json()["download_url"])
    assert 'filename="x.png"' in download["Content-Disposition"]
