"""The deadline, the recorded opening of sealed bids (R2132-9) and the end of a tender (cancelled, unsuccessful)."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from procurement import audit, clock
from procurement.errors import Conflict, InvalidTransition, ValidationFailed
from procurement.notifications import notify_many
from procurement.permissions import BUYER, require_role
from procurement.workflow import allowed_actions, apply_transition

from .. import documents as generated_documents
from .. import sealing
from ..letters import LETTER_STATES
from ..models import (
    Bid,
    BidStatus,
    Tender,
    TenderStatus,
)
from .award import ended_tender_letters
from .bids import bid_content
from .inputs import when
from .publication import _invitee_recipients

_DEADLINE_REACHED = audit.message(gettext_noop("Date limite de remise des offres atteinte."))


def tenders_close_expired() -> int:
    """Scheduled: close the published tenders whose deadline has passed (bids are refused anyway)."""
    count = 0
    for tender_id in Tender.objects.filter(status=TenderStatus.PUBLISHED, bid_deadline__lte=clock.now()) \
            .values_list("id", flat=True):
        with transaction.atomic():
            tender = Tender.objects.select_for_update().get(pk=tender_id)
            if tender.status == TenderStatus.PUBLISHED and tender.deadline_passed():
                apply_transition(tender, "close", actor=None, object_type="tender", reason=_DEADLINE_REACHED)
                count += 1
    return count


def tender_open(*, actor, tender: Tender) -> Tender:
    """Record the opening (after the deadline only) and unseal the bids that count."""
    require_role(actor, BUYER)
    with transaction.atomic():
        tender = Tender.objects.select_for_update().get(pk=tender.pk)
        now = clock.now()
        if tender.status == TenderStatus.PUBLISHED:
            if not tender.deadline_passed(now):
                raise InvalidTransition(
                    _("Les plis ne peuvent être ouverts qu'après la date limite de remise des offres (%(date)s).")
                    % {"date": when(tender.bid_deadline)},
                    state=tender.status, allowed_transitions=allowed_actions(tender))
            apply_transition(tender, "close", actor=None, object_type="tender", reason=_DEADLINE_REACHED)
        apply_transition(tender, "open", actor=actor, object_type="tender", by=actor)
        for bid in Bid.objects.select_for_update().filter(tender=tender, status=BidStatus.SUBMITTED):
            bid.tender = tender
            try:
                content = _opened_content(bid)
            except sealing.SealingError:
                # Nothing is recorded: the opening can be done again once the key is back in place.
                raise Conflict(_("Les offres ne peuvent pas être déchiffrées : la clé maîtresse qui a scellé ce "
                                 "marché n'est pas configurée (SEALING_MASTER_KEYS). Rien n'a été enregistré."))
            apply_transition(bid, "open", actor=actor, object_type="bid", content=content)
        transaction.on_commit(lambda: generated_documents.after_opening(tender.id))
    return tender


def _opened_content(bid: Bid) -> dict:
    content = bid_content(bid)
    return {
        "total_price": Decimal(content["total_price"]) if content.get("total_price") is not None else None,
        "duration_weeks": content.get("duration_weeks"),
        "lines": content.get("lines") or [],
        "notes": content.get("notes") or "",
    }


def _end(*, actor, tender: Tender, method: str, reason: str) -> Tender:
    require_role(actor, BUYER)
    if not (reason or "").strip():
        raise ValidationFailed({"reason": [_("Indiquez le motif de la décision.")]})
    with transaction.atomic():
        tender = Tender.objects.select_for_update().get(pk=tender.pk)
        apply_transition(tender, method, actor=actor, object_type="tender", reason=reason.strip(),
                         note=reason.strip())
        # Every bidder gets its letter; every other invited supplier is told.
        ended_tender_letters(tender)
        bidders = Bid.objects.filter(tender=tender, status__in=LETTER_STATES).values("company_id")
        notify_many(
            (f"tender-{method}:{tender.id}:{email}", email, "tender_ended",
             {"tender": tender, "company_name": name, "reason": reason.strip(),
              "unsuccessful": method == "declare_unsuccessful"})
            for email, name in _invitee_recipients(tender).exclude(company_id__in=bidders)
        )
        transaction.on_commit(lambda: generated_documents.after_ending(tender.id))
    return tender


def tender_cancel(*, actor, tender: Tender, reason: str) -> Tender:
    return _end(actor=actor, tender=tender, method="cancel", reason=reason)


def tender_declare_unsuccessful(*, actor, tender: Tender, reason: str) -> Tender:
    return _end(actor=actor, tender=tender, method="declare_unsuccessful", reason=reason)
