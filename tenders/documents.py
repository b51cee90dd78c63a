"""The documents a tender issues, registered with ``procurement.documents`` at start-up.

- ``receipt`` (each deposit, arrêté of 22 March 2019): depositor, buyer, tender title and object, exact time
  of receipt (to the second, with the time zone), each document's name and SHA-256, the bid's fingerprint.
  The receipt names the bid's documents, and those names are sealed until the opening (``tenders.sealing``):
  the stored PDF and its data are therefore encrypted with the tender's sealing key, like the bid's own
  documents, and decrypted only when its company (or staff) downloads it.
- ``opening_report`` (the opening): the deposit register, late and withdrawn deposits included, who opened
  the bids and when. It names no document and no price: it is stored in the clear.
- ``cancellation_letter`` (a tender declared sans suite or infructueux), and the documents of the award
  (analysis report, award and rejection letters, contract, award notice): see ``tenders.award_documents``.

Each document belongs to its tender (``object_type="tender"``); a receipt also names its company.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db.models import QuerySet
from django.urls import reverse

from procurement.documents import registry
from procurement.documents.services import document_request
from procurement.models import DocumentKind, GeneratedDocument
from procurement.permissions import is_staff_member
from suppliers.selectors import member_emails

from . import sealing, selectors
from .models import Bid, BidDocument, BidStatus, Tender, TenderStatus

log = logging.getLogger(__name__)

OWNER = "tender"
# What a bidder may see of its tender's documents: what is addressed to its company.
BIDDER_KINDS = [DocumentKind.RECEIPT, DocumentKind.AWARD_LETTER, DocumentKind.REJECTION_LETTER,
                DocumentKind.CANCELLATION_LETTER, DocumentKind.CONTRACT]


def _iso(moment) -> str | None:
    return moment.isoformat() if moment else None


def _tender_data(tender: Tender) -> dict:
    return {"id": str(tender.id), "reference": tender.reference, "title": tender.title,
            "object": tender.description, "operation": tender.operation_name, "commune": tender.operation_commune,
            "bid_deadline": _iso(tender.bid_deadline)}


def _person(user) -> dict:
    if user is None:
        return {"name": "", "email": ""}
    return {"name": user.get_full_name() if hasattr(user, "get_full_name") else "", "email": user.email}


# --- the receipt ---------------------------------------------------------------------------------------


def build_receipt(document: GeneratedDocument) -> dict:
    from .services import document_name, receipt

    bid = Bid.objects.select_related("tender", "company", "submitted_by").get(pk=document.params["bid"])
    if _iso(bid.submitted_at) != document.params.get("received_at"):
        raise ValueError("The bid was deposited again since: this receipt's deposit is no longer the bid's.")
    content = receipt(bid)
    documents = content["documents"]
    if not bid.sealed_receipt:  # a late deposit: no fingerprint, but its documents are listed all the same
        attached = BidDocument.objects.filter(bid=bid).select_related("bid__tender").order_by("uploaded_at")
        documents = [{"name": document_name(d), "sha256": d.sha256, "size": d.size} for d in attached]
    return {
        "kind": "receipt",
        "bid": str(bid.id),
        "late": bid.status == BidStatus.LATE,
        "status": bid.status,
        "status_label": str(BidStatus(bid.status).label),
        "buyer": content["buyer"],
        "tender": _tender_data(bid.tender),
        "depositor": {**content["depositor"], "company_id": str(bid.company_id)},
        "received_at": _iso(bid.submitted_at),
        "time_zone": settings.TIME_ZONE,
        "documents": [{"name": d["name"], "sha256": d["sha256"], "size": d.get("size")} for d in documents],
        "fingerprint": bid.fingerprint,
    }


class TenderSealer:
    """Encrypts a generated document with its tender's sealing key (as bid documents are)."""

    def _tender(self, document) -> Tender:
        return Tender.objects.only("id", "wrapped_key").get(pk=document.object_id)

    def seal(self, document, raw: bytes, *, part: str) -> bytes:
        return sealing.seal(self._tender(document), raw, purpose=f"generated-{part}", object_id=document.id)

    def unseal(self, document, blob: bytes, *, part: str) -> bytes:
        return sealing.unseal(self._tender(document), blob, purpose=f"generated-{part}", object_id=document.id)


def receipt_request(bid_id) -> GeneratedDocument | None:
    """Queue the receipt of the bid's latest deposit (called after the deposit commits)."""
    bid = Bid.objects.filter(pk=bid_id).only("id", "tender_id", "company_id", "submitted_at", "submitted_by").first()
    if bid is None or bid.submitted_at is None:
        return None
    return document_request(
        kind=DocumentKind.RECEIPT, object_type=OWNER, object_id=bid.tender_id, company_id=bid.company_id,
        key=f"receipt:{bid.id}:{bid.submitted_at.isoformat()}",
        params={"bid": str(bid.id), "received_at": bid.submitted_at.isoformat()}, actor=bid.submitted_by)


# --- the opening report --------------------------------------------------------------------------------


def build_opening_report(document: GeneratedDocument) -> dict:
    tender = Tender.objects.select_related("opened_by", "category", "dps").get(pk=document.object_id)
    register = []
    for bid in selectors.deposit_register(tender):
        register.append({
            "bid": str(bid.id), "company": bid.company.name, "identifier": bid.company.identifier,
            "received_at": _iso(bid.submitted_at), "status": bid.status,
            "status_label": str(BidStatus(bid.status).label), "fingerprint": bid.fingerprint,
            "withdrawn_at": _iso(bid.withdrawn_at), "replaced": bid.replaced_by_id is not None,
            "late": bid.status == BidStatus.LATE,
        })
    counts = {"deposits": len(register), "late": sum(r["late"] for r in register),
              "withdrawn": sum(r["status"] == BidStatus.WITHDRAWN for r in register)}
    counts["opened"] = counts["deposits"] - counts["late"] - counts["withdrawn"]
    return {
        "kind": "opening_report",
        "buyer": settings.BUYER_NAME,
        "tender": _tender_data(tender),
        "category": tender.category.name,
        "dps": tender.dps.reference,
        "opened_at": _iso(tender.opened_at),
        "opened_by": _person(tender.opened_by),
        "time_zone": settings.TIME_ZONE,
        "register": register,
        "counts": counts,
    }


def opening_report_request(tender_id) -> GeneratedDocument | None:
    tender = Tender.objects.filter(pk=tender_id).only("id", "opened_at", "opened_by").first()
    if tender is None or tender.opened_at is None:
        return None
    return document_request(kind=DocumentKind.OPENING_REPORT, object_type=OWNER, object_id=tender.id,
                            key=f"opening_report:{tender.id}", params={}, actor=tender.opened_by)


# --- the cancellation letter ---------------------------------------------------------------------------

ENDINGS = {
    TenderStatus.CANCELLED: "Déclaration sans suite",
    TenderStatus.UNSUCCESSFUL: "Déclaration d'infructuosité",
}


def cancellation_letters_request(tender_id) -> list[GeneratedDocument]:
    """One letter per company that deposited a bid (late ones included), once per decision."""
    tender = Tender.objects.filter(pk=tender_id).only("id", "status", "ended_at").first()
    if tender is None or tender.status not in ENDINGS:
        return []
    return [document_request(kind=DocumentKind.CANCELLATION_LETTER, object_type=OWNER, object_id=tender.id,
                             company_id=bid.company_id, key=f"cancellation_letter:{tender.id}:{bid.company_id}",
                             params={"bid": str(bid.id)})
            for bid in selectors.deposit_register(tender).exclude(status=BidStatus.WITHDRAWN)]


def after_deposit(bid_id) -> None:
    """``transaction.on_commit`` hook of ``bid_submit``: the deposit is recorded whatever happens here."""
    try:
        receipt_request(bid_id)
    except Exception:  # the deposit stands; the receipt can be asked for again
        log.exception("The receipt of bid %s could not be requested", bid_id)


def after_opening(tender_id) -> None:
    """``transaction.on_commit`` hook of ``tender_open``."""
    try:
        opening_report_request(tender_id)
    except Exception:
        log.exception("The opening report of tender %s could not be requested", tender_id)


def after_ending(tender_id) -> None:
    """``transaction.on_commit`` hook of ``tender_cancel`` and ``tender_declare_unsuccessful``."""
    try:
        cancellation_letters_request(tender_id)
    except Exception:
        log.exception("The cancellation letters of tender %s could not be requested", tender_id)


# --- who sees what -------------------------------------------------------------------------------------


def documents_visible_to(user, tender: Tender | None = None) -> QuerySet[GeneratedDocument]:
    """Staff: every document of the tenders; a supplier: what is addressed to its companies."""
    documents = GeneratedDocument.objects.filter(object_type=OWNER)
    if tender is not None:
        documents = documents.filter(object_id=tender.id)
    if is_staff_member(user):
        return documents
    if not (user and user.is_authenticated):
        return documents.none()
    return documents.filter(company_id__in=selectors.own_company_ids(user), kind__in=BIDDER_KINDS)


def deliver_to_company(document: GeneratedDocument) -> registry.Delivery | None:
    """A document addressed to a company goes to each of its members, downloadable again from its bid page."""
    if document.company_id is None:
        return None
    tender = Tender.objects.only("reference", "title").get(pk=document.object_id)
    bid_id = document.params.get("bid")
    url = (reverse("tenders_portal:bid", kwargs={"bid_id": bid_id}) if bid_id
           else reverse("tenders_portal:tender", kwargs={"tender_id": tender.id}))
    return registry.Delivery(to=member_emails(document.company_id), about=f"{tender.reference} — {tender.title}",
                             url=url)


def generated_for_bid(user, bid: Bid) -> QuerySet[GeneratedDocument]:
    """The documents addressed to the bid's company about this bid (receipts, letters), newest first."""
    return (documents_visible_to(user, bid.tender).filter(company_id=bid.company_id, kind__in=BIDDER_KINDS,
                                                          params__bid=str(bid.id))
            .order_by("-created_at", "-version"))


def tender_reports(user, tender: Tender) -> list[GeneratedDocument]:
    """The tender's own reports (opening report, analysis report, notice): the latest version of each."""
    latest = {}
    for document in documents_visible_to(user, tender).filter(company_id__isnull=True).order_by("created_at",
                                                                                                 "version"):
        latest[document.key] = document
    return list(latest.values())


def document_progress(documents) -> dict:
    """How far the generation of a set of documents went: counts per state and the share done (ready or failed)."""
    counts = {"total": 0, "ready": 0, "failed": 0, "pending": 0}
    for document in documents:
        counts["total"] += 1
        counts[document.status] += 1
    done = counts["ready"] + counts["failed"]
    counts["percent"] = round(100 * done / counts["total"]) if counts["total"] else 100
    counts["done"] = counts["pending"] == 0
    return counts


def register_kinds() -> None:
    from .award_documents import build_cancellation_letter, register_award_kinds

    registry.register(DocumentKind.RECEIPT, builder=build_receipt, template="documents/receipt.html",
                      sealer=TenderSealer(), delivery=deliver_to_company)
    registry.register(DocumentKind.CANCELLATION_LETTER, builder=build_cancellation_letter,
                      template="documents/cancellation_letter.html", delivery=deliver_to_company)
    registry.register(DocumentKind.OPENING_REPORT, builder=build_opening_report,
                      template="documents/opening_report.html")
    register_award_kinds(deliver_to_company)
