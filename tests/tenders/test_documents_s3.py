"""Generated documents on the S3 server: a tender's real letter and receipt are stored in the bucket under an
unguessable key, read back byte for byte with the SHA-256 recorded, and a regeneration is a new object, the
older version kept as it was."""

import hashlib
import re

import pytest
from django.core.files.storage import storages

from procurement.documents import services as document_services
from procurement.models import DocumentKind, DocumentStatus, GeneratedDocument
from tests.factories import awarded_tender

pytestmark = [pytest.mark.s3, pytest.mark.django_db]

KEY = re.compile(r"^generated/[0-9a-f]{64}\.pdf$")


@pytest.fixture
def s3_storage(require_s3, settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": require_s3.storage_options()},
    }
    return require_s3


@pytest.fixture
def awarded(s3_storage, django_capture_on_commit_callbacks):
    """An awarded tender of two bids, every document generated in-process (receipts, letters, report)."""
    with django_capture_on_commit_callbacks(execute=True):
        return awarded_tender(("150000.00", "160000.00"))


def _object(s3, name: str) -> bytes:
    return s3.client().get_object(Bucket=s3.bucket, Key=name)["Body"].read()


def _names_of(ot) -> list[str]:
    """What a key must not reveal: the tender, the companies, the bids."""
    names = [ot.tender.reference, str(ot.tender.id), str(ot.tender.id.hex)]
    for bid in ot.bids:
        names += [str(bid.id), bid.id.hex, str(bid.company_id), bid.company_id.hex, bid.company.name]
    return names


def test_a_rejection_letter_round_trips_through_the_bucket_and_a_new_version_keeps_the_old_one(
    awarded, s3_storage, django_capture_on_commit_callbacks
):
    from storages.backends.s3 import S3Storage

    assert isinstance(storages["default"], S3Storage)
    [letter] = GeneratedDocument.objects.filter(kind=DocumentKind.REJECTION_LETTER)
    assert letter.status == DocumentStatus.READY, letter.error
    assert not letter.sealed

    stored = _object(s3_storage, letter.file.name)
    assert stored == document_services.document_content(letter)
    assert stored.startswith(b"%PDF-") and hashlib.sha256(stored).hexdigest() == letter.sha256
    assert len(stored) == letter.size
    assert document_services.verify(stored)["issued_by_platform"]
    # The key: 256 random bits, nothing of the tender, the company, the bid or the kind.
    assert KEY.match(letter.file.name), letter.file.name
    assert not any(
        name.lower() in letter.file.name.lower() for name in _names_of(awarded) + ["rejection", "lettre"]
    )

    with django_capture_on_commit_callbacks(execute=True):
        second = document_services.document_request(
            kind=letter.kind,
            object_type=letter.object_type,
            object_id=letter.object_id,
            company_id=letter.company_id,
            key=letter.key,
            params=letter.params,
            regenerate=True,
        )
    second.refresh_from_db()
    assert (second.version, second.status) == (2, DocumentStatus.READY), second.error
    assert KEY.match(second.file.name) and second.file.name != letter.file.name
    assert hashlib.sha256(_object(s3_storage, second.file.name)).hexdigest() == second.sha256
    assert second.sha256 != letter.sha256  # a new seal, a new time
    # The first version is still there, unchanged.
    assert _object(s3_storage, letter.file.name) == stored
    assert [d.version for d in document_services.document_versions(second)] == [1, 2]


def test_a_receipt_is_stored_encrypted_in_the_bucket_and_read_back_decrypted(awarded, s3_storage):
    receipt = GeneratedDocument.objects.filter(
        kind=DocumentKind.RECEIPT, company_id=awarded.bids[1].company_id
    ).get()
    assert receipt.status == DocumentStatus.READY and receipt.sealed, receipt.error

    stored = _object(s3_storage, receipt.file.name)
    pdf = document_services.document_content(receipt)
    assert not stored.startswith(b"%PDF-") and stored != pdf  # the bucket holds ciphertext only
    assert pdf.startswith(b"%PDF-") and hashlib.sha256(pdf).hexdigest() == receipt.sha256
    assert KEY.match(receipt.file.name)
    assert not any(name.lower() in receipt.file.name.lower() for name in _names_of(awarded) + ["receipt"])
