"""Requesting, generating (idempotent, versions, failures and retry), storing, verifying; the start-up check."""

import io
import logging
import uuid

import pytest

from procurement import checks
from procurement.documents import services, signing
from procurement.errors import InvalidTransition, NotAllowed
from procurement.models import DocumentStatus, GeneratedDocument
from procurement.tasks import generate_document

pytestmark = pytest.mark.django_db


def _stored_files(settings):
    from pathlib import Path

    root = Path(settings.MEDIA_ROOT) / "generated"
    return sorted(root.iterdir()) if root.exists() else []


def test_a_task_run_twice_makes_one_document(make_document, sample_kind, settings):
    document = make_document()
    assert document.status == DocumentStatus.READY and document.signed and len(document.sha256) == 64

    generate_document.apply(args=[str(document.id)])
    services.document_generate(document_id=document.id)

    assert GeneratedDocument.objects.count() == 1
    assert len(sample_kind["calls"]) == 1  # the second and third runs found the row done
    assert len(_stored_files(settings)) == 1
    document.refresh_from_db()
    assert document.attempts == 1


def test_a_failing_generation_is_retried_with_a_growing_delay_then_left_failed(sample_kind, monkeypatch, settings):
    """In a worker, a failure is recorded on the row and the task tries again 30 s, 60 s, 120 s… later (at most
    half the broker's visibility timeout); after the fifth retry the failure stands. A later success makes
    the one document."""
    from celery.canvas import Signature
    from celery.exceptions import Retry

    from procurement.celery import app
    from procurement.documents import registry

    task = app.tasks["procurement.tasks.generate_document"]
    assert task.max_retries == 5 and task.acks_late
    entry = registry.get(sample_kind["kind"])
    tries = []

    def broken(document):
        tries.append(document.id)
        raise ConnectionError("service des données indisponible")

    monkeypatch.setitem(registry._KINDS, entry.name, registry.Kind(name=entry.name, builder=broken,
                                                                   template=entry.template))
    document = services.document_request(kind=entry.name, object_type="test", object_id=uuid.uuid4(), key="retried")
    queued = []  # the retries sent to the broker, with their delay
    monkeypatch.setattr(Signature, "apply_async", lambda sig, *a, **kw: queued.append(sig.options.get("countdown")))
    settings.CELERY_VISIBILITY_TIMEOUT = 3600

    def run_in_worker(retries: int):
        task.push_request(id=f"attempt-{retries}", retries=retries, is_eager=False, called_directly=False,
                          args=[str(document.id)], kwargs={})
        try:
            return task.run(str(document.id))
        finally:
            task.pop_request()

    delays = []
    for retries in range(5):
        with pytest.raises(Retry) as excinfo:
            run_in_worker(retries)
        delays.append(excinfo.value.when)
        document.refresh_from_db()
        assert document.status == DocumentStatus.FAILED and "indisponible" in document.error
    assert delays == queued == [30, 60, 120, 240, 480]
    with pytest.raises(ConnectionError):  # the sixth failure is the last: nothing more is queued
        run_in_worker(5)
    assert len(queued) == 5 and len(tries) == 6

    settings.CELERY_VISIBILITY_TIMEOUT = 100  # a longer wait would have the broker hand the task out again
    with pytest.raises(Retry) as excinfo:
        run_in_worker(3)
    assert excinfo.value.when == 50

    monkeypatch.setitem(registry._KINDS, entry.name, entry)
    assert run_in_worker(1) == str(document.id)
    document.refresh_from_db()
    assert document.status == DocumentStatus.READY and document.error == "" and document.attempts == 8
    assert GeneratedDocument.objects.filter(key="retried").count() == 1


def test_a_second_run_leaves_a_claimed_row_alone(sample_kind):
    document = services.document_request(kind=sample_kind["kind"], object_type="test", object_id=uuid.uuid4(),
                                         key="claimed")
    assert services._claim(document.id)  # a worker is on it
    services.document_generate(document_id=document.id)
    assert sample_kind["calls"] == []


def test_requesting_again_returns_the_document_and_regenerating_adds_a_version(make_document):
    first = make_document(key="letter:1")
    again = make_document(key="letter:1")
    assert again.id == first.id

    second = make_document(key="letter:1", regenerate=True)
    assert second.version == 2 and second.status == DocumentStatus.READY
    first.refresh_from_db()
    assert first.status == DocumentStatus.READY and first.file.name != second.file.name  # kept, not overwritten
    assert [d.version for d in services.document_versions(second)] == [1, 2]


def test_files_are_stored_under_unguessable_keys(make_document):
    document = make_document(key="tender:secret-name")
    name = document.file.name
    assert name.startswith("generated/") and "secret" not in name and len(name) > 60


def test_a_failure_is_recorded_and_a_buyer_retries_it(make_document, sample_kind, monkeypatch, buyer,
                                                       django_capture_on_commit_callbacks):
    def broken(document):
        raise RuntimeError("données introuvables")

    original = sample_kind["kind"]
    from procurement.documents import registry

    entry = registry.get(original)
    monkeypatch.setitem(registry._KINDS, original, registry.Kind(name=original, builder=broken,
                                                                 template=entry.template))
    document = make_document()
    assert document.status == DocumentStatus.FAILED
    assert "données introuvables" in document.error and not document.file

    with pytest.raises(NotAllowed):
        services.document_retry(actor=None, document=document)

    monkeypatch.setitem(registry._KINDS, original, entry)
    with django_capture_on_commit_callbacks(execute=True):
        services.document_retry(actor=buyer, document=document)
    document.refresh_from_db()
    assert document.status == DocumentStatus.READY and document.error == "" and document.version == 1
    assert GeneratedDocument.objects.count() == 1

    with pytest.raises(InvalidTransition):
        services.document_retry(actor=buyer, document=document)


def test_verify_knows_the_documents_the_platform_issued(make_document):
    document = make_document()
    answer = services.verify(services.document_content(document))
    assert answer["issued_by_platform"] and answer["document"]["id"] == str(document.id)
    assert answer["signed"] and answer["intact"] and answer["pdfa"] == "PDF/A-3B"


def test_the_development_certificate_is_generated_on_first_use_and_logged(settings, tmp_path, caplog):
    settings.SIGNING_DEV_DIR = tmp_path / "signing"
    with caplog.at_level(logging.WARNING, logger="procurement.documents.signing"):
        name = signing.signer_name()
    assert (tmp_path / "signing" / signing.DEV_FILE).exists()
    assert "development signing certificate" in caplog.text
    assert name == signing.DEV_COMMON_NAME


def test_without_debug_a_missing_certificate_fails_the_system_check(settings):
    settings.DEBUG = False
    settings.SIGNING_CERT_FILE = ""
    settings.SIGNING_KEY_FILE = ""
    errors = checks.signing_certificate(None)
    assert [e.id for e in errors] == ["sad.E010"]

    settings.SIGNING_CERT_FILE = "/nonexistent/cert.pem"
    settings.SIGNING_KEY_FILE = "/nonexistent/key.pem"
    assert [e.id for e in checks.signing_certificate(None)] == ["sad.E010"]

    settings.DEBUG = True
    settings.SIGNING_CERT_FILE = ""
    assert checks.signing_certificate(None) == []


def test_a_configured_certificate_passes_the_check_and_signs(settings, tmp_path):
    cert, key = write_certificate(tmp_path, password=b"s3cret")
    settings.DEBUG = False
    settings.SIGNING_CERT_FILE, settings.SIGNING_KEY_FILE, settings.SIGNING_KEY_PASSWORD = str(cert), str(key), "s3cret"
    assert checks.signing_certificate(None) == []
    assert signing.signer_name() == "Cachet de test"


def write_certificate(folder, *, password: bytes | None = None):
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Cachet de test")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30)).sign(key, hashes.SHA256()))
    encryption = serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                       encryption))
    return folder / "cert.pem", folder / "key.pem"


@pytest.mark.s3
def test_s3_round_trip(make_document, require_s3):
    document = make_document()
    assert document.status == DocumentStatus.READY, document.error
    from django.core.files.storage import storages
    from storages.backends.s3 import S3Storage

    assert isinstance(storages["default"], S3Storage)
    client = require_s3.client()
    body = client.get_object(Bucket=require_s3.bucket, Key=document.file.name)["Body"].read()
    assert body == services.document_content(document)
    import hashlib

    assert hashlib.sha256(body).hexdigest() == document.sha256
    assert services.verify(io.BytesIO(body).getvalue())["issued_by_platform"]
