"""POST /api/v1/documents/verify/: anyone; a platform document, a foreign PDF, garbage (400, never 500)."""


import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from procurement.documents import rendering, services

pytestmark = pytest.mark.django_db
URL = "/api/v1/documents/verify/"


def _post(content: bytes, name="document.pdf"):
    return APIClient().post(URL, {"file": SimpleUploadedFile(name, content, "application/pdf")}, format="multipart")


def test_a_platform_document_is_signed_intact_and_issued_here(make_document):
    document = make_document()
    response = _post(services.document_content(document))
    assert response.status_code == 200
    body = response.json()
    assert body["signed"] is True and body["intact"] is True and body["issued_by_platform"] is True
    assert body["pdfa"] == "PDF/A-3B" and body["signer"] and body["signed_at"]
    assert body["document"]["id"] == str(document.id) and body["document"]["kind"] == document.kind


def test_a_tampered_platform_document_is_not_intact_nor_known(make_document):
    pdf = bytearray(services.document_content(make_document()))
    pdf[len(pdf) // 2] ^= 0x20
    body = _post(bytes(pdf)).json()
    assert body["intact"] is False and body["issued_by_platform"] is False


def test_a_foreign_pdf_is_an_unsigned_answer():
    foreign = rendering.html_to_pdf("<p>Une facture quelconque</p>", pdf_variant=None).pdf
    response = _post(foreign)
    assert response.status_code == 200
    body = response.json()
    assert body["signed"] is False and body["intact"] is False and body["issued_by_platform"] is False
    assert body["pdfa"] is None


@pytest.mark.parametrize("content", [b"", b"\x00\xff" * 500, b"GIF89a not a pdf", "é".encode() * 10])
def test_garbage_is_a_400_problem(content):
    response = _post(content, name="x.bin")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")
    assert "file" in response.json()["errors"]


def test_a_damaged_pdf_is_answered_not_an_error():
    response = _post(b"%PDF-1.7\n1 0 obj <</ByteRange [0 10 20 30]>> endobj trailer")
    assert response.status_code == 200
    assert response.json()["intact"] is False


def test_no_file_is_a_400():
    response = APIClient().post(URL, {}, format="multipart")
    assert response.status_code == 400


def test_the_command_says_the_same(make_document, tmp_path, capsys):
    from django.core.management import call_command

    path = tmp_path / "document.pdf"
    path.write_bytes(services.document_content(make_document()))
    call_command("verify_document", str(path), "--json")
    assert '"issued_by_platform": true' in capsys.readouterr().out
