"""The landlord's seal on every generated PDF: PAdES B-B, or B-T when ``SIGNING_TSA_URL`` is set.

The certificate and key come from ``SIGNING_CERT_FILE`` / ``SIGNING_KEY_FILE`` (PEM or DER; the key may be
protected by ``SIGNING_KEY_PASSWORD``). Without them, and only with DEBUG on (development, tests), a
self-signed development certificate is generated on first use under ``SIGNING_DEV_DIR`` and the log says
so; with DEBUG off the system check ``sad.E010`` refuses to start (see ``procurement.checks``).

The visible signature block (signer, date, "document signé électroniquement") is part of the rendered page
(the last one, see ``templates/documents/base.html``), in the shipped DejaVu Sans font; the signature's
widget is placed over it, so that a PDF reader shows the signature when the block is clicked.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import io
import logging
import os
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

log = logging.getLogger(__name__)

FIELD_NAME = "SceauPlateforme"
DEV_FILE = "development-seal.pem"
DEV_COMMON_NAME = "Cachet de développement (non valable)"

_lock = threading.Lock()
_cache: dict[tuple, object] = {}


class SigningNotConfigured(Exception):
    pass


def outside_event_loop(function, /, *args, **kwargs):
    """Call one of pyHanko's synchronous functions (each runs ``asyncio.run``) from any thread. Where an event
    loop already runs in this thread (an ASGI server, a test driving a browser), ``asyncio.run`` refuses to
    start and the document would fail: the call then runs in a thread of its own, and this one waits."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return function(*args, **kwargs)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(function, *args, **kwargs).result()


@dataclass(frozen=True)
class SignatureInfo:
    """What a signature says of itself. A document signed twice (a contract: the holder's acceptance, then
    the buyer's signature) gets one field per signature (``field_name``), each an incremental update that
    leaves the earlier ones valid; ``reason`` and ``contact`` name the party the seal signs for."""

    reason: str = "Document émis par la plateforme"
    location: str = ""
    field_name: str = FIELD_NAME
    contact: str = ""


def configured_files() -> tuple[Path, Path] | None:
    cert, key = settings.SIGNING_CERT_FILE, settings.SIGNING_KEY_FILE
    return (Path(cert), Path(key)) if cert and key else None


def configuration_problem() -> str | None:
    """Why the configured seal cannot be used, or None (used by the system check)."""
    files = configured_files()
    if files is None:
        return "SIGNING_CERT_FILE and SIGNING_KEY_FILE are not set."
    for path in files:
        if not path.is_file():
            return f"{path} does not exist or is not a file."
    try:
        _load_configured(*files)
    except Exception as exc:  # noqa: BLE001  any reason the files cannot be read is the message
        return f"The certificate or key cannot be loaded: {exc}"
    return None


def _load_configured(cert_path: Path, key_path: Path):
    from pyhanko.sign import signers

    password = settings.SIGNING_KEY_PASSWORD.encode() if settings.SIGNING_KEY_PASSWORD else None
    signer = signers.SimpleSigner.load(str(key_path), str(cert_path), key_passphrase=password)
    if signer is None:
        raise SigningNotConfigured("pyHanko could not read the certificate or the key.")
    return signer


def development_certificate_path() -> Path:
    return Path(settings.SIGNING_DEV_DIR) / DEV_FILE


def _write_development_certificate(path: Path) -> None:
    """A self-signed RSA certificate and its key, in one PEM file written atomically (parallel workers)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "FR"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, settings.LANDLORD_NAME),
        x509.NameAttribute(NameOID.COMMON_NAME, DEV_COMMON_NAME),
    ])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .sign(key, hashes.SHA256())
    )
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()) + certificate.public_bytes(serialization.Encoding.PEM)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".seal-")
    with os.fdopen(handle, "wb") as out:
        out.write(pem)
    os.chmod(temporary, 0o600)
    os.replace(temporary, path)


def _load_development(path: Path):
    from asn1crypto import keys, x509
    from cryptography import x509 as cx509
    from cryptography.hazmat.primitives import serialization
    from pyhanko.sign import signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    pem = path.read_bytes()
    private = serialization.load_pem_private_key(pem, password=None)
    certificate = cx509.load_pem_x509_certificate(pem[pem.index(b"-----BEGIN CERTIFICATE-----"):])
    cert = x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))
    key = keys.PrivateKeyInfo.load(private.private_bytes(serialization.Encoding.DER,
                                                         serialization.PrivateFormat.PKCS8,
                                                         serialization.NoEncryption()))
    return signers.SimpleSigner(signing_cert=cert, signing_key=key,
                                cert_registry=SimpleCertificateStore.from_certs([cert]))


def get_signer():
    """The pyHanko signer of the platform's seal (loaded once per process and configuration)."""
    files = configured_files()
    cache_key = ("configured", *files) if files else ("development", str(development_certificate_path()))
    with _lock:
        if cache_key in _cache:
            return _cache[cache_key]
        if files:
            signer = _load_configured(*files)
        elif settings.DEBUG or settings.SIGNING_DEVELOPMENT_CERTIFICATE:
            path = development_certificate_path()
            if not path.exists():
                _write_development_certificate(path)
                log.warning("Generated a development signing certificate in %s (self-signed; set "
                            "SIGNING_CERT_FILE and SIGNING_KEY_FILE for real documents).", path)
            signer = _load_development(path)
        else:
            raise SigningNotConfigured("SIGNING_CERT_FILE and SIGNING_KEY_FILE must be set when DEBUG is false.")
        signer = _sealing_signer(signer)
        _cache[cache_key] = signer
        return signer


def _sealing_signer(signer):
    """The same signer, made for signing many documents in a row: its private key is parsed once (pyHanko's
    ``SimpleSigner`` parses it again for each raw signature, and parsing checks the RSA key's consistency,
    which costs more than the signature), and its signed attributes are encoded once per signature."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.hazmat.primitives.asymmetric.ec import ECDSA
    from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
    from pyhanko.sign import signers
    from pyhanko.sign.general import get_pyca_cryptography_hash

    class SealSigner(signers.SimpleSigner):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.private_key = serialization.load_der_private_key(self.signing_key.dump(), password=None)

        async def signed_attrs(self, *args, **kwargs):
            # pyHanko serialises the signed attributes several times (to sign them, to size and to write the
            # CMS); as freshly built asn1crypto values each time is a full re-encoding. Parsed back from
            # their DER once, later serialisations return the cached bytes: the same attributes, faster.
            from asn1crypto import cms

            attributes = await super().signed_attrs(*args, **kwargs)
            return cms.CMSAttributes.load(attributes.dump())

        def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
            mechanism = self.get_signature_mechanism_for_digest(digest_algorithm).signature_algo
            hash_algorithm = get_pyca_cryptography_hash(digest_algorithm)
            if mechanism == "rsassa_pkcs1v15" and isinstance(self.private_key, rsa.RSAPrivateKey):
                return self.private_key.sign(data, PKCS1v15(), hash_algorithm)
            if mechanism == "ecdsa" and isinstance(self.private_key, ec.EllipticCurvePrivateKey):
                return self.private_key.sign(data, ECDSA(hash_algorithm))
            return super().sign_raw(data, digest_algorithm)  # the other mechanisms as pyHanko does them

    return SealSigner(
        signing_cert=signer.signing_cert, signing_key=signer.signing_key, cert_registry=signer.cert_registry,
        signature_mechanism=signer.signature_mechanism, prefer_pss=signer.prefer_pss,
        embed_roots=signer.embed_roots,
    )


def signer_certificate():
    """The asn1crypto certificate of the seal (for validation against it)."""
    return get_signer().signing_cert


def signer_name(signer=None) -> str:
    return _certificate_name((signer or get_signer()).signing_cert)


@functools.lru_cache(maxsize=8)
def _certificate_name(cert) -> str:
    subject = cert.subject.native
    return subject.get("common_name") or subject.get("organization_name") or cert.subject.human_friendly


def _timestamper():
    """The authority's client, one per process and URL (it keeps the sample answer pyHanko sizes with)."""
    if not settings.SIGNING_TSA_URL:
        return None
    return _http_timestamper(settings.SIGNING_TSA_URL)


@functools.lru_cache(maxsize=4)
def _http_timestamper(url: str):
    from pyhanko.sign.timestamps import HTTPTimeStamper

    return HTTPTimeStamper(url, timeout=10)


@functools.cache
def _widget_style():
    """The signature widget lies over the block the template drew (signer, date, mention): it adds a thin
    frame and no text, so that it uses no font (PDF/A wants every font embedded, and pyHanko's text stamps
    would bring the non-embedded Courier or mis-measured TrueType widths)."""
    from dataclasses import dataclass as _dataclass

    from pyhanko.stamp import BaseStamp, BaseStampStyle

    class FrameStamp(BaseStamp):
        def _render_inner_content(self):
            return []

    @_dataclass(frozen=True)
    class FrameOnly(BaseStampStyle):
        def create_stamp(self, writer, box, text_params):
            return FrameStamp(writer=writer, style=self, box=box)

    return FrameOnly(border_width=1, background=None)


_reserved: dict[tuple, int] = {}


def sign_pdf(pdf: bytes, *, page: int = -1, box: tuple[int, int, int, int] | None = None,
             info: SignatureInfo | None = None, timestamper=None) -> bytes:
    """Seal ``pdf`` (an incremental update): PAdES B-B, or B-T with a time-stamping authority.

    pyHanko sizes the signature's placeholder by making a whole signature first (and, with an authority,
    asking it for a sample token). The size only depends on the seal and the authority, not on the
    document: it is measured by the first signature of the process (with pyHanko's margin for the
    authority's answers) and reused; should a later signature not fit, it is measured again."""
    from pyhanko.sign.general import SigningError

    info = info or SignatureInfo()
    signer = get_signer()
    timestamper = timestamper or _timestamper()
    size_key = (id(signer), None if timestamper is None else id(timestamper))
    reserved = _reserved.get(size_key)
    if reserved is not None:
        try:
            return _sign(pdf, signer, timestamper, page, box, info, reserved)
        except SigningError as exc:
            if "larger than expected" not in str(exc):
                raise
            log.warning("The signature outgrew its measured placeholder (%s); measuring it again.", exc)
    signed = _sign(pdf, signer, timestamper, page, box, info, None)
    _reserved[size_key] = _placeholder_size(signed)
    return signed


def _sign(pdf, signer, timestamper, page, box, info, reserved) -> bytes:
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from pyhanko.sign.fields import SigSeedSubFilter

    meta = signers.PdfSignatureMetadata(
        field_name=info.field_name, md_algorithm="sha256", subfilter=SigSeedSubFilter.PADES,
        reason=info.reason, location=info.location or None, name=signer_name(signer),
        contact_info=info.contact or None, use_pades_lta=False, embed_validation_info=False,
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    pdf_signer = signers.PdfSigner(
        meta, signer=signer, timestamper=timestamper, stamp_style=_widget_style(),
        new_field_spec=fields.SigFieldSpec(info.field_name, on_page=page, box=box or (340, 80, 560, 160)),
    )
    out = io.BytesIO()
    outside_event_loop(pdf_signer.sign_pdf, writer, output=out, bytes_reserved=reserved)
    return out.getvalue()


def _placeholder_size(signed: bytes) -> int:
    """The hexadecimal digits pyHanko reserved for the last signature of ``signed``."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    signature = PdfFileReader(io.BytesIO(signed), strict=False).embedded_signatures[-1]
    return 2 * len(signature.sig_object.raw_get("/Contents"))
