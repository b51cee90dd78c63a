"""Sealed bids at rest (R2132-9): the database rows and the stored bytes hold no price and no document
content before the opening; the sealed data only opens with the right master key and in its own place."""

import base64
import os

import pytest
from django.core.files.base import ContentFile
from django.db import connection

from tenders import sealing, services
from tenders.models import Bid, BidDocument
from tests.factories import draft_bid, published_tender

pytestmark = pytest.mark.django_db

SECRET_NOTES = "Remise exceptionnelle accordée au bailleur : Zorglub-7731"
MEMO = (b"%PDF-1.4\n% Memoire technique : methode Zorglub-4412 pour la pose en site occupe\n"
        b"1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
NEEDLES = [b"167000.00", b"167 000", b"Zorglub-7731", b"Zorglub-4412", b"memoire-zorglub"]


def _every_row_as_bytes() -> bytes:
    """Every column of every table, as the database stores it (what a dump or a DBA would see)."""
    chunks = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            quoted = connection.ops.quote_name(table)
            cursor.execute(f"SELECT * FROM {quoted}")  # noqa: S608 - table names come from introspection
            for row in cursor.fetchall():
                for value in row:
                    if isinstance(value, bytes | memoryview | bytearray):
                        chunks.append(bytes(value))
                    elif value is not None:
                        chunks.append(str(value).encode())
    return b"\n".join(chunks)


def _bid_with_a_document(django_capture_on_commit_callbacks):
    tender, [(company, user), _] = published_tender(suppliers=2)
    bid = draft_bid(tender, user, notes=SECRET_NOTES)
    services.bid_document_upload(actor=user, bid=bid, kind="technical_memo",
                                 uploaded_file=ContentFile(MEMO, name="memoire-zorglub.pdf"))
    with django_capture_on_commit_callbacks(execute=True):
        services.bid_submit(actor=user, bid=bid)
    return tender, bid


def test_no_price_note_or_document_is_in_the_clear_in_the_database(django_capture_on_commit_callbacks):
    _bid_with_a_document(django_capture_on_commit_callbacks)

    dump = _every_row_as_bytes()

    assert "Résidence Les Tilleuls".encode() in dump  # the dump does hold what is stored in the clear
    for needle in NEEDLES:
        assert needle not in dump, needle


def test_stored_document_bytes_are_encrypted_and_decrypt_to_the_original(django_capture_on_commit_callbacks):
    _, bid = _bid_with_a_document(django_capture_on_commit_callbacks)
    document = BidDocument.objects.select_related("bid__tender").get(bid=bid)

    with document.file.open("rb") as handle:
        stored = handle.read()
    assert b"Zorglub" not in stored and not stored.startswith(b"%PDF")
    assert "zorglub" not in document.file.name
    assert services.document_content(document) == MEMO
    assert services.document_name(document) == "memoire-zorglub.pdf"


def test_without_the_master_key_nothing_opens(settings, django_capture_on_commit_callbacks):
    tender, bid = _bid_with_a_document(django_capture_on_commit_callbacks)
    settings.SEALING_MASTER_KEYS = [base64.b64encode(os.urandom(32)).decode()]

    with pytest.raises(sealing.SealingError):
        services.bid_content(Bid.objects.select_related("tender").get(pk=bid.pk))


def test_a_rotated_master_key_still_opens_older_tenders(settings, django_capture_on_commit_callbacks):
    tender, bid = _bid_with_a_document(django_capture_on_commit_callbacks)
    settings.SEALING_MASTER_KEYS = [base64.b64encode(os.urandom(32)).decode(), *settings.SEALING_MASTER_KEYS]

    assert services.bid_content(Bid.objects.select_related("tender").get(pk=bid.pk))["notes"] == SECRET_NOTES


def test_sealed_content_cannot_be_moved_to_another_bid_or_altered():
    tender, [(_, user), (_, other)] = published_tender(suppliers=2)
    expensive = draft_bid(tender, user)
    cheap = draft_bid(tender, other, total_price="1.00")

    Bid.objects.filter(pk=expensive.pk).update(sealed_content=cheap.sealed_content)
    with pytest.raises(sealing.SealingError):
        services.bid_content(Bid.objects.select_related("tender").get(pk=expensive.pk))

    altered = bytearray(bytes(cheap.sealed_content))
    altered[-1] ^= 1
    Bid.objects.filter(pk=cheap.pk).update(sealed_content=bytes(altered))
    with pytest.raises(sealing.SealingError):
        services.bid_content(Bid.objects.select_related("tender").get(pk=cheap.pk))


def test_the_admin_shows_the_register_only(admin_client, django_capture_on_commit_callbacks):
    _, bid = _bid_with_a_document(django_capture_on_commit_callbacks)

    response = admin_client.get(f"/admin/tenders/bid/{bid.id}/change/")

    assert response.status_code == 200
    assert b"Zorglub" not in response.content and b"167" not in response.content.replace(b"1670", b"")


@pytest.mark.s3
def test_the_bytes_in_the_s3_bucket_are_encrypted(require_s3, settings, django_capture_on_commit_callbacks):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": require_s3.storage_options()},
    }
    _, bid = _bid_with_a_document(django_capture_on_commit_callbacks)
    document = BidDocument.objects.select_related("bid__tender").get(bid=bid)

    stored = require_s3.client().get_object(Bucket=require_s3.bucket, Key=document.file.name)["Body"].read()

    assert b"Zorglub" not in stored and len(stored) == len(MEMO) + 1 + 12 + 16
    assert services.document_content(document) == MEMO


def test_opening_without_the_master_key_records_nothing_and_says_why(settings, django_capture_on_commit_callbacks):
    import datetime as dt

    import time_machine

    from procurement.errors import Conflict
    from tenders.models import Tender, TenderStatus

    tender, bid = _bid_with_a_document(django_capture_on_commit_callbacks)
    settings.SEALING_MASTER_KEYS = [base64.b64encode(os.urandom(32)).decode()]
    with time_machine.travel(tender.bid_deadline + dt.timedelta(minutes=1)), pytest.raises(Conflict) as caught:
        services.tender_open(actor=tender.dps.created_by, tender=tender)

    assert "SEALING_MASTER_KEYS" in caught.value.detail
    assert Tender.objects.get(pk=tender.pk).status == TenderStatus.PUBLISHED
    assert Bid.objects.get(pk=bid.pk).status == "submitted"
