"""PAdES B-T: with SIGNING_TSA_URL set, the seal asks that time-stamping authority (RFC 3161 over HTTP) and the
signature carries its token. The authority here is pyHanko's dummy time stamper served on loopback, with a
certificate of its own for time stamping."""

from __future__ import annotations

import datetime as dt
import http.server
import io
import threading

import pytest
from asn1crypto import tsp
from asn1crypto import x509 as asn1_x509

from procurement.documents import services, signing, verification
from procurement.models import DocumentStatus

pytestmark = pytest.mark.django_db

STAMPED_AT = dt.datetime(2026, 3, 2, 9, 30, 15, tzinfo=dt.UTC)


def _tsa_certificate():
    """A self-signed time-stamping certificate (extended key usage timeStamping, critical) and its key."""
    from asn1crypto import keys
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Horodatage de test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(min(now, STAMPED_AT) - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .sign(key, hashes.SHA256())
    )
    return (
        asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER)),
        keys.PrivateKeyInfo.load(
            key.private_bytes(
                serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        ),
    )


class _TsaHandler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802  (http.server's naming)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.queries.append(self.headers.get("Content-Type"))
        answer = self.server.stamper.request_tsa_response(tsp.TimeStampReq.load(body)).dump()
        self.send_response(200)
        self.send_header("Content-Type", "application/timestamp-reply")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


@pytest.fixture
def tsa():
    """An RFC 3161 time-stamping authority on a free loopback port; ``.url``, ``.cert``, ``.queries``."""
    from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

    cert, key = _tsa_certificate()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _TsaHandler)
    server.stamper = DummyTimeStamper(tsa_cert=cert, tsa_key=key, fixed_dt=STAMPED_AT)
    server.queries = []
    server.cert = cert
    server.url = f"http://127.0.0.1:{server.server_address[1]}/tsa"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _validate(pdf: bytes, tsa_cert):
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    [embedded] = PdfFileReader(io.BytesIO(pdf), strict=False).embedded_regular_signatures
    seal = ValidationContext(trust_roots=[signing.signer_certificate()], allow_fetching=False)
    stamps = ValidationContext(trust_roots=[tsa_cert], allow_fetching=False)
    return embedded, validate_pdf_signature(
        embedded, signer_validation_context=seal, ts_validation_context=stamps
    )


def test_with_a_tsa_url_the_generated_document_is_pades_b_t(settings, tsa, make_document):
    settings.SIGNING_TSA_URL = tsa.url

    document = make_document()

    assert document.status == DocumentStatus.READY, document.error
    # The seal asked the authority over HTTP (pyHanko asks once more to size the signature's placeholder).
    assert tsa.queries and set(tsa.queries) == {"application/timestamp-query"}
    pdf = services.document_content(document)
    embedded, status = _validate(pdf, tsa.cert)
    # The token sits in the signature's unsigned attributes, over the signature value.
    attributes = embedded.signer_info["unsigned_attrs"].native
    assert [a["type"] for a in attributes] == ["signature_time_stamp_token"]
    assert status.intact and status.valid and status.trusted
    stamp = status.timestamp_validity
    assert stamp is not None and stamp.intact and stamp.valid and stamp.trusted
    assert stamp.timestamp == STAMPED_AT
    assert "Horodatage de test" in stamp.signing_cert.subject.human_friendly
    # The platform's own verification reads the time of the token, not the signer's clock.
    result = verification.verify_pdf(pdf, trust_roots=[signing.signer_certificate()])
    assert result.intact and result.valid and result.signed_at == STAMPED_AT.isoformat()


def test_without_a_tsa_url_the_signature_has_no_token(settings, tsa, make_document):
    settings.SIGNING_TSA_URL = ""

    document = make_document()

    embedded, status = _validate(services.document_content(document), tsa.cert)
    assert tsa.queries == []
    assert status.intact and status.valid and status.timestamp_validity is None
    assert not embedded.signer_info["unsigned_attrs"].native


def test_an_authority_that_does_not_answer_fails_the_generation_with_the_reason(settings, make_document):
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        settings.SIGNING_TSA_URL = f"http://127.0.0.1:{sock.getsockname()[1]}/tsa"

    document = make_document()

    assert document.status == DocumentStatus.FAILED and not document.file
    assert document.error  # recorded on the row: the buyer sees it and may retry
