"""Evidence: type sniffed from the bytes, size limit, SHA-256, unguessable storage name, validity."""

import datetime as dt
import hashlib
import io
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image

from procurement.errors import NotAllowed, ValidationFailed
from procurement.models import EvidenceKind
from suppliers.models import EvidenceDocument
from suppliers.services import evidence_upload
from tests.factories import TINY_PDF, CompanyFactory, UserFactory, company_owner

pytestmark = pytest.mark.django_db
PARIS = ZoneInfo("Europe/Paris")


def upload(company, content, name="attestation.pdf", kind=EvidenceKind.KBIS, **extra):
    kwargs = {"issued_on": timezone.localdate() - dt.timedelta(days=3), "valid_until": None}
    kwargs.update(extra)
    return evidence_upload(actor=company_owner(company), company=company, kind=kind,
                           uploaded_file=ContentFile(content, name=name), **kwargs)


def image_bytes(fmt):
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buffer, format=fmt)
    return buffer.getvalue()


def test_pdf_is_accepted_and_fingerprinted():
    company = CompanyFactory()
    document = upload(company, TINY_PDF)

    assert document.content_type == "application/pdf"
    assert document.sha256 == hashlib.sha256(TINY_PDF).hexdigest()
    assert document.size == len(TINY_PDF)
    document.file.open("rb")
    assert document.file.read() == TINY_PDF


@pytest.mark.parametrize(("fmt", "content_type"), [("PNG", "image/png"), ("JPEG", "image/jpeg")])
def test_images_are_recognised_by_their_bytes_whatever_their_name(fmt, content_type):
    content = image_bytes(fmt)
    document = upload(CompanyFactory(), content, name="scan.pdf")
    assert document.content_type == content_type
    assert document.sha256 == hashlib.sha256(content).hexdigest()


def test_text_file_named_pdf_is_refused():
    company = CompanyFactory()
    with pytest.raises(ValidationFailed) as exc:
        upload(company, b"Bonjour, voici mon attestation.\n", name="x.pdf")
    assert "file" in exc.value.errors
    assert not EvidenceDocument.objects.exists()


def test_truncated_pdf_is_refused():
    with pytest.raises(ValidationFailed) as exc:
        upload(CompanyFactory(), TINY_PDF[: len(TINY_PDF) // 2])
    assert "endommagé" in exc.value.errors["file"][0]


def test_corrupted_image_is_refused():
    with pytest.raises(ValidationFailed):
        upload(CompanyFactory(), image_bytes("PNG")[:30], name="scan.png")


def test_empty_file_is_refused():
    with pytest.raises(ValidationFailed):
        upload(CompanyFactory(), b"")


def test_size_limit(settings):
    settings.EVIDENCE_MAX_UPLOAD_BYTES = 1024
    company = CompanyFactory()
    big = TINY_PDF[:-6] + b" " * 2000 + b"\n%%EOF\n"
    with pytest.raises(ValidationFailed) as exc:
        upload(company, big)
    assert "taille maximale" in exc.value.errors["file"][0]
    assert upload(company, TINY_PDF)  # under the limit: accepted


def test_default_limit_is_20_mb(settings):
    from django.conf import settings as live

    assert live.EVIDENCE_MAX_UPLOAD_BYTES == 20 * 1024 * 1024


def test_stored_name_is_unguessable_and_original_name_kept():
    company = CompanyFactory()
    document = upload(company, TINY_PDF, name="URSSAF mars 2026.pdf")

    assert document.filename == "URSSAF_mars_2026.pdf"
    stored = document.file.name
    # Random, with the extension of the type read from the bytes only.
    assert "URSSAF" not in stored and "mars" not in stored and stored.endswith(".pdf")
    assert stored.startswith(f"evidence/{company.id}/")
    assert len(stored.rsplit("/", 1)[1].removesuffix(".pdf")) == 32
    other = upload(company, TINY_PDF, name="URSSAF mars 2026.pdf")
    assert other.file.name != stored


@pytest.mark.parametrize(("issued", "expected"), [
    (dt.date(2026, 4, 2), dt.date(2026, 10, 2)),
    (dt.date(2026, 3, 31), dt.date(2026, 9, 30)),  # no 31 September: end of month
])
def test_urssaf_vigilance_is_valid_six_months_by_default(issued, expected):
    with time_machine.travel(dt.datetime(2026, 4, 10, 10, tzinfo=PARIS), tick=False):
        document = upload(CompanyFactory(), TINY_PDF, kind=EvidenceKind.URSSAF_VIGILANCE, issued_on=issued)
    assert document.valid_until == expected


def test_urssaf_explicit_expiry_wins():
    issued = timezone.localdate() - dt.timedelta(days=5)
    document = upload(CompanyFactory(), TINY_PDF, kind=EvidenceKind.URSSAF_VIGILANCE, issued_on=issued,
                      valid_until=issued + dt.timedelta(days=90))
    assert document.valid_until == issued + dt.timedelta(days=90)


def test_other_kinds_have_no_default_expiry():
    assert upload(CompanyFactory(), TINY_PDF, kind=EvidenceKind.REFERENCES).valid_until is None


def test_dates_are_checked():
    company = CompanyFactory()
    today = timezone.localdate()
    with pytest.raises(ValidationFailed) as exc:
        upload(company, TINY_PDF, issued_on=today + dt.timedelta(days=1))
    assert "issued_on" in exc.value.errors
    with pytest.raises(ValidationFailed) as exc:
        upload(company, TINY_PDF, issued_on=today - dt.timedelta(days=10), valid_until=today - dt.timedelta(days=20))
    assert "valid_until" in exc.value.errors
    with pytest.raises(ValidationFailed) as exc:
        upload(company, TINY_PDF, issued_on=None)
    assert "issued_on" in exc.value.errors
    with pytest.raises(ValidationFailed) as exc:
        upload(company, TINY_PDF, kind="passport")
    assert "kind" in exc.value.errors


def test_status_valid_expiring_expired():
    today = timezone.localdate()
    document = upload(CompanyFactory(), TINY_PDF, valid_until=today + dt.timedelta(days=31))
    assert document.status_on(today) == "valid"
    assert document.status_on(today + dt.timedelta(days=1)) == "expiring"
    assert document.status_on(today + dt.timedelta(days=31)) == "expiring"
    assert document.status_on(today + dt.timedelta(days=32)) == "expired"


def test_only_members_may_upload():
    company = CompanyFactory()
    with pytest.raises(NotAllowed):
        evidence_upload(actor=UserFactory(), company=company, kind="kbis",
                        uploaded_file=ContentFile(TINY_PDF, name="k.pdf"), issued_on=timezone.localdate())


# --- the activities an insurance covers -------------------------------------------------------------------


def test_an_insurance_states_the_trades_it_covers_from_a_list_or_a_comma_separated_text():
    from procurement.models import Trade

    company = CompanyFactory()
    document = upload(company, TINY_PDF, kind=EvidenceKind.DECENNIAL_INSURANCE,
                      activities=["windows, external_wall_insulation", "windows"])
    # Each once, in the order of the trades.
    assert document.activities == [Trade.EXTERNAL_WALL_INSULATION, Trade.WINDOWS]
    assert document.activity_labels == ["Isolation thermique par l'extérieur", "Menuiseries extérieures"]


def test_unknown_trades_and_activities_on_another_kind_are_refused():
    company = CompanyFactory()
    with pytest.raises(ValidationFailed) as refused:
        upload(company, TINY_PDF, kind=EvidenceKind.LIABILITY_INSURANCE, activities="masonry")
    assert "masonry" in refused.value.errors["activities"][0]
    with pytest.raises(ValidationFailed) as refused:
        upload(company, TINY_PDF, kind=EvidenceKind.KBIS, activities=["windows"])
    assert "activities" in refused.value.errors
