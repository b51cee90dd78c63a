"""The tender's generated documents: the receipt of each deposit, the opening report, who may fetch them."""

import datetime as dt
import hashlib
import io
import json

import pypdf
import pytest
import time_machine
from rest_framework.test import APIClient

from procurement.documents import services as document_services
from procurement.models import DocumentKind, DocumentStatus, GeneratedDocument
from tenders import services
from tenders.models import BidStatus
from tests.factories import StaffFactory, draft_bid, pdf_file, published_tender

pytestmark = pytest.mark.django_db

MEMO = b"%PDF-1.4\n% memoire technique\n" + b"1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n" \
       b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def _text(pdf: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def _compact(text: str) -> str:
    return "".join(text.split())


@pytest.fixture
def world():
    tender, invited = published_tender(suppliers=3)
    return tender, invited


@pytest.fixture
def deposit(world, django_capture_on_commit_callbacks):
    tender, [(company, user), *_] = world
    bid = draft_bid(tender, user)
    services.bid_document_upload(actor=user, bid=bid, kind="technical_memo",
                                 uploaded_file=pdf_file("Mémoire-technique-Tilleuls.pdf", MEMO))
    with django_capture_on_commit_callbacks(execute=True):
        bid = services.bid_submit(actor=user, bid=bid)
    bid.refresh_from_db()
    receipt = GeneratedDocument.objects.get(kind=DocumentKind.RECEIPT, company_id=company.id)
    return bid, receipt


def test_each_deposit_gets_a_signed_receipt_with_every_mandatory_item(world, deposit):
    tender, [(company, user), *_] = world
    bid, receipt = deposit
    assert receipt.status == DocumentStatus.READY, receipt.error
    assert receipt.object_type == "tender" and receipt.object_id == tender.id and receipt.signed

    text = _text(document_services.document_content(receipt))
    from django.utils import timezone

    local = timezone.localtime(bid.submitted_at)
    assert "Accusé de réception électronique" in text
    assert company.name in text and company.identifier in text  # depositor
    assert user.email in text
    assert "Habitat Hauts-de-France ESH" in text  # buyer
    assert tender.title in text and tender.reference in text
    assert " ".join(tender.description.split()) in text  # the object
    assert f"{local:%H:%M:%S}" in text and "heure de Paris" in text and "UTC+0" in text  # to the second, zone
    assert "Mémoire-technique-Tilleuls.pdf" in text
    assert hashlib.sha256(MEMO).hexdigest() in _compact(text)
    assert bid.fingerprint in _compact(text)


def test_the_stored_receipt_keeps_the_sealed_names_encrypted(deposit):
    _, receipt = deposit
    with receipt.file.open("rb") as handle:
        stored = handle.read()
    assert receipt.sealed and not stored.startswith(b"%PDF")
    assert b"Tilleuls" not in stored
    assert "Tilleuls" not in json.dumps(receipt.data) and set(receipt.data) == {"sealed"}
    # Decrypted for its readers; the data embedded in the PDF is the decrypted data.
    data = document_services.document_data(receipt)
    assert data["documents"][0]["name"] == "Mémoire-technique-Tilleuls.pdf"
    assert hashlib.sha256(document_services.document_content(receipt)).hexdigest() == receipt.sha256


def test_a_late_deposit_gets_a_receipt_saying_so(world, django_capture_on_commit_callbacks):
    tender, [_, (company, user), _] = world
    bid = draft_bid(tender, user)
    with time_machine.travel(tender.bid_deadline + dt.timedelta(seconds=3), tick=False), \
            django_capture_on_commit_callbacks(execute=True), pytest.raises(services.LateBid):
        services.bid_submit(actor=user, bid=bid)
    receipt = GeneratedDocument.objects.get(kind=DocumentKind.RECEIPT, company_id=company.id)
    assert receipt.status == DocumentStatus.READY, receipt.error
    text = _text(document_services.document_content(receipt))
    assert "hors délai" in text and "R2151-5" in text


def test_the_opening_report_lists_every_deposit_and_who_opened(world, deposit, django_capture_on_commit_callbacks):
    tender, [(first, _), (second, second_user), (third, third_user)] = world
    withdrawn = services.bid_withdraw(actor=second_user, bid=services.bid_submit(
        actor=second_user, bid=draft_bid(tender, second_user)))
    late = draft_bid(tender, third_user)
    buyer = tender.dps.created_by
    with time_machine.travel(tender.bid_deadline + dt.timedelta(minutes=5), tick=False):
        with pytest.raises(services.LateBid):
            services.bid_submit(actor=third_user, bid=late)
        with django_capture_on_commit_callbacks(execute=True):
            tender = services.tender_open(actor=buyer, tender=tender)

    report = GeneratedDocument.objects.get(kind=DocumentKind.OPENING_REPORT, object_id=tender.id)
    assert report.status == DocumentStatus.READY, report.error
    assert not report.sealed and report.company_id is None
    text = _text(document_services.document_content(report))
    assert "Procès-verbal d'ouverture des plis" in text
    for company in (first, second, third):
        assert company.name in text
    for label in ("Ouverte", "Retirée", "Hors délai"):
        assert label in text
    assert buyer.email in text
    from django.utils import timezone

    assert f"{timezone.localtime(tender.opened_at):%H:%M:%S}" in text
    statuses = {row["company"]: row["status"] for row in report.data["register"]}
    assert statuses == {first.name: BidStatus.OPENED, second.name: BidStatus.WITHDRAWN, third.name: BidStatus.LATE}
    assert withdrawn.status == BidStatus.WITHDRAWN


# --- the API ---------------------------------------------------------------------------------------


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_a_bidder_downloads_its_receipt_and_gets_404_on_another_companys(world, deposit):
    tender, [(company, user), (other_company, other_user), _] = world
    _, receipt = deposit
    url = f"/api/v1/generated-documents/{receipt.id}/download/"

    response = _client(user).get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")

    assert _client(other_user).get(url).status_code == 404
    assert _client(StaffFactory(roles=["evaluator"])).get(url).status_code == 200


def test_the_list_shows_staff_everything_and_a_bidder_its_own(world, deposit):
    tender, [(company, user), (_, other_user), _] = world
    _, receipt = deposit
    url = f"/api/v1/tenders/{tender.id}/generated-documents/"

    mine = _client(user).get(url).json()
    assert [d["id"] for d in mine["results"]] == [str(receipt.id)]
    row = mine["results"][0]
    assert row["kind"] == "receipt" and row["company"] == str(company.id) and row["status"] == "ready"
    assert row["version"] == 1 and row["signed"] is True and row["sha256"] == receipt.sha256
    assert row["download_url"].endswith(f"/generated-documents/{receipt.id}/download/")

    assert _client(other_user).get(url).json()["results"] == []
    assert _client(tender.dps.created_by).get(url).json()["count"] == 1


def test_only_a_buyer_retries_a_failed_document(world, deposit, django_capture_on_commit_callbacks):
    tender, [(_, user), *_] = world
    _, receipt = deposit
    GeneratedDocument.objects.filter(pk=receipt.pk).update(status=DocumentStatus.FAILED, error="boom")
    url = f"/api/v1/generated-documents/{receipt.id}/retry/"

    assert _client(user).post(url).status_code == 403
    assert _client(StaffFactory(roles=["evaluator"])).post(url).status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        response = _client(tender.dps.created_by).post(url)
    assert response.status_code == 202 and response.json()["status"] == "pending"
    receipt.refresh_from_db()
    assert receipt.status == DocumentStatus.READY  # generated again in-process
    again = _client(tender.dps.created_by).post(url)
    assert again.status_code == 409 and again.json()["state"] == "ready"
