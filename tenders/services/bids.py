"""Sealed bids: drafts, documents, the deposit at the exact time of receipt (late bids kept, R2151-5), withdrawal."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Prefetch, Q, prefetch_related_objects
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from procurement import audit, clock, inputs
from procurement.errors import Conflict, InvalidTransition, NotAllowed, ValidationFailed
from procurement.notifications import notify_many
from procurement.workflow import allowed_actions, apply_transition, check_allowed
from suppliers.evidence_files import check_upload
from suppliers.models import Company, Membership
from suppliers.services import require_member

from .. import documents as generated_documents
from .. import sealing
from ..models import (
    Bid,
    BidDocument,
    BidDocumentKind,
    BidStatus,
    Tender,
    TenderStatus,
)
from .inputs import CENT, MAX_TEXT, money, when
from .questions import invited_company


def bid_content(bid: Bid) -> dict:
    """The unsealed content of a bid. Callers decide who may see it (see tenders.selectors)."""
    return sealing.unseal_json(bid.tender, bid.sealed_content, purpose="bid", object_id=bid.id)


def document_name(document: BidDocument) -> str:
    return sealing.unseal(document.bid.tender, document.sealed_name, purpose="bid-document-name",
                          object_id=document.id).decode()


def _clean_bid(data: dict, tender: Tender, current: dict) -> dict:
    errors: dict[str, list[str]] = {}
    content = dict(current)
    if "total_price" in data:
        total = inputs.decimal(data.get("total_price"), "total_price", errors, required=False)
        content["total_price"] = str(total) if total is not None else None
    if "duration_weeks" in data:
        content["duration_weeks"] = inputs.integer(data.get("duration_weeks"), "duration_weeks", errors,
                                             required=False, maximum=520)
    if "notes" in data:
        content["notes"] = inputs.text(data.get("notes"), "notes", errors, required=False, max_length=MAX_TEXT)
    if "lines" in data:
        known = {line.ref for line in tender.price_lines.all()}
        prices = {}
        items = data.get("lines") or []
        if not isinstance(items, list):
            errors["lines"] = [_("Liste de lignes attendue.")]
            items = []
        for index, item in enumerate(items):
            ref = str((item or {}).get("ref", "")).strip() if isinstance(item, dict) else ""
            sub: dict[str, list[str]] = {}
            if ref not in known:
                sub["ref"] = [_("La ligne « %(ref)s » n'existe pas dans le bordereau de ce marché.") % {"ref": ref}]
            elif ref in prices:
                sub["ref"] = [_("La ligne « %(ref)s » est chiffrée deux fois.") % {"ref": ref}]
            price = inputs.decimal(item.get("unit_price") if isinstance(item, dict) else None, "unit_price", sub,
                             required=False)
            for key, msgs in sub.items():
                errors.setdefault(f"lines[{index}].{key}", []).extend(msgs)
            if not sub:
                prices[ref] = str(price) if price is not None else None
        content["lines"] = [{"ref": line.ref, "unit_price": prices.get(line.ref)} for line in tender.price_lines.all()
                            if line.ref in prices]
    if errors:
        raise ValidationFailed(errors)
    return content


def priced_schedule(tender: Tender, content: dict) -> tuple[list[dict], Decimal]:
    """The tender's schedule with the bid's unit prices and the computed line amounts, and their sum."""
    prices = {line["ref"]: line.get("unit_price") for line in content.get("lines") or []}
    rows, total = [], Decimal("0")
    for line in tender.price_lines.all():
        unit_price = prices.get(line.ref)
        amount = None
        if unit_price not in (None, ""):
            amount = (line.quantity * Decimal(unit_price)).quantize(CENT, rounding=ROUND_HALF_UP)
            total += amount
        rows.append({"ref": line.ref, "label": line.label, "unit": line.unit, "quantity": line.quantity,
                     "unit_price": Decimal(unit_price) if unit_price not in (None, "") else None, "amount": amount})
    return rows, total


def submission_problems(tender: Tender, content: dict) -> dict[str, list[str]]:
    """What stops a bid from being submitted: missing figures, unpriced lines, a total that is not their sum."""
    errors: dict[str, list[str]] = {}
    if content.get("total_price") in (None, ""):
        errors["total_price"] = [_("Indiquez le prix total de l'offre (HT).")]
    if not content.get("duration_weeks"):
        errors["duration_weeks"] = [_("Indiquez la durée des travaux proposée (en semaines).")]
    rows, total = priced_schedule(tender, content)
    missing = [row for row in rows if row["unit_price"] is None]
    for row in missing:
        errors[f"lines.{row['ref']}"] = [
            _("Ligne %(ref)s « %(label)s » : prix unitaire manquant.") % {"ref": row["ref"], "label": row["label"]}]
    if rows and not missing and "total_price" not in errors and Decimal(content["total_price"]) != total:
        errors["total_price"] = [
            _("Le prix total (%(total)s) ne correspond pas à la somme des lignes %(refs)s (%(sum)s) : écart de "
              "%(gap)s.") % {"total": money(Decimal(content["total_price"])), "sum": money(total),
                             "refs": ", ".join(row["ref"] for row in rows),
                             "gap": money(abs(Decimal(content["total_price"]) - total))}]
    return errors


def _require_bidder(actor, bid: Bid) -> None:
    require_member(actor, bid.company)


def _empty_content() -> dict:
    # The salt makes the fingerprint of a bid impossible to guess from a price by trying values.
    return {"total_price": None, "duration_weeks": None, "lines": [], "notes": "", "salt": secrets.token_hex(16)}


def bid_create(*, actor, tender: Tender, data: dict | None = None, company: Company | None = None,
               copy_from: Bid | None = None) -> Bid:
    """Start a draft bid (sealed from this first save). ``copy_from`` starts from an earlier version; without
    it, a company that has deposited a bid on this tender (still standing, or withdrawn since) starts from its
    latest deposit: a replacement never starts from a blank schedule."""
    company = invited_company(actor=actor, tender=tender, company=company)
    if copy_from is None:
        copy_from = latest_deposit(tender=tender, company=company)
    if not tender.accepts_bids():
        raise InvalidTransition(
            _("La remise des offres est close depuis le %(date)s.") % {"date": when(tender.bid_deadline)}
            if tender.status != TenderStatus.DRAFT else _("Ce marché n'est pas publié."),
            state=tender.status, allowed_transitions=allowed_actions(tender))
    base = _empty_content()
    if copy_from is not None:
        if copy_from.company_id != company.id or copy_from.tender_id != tender.id:
            raise ValidationFailed({"copy_from": [_("Offre introuvable.")]})
        base = {**bid_content(copy_from), "salt": base["salt"]}
    content = _clean_bid(data or {}, tender, base)
    with transaction.atomic():
        bid = Bid(tender=tender, company=company, created_by=actor)
        bid.sealed_content = sealing.seal_json(tender, content, purpose="bid", object_id=bid.id)
        bid.save()
        if copy_from is not None:
            for document in copy_from.documents.select_related("bid__tender"):
                copy = _prepare_document(bid=bid, tender=tender, actor=actor, kind=document.kind,
                                         name=document_name(document), data=_document_bytes(document),
                                         content_type=document.content_type, sha256=document.sha256)
                copy.save()
                _record_bid_document(bid=bid, document=copy, actor=actor, action="add-document",
                                     copied_from=str(document.id))
    return bid


def latest_deposit(*, tender: Tender, company: Company) -> Bid | None:
    """The company's last bid deposited in time on ``tender``, standing or withdrawn (a late one is not a
    bid to build on: it will never be examined)."""
    return (Bid.objects.filter(tender=tender, company=company, status__in=(BidStatus.SUBMITTED, BidStatus.WITHDRAWN))
            .exclude(submitted_at=None).order_by("-submitted_at").first())


def _record_bid_document(*, bid: Bid, document: BidDocument, actor, action: str, **extra) -> None:
    """A draft bid's document added or removed. Its name and bytes are sealed: the chain gets its kind, size
    and fingerprint only."""
    audit.record(obj=bid, object_type="bid", action=action, actor=actor,
                 details={"document": str(document.id), "kind": document.kind, "size": document.size,
                          "sha256": document.sha256, **extra})


def _lock_draft(actor, bid: Bid) -> tuple[Bid, Tender]:
    tender = Tender.objects.select_for_update().get(pk=bid.tender_id)
    bid = Bid.objects.select_for_update().select_related("company").get(pk=bid.pk)
    bid.tender = tender
    _require_bidder(actor, bid)
    if bid.status != BidStatus.DRAFT:
        raise InvalidTransition(_("Une offre déposée ne se modifie plus : préparez une nouvelle version."),
                                state=bid.status, allowed_transitions=allowed_actions(bid))
    if not tender.accepts_bids():
        raise InvalidTransition(
            _("La remise des offres est close depuis le %(date)s.") % {"date": when(tender.bid_deadline)},
            state=tender.status, allowed_transitions=[])
    return bid, tender


def bid_update(*, actor, bid: Bid, data: dict) -> Bid:
    with transaction.atomic():
        bid, tender = _lock_draft(actor, bid)
        content = _clean_bid(data, tender, bid_content(bid))
        bid.sealed_content = sealing.seal_json(tender, content, purpose="bid", object_id=bid.id)
        bid.updated_at = clock.now()
        bid.save(update_fields=["sealed_content", "updated_at"])
    return bid


def _prepare_document(*, bid, tender, actor, kind, name, data: bytes, content_type, sha256) -> BidDocument:
    """Seal a document and put its encrypted bytes in storage; the row is saved by the caller."""
    document = BidDocument(bid=bid, kind=kind, content_type=content_type, size=len(data), sha256=sha256,
                           uploaded_by=actor)
    document.sealed_name = sealing.seal(tender, name.encode(), purpose="bid-document-name", object_id=document.id)
    sealed = sealing.seal(tender, data, purpose="bid-document", object_id=document.id)
    document.file.save("sealed", ContentFile(sealed), save=False)
    return document


def _document_bytes(document: BidDocument) -> bytes:
    with document.file.open("rb") as handle:
        sealed = handle.read()
    return sealing.unseal(document.bid.tender, sealed, purpose="bid-document", object_id=document.id)


def bid_document_upload(*, actor, bid: Bid, kind: str, uploaded_file) -> BidDocument:
    """Add a document to a draft bid; it is encrypted before it reaches storage."""
    errors = {}
    if kind not in BidDocumentKind.values:
        errors["kind"] = [_("Type de document inconnu.")]
    try:
        checked = check_upload(uploaded_file, max_bytes=settings.TENDER_MAX_UPLOAD_BYTES)
    except ValueError as exc:
        errors["file"] = [str(exc)]
    if errors:
        raise ValidationFailed(errors)
    uploaded_file.seek(0)
    data = uploaded_file.read()
    with transaction.atomic():
        bid, tender = _lock_draft(actor, bid)
    # Encryption and the upload to storage happen outside the row locks; the draft is checked again after.
    document = _prepare_document(bid=bid, tender=tender, actor=actor, kind=kind, name=checked.filename, data=data,
                                 content_type=checked.content_type, sha256=checked.sha256)
    try:
        with transaction.atomic():
            bid, tender = _lock_draft(actor, bid)
            document.bid = bid
            document.save()
            Bid.objects.filter(pk=bid.pk).update(updated_at=clock.now())
            _record_bid_document(bid=bid, document=document, actor=actor, action="add-document")
    except Exception:
        document.file.delete(save=False)
        raise
    return document


def bid_document_delete(*, actor, document: BidDocument) -> None:
    with transaction.atomic():
        bid, _tender = _lock_draft(actor, document.bid)
        _record_bid_document(bid=bid, document=document, actor=actor, action="delete-document")
        storage, name = document.file.storage, document.file.name
        document.delete()
        # The sealed file leaves storage once the deletion is committed (a rollback keeps both).
        transaction.on_commit(lambda: storage.delete(name))


def document_content(document: BidDocument) -> bytes:
    """The decrypted bytes of a bid document (the caller checked who may read it)."""
    return _document_bytes(document)


def receipt(bid: Bid) -> dict:
    """The electronic receipt (arrêté of 22 March 2019): depositor, buyer, tender, time, documents, fingerprint."""
    documents = sealing.unseal_json(bid.tender, bid.sealed_receipt, purpose="bid-receipt", object_id=bid.id) \
        if bid.sealed_receipt else []
    return {
        "received_at": bid.submitted_at,
        "sha256": bid.fingerprint,
        "documents": documents,
        "depositor": {"company": bid.company.name, "identifier": bid.company.identifier,
                      "person": bid.submitted_by.email if bid.submitted_by else ""},
        "buyer": settings.BUYER_NAME,
        "tender": {"reference": bid.tender.reference, "title": bid.tender.title,
                   "object": bid.tender.description},
    }


def _fingerprint(*, bid: Bid, received_at: dt.datetime, content: dict, documents: list[dict]) -> str:
    payload = {"tender": str(bid.tender_id), "company": str(bid.company_id), "bid": str(bid.id),
               "received_at": received_at.isoformat(), "content": content, "documents": documents}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


class LateBid(Conflict):
    """Raised after the late bid was recorded (and committed): the bidder gets 409."""

    title = gettext_lazy("Date limite de remise des offres dépassée")


def bid_submit(*, actor, bid: Bid) -> Bid:
    """Deposit the bid. The time of receipt is read under the tender's row lock and compared there.

    A deposit is the busiest write at a deadline: it reads what it needs in as few queries as it can (the
    bid and the company's earlier deposit locked together, the members once) and returns the bid with its
    tender, schedule and documents loaded, ready to be shown.
    """
    late_message = None
    with transaction.atomic():
        tender = Tender.objects.select_for_update().get(pk=bid.tender_id)
        locked = list(
            Bid.objects.select_for_update(of=("self",)).select_related("company")
            .filter(Q(pk=bid.pk) | Q(tender_id=bid.tender_id, company_id=bid.company_id, status=BidStatus.SUBMITTED))
        )
        bid = next(b for b in locked if b.pk == bid.pk)
        bid.tender = tender
        members = dict(Membership.objects.filter(company_id=bid.company_id).values_list("user_id", "user__email"))
        if not (actor and actor.is_authenticated and actor.pk in members):
            raise NotAllowed(_("Vous n'êtes pas membre de cette entreprise."))
        received_at = clock.now()
        check_allowed(bid, "submit", refusal=_("Cette offre a déjà été déposée.")
                      if bid.status == BidStatus.SUBMITTED else None)
        if tender.status in (TenderStatus.DRAFT, TenderStatus.CANCELLED, TenderStatus.UNSUCCESSFUL):
            raise InvalidTransition(_("Ce marché ne reçoit pas d'offres."), state=tender.status,
                                    allowed_transitions=[])
        if tender.status != TenderStatus.PUBLISHED or received_at >= tender.bid_deadline:
            apply_transition(bid, "mark_late", actor=actor, object_type="bid", by=actor, at=received_at,
                             reason=audit.message(gettext_noop("Reçue le %(at)s, après la date limite du "
                                                               "%(deadline)s."),
                                                  at=received_at, deadline=tender.bid_deadline))
            late_message = _(
                "Offre reçue le %(at)s, après la date limite du %(deadline)s : elle est conservée comme offre hors "
                "délai et ne sera pas examinée (R2151-5).") % {"at": when(received_at),
                                                               "deadline": when(tender.bid_deadline)}
        else:
            prefetch_related_objects([tender], "price_lines")
            prefetch_related_objects([bid], Prefetch("documents", queryset=BidDocument.objects.order_by("uploaded_at")))
            content = bid_content(bid)
            problems = submission_problems(tender, content)
            if problems:
                raise ValidationFailed(problems)
            attached = list(bid.documents.all())
            for d in attached:
                d.bid = bid
            documents = [{"name": document_name(d), "sha256": d.sha256, "size": d.size} for d in attached]
            fingerprint = _fingerprint(bid=bid, received_at=received_at, content=content, documents=documents)
            sealed_receipt = sealing.seal_json(tender, documents, purpose="bid-receipt", object_id=bid.id)
            apply_transition(bid, "submit", actor=actor, object_type="bid", by=actor, at=received_at,
                             fingerprint=fingerprint, sealed_receipt=sealed_receipt)
            for previous in (b for b in locked if b.pk != bid.pk):
                apply_transition(previous, "withdraw", actor=actor, object_type="bid", action="replace",
                                 reason=audit.message(gettext_noop("Remplacée par l'offre déposée le %(at)s."),
                                                      at=received_at),
                                 at=received_at, replaced_by=bid)
            # One receipt per member and per deposit (a bid withdrawn and deposited again gets a new one). The
            # mail names the documents by type and fingerprint only: stored in the outbox, their names would
            # sit in the clear in the database before the opening.
            context = {"bid": bid, "tender": tender, "receipt": receipt(bid), "attached": attached,
                       "received_at": when(received_at)}
            notify_many(((f"bid-receipt:{bid.id}:{received_at.isoformat()}:{email}", email, "bid_receipt", context)
                         for email in sorted(members.values())), fresh=True)
        transaction.on_commit(lambda: generated_documents.after_deposit(bid.id))
    if late_message:
        raise LateBid(late_message, state=BidStatus.LATE, allowed_transitions=[])
    return bid


def bid_withdraw(*, actor, bid: Bid, reason: str = "") -> Bid:
    with transaction.atomic():
        tender = Tender.objects.select_for_update().get(pk=bid.tender_id)
        bid = Bid.objects.select_for_update().select_related("company").get(pk=bid.pk)
        bid.tender = tender
        _require_bidder(actor, bid)
        now = clock.now()
        check_allowed(bid, "withdraw")
        if tender.deadline_passed(now) or tender.status != TenderStatus.PUBLISHED:
            raise InvalidTransition(
                _("Le retrait n'est plus possible : la date limite du %(date)s est passée.")
                % {"date": when(tender.bid_deadline)}, state=bid.status, allowed_transitions=[])
        apply_transition(bid, "withdraw", actor=actor, object_type="bid", reason=(reason or "").strip(), at=now)
    return bid
