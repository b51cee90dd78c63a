"""Every write on generated documents: request one, generate it (the task's body), retry it; read it back.

- ``document_request`` records the row (``pending``) and queues its generation after commit. It is
  idempotent by ``key``: asking again returns the existing document; ``regenerate=True`` makes a new
  version, the older ones are kept.
- ``document_generate`` claims the row with a conditional update (a second run of the task, or a second
  worker, finds nothing to do), renders and seals the PDF outside any row lock, stores it under an
  unguessable key, and marks the row ``ready``, or ``failed`` with the error.
- ``document_retry`` (buyer) puts a failed document back in the queue.
- ``document_deliver`` mails a ready document to the people it is addressed to (once per version and person).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import logging
import secrets

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import F, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from procurement.errors import InvalidTransition
from procurement.models import DocumentKind, DocumentStatus, GeneratedDocument, generated_document_upload_to
from procurement.notifications import attaches, notify
from procurement.permissions import BUYER, require_role

from . import registry, rendering, signing, verification

log = logging.getLogger(__name__)

# A claim older than this belongs to a worker that died: another run may take the row over.
STALE_CLAIM = dt.timedelta(minutes=10)
MAX_ERROR = 2000


def document_request(*, kind: str, object_type: str, object_id, key: str, company_id=None, params: dict | None = None,
                     actor=None, regenerate: bool = False) -> GeneratedDocument:
    """The document for ``key`` (created and queued when there is none, or a new version with ``regenerate``)."""
    registry.get(kind)  # an unknown kind fails here, in the caller's transaction, not later in a worker
    for _attempt in range(3):
        latest = GeneratedDocument.objects.filter(key=key).order_by("-version").first()
        if latest is not None and not regenerate:
            return latest
        version = (latest.version + 1) if latest else 1
        try:
            with transaction.atomic():
                document = GeneratedDocument.objects.create(
                    kind=kind, object_type=object_type, object_id=object_id, company_id=company_id, key=key,
                    version=version, params=params or {}, requested_by=actor if actor and actor.pk else None)
        except IntegrityError:  # another request made this version at the same moment: take it
            continue
        queue_generation(document.id)
        return document
    return GeneratedDocument.objects.filter(key=key).order_by("-version").first()


def queue_generation(document_id) -> None:
    """Queue the generation after the current transaction commits (at once outside one)."""
    transaction.on_commit(lambda: _send(document_id))


def _send(document_id) -> None:
    from procurement.tasks import generate_document

    try:
        generate_document.delay(str(document_id))
    except Exception:  # broker down: the row stays pending, the buyer sees it and may retry
        log.exception("Generation of document %s could not be queued", document_id)


def _metadata(document: GeneratedDocument) -> dict:
    return {"id": str(document.id), "kind": document.kind, "title": str(DocumentKind(document.kind).label),
            "reference": document.reference, "version": document.version}


def _claim(document_id) -> str | None:
    token = secrets.token_hex(16)
    now = timezone.now()
    claimed = (
        GeneratedDocument.objects.filter(pk=document_id, status__in=[DocumentStatus.PENDING, DocumentStatus.FAILED])
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - STALE_CLAIM))
        .update(claim=token, claimed_at=now, attempts=F("attempts") + 1)
    )
    return token if claimed else None


def build_pdf(document: GeneratedDocument) -> tuple[bytes, dict]:
    """Build the data, render the PDF/A and seal it: (signed PDF bytes, data)."""
    entry = registry.get(document.kind)
    data = json.loads(rendering.canonical_json(entry.builder(document)))
    seal = {"signer": signing.signer_name(), "at": timezone.now(),
            "verify_url": f"{settings.SITE_URL}/api/v1/documents/verify/"}
    rendered = rendering.render(entry.template, data=data, document=_metadata(document), seal=seal)
    title = str(DocumentKind(document.kind).label)
    wanted = (entry.signatures(document, data) if entry.signatures else None) or [
        registry.Signature(field=signing.FIELD_NAME, anchor=rendering.SIGNATURE_ANCHOR,
                           reason=f"{title} {document.reference}")]
    pdf = rendered.pdf
    for wanted_signature in wanted:  # each one an incremental update: the earlier ones stay valid
        page, box = rendered.place(wanted_signature.anchor)
        pdf = signing.sign_pdf(pdf, page=page, box=box, info=signing.SignatureInfo(
            reason=wanted_signature.reason, location=settings.LANDLORD_NAME, field_name=wanted_signature.field,
            contact=wanted_signature.contact))
    return pdf, data


def document_generate(*, document_id) -> GeneratedDocument | None:
    """Generate a claimed document; a no-op for a document that is ready or being generated elsewhere."""
    token = _claim(document_id)
    if token is None:
        return GeneratedDocument.objects.filter(pk=document_id).first()
    document = GeneratedDocument.objects.get(pk=document_id)
    entry = registry.get(document.kind)
    stored_name = None
    try:
        pdf, data = build_pdf(document)
        stored = entry.sealer.seal(document, pdf, part="file") if entry.sealer else pdf
        if entry.sealer:
            sealed_data = entry.sealer.seal(document, rendering.canonical_json(data), part="data")
            data = {"sealed": base64.b64encode(sealed_data).decode()}
        stored_name = default_storage.save(generated_document_upload_to(document, "document.pdf"),
                                           ContentFile(stored))
    except Exception as exc:
        if stored_name:
            default_storage.delete(stored_name)
        GeneratedDocument.objects.filter(pk=document_id, claim=token).update(
            status=DocumentStatus.FAILED, error=f"{type(exc).__name__}: {exc}"[:MAX_ERROR], claim="", claimed_at=None)
        raise
    done = GeneratedDocument.objects.filter(pk=document_id, claim=token).update(
        status=DocumentStatus.READY, file=stored_name, sha256=hashlib.sha256(pdf).hexdigest(), size=len(pdf),
        signed=True, sealed=bool(entry.sealer), data=data, error="", claim="", claimed_at=None,
        generated_at=timezone.now())
    if not done:  # our claim went stale and another run took the row over: keep its file, drop ours
        default_storage.delete(stored_name)
        return GeneratedDocument.objects.get(pk=document_id)
    document = GeneratedDocument.objects.get(pk=document_id)
    try:
        document_deliver(document)
    except Exception:  # the document stands; the mail can be sent again with document_deliver
        log.exception("Document %s could not be mailed", document_id)
    return document


def document_deliver(document: GeneratedDocument) -> int:
    """Mail a ready document to its recipients (the kind's ``delivery``); a second call sends nothing new."""
    entry = registry.get(document.kind)
    if entry.delivery is None or document.status != DocumentStatus.READY:
        return 0
    delivery = entry.delivery(document)
    if delivery is None:
        return 0
    context = {"title": str(DocumentKind(document.kind).label), "document": document, "about": delivery.about,
               "url": delivery.url, "attached": attaches(document), "landlord": settings.LANDLORD_NAME}
    sent = 0
    with transaction.atomic():
        for email in dict.fromkeys(delivery.to):
            sent += notify(key=f"document:{document.id}:{email}", to=email, template="document_issued",
                           context=context, attachment=document) is not None
    return sent


def document_retry(*, actor, document: GeneratedDocument) -> GeneratedDocument:
    """Queue a failed document again (buyer)."""
    require_role(actor, BUYER)
    with transaction.atomic():
        updated = GeneratedDocument.objects.filter(pk=document.pk, status=DocumentStatus.FAILED).update(
            status=DocumentStatus.PENDING, claim="", claimed_at=None)
        document.refresh_from_db()
        if not updated:  # the row's status said no (the same rule as GeneratedDocument.can_retry)
            raise InvalidTransition(_("Seul un document dont la génération a échoué peut être relancé."),
                                    state=document.status, allowed_transitions=[])
        queue_generation(document.id)
    return document


def document_versions(document: GeneratedDocument):
    """Every version of the same document (same key), oldest first."""
    return GeneratedDocument.objects.filter(key=document.key).order_by("version")


def latest_version(key: str) -> int:
    return GeneratedDocument.objects.filter(key=key).aggregate(v=Max("version"))["v"] or 0


def document_content(document: GeneratedDocument) -> bytes:
    """The PDF as delivered (decrypted for a sealed document). The caller checked who may read it."""
    if document.status != DocumentStatus.READY or not document.file:
        raise FileNotFoundError("The document is not generated yet.")
    with document.file.open("rb") as handle:
        stored = handle.read()
    if document.sealed:
        stored = registry.get(document.kind).sealer.unseal(document, stored, part="file")
    return stored


def document_data(document: GeneratedDocument) -> dict:
    """The structured data of a document (decrypted for a sealed one)."""
    if document.sealed and "sealed" in (document.data or {}):
        raw = registry.get(document.kind).sealer.unseal(document, base64.b64decode(document.data["sealed"]),
                                                        part="data")
        return json.loads(raw)
    return document.data


def verify(data: bytes) -> dict:
    """The public verification of a PDF: raises ``verification.NotAPdf`` for bytes that are not one."""
    try:
        roots = [signing.signer_certificate()]
    except signing.SigningNotConfigured:
        roots = []
    result = verification.verify_pdf(data, trust_roots=roots)
    issued = GeneratedDocument.objects.filter(sha256=result.sha256, status=DocumentStatus.READY).first()
    answer = {"signed": result.signed, "intact": result.intact, "signer": result.signer,
              "signed_at": result.signed_at, "pdfa": result.pdfa, "issued_by_platform": issued is not None,
              "valid": result.valid, "platform_seal": result.platform_seal, "sha256": result.sha256,
              "detail": result.detail, "signatures": result.signatures}
    if issued is not None:
        answer["document"] = {"id": str(issued.id), "kind": issued.kind, "reference": issued.reference,
                              "version": issued.version, "created_at": issued.created_at.isoformat()}
    return answer
