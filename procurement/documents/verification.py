"""What a PDF says about itself: is it signed, unchanged since, by whom, when, and does it claim PDF/A.

``intact`` is strict: every signature's digest matches, and the last signature covers the whole file, so
that one changed byte, or anything appended after signing (a page added by an incremental update, an
annotation), makes the document "not intact". Whether the platform issued it is asked of the database by
``procurement.documents.services.verify`` (its SHA-256 is one the platform stored).
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
from dataclasses import asdict, dataclass, field

log = logging.getLogger(__name__)

_XMP_PART = re.compile(rb"pdfaid:part(?:\s*=\s*[\"']|>)\s*(\d)")
_XMP_CONFORMANCE = re.compile(rb"pdfaid:conformance(?:\s*=\s*[\"']|>)\s*([A-Za-z])")


class NotAPdf(ValueError):
    """The bytes are not a PDF at all (no header)."""


@dataclass
class Verification:
    sha256: str
    signed: bool = False
    intact: bool = False
    # The signature's cryptography holds and it was made with the platform's seal.
    valid: bool = False
    platform_seal: bool = False
    # signer and signed_at: those of the last signature (the one covering the whole file).
    signer: str | None = None
    signed_at: str | None = None
    # Every signature, oldest first: {field, signer, signed_at, reason, contact, intact, valid, platform_seal}
    # (a contract carries two: the holder's acceptance, then the buyer's signature).
    signatures: list = field(default_factory=list)
    pdfa: str | None = None
    detail: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


def is_pdf(data: bytes) -> bool:
    return b"%PDF-" in data[:1024]


def pdfa_claim(xmp: bytes | None) -> str | None:
    """``PDF/A-3B`` from the XMP packet's pdfaid:part and pdfaid:conformance, or None."""
    if not xmp:
        return None
    part = _XMP_PART.search(xmp)
    if not part:
        return None
    conformance = _XMP_CONFORMANCE.search(xmp)
    return f"PDF/A-{part.group(1).decode()}{conformance.group(1).decode().upper() if conformance else ''}"


def _subject_name(cert) -> str:
    subject = cert.subject.native
    return subject.get("common_name") or subject.get("organization_name") or cert.subject.human_friendly


def verify_pdf(data: bytes, *, trust_roots=()) -> Verification:
    """Check ``data``; raise ``NotAPdf`` for bytes that are not a PDF. Never raises for a damaged PDF."""
    if not is_pdf(data):
        raise NotAPdf("Le fichier n'est pas un PDF.")
    result = Verification(sha256=hashlib.sha256(data).hexdigest())
    try:
        from pyhanko.pdf_utils.reader import PdfFileReader

        reader = PdfFileReader(io.BytesIO(data), strict=False)
        signatures = list(reader.embedded_regular_signatures)
        try:
            metadata = reader.root.get("/Metadata")
            result.pdfa = pdfa_claim(metadata.get_object().data if metadata is not None else None)
        except Exception:  # noqa: BLE001  an unreadable XMP packet is no claim
            result.pdfa = None
    except Exception as exc:  # noqa: BLE001  a damaged file is an answer, not an error
        log.info("Unreadable PDF submitted for verification: %s", exc)
        result.signed = b"/ByteRange" in data
        result.detail = "Le PDF est endommagé ou illisible : il ne peut pas être intact."
        return result
    if not signatures:
        result.detail = "Le document ne porte aucune signature électronique."
        return result
    result.signed = True
    try:
        _check_signatures(result, signatures, list(trust_roots), file_size=len(data))
    except Exception as exc:  # noqa: BLE001
        log.info("Signature check failed: %s", exc)
        result.intact = result.valid = False
        result.detail = "La signature ne peut pas être vérifiée : le document a été modifié ou est endommagé."
    return result


def _check_signatures(result: Verification, signatures, trust_roots, *, file_size: int) -> None:
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    from .signing import outside_event_loop

    intact, valid = True, True
    last = signatures[-1]
    for embedded in signatures:
        context = ValidationContext(trust_roots=trust_roots, allow_fetching=False) if trust_roots else None
        status = outside_event_loop(validate_pdf_signature, embedded, signer_validation_context=context)
        # The last signature must cover the whole file; an earlier one, its revision, with nothing but
        # signing and form filling after it.
        this_intact = bool(status.intact) and (status.coverage == SignatureCoverageLevel.ENTIRE_FILE
                                               if embedded is last else status.docmdp_ok is not False)
        platform_seal = any(status.signing_cert.dump() == root.dump() for root in trust_roots)
        moment = None
        if status.timestamp_validity is not None:
            moment = status.timestamp_validity.timestamp
        moment = moment or status.signer_reported_dt
        intact = intact and this_intact
        valid = valid and bool(status.intact and status.valid)
        result.signatures.append({
            "field": embedded.field_name, "signer": _subject_name(status.signing_cert),
            "signed_at": moment.isoformat() if moment else None, "reason": _text(embedded, "/Reason"),
            "contact": _text(embedded, "/ContactInfo"), "intact": this_intact,
            "valid": this_intact and bool(status.valid) and platform_seal, "platform_seal": platform_seal})
        if embedded is last:
            result.signer = result.signatures[-1]["signer"]
            result.signed_at = result.signatures[-1]["signed_at"]
            result.platform_seal = platform_seal
    result.intact = intact
    result.valid = valid and all(s["platform_seal"] for s in result.signatures)
    if not intact:
        result.detail = "Le document a été modifié après sa signature."
    elif not result.platform_seal:
        result.detail = "Signature intacte, mais pas du cachet de la plateforme."
    elif len(result.signatures) > 1:
        result.detail = (f"{len(result.signatures)} signatures valides du cachet de la plateforme ; "
                         "document intact.")
    else:
        result.detail = "Signature valide du cachet de la plateforme ; document intact."


def _text(embedded, key: str) -> str:
    value = embedded.sig_object.get(key)
    return str(value) if value is not None else ""
